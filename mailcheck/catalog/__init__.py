"""Every check id with its meaning, remedy and RFC references (checks and `explain` share it).

The entries live beside their family, one data module each (`spf_ids.py`, `mta_sts_ids.py`
...), which names every id as a constant the checks may import; this module loads them all,
in the order of FAMILIES, and keeps the public names (CHECKS, FAMILIES, CheckSpec, finding)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from mailcheck.catalog.registry import CHECKS, CheckSpec
from mailcheck.model import Finding, Location, Status

__all__ = ["CHECKS", "FAMILIES", "CheckSpec", "families", "family_module", "finding", "spec"]

FAMILIES: dict[str, str] = {
    "domain": "The domain itself",
    "mx": "MX: where the domain receives mail",
    "ns": "Name servers: how many, in which networks, and whether each serves the zone",
    "soa": "SOA: the zone's serial and timers",
    "dnsbl": "Blocklists (DNSBL, DBL/URIBL): are the sending addresses or the domain listed",
    "spf": "SPF: which hosts may send as the domain",
    "dmarc": "DMARC: what receivers do when SPF and DKIM do not align",
    "dkim": "DKIM: the public keys that verify the domain's signatures",
    "mta-sts": "MTA-STS: require TLS for mail to the domain",
    "tls-rpt": "TLS-RPT: reports about TLS failures delivering to the domain",
    "bimi": "BIMI: the brand logo shown beside authenticated mail",
    "dnssec": "DNSSEC: signed DNS for the domain and its MX hosts",
    "dane": "DANE: TLSA records that pin the MX hosts' certificates",
    "no-mail": "Parked domains: what a domain that sends and receives no mail must publish",
    "message": "The message itself: format, author (From:), line endings",
    "arc": "ARC: the chain of seals intermediaries added (RFC 8617)",
    "auth-results": "The message's own Authentication-Results, beside our verdicts",
    "received": "The path the message took (Received: headers)",
    "smtp": "SMTP: what the server says, step by step",
    "tls": "TLS: the encryption and the certificate a server presents",
    "mailbox": "IMAP and POP3: what a mail client may do, and before TLS",
    "send": "Sending a test message: the message, its signature, and each recipient",
    "policy": "Expectations from mailcheck.toml: what this domain promised to publish",
    "regression": "Changes against a baseline (live DNS or a saved report): what got worse",
    "report": "DMARC aggregate and failure reports and TLS reports (mailcheck report)",
}


def family_module(family: str) -> str:
    """The data module that holds a family's ids: "mta-sts" -> mailcheck.catalog.mta_sts_ids."""
    return f"mailcheck.catalog.{family.replace('-', '_')}_ids"


for _family in FAMILIES:
    importlib.import_module(family_module(_family))


def spec(check_id: str) -> CheckSpec:
    return CHECKS[check_id]


def finding(
    check_id: str,
    status: Status,
    summary: str,
    *,
    details: str = "",
    evidence: Iterable[str] = (),
    hint: str | None = None,
    subject: str = "",
    location: Location | None = None,
    refs: tuple[str, ...] = (),
) -> Finding:
    """Build a Finding whose refs (and default hint, for WARN/FAIL) come from the catalog;
    `refs` replaces the catalog's when one check covers several formats (a report that could
    not be read cites the standard of its own format)."""
    entry = CHECKS[check_id]
    if hint is None:
        hint = entry.hint if status in (Status.WARN, Status.FAIL) else ""
    return Finding(
        id=check_id,
        status=status,
        summary=summary,
        details=details,
        evidence=tuple(evidence),
        hint=hint,
        refs=refs or entry.refs,
        subject=subject,
        location=location,
    )


def families() -> list[str]:
    return sorted({c.family for c in CHECKS.values()})
