"""Runs `mailcheck domain`: parse input, build the engine, check, render, pick the exit code."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from mailcheck.catalog import CHECKS
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import (
    check_selectors,
    families_wanted,
    write_json,
    write_jsonl_line,
    write_summary,
    write_text_report,
)
from mailcheck.errors import UsageError
from mailcheck.model import ExitCode, Report, exit_code_for, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.records.domain import DomainName, parse_domain
from mailcheck.render import Format
from mailcheck.services.domain import FAMILIES, DomainRequest, check_domain


def _request(
    ip: str | None, sender: str | None, helo: str | None, out: OutputOptions
) -> DomainRequest:
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise UsageError(f"--ip {ip!r} is not an IP address") from None
    elif sender or helo:
        raise UsageError("--sender and --helo need --ip (the address to evaluate SPF for)")
    if sender is not None and "@" not in sender:
        raise UsageError(f"--sender {sender!r} is not an address (local@domain)")
    families = families_wanted(FAMILIES, out.only, out.skip)
    return DomainRequest(families=families, ip=ip, sender=sender, helo=helo)


def run(
    domains: Sequence[str],
    *,
    ip: str | None,
    sender: str | None,
    helo: str | None,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    check_selectors(out.only, CHECKS, "--only")
    check_selectors(out.skip, CHECKS, "--skip")
    names: list[DomainName] = []
    for text in domains:
        name = parse_domain(text)
        if name not in names:
            names.append(name)
    request = _request(ip, sender, helo, out)
    engine = build_engine(flags.options())
    reports: list[Report | None] = [None] * len(names)
    with engine, progress(True) as update:
        workers = max(1, min(8, len(names)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailcheck-domain") as pool:
            futures = [pool.submit(check_domain, n, engine, request, update) for n in names]
            for index, future in enumerate(futures):
                report = select_findings(future.result(), out.only, out.skip)
                reports[index] = report
                if out.format is Format.JSONL:
                    write_jsonl_line("domain", report, out)
    done = [r for r in reports if r is not None]
    code = exit_code_for(done, out.threshold)
    if out.format is Format.JSON:
        stats = engine.stats()
        write_json(
            "domain",
            done,
            code,
            out,
            {
                "dns": {
                    "queries": stats.queries,
                    "cache_hits": stats.cache_hits,
                    "errors": stats.errors,
                }
            },
        )
    elif out.format is Format.TEXT:
        for index, report in enumerate(done):
            write_text_report(report, out, index == 0)
        if len(done) > 1:
            write_summary(done, out)
    return code
