"""Point each domain finding at the record it is about: the zone file and line the record
came from (with --zone), so CI formats (SARIF, GitHub annotations) can annotate the very line
a pull request changed. A record that is missing points at the zone file that lacks it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from mailcheck.escape import decode
from mailcheck.model import Location, Section
from mailcheck.net.dns.answer import Answer

# family -> (owner prefix, type, the record's first tag, lower-case) of the record it judges
_RECORDS = {
    "mx": ("", "MX", ""),
    "no-mail": ("", "MX", ""),
    "spf": ("", "TXT", "v=spf1"),
    "dmarc": ("_dmarc.", "TXT", "v=dmarc1"),
    "mta-sts": ("_mta-sts.", "TXT", "v=stsv1"),
    "tls-rpt": ("_smtp._tls.", "TXT", "v=tlsrptv1"),
    "bimi": ("default._bimi.", "TXT", "v=bimi1"),
    "dnssec": ("", "DNSKEY", ""),
    "domain": ("", "SOA", ""),
}


class _Places:
    def __init__(self, answers: Iterable[Answer], zone_files: set[str]) -> None:
        self.answers = {(a.name.rstrip(".").lower(), a.rdtype): a for a in answers}
        self.zone_files = zone_files

    def find(self, owner: str, rdtype: str, tag: str = "") -> Location | None:
        answer = self.answers.get((owner, rdtype))
        if answer is None:
            return None
        for record in answer.records:
            if record.origin is None or record.origin.line is None:
                continue
            text = decode(record.txt) if rdtype == "TXT" else record.text
            if not tag or text.strip().lower().startswith(tag):
                return record.origin
        if answer.source in self.zone_files:
            return Location(answer.source)  # the zone answered, without the record
        return None

    def mx_for(self, domain: str, host: str) -> Location | None:
        """The MX record that names `host`."""
        answer = self.answers.get((domain, "MX"))
        for record in answer.records if answer else ():
            exchange = str(getattr(record.rdata, "exchange", "")).rstrip(".").lower()
            if exchange == host.rstrip(".").lower() and record.origin is not None:
                return record.origin if record.origin.line is not None else None
        return None


def locate(
    domain: str, sections: list[Section], answers: Iterable[Answer], zone_files: set[str]
) -> list[Section]:
    if not zone_files:
        return sections
    places = _Places(answers, zone_files)
    out = []
    for section in sections:
        default = None
        if section.family in _RECORDS:
            prefix, rdtype, tag = _RECORDS[section.family]
            default = places.find(prefix + domain, rdtype, tag)
            if section.family == "dmarc" and (default is None or default.line is None):
                # the record the policy came from, not merely the nearest one above
                used = section.data.get("location")
                found = places.find(str(used), "TXT", "v=dmarc1") if used else None
                default = found or _dmarc_parent(places, domain) or default
        findings = []
        for item in section.findings:
            where = item.location or default
            if section.family == "dkim" and item.subject:
                where = places.find(f"{item.subject}._domainkey.{domain}", "TXT") or where
            elif section.family == "mx" and item.subject and not item.location:
                where = places.mx_for(domain, item.subject) or where
            findings.append(dataclasses.replace(item, location=where) if where else item)
        out.append(dataclasses.replace(section, findings=tuple(findings)))
    return out


def _dmarc_parent(places: _Places, domain: str) -> Location | None:
    """The policy may come from a parent (RFC 9989 tree walk): the nearest record found."""
    labels = domain.split(".")
    for start in range(1, len(labels) - 1):
        found = places.find("_dmarc." + ".".join(labels[start:]), "TXT", "v=dmarc1")
        if found is not None and found.line is not None:
            return found
    return None
