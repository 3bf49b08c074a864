"""The zone's SOA record: timers in the ranges RFC 1912 and RFC 2308 suggest, serials agreeing."""

from __future__ import annotations

from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.ns import NsCheck
from mailcheck.model import Finding, Section, Status
from mailcheck.net.dns.answer import Outcome

DAY = 86400
# (field, low, high, why): RFC 1912 §2.2 (refresh 20 min to 12 h, expire 2 to 4 weeks) and
# RFC 2308 §5 (negative caching: 1 to 3 hours suggested; more than a day is never useful)
RANGES = (
    ("refresh", 1200, 43200, "RFC 1912 §2.2 suggests 20 minutes to 12 hours"),
    ("expire", 14 * DAY, 28 * DAY, "RFC 1912 §2.2 suggests 2 to 4 weeks"),
    ("minimum", 300, DAY, "negative answers are cached this long (RFC 2308 §5: 1 to 3 hours)"),
)


def duration(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def timer_problems(soa: Any) -> list[str]:
    """What is out of range in an SOA rdata (pure)."""
    problems = []
    for name, low, high, why in RANGES:
        value = int(getattr(soa, name))
        if not low <= value <= high:
            problems.append(f"{name} {duration(value)} ({why})")
    if soa.retry >= soa.refresh:
        problems.append(
            f"retry {duration(soa.retry)} is not shorter than refresh {duration(soa.refresh)}"
        )
    if soa.expire <= soa.refresh + soa.retry:
        problems.append(
            f"expire {duration(soa.expire)} is not longer than refresh + retry: secondaries "
            "drop the zone before they retry"
        )
    return problems


def section(ns: NsCheck) -> Section:
    findings = _findings(ns)
    data: dict[str, Any] = {"zone": ns.apex}
    headline = ""
    if ns.soa is not None and ns.soa.exists:
        rd = ns.soa.records[0].rdata
        data.update(
            {
                "primary": rd.mname.to_text(omit_final_dot=True),
                "contact": rd.rname.to_text(omit_final_dot=True),
                "serial": rd.serial,
                "refresh": rd.refresh,
                "retry": rd.retry,
                "expire": rd.expire,
                "minimum": rd.minimum,
            }
        )
        headline = f"serial {rd.serial}, primary {data['primary']}"
    return Section("soa", "SOA", tuple(findings), headline, data)


def _findings(ns: NsCheck) -> list[Finding]:
    if ns.apex is None:
        # no zone found; said here too, since the soa family may run without the ns one
        answer = ns.answer
        if answer is None or answer.outcome.is_error:
            detail = answer.describe() if answer is not None else "the zone lookup did not finish"
            return [
                finding(
                    "soa.record",
                    Status.ERROR,
                    f"could not determine the zone's SOA: {detail}",
                )
            ]
        return [
            finding(
                "soa.record",
                Status.FAIL,
                f"no zone found at {ns.domain} or above it, so no SOA record",
            )
        ]
    answer = ns.soa
    if answer is None or answer.outcome.is_error:
        detail = answer.describe() if answer is not None else "not asked"
        return [
            finding("soa.record", Status.ERROR, f"could not look up the SOA of {ns.apex}: {detail}")
        ]
    if not answer.exists:
        return [finding("soa.record", Status.FAIL, f"{ns.apex} has NS records but no SOA record")]
    rd = answer.records[0].rdata
    timers = (
        f"refresh {duration(rd.refresh)}, retry {duration(rd.retry)}, "
        f"expire {duration(rd.expire)}, negative TTL {duration(rd.minimum)}"
    )
    out = [
        finding(
            "soa.record",
            Status.PASS,
            f"{ns.apex}: serial {rd.serial}, {timers}",
            evidence=[answer.records[0].text],
        )
    ]
    problems = timer_problems(rd)
    if problems:
        out.append(finding("soa.timers", Status.WARN, "; ".join(problems)))
    else:
        out.append(finding("soa.timers", Status.PASS, f"{timers}: within the usual ranges"))
    out.extend(_serials(ns))
    return out


def _serials(ns: NsCheck) -> list[Finding]:
    """Every server's own SOA serial (--ask-ns): different serials mean a stale secondary."""
    if ns.ask is None or not ns.servers():
        return []  # not asked, or no server to ask (the NS section says why)
    serials: dict[int, list[str]] = {}
    unknown = []
    for host, address, answers in ns.servers():
        soa = answers["SOA"]
        if soa.outcome is Outcome.NOERROR and soa.authoritative and soa.records:
            serials.setdefault(soa.records[0].rdata.serial, []).append(f"{host.name} ({address})")
        elif soa.outcome in (Outcome.TIMEOUT, Outcome.ERROR, Outcome.SERVFAIL):
            unknown.append(f"{host.name} ({address})")
        # a lame server (ns.lame) has no version of the zone to compare
    if len(serials) > 1:
        shown = "; ".join(f"{serial}: {', '.join(who)}" for serial, who in sorted(serials.items()))
        return [
            finding(
                "soa.serial",
                Status.WARN,
                f"the servers have different versions of the zone: {shown}",
            )
        ]
    if unknown or not serials:
        return [
            finding(
                "soa.serial",
                Status.ERROR,
                f"could not get the serial from {', '.join(unknown) or 'any server'}",
            )
        ]
    [(serial, who)] = serials.items()
    return [
        finding("soa.serial", Status.PASS, f"all {len(who)} server addresses have serial {serial}")
    ]
