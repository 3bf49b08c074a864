"""Runs `mailcheck send`: check the options, read the files and passwords they name, hand the
job to services/send_request, render the report, pick the exit code."""

from __future__ import annotations

import dataclasses
import functools
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.groups import container
from mailcheck.cli.output import check_selection, open_writer, refuse_regression
from mailcheck.cli.secrets import read_password, refuse_command_line_password
from mailcheck.errors import InputError, UsageError
from mailcheck.files import MB, decode_text, read_file
from mailcheck.message.compose import Attachment
from mailcheck.model import ExitCode, Report, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.outcome import exit_code
from mailcheck.services.connecting import ConnectionOptions
from mailcheck.services.send_request import (
    Compose,
    Delivery,
    DkimKey,
    Secret,
    SendJob,
    check_route,
    plan_send,
    run_send,
)

if TYPE_CHECKING:
    from mailcheck.services.roundtrip import DeliveryTarget

MAX_FILE = 25 * MB  # attachments and --eml: more is not a test message


@dataclass(frozen=True)
class SendOptions:
    """`mailcheck send`'s own options, as given on the command line."""

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


def _exists(path: str) -> InputError:
    return InputError(f"--save {path}: the file exists (mailcheck never overwrites a file)")


def _check_save(path: str | None) -> None:
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise InputError(f"--save {path}: is a directory (give the name of a new file)")
    if target.exists():
        raise _exists(path)
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
    if opts.check_delivery is None:
        given = (opts.delivery_password_env, opts.delivery_password_file, opts.authserv_ids or None)
        if any(v is not None for v in given):
            raise UsageError(
                "--delivery-password-env, --delivery-password-file and --authserv-id need "
                "--check-delivery"
            )


def _dkim(opts: SendOptions) -> DkimKey | None:
    """The key file read (and whether others may read it); its content is judged later."""
    given = (opts.dkim_selector, opts.dkim_domain, opts.dkim_algorithm)
    if opts.dkim_key is None:
        if any(v is not None for v in given):
            raise UsageError("--dkim-selector, --dkim-domain and --dkim-algorithm need --dkim-key")
        return None
    if not opts.dkim_selector:
        raise UsageError("--dkim-key needs --dkim-selector")
    data = _read(opts.dkim_key, "--dkim-key", text=False)
    mode = Path(opts.dkim_key).stat().st_mode
    return DkimKey(
        data,
        opts.dkim_selector,
        opts.dkim_domain,
        opts.dkim_algorithm,
        name=opts.dkim_key,
        readable_by_others=bool(mode & (stat.S_IRWXG | stat.S_IRWXO)),
        names=("--dkim-key", "--dkim-selector"),
    )


def _message(opts: SendOptions) -> bytes | Compose:
    """The message file (--eml), or the parts of a new one, read."""
    if opts.eml is not None:
        return _read(opts.eml, "--eml", text=False)
    body = opts.body
    if opts.body_file is not None:
        body = _read(opts.body_file, "--body-file", text=True).decode("utf-8")
    html = _read(opts.html, "--html", text=True).decode("utf-8") if opts.html else None
    attachments = tuple(
        Attachment(Path(path).name, _read(path, "--attach", text=False)) for path in opts.attach
    )
    return Compose(opts.subject, body, html, attachments, opts.header)


def _secret(value: str | None) -> Secret | None:
    return None if value is None else Secret(value)


def run(opts: SendOptions, *, flags: DnsFlags, out: OutputOptions) -> ExitCode:
    check_selection(out.only, out.skip)
    refuse_regression(out, "send")
    login = opts.conn.login
    refuse_command_line_password(login.password)
    # the options SendJob shares with SendOptions carry over by name
    limits = {"timeout": flags.timeout, "deadline": flags.deadline, "verbose": out.verbose}
    job = container(SendJob, vars(opts), partial=True, message_name=opts.eml or "message", **limits)
    route = check_route(job)
    _message_inputs(opts)
    _check_save(opts.save)
    dkim = _dkim(opts)
    delivery = None
    if opts.check_delivery is not None:
        delivery = Delivery(opts.check_delivery, None, opts.delivery_wait, opts.authserv_ids)
    job = dataclasses.replace(job, message=_message(opts), dkim=dkim, delivery=delivery)
    plan = plan_send(job, route)
    target = plan.target
    password = (
        None
        if opts.dry_run or (target is not None and opts.user is None)
        else read_password(opts.user, login.password_env, login.password_file)
    )
    if target is not None and delivery is not None:
        secret = _secret(_mailbox_password(opts, target, password))
        delivery = dataclasses.replace(delivery, password=secret)
    job = dataclasses.replace(job, password=_secret(password), delivery=delivery)
    save = None if opts.save is None else functools.partial(_save, opts.save)
    engine = build_engine(flags.options())
    with engine, progress(True) as bar:
        report, message = run_send(dataclasses.replace(plan, job=job), engine, bar.status, save)
    return _finish(report, message, opts, out)


def _mailbox_password(
    opts: SendOptions, target: DeliveryTarget, smtp_password: str | None
) -> str | None:
    """The mailbox's password: --delivery-password-env/-file; else, without --user (or for
    the same user), --password-env/--password-file or the prompt, as for AUTH."""
    if opts.delivery_password_env or opts.delivery_password_file:
        return read_password(target.user, opts.delivery_password_env, opts.delivery_password_file)
    if opts.user is None:
        return read_password(
            target.user, opts.conn.login.password_env, opts.conn.login.password_file
        )
    if opts.user == target.user:
        return smtp_password
    return read_password(target.user, None, None)


def _save(path: str, message: bytes) -> str:
    try:
        with open(path, "xb") as handle:  # never overwrite: checked before, enforced here
            handle.write(message)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise InputError(f"--save {path}: {exc.strerror or exc}") from None
    return path


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
