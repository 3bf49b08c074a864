"""The checked trace request, built from trace's options by the CLI and the library alike."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailcheck.errors import UsageError, require_port, require_seconds
from mailcheck.services.connecting import (
    ConnectionOptions,
    check_connection,
    check_tls_name,
    default_ehlo,
    refuse_control_characters,
    refuse_login_to_address,
)

if TYPE_CHECKING:
    from mailcheck.services.trace import TraceRequest


class MailProtocol(str, enum.Enum):
    SMTP = "smtp"
    IMAP = "imap"
    POP3 = "pop3"


class QuitStep(str, enum.Enum):
    """Where a trace may stop early (--quit-after)."""

    CONNECT = "connect"
    BANNER = "banner"
    EHLO = "ehlo"
    TLS = "tls"
    MAIL = "mail"
    RCPT = "rcpt"


@dataclass(frozen=True)
class TraceOptions:
    """`trace`'s options as the library takes them."""

    target: str
    port: int | None = None
    protocol: str | None = None
    all_mx: bool = False
    host_only: bool = False
    require_tls: bool = False
    mail_from: str | None = None
    rcpt: tuple[str, ...] = ()
    quit_after: str | None = None
    user: str | None = None
    https_port: int | None = None
    grade_tls: bool = True  # --no-tls-grade turns it off
    conn: ConnectionOptions = field(default_factory=ConnectionOptions)
    allow_private: bool = False  # --allow-private-addresses (the MTA-STS policy fetch)


def trace_request(
    opts: TraceOptions,
    password: str | None,
    timeout: float,
    deadline: float,
    *,
    step_option: str = "--timeout",
    deadline_option: str = "--deadline",
    port_option: str = "--port",
) -> TraceRequest:
    """The checked request (the CLI's and the library's): values that would inject a
    command, a password for a name no certificate can prove, probes that make no sense,
    ports and time limits the socket layer would choke on. The option names are those the
    caller knows (the library's keywords), in these errors and in every timeout message."""
    # the trace service (and its DNS and TLS code) is loaded when a trace runs, not for --help
    from mailcheck.services.trace import TraceRequest

    conn, login = opts.conn, opts.conn.login
    timeout = require_seconds(timeout, step_option)
    deadline = require_seconds(deadline, deadline_option)
    for port_value, name in ((opts.port, port_option), (opts.https_port, "--https-port")):
        if port_value is not None:
            require_port(port_value, name)
    family = check_connection(conn.ipv4, conn.ipv6, conn.source_address, conn.ca_file, conn.ehlo)
    for value, option in (
        (opts.target, "TARGET"),
        (opts.mail_from, "--mail-from"),
        *((rcpt, "--rcpt") for rcpt in opts.rcpt),
        (opts.user, "--user"),
    ):
        refuse_control_characters(value, option)
    target = opts.target.strip()
    if not target or any(c.isspace() for c in target) or "/" in target or "@" in target:
        raise UsageError(
            f"invalid target {opts.target!r}: give a host name, an IP address, or a mail domain"
        )
    target, port = _target_port(target, opts.port)
    if opts.rcpt and opts.mail_from is None:
        raise UsageError("--rcpt needs --mail-from")
    for address in (opts.mail_from or "x@y", *opts.rcpt):
        if address and ("@" not in address or any(c in address for c in "<> ")):
            raise UsageError(f"{address!r} is not an address (local@domain)")
    if opts.protocol in ("imap", "pop3") and (opts.mail_from or opts.rcpt):
        raise UsageError("--mail-from and --rcpt are SMTP probes")
    if opts.user and opts.quit_after in ("connect", "banner", "ehlo", "tls"):
        # the login comes after TLS: the user would get a trace without it, and no word why
        raise UsageError(
            f"--user asks for a login, which comes after TLS: --quit-after {opts.quit_after} "
            "ends the session before it (--quit-after mail, or no --user)"
        )
    if opts.user and opts.all_mx:
        raise UsageError(
            "--user logs in to the server named, never to MX hosts DNS names: not with --all-mx"
        )
    if opts.all_mx and (opts.host_only or conn.tls_name):
        # both name one server: --all-mx was dropped without a word, and one host traced
        given = "--host" if opts.host_only else "--tls-name"
        raise UsageError(
            f"--all-mx traces every MX host of a domain; {given} names one server: not both"
        )
    tls_name = check_tls_name(conn.tls_name)
    refuse_login_to_address(opts.user, target, login.allow_insecure_auth, tls_name)
    return TraceRequest(
        target=target,
        protocol=opts.protocol,
        port=port,
        tls=conn.tls,
        require_tls=opts.require_tls,
        ehlo=conn.ehlo or default_ehlo(),
        mail_from=opts.mail_from,
        rcpt=opts.rcpt,
        quit_after=opts.quit_after,
        family=family,
        source_address=conn.source_address,
        ca_file=conn.ca_file,
        tls_name=tls_name,
        all_mx=opts.all_mx,
        # one name to verify: one server, never the MX hosts of a domain; a login too, as
        # `send --server`: an MX record (unsigned DNS) would choose who gets the password
        host_only=opts.host_only or tls_name is not None or opts.user is not None,
        step_timeout=timeout,
        deadline=deadline,
        step_option=step_option,
        deadline_option=deadline_option,
        user=opts.user,
        password=password,
        https_port=opts.https_port,
        allow_insecure_auth=login.allow_insecure_auth,
        grade_tls=opts.grade_tls,
        allow_private=opts.allow_private,
    )


def _target_port(target: str, port: int | None) -> tuple[str, int | None]:
    """`HOST:PORT` and `[IPv6]:PORT` as `send --server` takes them (a bare IPv6 address too)."""
    from mailcheck.net.address import split_host_port

    try:
        host, port_text = split_host_port(target)
    except ValueError as exc:
        raise UsageError(f"invalid target {target!r}: {exc}") from None
    _check_host(host, target, bracketed=target.lstrip().startswith("["))
    if not port_text:
        return target, port
    if port is not None and port != int(port_text):
        raise UsageError(f"target {target!r} and --port {port} disagree")
    return (f"[{host}]" if ":" in host else host), int(port_text)


def _check_host(host: str, target: str, bracketed: bool) -> None:
    """The host part is an IP address or a name DNS can hold: anything else is a typo
    (`a:b.com`, `1.2.3`, `mx..example.com`) to refuse, not a name to look up and miss."""
    from mailcheck.errors import InputError
    from mailcheck.net.address import is_ip_address
    from mailcheck.records.domain_name import parse_domain

    if not host:
        raise UsageError(f"invalid target {target!r}: give a host name or an IP address")
    if is_ip_address(host):
        return
    if bracketed:
        raise UsageError(f"invalid target {target!r}: brackets hold an IP address ([IPv6]:PORT)")
    name = host[:-1] if host.endswith(".") else host
    if name.replace(".", "").isdigit() or ":" in name:
        raise UsageError(f"invalid target {target!r}: {host!r} is not a valid IP address")
    try:
        # one label ("localhost", a LAN host) is a host name here, not a mail domain
        parse_domain(name if "." in name else f"{name}.invalid")
    except InputError as exc:
        reason = exc.message.split("': ", 1)[-1]
        raise UsageError(f"invalid target {target!r}: {reason}") from None
