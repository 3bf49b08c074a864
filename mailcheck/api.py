"""The library API: the reports the CLI renders, with no output and no environment read."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck import api_args as args
from mailcheck.model import Report

if TYPE_CHECKING:
    from mailcheck.net.dns.engine import DnsEngine
    from mailcheck.services.connecting import ConnectionOptions
    from mailcheck.services.domain import DomainRequest
    from mailcheck.services.send_request import Secret


@dataclass(frozen=True)
class Dns:
    """Where answers come from: `nameservers` ("192.0.2.53", "[::1]:5353"; none: the
    system's resolvers), zone files that answer first, or `offline` (zone files only).
    `timeout` bounds each query; `deadline` the DNS time of each domain or message."""

    nameservers: Sequence[str] = ()
    zones: Sequence[str] = ()
    offline: bool = False
    timeout: float = 2.0
    deadline: float = 30.0

    def __post_init__(self) -> None:
        # checked here, not at the first lookup: a list of names, never a str's characters
        for name in ("nameservers", "zones"):
            value = args.strings("Dns", name, getattr(self, name), paths=name == "zones")
            object.__setattr__(self, name, value)
        args.need("Dns", "offline", self.offline, bool, "True or False")
        for name in ("timeout", "deadline"):
            object.__setattr__(self, name, args.seconds(f"Dns.{name}", getattr(self, name)))


def _engine(dns: Dns | None, scope: str = "the DNS limit") -> DnsEngine:
    from mailcheck.net.dns import DnsOptions, LimitNames, build_engine

    dns = dns if dns is not None else Dns()
    # a TIMEOUT names what ran out as the caller set it: Dns's fields, not the CLI's options
    names = LimitNames("Dns.timeout", "Dns.deadline", scope, "Dns.deadline")
    return build_engine(
        DnsOptions(
            nameservers=tuple(dns.nameservers),
            zones=tuple(dns.zones),
            offline=dns.offline,
            timeout=dns.timeout,
            deadline=dns.deadline,
            names=names,
        )
    )


def _check_request(where: str, request: object) -> None:
    from mailcheck.services.domain import DomainRequest

    args.optional(where, "request", request, DomainRequest, "a DomainRequest")


def check_domain(
    domain: str, *, dns: Dns | None = None, request: DomainRequest | None = None
) -> Report:
    """Every check of `mailcheck domain` for one domain (the families of `request`)."""
    args.need("check_domain", "domain", domain, str, "a str")
    _check_dns("check_domain", dns)
    _check_request("check_domain", request)
    return check_domains([domain], dns=dns, request=request)[0]


def check_domains(
    domains: Iterable[str],
    *,
    dns: Dns | None = None,
    request: DomainRequest | None = None,
    parallel: int = 8,
) -> list[Report]:
    """`mailcheck domain` for many domains, `parallel` at a time, sharing one DNS cache;
    the reports in the order of `domains`. A name that is not a domain raises
    mailcheck.errors.InputError before any lookup."""
    from mailcheck.errors import UsageError
    from mailcheck.records.domain_name import parse_domain
    from mailcheck.services.domain import DomainRequest
    from mailcheck.services.domain_run import reports

    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise UsageError(f"parallel {parallel!r}: give a whole number of at least 1")
    _check_dns("check_domains", dns)
    _check_request("check_domains", request)
    names = [parse_domain(d) for d in args.strings("check_domains", "domains", domains)]
    if not names:
        return []
    wanted = request or DomainRequest()
    if dns is not None and dns.offline and not wanted.fetch.offline:
        # offline means no network at all: no MTA-STS or BIMI fetch either
        wanted = dataclasses.replace(wanted, fetch=dataclasses.replace(wanted.fetch, offline=True))
    engine = _engine(dns, "the domain's limit")
    found: list[Report | None] = [None] * len(names)
    with engine:
        # the CLI's scheduler: each domain in a scoped view of the shared engine (its own
        # deadline), a few queued ahead of the `parallel` threads
        for index, report in reports(names, engine, wanted, parallel, None):
            found[index] = report
    return [report for report in found if report is not None]


def verify_message(
    message: bytes,
    *,
    ip: str | None = None,
    helo: str | None = None,
    mail_from: str | None = None,
    dns: Dns | None = None,
    source: str = "message",
) -> Report:
    """`mailcheck verify` for one message (its bytes as received): DKIM, ARC, SPF for
    `ip`/`helo`/`mail_from` when given, DMARC alignment."""
    from mailcheck.messages import RawMessage
    from mailcheck.services.verify import VerifyRequest
    from mailcheck.services.verify import verify_message as verify

    hint = "open(path, 'rb').read()"
    message = args.raw_bytes("verify_message", "the raw message", message, hint)
    for name, value in (("ip", ip), ("helo", helo), ("mail_from", mail_from)):
        args.optional("verify_message", name, value, str, "a str")
    args.need("verify_message", "source", source, str, "a str")
    _check_dns("verify_message", dns)
    if ip is not None:
        import ipaddress

        from mailcheck.errors import InputError

        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise InputError(f"ip {ip!r} is not an IP address") from None
    engine = _engine(dns)
    with engine:
        return verify(
            RawMessage(source, message, kind="stdin"),
            engine,
            VerifyRequest(ip=ip, helo=helo, mail_from=mail_from),
        )


def _check_dns(where: str, dns: object) -> None:
    args.optional(where, "dns", dns, Dns, "a mailcheck.Dns")


def _check_login(where: str, user: object, password: object) -> str | None:
    """The password as a str: a str or a Secret, given with `user` (as the CLI asks for one)."""
    from mailcheck.errors import UsageError
    from mailcheck.services.send_request import Secret

    args.optional(where, "user", user, str, "a str")
    args.optional(where, "password", password, (str, Secret), "a str or a mailcheck.Secret")
    text = password.reveal() if isinstance(password, Secret) else password
    if user is not None and text is None:
        raise UsageError(f"{where}: user {user!r} needs a password")
    if text is not None and user is None:
        raise UsageError(f"{where}: password needs user")
    if isinstance(text, str) and any(c in text for c in "\r\n\0"):
        # IMAP LOGIN and POP3 PASS carry it as it is (the CLI refuses it too)
        raise UsageError(f"{where}: the password holds CR, LF or NUL: it cannot be sent")
    return text if isinstance(text, str) else None


def _check_path(where: str, name: str, value: object) -> str | None:
    checked = args.optional(where, name, value, (str, os.PathLike), "a str or a path")
    return None if checked is None else os.fsdecode(checked)


def _check_flags(where: str, **values: object) -> None:
    for name, value in values.items():
        args.need(where, name, value, bool, "True or False")


def _check_strings(where: str, **values: object) -> None:
    for name, value in values.items():
        args.optional(where, name, value, str, "a str")


def _check_choices(
    family: int | None, tls: str, *more: tuple[str, str | None, tuple[str | None, ...]]
) -> None:
    """The keywords that take one of a few values (UsageError naming them otherwise)."""
    from mailcheck.errors import UsageError

    if family not in (None, 4, 6):
        raise UsageError(f"family {family!r}: 4, 6 or None")
    from mailcheck.services.connecting import TlsMode

    modes = tuple(m.value for m in TlsMode)
    for name, value, allowed in (("tls", tls, modes), *more):
        if value not in allowed:
            raise UsageError(f"{name} {value!r}: one of {', '.join(map(str, allowed))}")


def _connection(
    family: int | None,
    source_address: str | None,
    tls: str,
    ca_file: str | None,
    tls_name: str | None,
    ehlo: str | None,
    allow_insecure_auth: bool,
) -> ConnectionOptions:
    """The connection settings trace() and send() share, as the CLI's option group holds them."""
    from mailcheck.services.connecting import ConnectionOptions, LoginOptions

    return ConnectionOptions(
        ipv4=family == 4,
        ipv6=family == 6,
        source_address=source_address,
        tls=tls,
        ca_file=ca_file,
        tls_name=tls_name,
        ehlo=ehlo,
        login=LoginOptions(allow_insecure_auth=allow_insecure_auth),
    )


def trace(
    target: str,
    *,
    port: int | None = None,
    protocol: str | None = None,
    tls: str = "auto",
    require_tls: bool = False,
    ca_file: str | os.PathLike[str] | None = None,
    tls_name: str | None = None,
    ehlo: str | None = None,
    mail_from: str | None = None,
    rcpt: Sequence[str] = (),
    quit_after: str | None = None,
    all_mx: bool = False,
    host_only: bool = False,
    user: str | None = None,
    password: str | Secret | None = None,
    allow_insecure_auth: bool = False,
    family: int | None = None,
    source_address: str | None = None,
    timeout: float = 10.0,
    deadline: float = 60.0,
    dns: Dns | None = None,
) -> Report:
    """`mailcheck trace` of a host, an IP address, or a domain's MX hosts: the conversation
    and its findings. `timeout` bounds each connect, read or write, `deadline` the whole
    trace; `dns` says where names are looked up. A value that would inject a command (CR, LF
    ...) or a password for an address no certificate can prove raises
    mailcheck.errors.UsageError before anything is sent."""
    from mailcheck.services.trace import run_trace
    from mailcheck.services.trace_request import MailProtocol, QuitStep, TraceOptions, trace_request

    args.need("trace", "target", target, str, "a str")
    _check_strings(
        "trace",
        tls_name=tls_name,
        ehlo=ehlo,
        mail_from=mail_from,
        source_address=source_address,
    )
    ca_file = _check_path("trace", "ca_file", ca_file)
    _check_flags(
        "trace",
        require_tls=require_tls,
        all_mx=all_mx,
        host_only=host_only,
        allow_insecure_auth=allow_insecure_auth,
    )
    rcpt = args.strings("trace", "rcpt", rcpt)
    password = _check_login("trace", user, password)
    _check_dns("trace", dns)
    _check_choices(
        family,
        tls,
        ("protocol", protocol, (None, *(p.value for p in MailProtocol))),
        ("quit_after", quit_after, (None, *(s.value for s in QuitStep))),
    )
    conn = _connection(family, source_address, tls, ca_file, tls_name, ehlo, allow_insecure_auth)
    options = TraceOptions(
        target=target,
        port=port,
        protocol=protocol,
        all_mx=all_mx,
        host_only=host_only,
        require_tls=require_tls,
        mail_from=mail_from,
        rcpt=tuple(rcpt),
        quit_after=quit_after,
        user=user,
        conn=conn,
    )
    # errors and timeout messages name this function's parameters, not the CLI's options
    request = trace_request(
        options,
        password,
        timeout,
        deadline,
        step_option="timeout",
        deadline_option="deadline",
        port_option="port",
    )
    engine = _engine(dns)
    with engine:
        return run_trace(engine, request)


def send(
    sender: str,
    to: Sequence[str],
    *,
    message: bytes | None = None,
    subject: str | None = None,
    body: str | None = None,
    html: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    headers: Sequence[str] | Mapping[str, str] = (),
    mail_from: str | None = None,
    server: str | None = None,
    port: int | None = None,
    tls: str = "auto",
    ca_file: str | os.PathLike[str] | None = None,
    tls_name: str | None = None,
    ehlo: str | None = None,
    user: str | None = None,
    password: str | Secret | None = None,
    allow_insecure_auth: bool = False,
    dkim_key: bytes | None = None,
    dkim_selector: str = "",
    dkim_domain: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    family: int | None = None,
    source_address: str | None = None,
    timeout: float = 30.0,
    deadline: float = 120.0,
    dns: Dns | None = None,
) -> Report:
    """`mailcheck send`: a test message from `sender` to each of `to`, through `server`
    (submission, AUTH as `user` over verified TLS) or the recipients' MX hosts; what each
    server said, per recipient. `message` is sent unchanged; else one is built from
    `subject`, `body`, `html`, `attachments` ((file name, bytes) pairs) and `headers`
    ('Name: value'), with a unique token. `dkim_key` (PEM or DER bytes) signs it as
    s=`dkim_selector` d=`dkim_domain` (default: the From domain), and it is sent only if the
    signature verifies against DNS (or `force`). `timeout` bounds each connect, read or
    write, `deadline` the whole run. A value that would inject a command, a password for an
    address no certificate can prove, or a message and its parts at once raise
    mailcheck.errors.UsageError (or InputError) before anything is sent."""
    from mailcheck.errors import UsageError, require_port, require_seconds
    from mailcheck.message.compose import Attachment
    from mailcheck.services.send_request import (
        Compose,
        DkimKey,
        Secret,
        SendJob,
        plan_send,
        run_send,
    )

    where = "send"
    args.need(where, "sender", sender, str, "a str")
    to = [to] if isinstance(to, str) else args.strings(where, "to", to)  # one address
    hint = "Path(file).read_bytes()"
    if message is not None:
        message = args.raw_bytes(where, "message", message, hint)
    if isinstance(dkim_key, str):
        dkim_key = dkim_key.encode()  # a PEM key read as text
    if dkim_key is not None:
        dkim_key = args.raw_bytes(where, "dkim_key", dkim_key, hint)
    args.need(where, "dkim_selector", dkim_selector, str, "a str")
    _check_strings(
        where,
        subject=subject,
        body=body,
        html=html,
        mail_from=mail_from,
        server=server,
        tls_name=tls_name,
        ehlo=ehlo,
        dkim_domain=dkim_domain,
        source_address=source_address,
    )
    ca_file = _check_path(where, "ca_file", ca_file)
    _check_flags(where, allow_insecure_auth=allow_insecure_auth, force=force, dry_run=dry_run)
    pairs = args.attachments(where, attachments)
    lines = args.headers(where, headers)
    password = _check_login(where, user, password)
    _check_dns(where, dns)
    _check_choices(family, tls)
    timeout = require_seconds(timeout, "timeout")
    deadline = require_seconds(deadline, "deadline")
    if port is not None:
        require_port(port, "port")
    parts = Compose(
        subject, body, html, tuple(Attachment(name, data) for name, data in pairs), lines
    )
    if message is not None and parts != Compose():
        raise UsageError(
            "message is sent unchanged: subject, body, html, attachments and "
            "headers build a new one"
        )
    conn = _connection(family, source_address, tls, ca_file, tls_name, ehlo, allow_insecure_auth)
    job = SendJob(
        sender=sender,
        to=tuple(to),
        message=parts if message is None else message,
        mail_from=mail_from,
        server=server,
        port=port,
        user=user,
        password=None if password is None else Secret(password),
        conn=conn,
        dkim=None if dkim_key is None else DkimKey(dkim_key, dkim_selector, dkim_domain),
        force=force,
        dry_run=dry_run,
        timeout=timeout,
        deadline=deadline,
        limit_names=("timeout", "deadline"),
    )
    plan = plan_send(job)
    engine = _engine(dns)
    with engine:
        return run_send(plan, engine)[0]
