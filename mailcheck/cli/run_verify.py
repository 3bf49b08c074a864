"""Runs `mailcheck verify`: read messages, verify each, stream the reports, summarise."""

from __future__ import annotations

import contextlib
import ipaddress
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailcheck.catalog import CHECKS
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import (
    check_selectors,
    refuse_regression,
    write_document,
    write_jsonl_line,
    write_text_report,
)
from mailcheck.errors import UsageError
from mailcheck.messages import MBOX_FORMATS, check_inputs, count_hint, read_messages
from mailcheck.model import ExitCode, Report, Status, exit_code_for, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.render import DOCUMENT_FORMATS, Format
from mailcheck.services.verify import RunMemo, VerifyRequest, verify_message

if TYPE_CHECKING:
    from mailcheck.checks.dnsbl import Blocklist
    from mailcheck.net.dns.engine import DnsEngine
    from mailcheck.services.verify_pool import VerifyPool


@dataclass(frozen=True)
class VerifyOptions:
    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    trusted_hop: int = 1
    dnsbl: bool = False  # --dnsbl: ask blocklists about the connecting IP
    authserv_ids: tuple[str, ...] = ()
    mbox_format: str = "auto"
    jobs: int = 0  # --jobs: worker processes; 0 picks by the number of messages


@dataclass
class Tally:
    """What the summary needs, kept instead of every report (flat memory for big Maildirs)."""

    messages: int = 0
    dmarc: Counter[str] = field(default_factory=Counter)
    disposition: Counter[str] = field(default_factory=Counter)
    signers: dict[str, Counter[str]] = field(default_factory=dict)
    spf: Counter[str] = field(default_factory=Counter)
    arc: Counter[str] = field(default_factory=Counter)
    not_evaluated: Counter[str] = field(default_factory=Counter)

    def add(self, report: Report) -> None:
        self.messages += 1
        sections = {s.family: s for s in report.sections}
        dmarc = sections.get("dmarc")
        if dmarc is None:
            reason = next((f.id for f in report.findings()), "message.format")
            self.not_evaluated[_NOT_EVALUATED.get(reason, reason)] += 1
            self.dmarc["not evaluated"] += 1
            return
        self.dmarc[dmarc.data.get("result", "not evaluated")] += 1
        if dmarc.data.get("result") == "fail":
            self.disposition[dmarc.data.get("disposition", "none")] += 1
        dkim = sections.get("dkim")
        for row in dkim.data.get("signatures", []) if dkim else []:
            self.signers.setdefault(row["d"] or "?", Counter())[row["result"]] += 1
        spf = sections.get("spf")
        self.spf[spf.data.get("result", "not evaluated") if spf else "not evaluated"] += 1
        arc = sections.get("arc")
        self.arc[arc.data.get("cv", "none") if arc else "none"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "dmarc": dict(sorted(self.dmarc.items())),
            "dmarc_fail_disposition": dict(sorted(self.disposition.items())),
            "spf": dict(sorted(self.spf.items())),
            "arc": dict(sorted(self.arc.items())),
            "not_evaluated": dict(sorted(self.not_evaluated.items())),
            "dkim_by_domain": {d: dict(sorted(c.items())) for d, c in sorted(self.signers.items())},
        }


_NOT_EVALUATED = {
    "message.read": "unreadable",
    "message.too-large": "too large",
    "message.format": "not a message",
}


def _request(opts: VerifyOptions, verbose: bool = False) -> VerifyRequest:
    ip = opts.ip
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise UsageError(f"--ip {ip!r} is not an IP address") from None
    elif opts.helo or opts.mail_from:
        raise UsageError("--helo and --mail-from need --ip (the connecting address)")
    if opts.mail_from and "@" not in opts.mail_from:
        raise UsageError(f"--mail-from {opts.mail_from!r} is not an address ('' for a bounce)")
    ids = frozenset(i.strip().lower().rstrip(".") for i in opts.authserv_ids if i.strip())
    if opts.mbox_format not in MBOX_FORMATS:
        raise UsageError(
            f"--mbox-format {opts.mbox_format!r}: choose one of {', '.join(MBOX_FORMATS)}"
        )
    return VerifyRequest(ip, opts.helo, opts.mail_from, opts.trusted_hop, ids, verbose)


def run(
    inputs: Sequence[str], *, opts: VerifyOptions, flags: DnsFlags, out: OutputOptions
) -> ExitCode:
    check_selectors(out.only, CHECKS, "--only")
    check_selectors(out.skip, CHECKS, "--skip")
    refuse_regression(out, "verify")
    if not inputs:
        raise UsageError("no message given", hint="mailcheck verify message.eml (or - for stdin)")
    request = _request(opts, out.verbose)
    check_inputs(list(inputs))
    engine = build_engine(flags.options())
    lists = _blocklists(opts)
    tally = Tally()
    memo = RunMemo()
    kept: list[Report] = []
    codes: list[ExitCode] = []
    total = count_hint(list(inputs))
    text = TextOutput(out)
    # On a terminal, reports streaming to stdout are the progress: a spinner on the same
    # screen would land inside them. Everything else is printed after the spinner is gone.
    streams = out.format is Format.JSONL or (
        out.format is Format.TEXT and out.verbose and total != 1
    )
    pool = _pool(opts, total, engine, request)
    messages = read_messages(list(inputs), opts.mbox_format)
    with (
        engine,
        pool or contextlib.nullcontext(),
        progress(not (streams and sys.stdout.isatty()), total=total or 2) as bar,
    ):
        found = (
            pool.map(messages)
            if pool is not None
            else (verify_message(message, engine, request, memo) for message in messages)
        )
        for report in found:
            if lists is not None:
                from mailcheck.checks.dnsbl import with_blocklists

                report = with_blocklists(report, engine, lists)
            report = select_findings(report, out.only, out.skip)
            tally.add(report)
            codes.append(exit_code_for([report], out.threshold))
            bar.advance(report.subject)
            if out.format is Format.JSONL:
                write_jsonl_line("verify", report, out)
            elif out.format is Format.TEXT:
                text.add(report)
            else:
                kept.append(report)
    code = _combine(codes)
    stats = engine.stats()
    dns = {"queries": stats.queries, "cache_hits": stats.cache_hits, "errors": stats.errors}
    if out.format in DOCUMENT_FORMATS:
        write_document("verify", kept, code, out, {"dns": dns, "messages": tally.as_dict()})
    elif out.format is Format.TEXT:
        text.finish(tally)
    return code


def _pool(
    opts: VerifyOptions, total: int | None, engine: DnsEngine, request: VerifyRequest
) -> VerifyPool | None:
    """--jobs: worker processes for the DKIM/ARC work, or None for the serial path (one
    message's -v query lines are what it asked in this process, so -v stays serial)."""
    from mailcheck.services.verify_pool import VerifyPool, default_jobs

    jobs = opts.jobs or default_jobs(total)
    if jobs <= 1 or request.queries:
        return None
    return VerifyPool(jobs, engine, request)


def _blocklists(opts: VerifyOptions) -> tuple[Blocklist, ...] | None:
    """--dnsbl: the lists of [dnsbl] in ./mailcheck.toml, or the defaults."""
    if not opts.dnsbl:
        return None
    from mailcheck.cli.config_file import load
    from mailcheck.cli.run_domain import blocklists_of

    return blocklists_of(load(None, False))


class TextOutput:
    """Text for one message is the full report; for many, one line each (the full reports
    with -v), then the summary. Lines are written at the end, the worst nearest the summary
    (what a terminal shows last), so no spinner can come between them."""

    # Lines kept for the table, per kind (passing, not): memory stays flat past them
    KEEP = 20_000

    def __init__(self, out: OutputOptions) -> None:
        self.out = out
        self.first: Report | None = None
        self.count = 0
        self.lines: list[Any] = []
        self.kept = {True: 0, False: 0}
        self.omitted = {True: 0, False: 0}

    def add(self, report: Report) -> None:
        self.count += 1
        if not self.out.verbose:
            from mailcheck.render.verify_lines import message_line

            self.first = report if self.count == 1 else None
            line = message_line(report)
            passing = line.status in (Status.PASS, Status.INFO, Status.SKIP)
            if self.kept[passing] >= self.KEEP:
                self.omitted[passing] += 1
                return
            self.kept[passing] += 1
            self.lines.append(line)
            return
        if self.count == 1:
            self.first = report
            return
        if self.first is not None:
            write_text_report(self.first, self.out, True)
            self.first = None
        write_text_report(report, self.out, False)

    def finish(self, tally: Tally) -> None:
        if self.count == 1 and self.first is not None:
            write_text_report(self.first, self.out, True)
            return
        if self.count <= 1:
            return
        from mailcheck.render.verify_lines import render_lines, render_verify_summary

        console = self.out.console()
        if self.lines:
            render_lines(console, self.lines, self.omitted[True], self.omitted[False])
        render_verify_summary(console, tally.as_dict())


def _combine(codes: list[ExitCode]) -> ExitCode:
    if ExitCode.FAILED in codes:
        return ExitCode.FAILED
    if ExitCode.INCONCLUSIVE in codes:
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK
