"""Runs `mailcheck domain`: parse input, build the engine, check, render, pick the exit code."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailcheck.catalog import CHECKS
from mailcheck.checks.mta_sts import FetchOptions
from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import (
    check_selectors,
    families_wanted,
    write_document,
    write_jsonl_line,
    write_summary,
    write_text_report,
)
from mailcheck.errors import InputError, UsageError
from mailcheck.model import ExitCode, Report, exit_code_for, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.records.domain import DomainName, parse_domain
from mailcheck.render import DOCUMENT_FORMATS, Format
from mailcheck.services.domain import FAMILIES, DomainRequest, check_domain

if TYPE_CHECKING:
    from mailcheck.services.trace import TraceRequest


@dataclass(frozen=True)
class DomainOptions:
    ip: str | None = None
    sender: str | None = None
    helo: str | None = None
    selectors: tuple[str, ...] = ()
    no_mail: bool = False
    ca_file: str | None = None
    http_timeout: float = 10.0
    https_port: int | None = None
    parallel: int = 16
    from_file: str | None = None
    smtp_port: int | None = None  # --smtp (port 25 unless --smtp-port)
    smtp_timeout: float = 10.0


def _request(opts: DomainOptions, out: OutputOptions) -> DomainRequest:
    ip = opts.ip
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise UsageError(f"--ip {ip!r} is not an IP address") from None
    elif opts.sender or opts.helo:
        raise UsageError("--sender and --helo need --ip (the address to evaluate SPF for)")
    if opts.sender is not None and "@" not in opts.sender:
        raise UsageError(f"--sender {opts.sender!r} is not an address (local@domain)")
    if opts.ca_file is not None and not Path(opts.ca_file).is_file():
        raise InputError(f"--ca-file {opts.ca_file}: no such file")
    for selector in opts.selectors:
        if not selector or any(c in selector for c in " /@") or len(selector) > 63 * 4:
            raise UsageError(f"--selector {selector!r} is not a selector name")
    families = families_wanted(FAMILIES, out.only, out.skip)
    return DomainRequest(
        families=families,
        ip=ip,
        sender=opts.sender,
        helo=opts.helo,
        selectors=opts.selectors,
        no_mail=opts.no_mail,
        fetch=FetchOptions(opts.ca_file, opts.http_timeout, opts.https_port),
        smtp=_smtp_request(opts),
    )


def _smtp_request(opts: DomainOptions) -> TraceRequest | None:
    if opts.smtp_port is None:
        return None
    from mailcheck.cli.run_trace import default_ehlo
    from mailcheck.services.trace import TraceRequest

    return TraceRequest(
        target="",
        protocol="smtp",
        port=opts.smtp_port,
        ehlo=default_ehlo(),
        quit_after="tls",
        ca_file=opts.ca_file,
        step_timeout=opts.smtp_timeout,
        deadline=max(30.0, opts.smtp_timeout * 6),
        https_port=opts.https_port,
    )


def read_domain_file(path: str) -> list[tuple[str, str]]:
    """(where, text) for each domain line: `FILE:LINE`; '#' starts a comment; '-' is stdin."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--from-file {path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"--from-file {path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"--from-file {path}: {exc.strerror}") from None
    label = "<stdin>" if path == "-" else path
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if content:
            out.append((f"{label}:{number}", content))
    return out


def _names(domains: Sequence[str], from_file: str | None) -> list[DomainName]:
    entries = [("", d) for d in domains]
    if from_file:
        entries.extend(read_domain_file(from_file))
    if not entries:
        raise UsageError("no domain given", hint="mailcheck domain example.com, or --from-file")
    names: list[DomainName] = []
    seen: set[str] = set()
    for where, text in entries:
        try:
            name = parse_domain(text)
        except InputError as exc:
            raise InputError(
                f"{where}: {exc.message}" if where else exc.message, exc.hint
            ) from None
        if name.ascii not in seen:
            seen.add(name.ascii)
            names.append(name)
    return names


def _reports(
    names: list[DomainName],
    engine: DnsEngine,
    request: DomainRequest,
    parallel: int,
    update: Callable[[str], None] | None,
) -> Iterator[tuple[int, Report]]:
    """(input index, report) as each domain finishes."""
    workers = max(1, min(parallel, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailcheck-domain") as pool:
        futures: dict[Future[Report], int] = {
            pool.submit(
                check_domain, name, engine, request, update if len(names) == 1 else None
            ): index
            for index, name in enumerate(names)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()


def run(
    domains: Sequence[str], *, opts: DomainOptions, flags: DnsFlags, out: OutputOptions
) -> ExitCode:
    check_selectors(out.only, CHECKS, "--only")
    check_selectors(out.skip, CHECKS, "--skip")
    names = _names(domains, opts.from_file)
    request = _request(opts, out)
    engine = build_engine(flags.options())
    reports: list[Report | None] = [None] * len(names)
    with engine, progress(True, total=len(names)) as bar:
        for index, report in _reports(names, engine, request, opts.parallel, bar.status):
            report = select_findings(report, out.only, out.skip)
            reports[index] = report
            bar.advance(report.display or report.subject)
            if out.format is Format.JSONL:
                write_jsonl_line("domain", report, out)
    done = [r for r in reports if r is not None]
    code = exit_code_for(done, out.threshold)
    if out.format in DOCUMENT_FORMATS:
        stats = engine.stats()
        write_document(
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
