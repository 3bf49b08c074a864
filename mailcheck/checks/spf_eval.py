"""SPF check_host() for a sending IP with pyspf, and the finding that explains its result."""

from __future__ import annotations

from dataclasses import dataclass

from mailcheck.catalog import finding
from mailcheck.model import Finding, Status
from mailcheck.net.dns.engine import DnsEngine


@dataclass(frozen=True)
class SpfResult:
    """check_host()'s answer for an IP and sender, with the mechanism that decided."""

    result: str
    explanation: str
    mechanism: str | None
    lookups: int
    ip: str
    sender: str
    helo: str


def evaluate(
    engine: DnsEngine, ip: str, sender: str, helo: str, default_explanation: str | None = None
) -> SpfResult:
    """RFC 7208 check_host() with pyspf, every lookup through our engine."""
    import spf

    malformed = _malformed(sender.rpartition("@")[2] if "@" in sender else helo)
    if malformed:
        # RFC 7208 4.3: a malformed or single-label domain is "none", before any lookup;
        # pyspf asks DNS for it ("[192.0.2.10]" TXT), and a failed lookup made it temperror
        return SpfResult("none", malformed, None, 0, ip, sender, helo)
    from mailcheck.net.dns.adapters import spf_session

    with spf_session(engine):
        query = spf.query(i=ip, s=sender, h=helo, strict=True, timeout=engine.config.timeout * 4)
        if default_explanation is not None:
            query.set_default_explanation(default_explanation)
        result, _code, explanation = query.check()
    mechanism = getattr(query, "mechanism", None)
    return SpfResult(
        str(result),
        str(explanation),
        str(mechanism) if mechanism else None,
        int(getattr(query, "lookups", 0)),
        ip,
        sender,
        helo,
    )


def _malformed(domain: str) -> str:
    """Why `domain` is no multi-label domain name check_host() can look up ("" if it is)."""
    from mailcheck.errors import InputError
    from mailcheck.records.domain_name import parse_domain

    try:
        parse_domain(domain)
    except InputError as exc:
        return f"{exc.message} (RFC 7208 §4.3: no SPF record can apply)"
    return ""


_EVAL_STATUS = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "softfail": Status.WARN,
    "neutral": Status.WARN,
    "none": Status.WARN,
    "permerror": Status.FAIL,
    "temperror": Status.ERROR,
}


def _evaluation_hint(result: SpfResult, domain: str) -> str:
    """What to do about this result: the cause of a permerror is not "add the host"."""
    if result.result == "pass":
        return ""
    if result.result == "permerror":
        why = f" ({result.explanation})" if result.explanation else ""
        return (
            f"The SPF record of {domain} is broken for every receiver{why}: fix the record "
            "(lookup limit, include loop, syntax or several records; see the SPF findings)."
        )
    if result.result == "temperror":
        return "A DNS lookup failed during evaluation: receivers defer the mail; run again."
    if result.result == "none":
        return f"{domain} publishes no SPF record: publish one that lists your senders."
    return (
        f"If {result.ip} sends for {domain}, add it to {domain}'s SPF record (ip4:/ip6:/include:)."
    )


def evaluation_finding(result: SpfResult, domain: str) -> Finding:
    """check_host() for the sender's domain; `domain` is the one whose record was evaluated."""
    matched = f", matched '{result.mechanism}'" if result.mechanism else ""
    explanation = f": {result.explanation}" if result.explanation else ""
    return finding(
        "spf.evaluation",
        _EVAL_STATUS.get(result.result, Status.ERROR),
        f"{result.ip} → {result.result}{matched}{explanation}",
        details=f"check_host({result.ip}, {result.sender}, HELO {result.helo})",
        hint=_evaluation_hint(result, domain),
        subject=domain,
    )
