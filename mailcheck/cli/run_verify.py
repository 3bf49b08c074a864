"""Runs `mailcheck verify`: read messages, verify each, stream the reports, summarise."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mailcheck.catalog import CHECKS
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import (
    check_selectors,
    refuse_regression,
    write_document,
    write_jsonl_line,
    write_text_report,
)
from mailcheck.errors import InputError, UsageError
from mailcheck.messages import count_hint, read_messages
from mailcheck.model import ExitCode, Report, Status, exit_code_for, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.render import DOCUMENT_FORMATS, Format
from mailcheck.services.verify import RunMemo, VerifyRequest, verify_message


@dataclass(frozen=True)
class VerifyOptions:
    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    trusted_hop: int = 1
    authserv_ids: tuple[str, ...] = ()


@dataclass
class Tally:
    """What the summary needs, kept instead of every report (flat memory for big Maildirs)."""

    messages: int = 0
    dmarc: Counter[str] = field(default_factory=Counter)
    disposition: Counter[str] = field(default_factory=Counter)
    signers: dict[str, Counter[str]] = field(default_factory=dict)
    worst: list[Status] = field(default_factory=list)

    def add(self, report: Report) -> None:
        self.messages += 1
        sections = {s.family: s for s in report.sections}
        dmarc = sections.get("dmarc")
        result = dmarc.data.get("result", "not evaluated") if dmarc else "not a message"
        self.dmarc[result] += 1
        if dmarc and dmarc.data.get("result") == "fail":
            self.disposition[dmarc.data.get("disposition", "none")] += 1
        dkim = sections.get("dkim")
        for row in dkim.data.get("signatures", []) if dkim else []:
            self.signers.setdefault(row["d"] or "?", Counter())[row["result"]] += 1
        self.worst.extend(
            f.status
            for f in report.findings()
            if f.status in (Status.FAIL, Status.ERROR, Status.WARN)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "dmarc": dict(sorted(self.dmarc.items())),
            "dmarc_fail_disposition": dict(sorted(self.disposition.items())),
            "dkim_by_domain": {d: dict(sorted(c.items())) for d, c in sorted(self.signers.items())},
        }


def _request(opts: VerifyOptions) -> VerifyRequest:
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
    return VerifyRequest(ip, opts.helo, opts.mail_from, opts.trusted_hop, ids)


def run(
    inputs: Sequence[str], *, opts: VerifyOptions, flags: DnsFlags, out: OutputOptions
) -> ExitCode:
    check_selectors(out.only, CHECKS, "--only")
    check_selectors(out.skip, CHECKS, "--skip")
    refuse_regression(out, "verify")
    if not inputs:
        raise UsageError("no message given", hint="mailcheck verify message.eml (or - for stdin)")
    request = _request(opts)
    engine = build_engine(flags.options())
    tally = Tally()
    memo = RunMemo()
    kept: list[Report] = []
    codes: list[ExitCode] = []
    with engine, progress(True, total=count_hint(list(inputs)) or 2) as bar:
        for message in read_messages(list(inputs)):
            report = verify_message(message, engine, request, memo)
            if message.kind == "file" and len(inputs) == 1 and _not_a_message(report):
                raise InputError(f"{message.source}: not an email message (no header fields)")
            report = select_findings(report, out.only, out.skip)
            tally.add(report)
            codes.append(exit_code_for([report], out.threshold))
            bar.advance(message.source)
            if out.format is Format.JSONL:
                write_jsonl_line("verify", report, out)
            elif out.format is Format.TEXT:
                write_text_report(report, out, tally.messages == 1)
            else:
                kept.append(report)
    code = _combine(codes)
    stats = engine.stats()
    dns = {"queries": stats.queries, "cache_hits": stats.cache_hits, "errors": stats.errors}
    if out.format in DOCUMENT_FORMATS:
        write_document("verify", kept, code, out, {"dns": dns, "messages": tally.as_dict()})
    elif out.format is Format.TEXT and tally.messages > 1:
        from mailcheck.render.text import render_verify_summary

        render_verify_summary(out.console(), tally.as_dict())
    return code


def _not_a_message(report: Report) -> bool:
    return any(f.id == "message.format" and f.status is Status.FAIL for f in report.findings())


def _combine(codes: list[ExitCode]) -> ExitCode:
    if ExitCode.FAILED in codes:
        return ExitCode.FAILED
    if ExitCode.INCONCLUSIVE in codes:
        return ExitCode.INCONCLUSIVE
    return ExitCode.OK
