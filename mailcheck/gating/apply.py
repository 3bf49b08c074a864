"""Apply a mailcheck.toml to a domain report: add the `policy.*` findings, then waive what
the waivers name (status INFO, with the reason), and report waivers that have expired."""

from __future__ import annotations

import dataclasses
import datetime

from mailcheck.catalog import finding
from mailcheck.gating.expectations import Config, Waiver
from mailcheck.gating.policy_findings import judge
from mailcheck.model import Finding, Report, Section, Status


def apply(report: Report, config: Config, today: datetime.date) -> Report:
    domain = report.subject
    expected = config.expectations(domain)
    source = config.path
    sections = list(report.sections)
    findings = judge(report, expected, source) if not expected.empty else []
    waivers = [w for w in config.waivers if w.domain in (None, domain)]
    expired = [w for w in waivers if w.expires is not None and w.expires < today]
    for waiver in expired:
        where = f"{source}:{waiver.line}" if waiver.line else source
        findings.append(
            finding(
                "policy.waiver-expired",
                Status.WARN,
                f"the waiver for {waiver.id} expired on {waiver.expires} ({where}): "
                f"it counts again",
            )
        )
    if findings:
        findings = [_located(item, sections) for item in findings]
        sections.append(Section("policy", "Expectations", tuple(findings)))
    active = [w for w in waivers if w not in expired]
    if active:
        sections = [_waive(section, active, domain) for section in sections]
    return dataclasses.replace(report, sections=tuple(sections))


# the family whose record an expectation is about (its findings know the zone file line)
_FAMILY = {
    "policy.dmarc-policy": "dmarc",
    "policy.spf-lookups": "spf",
    "policy.spf-include": "spf",
    "policy.dkim-selector": "dkim",
    "policy.dkim-key-size": "dkim",
    "policy.mx": "mx",
    "policy.mta-sts-mode": "mta-sts",
    "policy.no-mail": "mx",
}


def _located(item: Finding, sections: list[Section]) -> Finding:
    family = _FAMILY.get(item.id)
    if family is None or item.location is not None:
        return item
    candidates = [
        f.location
        for s in sections
        if s.family == family
        for f in s.findings
        if f.location is not None and (not item.subject or f.subject in ("", item.subject))
    ]
    with_line = [c for c in candidates if c is not None and c.line is not None]
    found = with_line or [c for c in candidates if c is not None]
    return dataclasses.replace(item, location=found[0]) if found else item


def _waive(section: Section, waivers: list[Waiver], domain: str) -> Section:
    out: list[Finding] = []
    for item in section.findings:
        waiver = next((w for w in waivers if w.applies(item.id, domain)), None)
        if waiver is None or item.status in (Status.PASS, Status.INFO, Status.SKIP):
            out.append(item)
            continue
        until = f" until {waiver.expires}" if waiver.expires else ""
        out.append(
            dataclasses.replace(
                item,
                status=Status.INFO,
                waived=f"{waiver.reason} (was {item.status.value}{until})",
            )
        )
    return dataclasses.replace(section, findings=tuple(out))
