"""The no-mail profile: what a parked domain (no mail sent or received) must publish."""

from __future__ import annotations

from dataclasses import replace

from mailcheck.catalog import finding
from mailcheck.checks.dmarc import DmarcCheck
from mailcheck.checks.mx import MxCheck
from mailcheck.checks.spf import SpfCheck
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.model import Finding, Section, Status

# Findings that matter for a domain that sends mail but not for a parked one.
RELAXED = {"dmarc.no-rua": Status.INFO, "mx.missing": Status.INFO}


def judge(mx: MxCheck, spf: SpfCheck, dmarc: DmarcCheck) -> Section:
    findings = [_mx(mx), _spf(spf), _dmarc(dmarc)]
    # every verdict of the profile is placed at the MX record (a null MX above all)
    where = record_location(mx.answer, zone_files(mx.crawler))
    found = located((f for f in findings if f is not None), where)
    return Section("no-mail", "No-mail profile", found)


def relax(section: Section) -> Section:
    """Lower the findings a parked domain may ignore (e.g. no rua= is fine without mail)."""
    changed = tuple(
        replace(f, status=RELAXED[f.id], hint="")
        if f.id in RELAXED and f.status in (Status.WARN, Status.FAIL)
        else f
        for f in section.findings
    )
    return replace(section, findings=changed)


def _mx(mx: MxCheck) -> Finding | None:
    answer = mx.answer
    if answer is None:
        return None
    if answer.outcome.is_error:
        return finding("no-mail.mx", Status.ERROR, f"could not determine: {answer.describe()}")
    hosts = [h for h in mx.hosts if h.name != "."]
    if mx.null_mx and not hosts:
        return finding("no-mail.mx", Status.PASS, "null MX: senders bounce mail at once")
    if hosts:
        return finding(
            "no-mail.mx",
            Status.FAIL,
            f"a parked domain accepts mail at {', '.join(h.name for h in hosts)}",
        )
    return finding(
        "no-mail.mx",
        Status.WARN,
        "no MX record: publish a null MX so senders do not queue mail for days",
    )


def _spf(spf: SpfCheck) -> Finding | None:
    root = spf.root
    if root.answer is None:
        return None
    if root.answer.outcome.is_error:
        return finding(
            "no-mail.spf", Status.ERROR, f"could not determine: {root.answer.describe()}"
        )
    record = root.record
    if root.found == 1 and record is not None and record.valid:
        terms = [t.raw.lower() for t in record.terms]
        if terms == ["-all"]:
            return finding("no-mail.spf", Status.PASS, "v=spf1 -all: every sender fails SPF")
        return finding(
            "no-mail.spf",
            Status.FAIL,
            f"the SPF record authorises senders ({' '.join(terms)}); a parked "
            "domain publishes v=spf1 -all",
        )
    return finding("no-mail.spf", Status.FAIL, "no usable SPF record: publish v=spf1 -all")


def _dmarc(dmarc: DmarcCheck) -> Finding | None:
    disc = dmarc.discovery
    if disc is None:
        return None
    level = disc.policy_level
    if level is None or level.record is None:
        if disc.errors:
            return finding("no-mail.dmarc", Status.ERROR, "could not determine the policy")
        return finding("no-mail.dmarc", Status.FAIL, "no DMARC record: publish p=reject")
    tag, policy = dmarc.applied(level)
    record = level.record
    if policy == "reject" and record.policy("sp") in (None, "reject"):
        return finding("no-mail.dmarc", Status.PASS, f"DMARC {tag}=reject")
    return finding(
        "no-mail.dmarc",
        Status.FAIL,
        f"DMARC {tag}={policy or 'missing'}"
        + (f", sp={record.policy('sp')}" if record.get("sp") else "")
        + ": a parked domain publishes p=reject (and sp=reject)",
    )
