"""A `mailcheck send` run from values already read (message parts, key bytes, passwords as
secrets): checked, built, signed, delivered, reported; the CLI's path and the library's."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailcheck.catalog import finding
from mailcheck.errors import InputError, UsageError
from mailcheck.message.compose import Attachment, Mailbox, has_control, parse_mailbox
from mailcheck.model import Finding, Report, Status
from mailcheck.net.address import split_host_port
from mailcheck.services.connecting import (
    ConnectionOptions,
    check_connection,
    check_tls_name,
    default_ehlo,
    refuse_control_characters,
    refuse_login_to_address,
)

if TYPE_CHECKING:
    from mailcheck.feedback.imap import Mailbox as ImapBox
    from mailcheck.model import Section
    from mailcheck.net.dns.engine import DnsEngine
    from mailcheck.services.roundtrip import DeliveryTarget
    from mailcheck.services.send import DkimPlan, Outcome

Progress = Callable[[str], None]


class Secret:
    """A password: never shown by repr() or str(), so it cannot reach a log or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            # the type only: the value is the secret
            raise TypeError(f"Secret: give the password as a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class Compose:
    """A new test message: what is not given gets mailcheck's default (subject and body with
    a unique token)."""

    subject: str | None = None
    body: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[str, ...] = ()  # 'Name: value'


@dataclass(frozen=True)
class DkimKey:
    """Sign with this private key (PEM or DER bytes) as d=`domain` (default: the From
    domain) s=`selector`; `name` is what findings call the key (its file)."""

    data: bytes
    selector: str
    domain: str | None = None
    algorithm: str | None = None  # rsa-sha256 | ed25519-sha256: refused when the key is not
    name: str = ""
    readable_by_others: bool = False
    names: tuple[str, str] = ("dkim_key", "dkim_selector")  # as the caller calls them


@dataclass(frozen=True)
class Delivery:
    """After sending, wait up to `wait` seconds for the message in this mailbox
    (imap://USER@HOST[:PORT]/FOLDER, imaps:// for implicit TLS) and verify the copy."""

    mailbox: str
    password: Secret | None = None
    wait: float = 120.0
    authserv_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendJob:
    """What to send, where, and how: every file already read, every password a Secret."""

    sender: str | None
    to: tuple[str, ...]
    message: bytes | Compose = field(default_factory=Compose)  # bytes: sent unchanged
    message_name: str = "message"  # what the report calls a message given whole
    mail_from: str | None = None  # '' or '<>': the null sender
    server: str | None = None  # HOST[:PORT] to submit through; None: the MX hosts
    port: int | None = None
    user: str | None = None
    password: Secret | None = None
    conn: ConnectionOptions = field(default_factory=ConnectionOptions)
    dkim: DkimKey | None = None
    force: bool = False
    dry_run: bool = False
    delivery: Delivery | None = None
    timeout: float = 30.0
    deadline: float = 120.0
    limit_names: tuple[str, str] = ("--timeout", "--deadline")  # as the caller calls them
    verbose: bool = False


@dataclass(frozen=True)
class Route:
    """The addresses and the way to the servers, checked."""

    sender: Mailbox
    recipients: tuple[Mailbox, ...]
    envelope_from: str
    server: str | None
    port: int
    family: int | None
    tls_name: str | None
    smtputf8: bool


@dataclass(frozen=True)
class Plan:
    """A checked job with its message built (not yet signed) and its signing key loaded."""

    job: SendJob
    route: Route
    message: bytes
    token: str
    dkim: DkimPlan | None
    target: DeliveryTarget | None


def check_route(job: SendJob) -> Route:
    """Every value that goes into a protocol command or picks a server, checked before any
    file is read or anything is sent."""
    conn, login = job.conn, job.conn.login
    family = check_connection(conn.ipv4, conn.ipv6, conn.source_address, conn.ca_file, conn.ehlo)
    refuse_control_characters(job.user, "--user")
    if job.sender is None:
        raise UsageError("--from is required (the author of the test message)")
    if not job.to:
        raise UsageError("give at least one --to")
    sender = parse_mailbox(job.sender, "--from")
    recipients: list[Mailbox] = []
    for text in job.to:
        mailbox = parse_mailbox(text, "--to")
        if mailbox.envelope.lower() not in {r.envelope.lower() for r in recipients}:
            recipients.append(mailbox)
    envelope_from = sender.envelope
    if job.mail_from is not None:
        envelope_from = (
            ""
            if job.mail_from in ("", "<>")
            else parse_mailbox(job.mail_from, "--mail-from").envelope
        )
    if job.user is not None and job.server is None:
        raise UsageError("--user needs --server: AUTH is for submission servers, not MX hosts")
    server, port = _server(job.server, job.port)
    tls_name = check_tls_name(conn.tls_name)
    if tls_name is not None and server is None:
        raise UsageError("--tls-name needs --server: each MX host is verified for its own name")
    refuse_login_to_address(job.user, server, login.allow_insecure_auth, tls_name)
    smtputf8 = sender.needs_smtputf8 or any(r.needs_smtputf8 for r in recipients)
    if job.mail_from not in (None, "", "<>"):
        smtputf8 = smtputf8 or not envelope_from.split("@")[0].isascii()
    return Route(sender, tuple(recipients), envelope_from, server, port, family, tls_name, smtputf8)


def _server(text: str | None, port: int | None) -> tuple[str | None, int]:
    """`HOST`, `HOST:PORT`, `[IPv6]:PORT`; default port 587 (submission) or 25 (MX)."""
    if text is None:
        return None, port or 25
    try:
        host, port_text = split_host_port(text)
    except ValueError as exc:
        raise UsageError(f"--server {text!r}: {exc}") from None
    if not host or any(c.isspace() or c in "/@" for c in host):
        raise UsageError(f"--server {text!r}: give a host name or an IP address")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(f"--server {text!r}: invalid port")
        if port is not None and port != int(port_text):
            raise UsageError(f"--server {text!r} and --port {port} disagree")
        return host, int(port_text)
    return host, port or 587


def plan_send(job: SendJob, route: Route | None = None) -> Plan:
    """Load the key, build the message (or take it whole) and check the delivery check:
    every mistake in what was given is found here, before any password is asked for."""
    route = route or check_route(job)
    dkim = _dkim(job.dkim, route.sender)
    message, token = _build(job, route)
    return Plan(job, route, message, token, dkim, _delivery_target(job))


def _dkim(given: DkimKey | None, sender: Mailbox) -> DkimPlan | None:
    from mailcheck.message.dkim_sign import load_key
    from mailcheck.records.domain_name import parse_domain
    from mailcheck.services.send import DkimPlan

    if given is None:
        return None
    key_option, selector_option = given.names
    if not given.selector:
        raise UsageError(f"{key_option} needs {selector_option}")
    selector = given.selector.strip()
    if not selector or any(c.isspace() or c in "/@;=" for c in selector):
        raise UsageError(f"{selector_option} {given.selector!r} is not a selector name")
    domain = parse_domain(given.domain).ascii if given.domain else sender.ascii_domain
    name = given.name or "the key"
    label = f"{key_option} {given.name}".strip()
    key = load_key(given.data, label)
    if given.algorithm and given.algorithm != key.algorithm:
        raise UsageError(
            f"--dkim-algorithm {given.algorithm}: {name} is a "
            f"{key.description} key ({key.algorithm})"
        )
    if key.bits is not None and key.bits < 1024:
        raise InputError(
            f"{label}: RSA {key.bits} bits; receivers ignore keys under 1024 bits (RFC 8301)"
        )
    return DkimPlan(key, selector, domain, given.name, given.readable_by_others)


def _build(job: SendJob, route: Route) -> tuple[bytes, str]:
    """(message, token); a whole message is sent unchanged apart from CRLF line ends."""
    from mailcheck.message.compose import Draft, build, new_token, parse_header

    if isinstance(job.message, bytes):
        raw = job.message
        if b"\n\n" not in raw.replace(b"\r\n", b"\n") and b":" not in raw.split(b"\n", 1)[0]:
            raise InputError(f"--eml {job.message_name}: not a message (no header section)")
        return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), ""
    parts = job.message
    headers = tuple(parse_header(h) for h in parts.headers)
    if parts.subject is not None and has_control(parts.subject):
        raise UsageError(
            f"--subject {parts.subject!r}: control characters (line breaks, ESC ...) are not "
            "allowed"
        )
    token = new_token()
    draft = Draft(
        route.sender,
        route.recipients,
        subject=parts.subject,
        body=parts.body,
        html=parts.html,
        attachments=parts.attachments,
        headers=headers,
        token=token,
        client=default_ehlo(),
    )
    return build(draft), token


def _delivery_target(job: SendJob) -> DeliveryTarget | None:
    from mailcheck.services.roundtrip import parse_target

    if job.delivery is None:
        return None
    target = parse_target(job.delivery.mailbox)
    if isinstance(job.message, bytes):
        raise UsageError("--check-delivery finds the message by its token: not with --eml")
    if job.dry_run:
        raise UsageError("--check-delivery with --dry-run: nothing would be sent")
    return target


def run_send(
    plan: Plan,
    engine: DnsEngine,
    progress: Progress | None = None,
    save: Callable[[bytes], str] | None = None,
) -> tuple[Report, bytes]:
    """Sign, check the signature against DNS, deliver (unless a dry run, or a signature
    that would fail without `force`), wait for the delivered copy; the report and the
    message as sent. `save` keeps a copy before anything is sent and says where."""
    from mailcheck.services.send import SendRequest, deliver, prepare, send_report

    job, route, target = plan.job, plan.route, plan.target
    status = progress or (lambda _text: None)
    started = time.monotonic()
    box = None
    if target is not None:
        from mailcheck.services.roundtrip import open_target

        assert job.delivery is not None
        status(f"logging in to {target.label}")
        # before sending: a wrong password or an untrusted server stops the run here
        password = job.delivery.password.reveal() if job.delivery.password else ""
        box = open_target(
            target,
            password,
            engine,
            job.conn.ca_file,
            job.timeout,
            job.deadline + job.delivery.wait + 3 * job.timeout,
        )
    try:
        status("signing" if plan.dkim else "building the message")
        prepared = prepare(plan.message, plan.dkim, engine)
        findings = [_message_finding(prepared.message, plan)]
        findings.extend(prepared.findings)
        data: dict[str, object] = {"token": plan.token, "size": len(prepared.message)}
        if save is not None:
            where = save(prepared.message)
            findings.append(finding("send.message", Status.INFO, f"a copy is in {where}"))
        attempts: list[Section] = []
        outcomes: list[Outcome] = []
        if job.dry_run:
            findings.append(finding("send.message", Status.INFO, "--dry-run: nothing was sent"))
        elif not prepared.signature_ok and not job.force:
            findings.append(
                finding(
                    "send.message",
                    Status.INFO,
                    "nothing was sent: the signature would fail at every receiver "
                    "(--force sends anyway)",
                )
            )
        else:
            conn, login = job.conn, job.conn.login
            request = SendRequest(
                mail_from=route.envelope_from,
                recipients=tuple(r.envelope for r in route.recipients),
                server=route.server,
                port=route.port,
                tls=conn.tls,
                ca_file=conn.ca_file,
                tls_name=route.tls_name,
                ehlo=conn.ehlo or default_ehlo(),
                user=job.user,
                password=job.password.reveal() if job.password else None,
                allow_insecure_auth=login.allow_insecure_auth,
                source_address=conn.source_address,
                family=route.family,
                step_timeout=job.timeout,
                deadline=job.deadline,
                started=started,  # the deadline counts from the start, lookups and signing too
                smtputf8=route.smtputf8,
                verbose=job.verbose,
                step_option=job.limit_names[0],
                deadline_option=job.limit_names[1],
            )
            attempts, outcomes = deliver(engine, request, prepared, status)
        subject = plan.token or job.message_name
        shown = ", ".join(r.address for r in route.recipients)
        display = f"{route.sender.address} → {shown}"
        report = send_report(subject, display, findings, attempts, outcomes, data, started, engine)
        if target is not None and box is not None:
            report = _with_delivery(report, plan, box, outcomes, engine, status)
            box = None
    finally:
        if box is not None:
            box.session.close()
    return report, prepared.message


def _with_delivery(
    report: Report,
    plan: Plan,
    box: ImapBox,
    outcomes: list[Outcome],
    engine: DnsEngine,
    status: Progress,
) -> Report:
    from mailcheck.services.roundtrip import delivery_sections, wait_for, with_delivery

    assert plan.target is not None and plan.job.delivery is not None
    delivery = plan.job.delivery
    arrival = None
    if any(o.status == "accepted" for o in outcomes):
        status(f"waiting for the message in {plan.target.label}")
        arrival = wait_for(box, plan.token, delivery.wait)
    else:
        box.finish({})
    ids = frozenset(i.strip().lower().rstrip(".") for i in delivery.authserv_ids if i.strip())
    return with_delivery(
        report, *delivery_sections(plan.target, arrival, delivery.wait, engine, ids)
    )


def _message_finding(message: bytes, plan: Plan) -> Finding:
    from mailcheck.message.headers import split_headers

    route = plan.route
    headers = split_headers(message)
    message_id = headers.first("Message-ID") or "(none)"
    if route.server is not None:
        way = f"submission through {route.server}:{route.port}"
        if route.tls_name:
            way += f" (its certificate checked for {route.tls_name})"
    else:
        domains = sorted({r.ascii_domain for r in route.recipients})
        way = f"to the MX hosts of {', '.join(domains)} (port {route.port})"
    what = f"token {plan.token}, " if plan.token else f"{plan.job.message_name}, "
    return finding(
        "send.message",
        Status.INFO,
        f"{what}{len(message)} bytes, Message-ID {message_id}; {way}",
    )
