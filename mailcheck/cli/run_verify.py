"""Runs `mailcheck verify`: read messages, verify each, stream the reports, summarise."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailcheck.catalog import CHECKS
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import check_selection, open_writer, refuse_regression
from mailcheck.errors import UsageError
from mailcheck.messages import MBOX_FORMATS, check_inputs, count_hint, read_messages
from mailcheck.model import ExitCode, Report, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.outcome import ExitTally
from mailcheck.render import Format
from mailcheck.services.connecting import check_ip
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
            self.signers.setdefault(row.domain or "?", Counter())[row.result] += 1
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
    alone = "--helo and --mail-from need --ip (the connecting address)"
    ip = check_ip(opts.ip, alone if opts.helo or opts.mail_from else "")
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
    check_selection(out.only, out.skip, CHECKS)
    refuse_regression(out, "verify")
    if not inputs:
        raise UsageError("no message given", hint="mailcheck verify message.eml (or - for stdin)")
    request = _request(opts, out.verbose)
    check_inputs(list(inputs))
    engine = build_engine(flags.options())
    lists = _blocklists(opts)
    tally = Tally()
    memo = RunMemo()
    tally_code = ExitTally(out.threshold)
    total = count_hint(list(inputs))
    writer = open_writer("verify", out)
    # On a terminal, reports streaming to stdout are the progress: a spinner on the same
    # screen would land inside them. Everything else is printed after the spinner is gone.
    streams = out.format is Format.JSONL or (
        out.format is Format.TEXT and out.verbose and total != 1
    )
    pool = _pool(opts, total, engine, request)
    messages = read_messages(list(inputs), opts.mbox_format, flags.deadline)
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
            tally_code.add(report)
            bar.advance(report.subject)
            writer.report(report)
    code = tally_code.code
    stats = engine.stats()
    dns = {"queries": stats.queries, "cache_hits": stats.cache_hits, "errors": stats.errors}
    writer.finish(code, {"dns": dns, "messages": tally.as_dict()})
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
