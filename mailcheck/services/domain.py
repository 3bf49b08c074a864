"""`mailcheck domain`: run the record checks for one domain and return a Report (never prints)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from mailcheck.catalog import finding
from mailcheck.checks import nomail, soa
from mailcheck.checks.spf import evaluate, evaluation_finding
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.model import Finding, Location, QueryLine, QueryStats, Report, Section, Status
from mailcheck.net.dns.crawl import Crawler
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.records.domain_name import DomainName
from mailcheck.services.domain_plan import Checks, plan

# where they were defined: what a domain check is asked, importable without the checks
from mailcheck.services.domain_request import DEADLINE_OPTIONS as DEADLINE_OPTIONS
from mailcheck.services.domain_request import FAMILIES as FAMILIES
from mailcheck.services.domain_request import DomainRequest as DomainRequest

Progress = Callable[[str], None]

if TYPE_CHECKING:
    from mailcheck.checks.dnsbl import Blocklist
    from mailcheck.checks.mx import MxCheck
    from mailcheck.services.trace import TraceRequest


def check_domain(
    domain: DomainName, engine: DnsEngine, request: DomainRequest, progress: Progress | None = None
) -> Report:
    started = time.monotonic()
    name = domain.ascii
    crawler = Crawler(engine)
    checks = plan(name, crawler, request)
    if progress:
        progress(f"{domain.unicode}: looking up records")
    crawler.run()
    sections = _sections(domain, engine, request, checks, progress, crawler)
    # Sorted: the order answers arrived in must not show in the report.
    asked = sorted(crawler.questions(), key=lambda q: (q[0].name, q[0].rdtype, q[1]))
    answers = [a for a, _dnssec in asked]
    queries = tuple(
        QueryLine(
            a.name,
            a.rdtype,
            a.outcome.value,
            a.source,
            a.elapsed,
            tuple(r.text for r in a.records),
            dnssec=dnssec,
        )
        for a, dnssec in asked
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
        data={"profile": "no-mail" if request.no_mail else "mail"},
    )


def _sections(
    domain: DomainName,
    engine: DnsEngine,
    request: DomainRequest,
    checks: Checks,
    progress: Progress | None,
    crawler: Crawler,
) -> list[Section]:
    name = domain.ascii
    sections: list[Section] = []
    zones = zone_files(crawler)
    head = _domain_section(domain, checks.mx, _soa_location(crawler, name, zones))
    if head.findings:
        sections.append(head)
    if request.no_mail and request.wants("no-mail"):
        sections.append(nomail.judge(checks.mx, checks.spf, checks.dmarc))
    if request.wants("mx"):
        # MX findings about no host of their own (mx.records, ...): at the first MX record
        where = record_location(checks.mx.answer, zones)
        sections.append(_placed(checks.mx.section(), where))
    if request.wants("spf"):
        evaluation = None
        sender_section = None
        if request.ip:
            if progress:
                progress(f"{domain.unicode}: evaluating SPF for {request.ip}")
            sender = request.sender or f"postmaster@{name}"
            sender_domain = sender.rsplit("@", 1)[-1].rstrip(".").lower()
            result = evaluate(engine, request.ip, sender, request.helo or name)
            evaluation = evaluation_finding(result, sender_domain)
            if sender_domain != name:
                # check_host() ran on the sender's domain: show it under that record
                sender_section = _sender_spf(engine, sender_domain, evaluation, zones)
                evaluation = None
        # SPF findings about no term of their own (the evaluation, ...): at the domain's record
        where = record_location(checks.spf.root.answer, zones, "v=spf1")
        sections.append(_placed(checks.spf.section(evaluation), where))
        if sender_section is not None:
            sections.append(sender_section)
    if checks.dkim is not None:
        sections.append(checks.dkim.section())
    if request.wants("dmarc"):
        sections.append(checks.dmarc.section())
    mx_hosts = [h.name for h in checks.mx.hosts if h.name != "."]
    if checks.mta_sts is not None and request.wants("mta-sts"):
        sections.append(checks.mta_sts.section(mx_hosts))
    if checks.tls_rpt is not None and request.wants("tls-rpt"):
        dane = checks.dnssec.has_dane if checks.dnssec else False
        deployed = checks.mta_sts.deployed if checks.mta_sts else False
        sections.append(checks.tls_rpt.section(mta_sts=deployed, dane=dane))
    if checks.bimi is not None:
        sections.append(checks.bimi.section(checks.dmarc.effective_policy()))
    if checks.dnssec is not None and request.wants("dnssec", "dane"):
        sections.append(checks.dnssec.section())
    if checks.ns is not None:
        if request.wants("ns"):
            sections.append(checks.ns.section())
        if request.wants("soa"):
            sections.append(soa.section(checks.ns))
    if request.dnsbl is not None and request.wants("dnsbl"):
        if progress:
            progress(f"{domain.unicode}: asking the blocklists")
        sections.append(_blocklists(name, engine, request.dnsbl, checks))
    smtp = request.smtp if not request.no_mail else None
    if smtp is not None and request.fetch.offline and request.wants("smtp"):
        skipped = finding(
            "smtp.connect", Status.SKIP, "offline: the MX hosts were not contacted (--smtp)"
        )
        sections.append(Section("smtp", "SMTP", (skipped,)))
    elif smtp is not None and request.wants("smtp", "tls", "dane", "mta-sts"):
        from mailcheck.services.trace import policy_of, run_trace  # only with --smtp

        if progress:
            progress(f"{domain.unicode}: talking to the MX hosts")
        # no MTA-STS check: no policy fetched for the trace either (its family is not wanted)
        policy = policy_of(checks.mta_sts) if checks.mta_sts is not None else (None, ())
        trace = replace(smtp, target=name, all_mx=True, host_only=False)
        trace = _within(trace, engine)
        sections.extend(run_trace(engine, trace, policy=policy).sections)
    if request.input_errors:
        sections.extend(_unknown_inputs(request, checks))
    if request.no_mail:
        sections = [nomail.relax(s) for s in sections]
    return sections


def _unknown_inputs(request: DomainRequest, checks: Checks) -> list[Section]:
    """The ERRORs of the lookups every check builds on (MX, SPF, DMARC, NS), when their own
    family is not wanted: a selected check they left unevaluated (`--only soa` with the DNS
    down) must not make an empty, OK report; --only keeps them only then (select_findings)."""
    inputs = [("mx", checks.mx.section), ("spf", checks.spf.section)]
    inputs.append(("dmarc", checks.dmarc.section))
    if checks.ns is not None:
        inputs.append(("ns", checks.ns.section))
    out = []
    for family, section in inputs:
        if request.wants(family):
            continue
        judged = section()
        errors = tuple(f for f in judged.findings if f.status is Status.ERROR)
        if errors:
            out.append(replace(judged, findings=errors))
    return out


def _within(trace: TraceRequest, engine: DnsEngine) -> TraceRequest:
    """The conversations (and TLS grading handshakes) end with the domain's time: the run's
    --deadline or the domain's --domain-deadline, whichever comes first, when it comes
    before the trace's own limit; the message names the option that ran out."""
    if engine.deadline >= time.monotonic() + trace.deadline:
        return trace
    seconds, whole = engine.limit
    option = DEADLINE_OPTIONS[0] if whole else DEADLINE_OPTIONS[1]
    return replace(trace, ends_at=engine.deadline, deadline=seconds, deadline_option=option)


def _blocklists(
    name: str, engine: DnsEngine, lists: tuple[Blocklist, ...], checks: Checks
) -> Section:
    """MX host addresses and the single addresses of the domain's own SPF record."""
    from mailcheck.checks.dnsbl import check_blocklists, domain_subjects  # only with --dnsbl

    mx_ips = [(h.name, ip) for h in checks.mx.hosts for ip in h.ips]
    record = checks.spf.root.record
    terms = [
        (t.raw, t.value)
        for t in (record.terms if record is not None else ())
        if t.name in ("ip4", "ip6") and t.kind == "mechanism" and not t.error and t.value
    ]
    subjects, skipped = domain_subjects(mx_ips, terms)
    return check_blocklists(engine, lists, subjects, domain=name, skipped=skipped)


def _sender_spf(
    engine: DnsEngine, domain: str, evaluation: Finding, zones: frozenset[str]
) -> Section:
    """The evaluation for a --sender of another domain, under that domain's own record."""
    from mailcheck.escape import decode
    from mailcheck.records.spf import select_spf

    answer = engine.resolve(domain, "TXT")
    records = select_spf(answer.texts()) if answer.ok else []
    record = decode(records[0]) if len(records) == 1 else None
    headline = f"{domain}: {record}" if record else f"{domain}: {answer.describe()}"
    data = {"domain": domain, "record": record}
    findings = located((evaluation,), record_location(answer, zones, "v=spf1"))
    return Section("spf", f"SPF of {domain}", findings, headline, data)


def _placed(section: Section, where: Location | None) -> Section:
    return replace(section, findings=located(section.findings, where))


def _soa_location(crawler: Crawler, name: str, zones: frozenset[str]) -> Location | None:
    """The domain's SOA record when the DNSSEC or NS checks asked for it (the zone file when
    the domain is not a zone apex); the domain findings are about the name itself."""
    soa = [a for a in crawler.answers() if a.rdtype == "SOA" and a.name.rstrip(".").lower() == name]
    return record_location(soa[-1] if soa else None, zones)


def _domain_section(domain: DomainName, mx: MxCheck, where: Location | None) -> Section:
    findings: list[Finding] = []
    if domain.is_idn:
        findings.append(
            finding(
                "domain.idn",
                Status.INFO,
                f"{domain.unicode} is {domain.ascii} in the DNS",
                location=where,
            )
        )
    if mx.domain_exists() is False:
        findings.append(
            finding(
                "domain.exists",
                Status.FAIL,
                f"{domain.ascii} does not exist (NXDOMAIN)",
                location=where,
            )
        )
    return Section("domain", "Domain", tuple(findings))
