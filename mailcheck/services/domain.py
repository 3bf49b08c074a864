"""`mailcheck domain`: run the record checks for one domain and return a Report (never prints)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mailcheck.catalog import finding
from mailcheck.checks.dmarc import DmarcCheck
from mailcheck.checks.mx import MxCheck
from mailcheck.checks.spf import SpfCheck, evaluate, evaluation_finding
from mailcheck.model import Finding, QueryLine, QueryStats, Report, Section, Status
from mailcheck.net.dns.crawl import Crawler
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.records.domain import DomainName

FAMILIES = ("mx", "spf", "dmarc")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DomainRequest:
    """What to check; `families` limits the work to the families someone will see."""

    families: Sequence[str] = FAMILIES
    ip: str | None = None
    sender: str | None = None
    helo: str | None = None
    fcrdns: bool = True


def check_domain(
    domain: DomainName, engine: DnsEngine, request: DomainRequest, progress: Progress | None = None
) -> Report:
    started = time.monotonic()
    name = domain.ascii
    crawler = Crawler(engine)
    mx = MxCheck(name, crawler, fcrdns=request.fcrdns)
    spf = SpfCheck(name, crawler)
    dmarc = DmarcCheck(name, crawler, domain_exists=mx.domain_exists)
    wanted = set(request.families)
    # MX always runs: whether the domain exists comes from its answer.
    checks: list[MxCheck | SpfCheck | DmarcCheck] = [mx]
    if "spf" in wanted:
        checks.append(spf)
    if "dmarc" in wanted:
        checks.append(dmarc)
    for check in checks:
        check.start()
    if progress:
        progress(f"{domain.unicode}: looking up records")
    crawler.run()

    sections: list[Section] = []
    head = _domain_section(domain, mx)
    if head.findings:
        sections.append(head)
    if "mx" in wanted:
        sections.append(mx.section())
    if "spf" in wanted:
        evaluation = None
        if request.ip:
            if progress:
                progress(f"{domain.unicode}: evaluating SPF for {request.ip}")
            result = evaluate(
                engine, request.ip, request.sender or f"postmaster@{name}", request.helo or name
            )
            evaluation = evaluation_finding(result)
        sections.append(spf.section(evaluation))
    if "dmarc" in wanted:
        sections.append(dmarc.section())
    answers = crawler.answers()
    queries = tuple(
        QueryLine(
            a.name, a.rdtype, a.outcome.value, a.source, a.elapsed, tuple(r.text for r in a.records)
        )
        for a in answers
    )
    stats = QueryStats(
        queries=len(answers),
        errors=sum(1 for a in answers if a.outcome.is_error),
        elapsed=time.monotonic() - started,
    )
    return Report(
        kind="domain",
        subject=name,
        display=domain.unicode,
        sections=tuple(sections),
        duration=time.monotonic() - started,
        dns=stats,
        queries=queries,
    )


def _domain_section(domain: DomainName, mx: MxCheck) -> Section:
    findings: list[Finding] = []
    if domain.is_idn:
        findings.append(
            finding("domain.idn", Status.INFO, f"{domain.unicode} is {domain.ascii} in the DNS")
        )
    if mx.domain_exists() is False:
        findings.append(
            finding("domain.exists", Status.FAIL, f"{domain.ascii} does not exist (NXDOMAIN)")
        )
    return Section("domain", "Domain", tuple(findings))
