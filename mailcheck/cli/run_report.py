"""Runs `mailcheck report`: gather inputs (files, folders, IMAP), judge, write, exit code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mailcheck.catalog import CHECKS
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import check_selection, open_writer, refuse_regression
from mailcheck.errors import InputError, NetworkError, UsageError
from mailcheck.feedback.imap import ImapOptions
from mailcheck.feedback.unpack import Item, expand_safely
from mailcheck.model import ExitCode, select_findings
from mailcheck.outcome import exit_code
from mailcheck.services.connecting import LoginOptions


@dataclass(frozen=True)
class RunOptions:
    """`mailcheck report`'s own options, as given on the command line."""

    check_dns: bool = False
    max_unaligned: float | None = None
    csv: bool = False


def _files(inputs: Sequence[str], deadline: float) -> Iterator[Item]:
    from mailcheck.feedback.unpack import Problem
    from mailcheck.messages import check_inputs, read_messages

    check_inputs(list(inputs))  # a name that does not exist is a typo: exit 2 before the run
    for message in read_messages(list(inputs), deadline=deadline):
        if message.error:  # unreadable: that input's problem, and the run goes on
            yield Problem(message.source, message.error, message.source)
        else:
            yield from expand_safely(message.source, message.data)


def run(
    inputs: Sequence[str],
    *,
    mailbox: ImapOptions,
    login: LoginOptions,
    opts: RunOptions,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    from mailcheck.net.dns import build_engine
    from mailcheck.services.report import ReportRequest, build_reports, collect

    # only this command's ids: `--only spf` here would silently show nothing
    ids = [i for i in CHECKS if i.startswith("report.")]
    check_selection(out.only, out.skip, ids)
    refuse_regression(out, "report")
    if not inputs and mailbox.server is None:
        raise UsageError(
            "no reports given",
            hint="mailcheck report FILE|FOLDER... or --imap HOST --user NAME",
        )
    if mailbox.server is None and (mailbox.move_to or mailbox.user):
        raise UsageError("--user and --move-to go with --imap HOST")
    request = ReportRequest(
        lookups=not flags.offline or bool(flags.zones),
        check_dns=opts.check_dns,
        max_unaligned=opts.max_unaligned,
    )
    engine = build_engine(flags.options())
    with engine, progress(True) as bar, contextlib.ExitStack() as cleanup:
        session = None
        items: list[Iterator[Item]] = [_files(inputs, flags.deadline)] if inputs else []
        if mailbox.server is not None:
            from mailcheck.cli.secrets import read_password, refuse_command_line_password
            from mailcheck.feedback.imap import imap_address, open_mailbox, unreachable

            bar.status("logging in")
            refuse_command_line_password(login.password)
            address = imap_address(mailbox)
            password = read_password(mailbox.user, login.password_env, login.password_file)
            try:
                session = open_mailbox(mailbox, address, password or "", engine, flags.deadline)
            except NetworkError as exc:
                items.append(iter([unreachable(mailbox, exc)]))
            else:
                cleanup.callback(session.session.close)  # whatever happens (closing twice is fine)
                items.append(session.items())
        bar.status("reading reports")
        collected = collect(item for source in items for item in source)
        if mailbox.server is None and not (
            collected.aggregate or collected.tls or collected.failures or collected.problems
        ):
            # a mistyped path should not look like a clean bill of health
            raise InputError(
                f"no DMARC or TLS report found in {', '.join(inputs)}",
                hint="give report files (.xml, .xml.gz, .zip, .json), messages or a Maildir",
            )
        if session is not None:
            # before the lookups: a --move-to that fails is one more finding, not the end
            try:
                session.finish(collected.carriers)
            except NetworkError as exc:
                collected.problems.append(unreachable(mailbox, exc))
        bar.status("looking up sources")
        full = list(build_reports(collected, engine, request))
        reports = [select_findings(r, out.only, out.skip) for r in full]
    code = exit_code(reports, out.threshold, full=full)
    stats = engine.stats()
    dns = {"queries": stats.queries, "cache_hits": stats.cache_hits, "errors": stats.errors}
    writer = open_writer("report", out, csv=opts.csv)
    for report in reports:
        writer.report(report)
    writer.finish(code, {"dns": dns})
    return code
