"""Runs `mailcheck send`: check every input before anything else, build (or read) the
message, sign and check it, deliver or save it, render the report, pick the exit code."""

from __future__ import annotations

import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mailcheck.catalog import CHECKS, finding
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import check_selection, open_writer, refuse_regression
from mailcheck.cli.secrets import read_password, refuse_command_line_password
from mailcheck.errors import InputError, UsageError
from mailcheck.files import MB, decode_text, read_file
from mailcheck.message.compose import (
    Attachment,
    Draft,
    Mailbox,
    has_control,
    parse_header,
    parse_mailbox,
)
from mailcheck.model import ExitCode, Finding, Report, Status, select_findings
from mailcheck.net.address import split_host_port
from mailcheck.net.dns import build_engine
from mailcheck.outcome import exit_code
from mailcheck.services.connecting import (
    ConnectionOptions,
    check_connection,
    check_tls_name,
    refuse_control_characters,
    refuse_login_to_address,
)

if TYPE_CHECKING:
    from mailcheck.model import Section
    from mailcheck.services.roundtrip import DeliveryTarget
    from mailcheck.services.send import DkimPlan, Outcome

MAX_FILE = 25 * MB  # attachments and --eml: more is not a test message


@dataclass(frozen=True)
class SendOptions:
    to: tuple[str, ...] = ()
    sender: str | None = None
    mail_from: str | None = None
    server: str | None = None
    port: int | None = None
    user: str | None = None
    subject: str | None = None
    body: str | None = None
    body_file: str | None = None
    html: str | None = None
    attach: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    eml: str | None = None
    dkim_key: str | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_algorithm: str | None = None
    force: bool = False
    dry_run: bool = False
    save: str | None = None
    check_delivery: str | None = None  # imap://user@host[:port]/FOLDER
    delivery_wait: float = 120.0
    delivery_password_env: str | None = None
    delivery_password_file: str | None = None
    authserv_ids: tuple[str, ...] = ()
    conn: ConnectionOptions = field(default_factory=ConnectionOptions)


def _read(path: str, option: str, *, text: bool) -> bytes:
    """A file the user named ('-': standard input, for text); InputError says why not."""
    label = f"{option} {path}"
    data = (
        sys.stdin.buffer.read() if path == "-" and text else read_file(path, label, limit=MAX_FILE)
    )
    if text:
        decode_text(data, label)
    return data


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


def _check_save(path: str | None) -> None:
    if path is None:
        return
    target = Path(path)
    if target.exists():
        raise InputError(f"--save {path}: the file exists (mailcheck never overwrites a file)")
    if not target.parent.is_dir():
        raise InputError(f"--save {path}: no such directory {target.parent}")


def _message_inputs(opts: SendOptions) -> None:
    building = (
        opts.subject,
        opts.body,
        opts.body_file,
        opts.html,
        opts.attach or None,
        opts.header or None,
    )
    if opts.eml is not None and any(v is not None for v in building):
        raise UsageError(
            "--eml sends a message unchanged: --subject, --body, --html, --attach and "
            "--header build a new one"
        )
    if opts.body is not None and opts.body_file is not None:
        raise UsageError("give either --body or --body-file, not both")


def _dkim(opts: SendOptions, sender: Mailbox) -> DkimPlan | None:
    from mailcheck.message.dkim_sign import load_key
    from mailcheck.records.domain_name import parse_domain
    from mailcheck.services.send import DkimPlan

    given = (opts.dkim_selector, opts.dkim_domain, opts.dkim_algorithm)
    if opts.dkim_key is None:
        if any(v is not None for v in given):
            raise UsageError("--dkim-selector, --dkim-domain and --dkim-algorithm need --dkim-key")
        return None
    if not opts.dkim_selector:
        raise UsageError("--dkim-key needs --dkim-selector")
    selector = opts.dkim_selector.strip()
    if not selector or any(c.isspace() or c in "/@;=" for c in selector):
        raise UsageError(f"--dkim-selector {opts.dkim_selector!r} is not a selector name")
    domain = parse_domain(opts.dkim_domain).ascii if opts.dkim_domain else sender.ascii_domain
    data = _read(opts.dkim_key, "--dkim-key", text=False)
    key = load_key(data, f"--dkim-key {opts.dkim_key}")
    if opts.dkim_algorithm and opts.dkim_algorithm != key.algorithm:
        raise UsageError(
            f"--dkim-algorithm {opts.dkim_algorithm}: {opts.dkim_key} is a "
            f"{key.description} key ({key.algorithm})"
        )
    if key.bits is not None and key.bits < 1024:
        raise InputError(
            f"--dkim-key {opts.dkim_key}: RSA {key.bits} bits; receivers ignore keys under "
            "1024 bits (RFC 8301)"
        )
    mode = Path(opts.dkim_key).stat().st_mode
    return DkimPlan(
        key,
        selector,
        domain,
        opts.dkim_key,
        bool(mode & (stat.S_IRWXG | stat.S_IRWXO)),
    )


def _build(opts: SendOptions, sender: Mailbox, recipients: list[Mailbox]) -> tuple[bytes, str]:
    """(message, token); --eml is read unchanged apart from CRLF line ends."""
    from mailcheck.message.compose import build, new_token
    from mailcheck.services.connecting import default_ehlo

    if opts.eml is not None:
        raw = _read(opts.eml, "--eml", text=False)
        if b"\n\n" not in raw.replace(b"\r\n", b"\n") and b":" not in raw.split(b"\n", 1)[0]:
            raise InputError(f"--eml {opts.eml}: not a message (no header section)")
        return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), ""
    token = new_token()
    body = opts.body
    if opts.body_file is not None:
        body = _read(opts.body_file, "--body-file", text=True).decode("utf-8")
    html = _read(opts.html, "--html", text=True).decode("utf-8") if opts.html else None
    attachments = tuple(
        Attachment(Path(path).name, _read(path, "--attach", text=False)) for path in opts.attach
    )
    headers = tuple(parse_header(h) for h in opts.header)
    if opts.subject is not None and has_control(opts.subject):
        raise UsageError(
            f"--subject {opts.subject!r}: control characters (line breaks, ESC ...) are not allowed"
        )
    draft = Draft(
        sender,
        tuple(recipients),
        subject=opts.subject,
        body=body,
        html=html,
        attachments=attachments,
        headers=headers,
        token=token,
        client=default_ehlo(),
    )
    return build(draft), token


def run(opts: SendOptions, *, flags: DnsFlags, out: OutputOptions) -> ExitCode:
    from mailcheck.services.connecting import default_ehlo
    from mailcheck.services.send import SendRequest, deliver, prepare, send_report

    check_selection(out.only, out.skip, CHECKS)
    refuse_regression(out, "send")
    conn, login = opts.conn, opts.conn.login
    refuse_command_line_password(login.password)
    family = check_connection(conn.ipv4, conn.ipv6, conn.source_address, conn.ca_file)
    refuse_control_characters(conn.ehlo, "--ehlo")
    refuse_control_characters(opts.user, "--user")
    if opts.sender is None:
        raise UsageError("--from is required (the author of the test message)")
    if not opts.to:
        raise UsageError("give at least one --to")
    sender = parse_mailbox(opts.sender, "--from")
    recipients: list[Mailbox] = []
    for text in opts.to:
        mailbox = parse_mailbox(text, "--to")
        if mailbox.envelope.lower() not in {r.envelope.lower() for r in recipients}:
            recipients.append(mailbox)
    envelope_from = sender.envelope
    if opts.mail_from is not None:
        envelope_from = (
            ""
            if opts.mail_from in ("", "<>")
            else parse_mailbox(opts.mail_from, "--mail-from").envelope
        )
    if opts.user is not None and opts.server is None:
        raise UsageError("--user needs --server: AUTH is for submission servers, not MX hosts")
    server, port = _server(opts.server, opts.port)
    tls_name = check_tls_name(conn.tls_name)
    if tls_name is not None and server is None:
        raise UsageError("--tls-name needs --server: each MX host is verified for its own name")
    refuse_login_to_address(opts.user, server, login.allow_insecure_auth, tls_name)
    _message_inputs(opts)
    _check_save(opts.save)
    dkim = _dkim(opts, sender)
    message, token = _build(opts, sender, recipients)
    target = _delivery_target(opts)
    password = (
        None
        if opts.dry_run or (target is not None and opts.user is None)
        else read_password(opts.user, login.password_env, login.password_file)
    )
    mailbox_password = _mailbox_password(opts, target, password)
    smtputf8 = sender.needs_smtputf8 or any(r.needs_smtputf8 for r in recipients)
    if opts.mail_from not in (None, "", "<>"):
        smtputf8 = smtputf8 or not envelope_from.split("@")[0].isascii()

    started = time.monotonic()
    engine = build_engine(flags.options())
    with engine, progress(True) as bar:
        box = None
        if target is not None:
            from mailcheck.services.roundtrip import open_target

            bar.status(f"logging in to {target.label}")
            # before sending: a wrong password or an untrusted server stops the run here
            box = open_target(
                target,
                mailbox_password or "",
                engine,
                conn.ca_file,
                flags.timeout,
                flags.deadline + opts.delivery_wait + 3 * flags.timeout,
            )
        bar.status("signing" if dkim else "building the message")
        prepared = prepare(message, dkim, engine)
        findings = [
            _message_finding(prepared.message, token, opts, server, port, recipients, tls_name)
        ]
        findings.extend(prepared.findings)
        data: dict[str, object] = {"token": token, "size": len(prepared.message)}
        if opts.save is not None:
            _save(opts.save, prepared.message)
            findings.append(finding("send.message", Status.INFO, f"a copy is in {opts.save}"))
        attempts: list[Section] = []
        outcomes: list[Outcome] = []
        if opts.dry_run:
            findings.append(finding("send.message", Status.INFO, "--dry-run: nothing was sent"))
        elif not prepared.signature_ok and not opts.force:
            findings.append(
                finding(
                    "send.message",
                    Status.INFO,
                    "nothing was sent: the signature would fail at every receiver "
                    "(--force sends anyway)",
                )
            )
        else:
            request = SendRequest(
                mail_from=envelope_from,
                recipients=tuple(r.envelope for r in recipients),
                server=server,
                port=port,
                tls=conn.tls,
                ca_file=conn.ca_file,
                tls_name=tls_name,
                ehlo=conn.ehlo or default_ehlo(),
                user=opts.user,
                password=password,
                allow_insecure_auth=login.allow_insecure_auth,
                source_address=conn.source_address,
                family=family,
                step_timeout=flags.timeout,
                deadline=flags.deadline,
                started=started,  # --deadline counts from the start, lookups and signing too
                smtputf8=smtputf8,
                verbose=out.verbose,
            )
            attempts, outcomes = deliver(engine, request, prepared, bar.status)
        subject = token or (opts.eml or "message")
        display = f"{sender.address} → {', '.join(r.address for r in recipients)}"
        report = send_report(subject, display, findings, attempts, outcomes, data, started, engine)
        if target is not None and box is not None:
            from mailcheck.services.roundtrip import delivery_sections, wait_for, with_delivery

            arrival = None
            if any(o.status == "accepted" for o in outcomes):
                bar.status(f"waiting for the message in {target.label}")
                arrival = wait_for(box, token, opts.delivery_wait)
            else:
                box.finish({})
            ids = frozenset(i.strip().lower().rstrip(".") for i in opts.authserv_ids if i.strip())
            report = with_delivery(
                report, *delivery_sections(target, arrival, opts.delivery_wait, engine, ids)
            )
    return _finish(report, prepared.message, opts, out)


def _delivery_target(opts: SendOptions) -> DeliveryTarget | None:
    from mailcheck.services.roundtrip import parse_target

    if opts.check_delivery is None:
        given = (opts.delivery_password_env, opts.delivery_password_file, opts.authserv_ids or None)
        if any(v is not None for v in given):
            raise UsageError(
                "--delivery-password-env, --delivery-password-file and --authserv-id need "
                "--check-delivery"
            )
        return None
    target = parse_target(opts.check_delivery)
    if opts.eml is not None:
        raise UsageError("--check-delivery finds the message by its token: not with --eml")
    if opts.dry_run:
        raise UsageError("--check-delivery with --dry-run: nothing would be sent")
    return target


def _mailbox_password(
    opts: SendOptions, target: DeliveryTarget | None, smtp_password: str | None
) -> str | None:
    """The mailbox's password: --delivery-password-env/-file; else, without --user (or for
    the same user), --password-env/--password-file or the prompt, as for AUTH."""
    if target is None:
        return None
    if opts.delivery_password_env or opts.delivery_password_file:
        return read_password(target.user, opts.delivery_password_env, opts.delivery_password_file)
    if opts.user is None:
        return read_password(
            target.user, opts.conn.login.password_env, opts.conn.login.password_file
        )
    if opts.user == target.user:
        return smtp_password
    return read_password(target.user, None, None)


def _message_finding(
    message: bytes,
    token: str,
    opts: SendOptions,
    server: str | None,
    port: int,
    recipients: list[Mailbox],
    tls_name: str | None = None,
) -> Finding:
    from mailcheck.message.headers import split_headers

    headers = split_headers(message)
    message_id = headers.first("Message-ID") or "(none)"
    if server is not None:
        route = f"submission through {server}:{port}"
        if tls_name:
            route += f" (its certificate checked for {tls_name})"
    else:
        domains = sorted({r.ascii_domain for r in recipients})
        route = f"to the MX hosts of {', '.join(domains)} (port {port})"
    what = f"token {token}, " if token else f"{opts.eml}, "
    return finding(
        "send.message",
        Status.INFO,
        f"{what}{len(message)} bytes, Message-ID {message_id}; {route}",
    )


def _save(path: str, message: bytes) -> None:
    try:
        with open(path, "xb") as handle:  # never overwrite: checked before, enforced here
            handle.write(message)
    except FileExistsError:
        raise InputError(
            f"--save {path}: the file exists (mailcheck never overwrites a file)"
        ) from None
    except OSError as exc:
        raise InputError(f"--save {path}: {exc.strerror or exc}") from None


def _finish(report: Report, message: bytes, opts: SendOptions, out: OutputOptions) -> ExitCode:
    shown = select_findings(report, out.only, out.skip)
    code = exit_code([shown], out.threshold, full=[report])
    # --dry-run without --save: the message is the output (text), or part of the document
    bare = opts.dry_run and opts.save is None
    writer = open_writer("send", out, message=message if bare else None)
    writer.report(shown)
    extra = {"message": message.decode("utf-8", "replace")} if opts.dry_run else None
    writer.finish(code, extra)
    return code
