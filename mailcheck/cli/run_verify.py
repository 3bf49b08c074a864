"""Runs `mailcheck verify`: read messages, verify each, stream the reports, summarise."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import check_selection, open_writer, refuse_regression
from mailcheck.errors import UsageError
from mailcheck.messages import (
    MBOX_FORMATS,
    RawMessage,
    check_inputs,
    count_hint,
    read_messages,
    refuse_if_not_a_message,
    refuse_non_messages,
)
from mailcheck.model import ExitCode, Report, Status, select_findings
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
    """`mailcheck verify`'s own options, as given on the command line."""

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
        self.add_tallied(tallied(report))

    def add_tallied(self, item: Tallied) -> None:
        self.messages += 1
        if item.not_evaluated:
            self.not_evaluated[item.not_evaluated] += 1
            self.dmarc["not evaluated"] += 1
            return
        self.dmarc[item.dmarc] += 1
        if item.disposition is not None:
            self.disposition[item.disposition] += 1
        for domain, result in item.signers:
            self.signers.setdefault(domain, Counter())[result] += 1
        self.spf[item.spf] += 1
        self.arc[item.arc] += 1

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


class Tallied(NamedTuple):
    """What the summary counts of one report (small: made in a --jobs worker, sent back)."""

    not_evaluated: str  # why it was not evaluated ("" when it was)
    dmarc: str = ""
    disposition: str | None = None  # of a failing DMARC result
    signers: tuple[tuple[str, str], ...] = ()  # (d=, result) of each DKIM signature
    spf: str = ""
    arc: str = ""


def tallied(report: Report) -> Tallied:
    sections = {s.family: s for s in report.sections}
    dmarc = sections.get("dmarc")
    if dmarc is None:
        reason = next((f.id for f in report.findings()), "message.format")
        return Tallied(_NOT_EVALUATED.get(reason, reason))
    result = dmarc.data.get("result", "not evaluated")
    dkim = sections.get("dkim")
    spf = sections.get("spf")
    arc = sections.get("arc")
    return Tallied(
        "",
        result,
        dmarc.data.get("disposition", "none") if dmarc.data.get("result") == "fail" else None,
        tuple(
            (row.domain or "?", row.result)
            for row in (dkim.data.get("signatures", []) if dkim else [])
        ),
        spf.data.get("result", "not evaluated") if spf else "not evaluated",
        arc.data.get("cv", "none") if arc else "none",
    )


class Done(NamedTuple):
    """One message, finished: what the run adds up, and the writer's part (prepared, or the
    whole report where the writer has no prepared form, and for the run's first message)."""

    subject: str
    exit: ExitTally
    tally: Tallied
    prepared: object
    report: Report | None


@dataclass(frozen=True)
class Finish:
    """What becomes of each report where it is made, in a --jobs worker or in this process
    alike: blocklists, --only/--skip, its share of the exit code and summary, and the
    writer's serialising. Picklable (a spawned worker receives it)."""

    only: tuple[str, ...]
    skip: tuple[str, ...]
    threshold: Status | None
    lists: tuple[Blocklist, ...] | None
    prepare: Callable[[Report], object] | None

    def __call__(self, report: Report, engine: DnsEngine, whole: bool) -> Done:
        if self.lists is not None:
            from mailcheck.checks.dnsbl import with_blocklists

            report = with_blocklists(report, engine, self.lists)
        report = select_findings(report, self.only, self.skip)
        code = ExitTally(self.threshold)
        code.add(report)
        if whole or self.prepare is None:
            return Done(report.subject, code, tallied(report), None, report)
        return Done(report.subject, code, tallied(report), self.prepare(report), None)


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
    check_selection(out.only, out.skip)
    refuse_regression(out, "verify")
    if not inputs:
        raise UsageError("no message given", hint="mailcheck verify message.eml (or - for stdin)")
    request = _request(opts, out.verbose)
    check_inputs(list(inputs))
    refuse_non_messages(list(inputs))
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
    finish = Finish(tuple(out.only), tuple(out.skip), out.threshold, lists, writer.prepare())
    pool = _pool(opts, total, engine, request, finish)
    messages = _named_inputs_are_messages(
        read_messages(list(inputs), opts.mbox_format, flags.deadline)
    )
    with (
        engine,
        pool or contextlib.nullcontext(),
        progress(not (streams and sys.stdout.isatty()), total=total or 2) as bar,
    ):
        found = (
            pool.map(messages)
            if pool is not None
            else (
                finish(verify_message(message, engine, request, memo), engine, not number)
                for number, message in enumerate(messages)
            )
        )
        for done in found:
            tally.add_tallied(done.tally)
            tally_code.merge(done.exit)
            bar.advance(done.subject)
            if done.report is not None:
                writer.report(done.report)
            else:
                writer.prepared(done.prepared)
    code = tally_code.code
    stats = engine.stats()
    dns = {"queries": stats.queries, "cache_hits": stats.cache_hits, "errors": stats.errors}
    writer.finish(code, {"dns": dns, "messages": tally.as_dict()})
    return code


def _named_inputs_are_messages(messages: Iterator[RawMessage]) -> Iterator[RawMessage]:
    """stdin and a pipe named on the command line are read only now: empty, or no message at
    all, they are the input error a named file is before the run (folder entries are not)."""
    for message in messages:
        if message.kind in ("file", "stdin") and not message.error:
            refuse_if_not_a_message(message.source, message.data)
        yield message


def _pool(
    opts: VerifyOptions,
    total: int | None,
    engine: DnsEngine,
    request: VerifyRequest,
    finish: Finish,
) -> VerifyPool[Done] | None:
    """--jobs: worker processes for the DKIM/ARC work, or None for the serial path (one
    message's -v query lines are what it asked in this process, so -v stays serial)."""
    from mailcheck.services.verify_pool import VerifyPool, default_jobs

    jobs = opts.jobs or default_jobs(total)
    if jobs <= 1 or request.queries:
        return None
    return VerifyPool(jobs, engine, request, finish)


def _blocklists(opts: VerifyOptions) -> tuple[Blocklist, ...] | None:
    """--dnsbl: the lists of [dnsbl] in ./mailcheck.toml, or the defaults."""
    if not opts.dnsbl:
        return None
    from mailcheck.cli.config_file import load
    from mailcheck.cli.run_domain import blocklists_of

    return blocklists_of(load(None, False))
