"""DMARC record text -> tags, with the grammar problems RFC 9989 section 4.8 cares about (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailcheck.errors import InputError
from mailcheck.records.domain_name import parse_domain

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "fo", "rua", "ruf", "t", "psd")
REMOVED_TAGS = ("pct", "rf", "ri")
FO_VALUES = ("0", "1", "d", "s")

_VERSION = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)")
_TAG = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*)$", re.DOTALL)
# the address of a mailto: URI (RFC 6068): no space, control byte or character a URI never
# holds unencoded (<, >, [, ], {, }, |, \, ^, `, "): markup in a record is not an address
_MAILTO = re.compile(
    r"^mailto:([^!@\s<>\[\]{}|\\^`\"\x00-\x1f\x7f]+@[^!@\s<>\[\]{}|\\^`\"\x00-\x1f\x7f]+?)"
    r"(?:!(\d+)([kmgt]?))?$",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):\S+$")


def is_dmarc(text: str) -> bool:
    """Starts with the version tag v=DMARC1 (RFC 9989 4.8: version value is case-sensitive)."""
    return bool(_VERSION.match(text))


@dataclass(frozen=True)
class ReportUri:
    """One rua/ruf URI of a DMARC record, parsed (scheme, address, size limit)."""

    raw: str
    scheme: str
    address: str = ""
    domain: str = ""
    size_limit: str = ""
    error: str = ""


@dataclass(frozen=True)
class DmarcRecord:
    """A DMARC record's tags, in order, with its syntax problems."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    syntax: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()

    def get(self, tag: str) -> str | None:
        return self.tags.get(tag)

    def policy(self, tag: str = "p") -> str | None:
        value = self.tags.get(tag)
        if value is None:
            return None
        value = value.strip().lower()
        return value if value in POLICIES else None

    @property
    def unknown(self) -> list[str]:
        return [t for t in self.order if t not in KNOWN_TAGS and t not in REMOVED_TAGS]

    def uris(self, tag: str) -> list[ReportUri]:
        value = self.tags.get(tag)
        if value is None:
            return []
        return [parse_report_uri(part) for part in value.split(",") if part.strip()]


def parse_report_uri(text: str) -> ReportUri:
    raw = text.strip()
    match = _MAILTO.match(raw)
    if match:
        address = match.group(1)
        limit = (match.group(2) or "") + (match.group(3) or "").lower()
        domain = address.rsplit("@", 1)[1].lower().rstrip(".")
        try:
            parse_domain(domain)
        except InputError:
            # nothing to look up: a syntax error, never "could not check" (a DNS question)
            return ReportUri(raw, "mailto", error="not a valid mailto: address (bad domain)")
        return ReportUri(raw, "mailto", address, domain, limit)
    scheme = _SCHEME.match(raw)
    if scheme and scheme.group(1).lower() != "mailto":
        return ReportUri(raw, scheme.group(1).lower())
    if raw.lower().startswith("mailto:"):
        return ReportUri(raw, "mailto", error="not a valid mailto: address")
    return ReportUri(raw, "", error="not a URI (it needs a scheme such as mailto:)")


def parse_dmarc(text: str) -> DmarcRecord:
    tags: dict[str, str] = {}
    order: list[str] = []
    syntax: list[str] = []
    duplicates: list[str] = []
    for part in text.split(";"):
        chunk = part.strip()
        if not chunk:
            continue
        match = _TAG.match(chunk)
        if not match:
            syntax.append(f"'{chunk}' is not a tag=value pair")
            continue
        name, value = match.group(1).lower(), match.group(2).strip()
        if name in tags:
            duplicates.append(name)
            continue
        tags[name] = value
        order.append(name)
    if not order or order[0] != "v":
        syntax.append("the record must start with v=DMARC1")
    elif tags.get("v") != "DMARC1":
        syntax.append(f"version is {tags.get('v')!r}, not 'DMARC1'")
    return DmarcRecord(text, tags, tuple(order), tuple(syntax), tuple(duplicates))


def walk_targets(domain: str) -> list[str]:
    """Names whose _dmarc TXT the RFC 9989 tree walk asks, longest first (at most 8)."""
    labels = domain.rstrip(".").split(".")
    targets = [domain]
    count = len(labels)
    start = 1 if count <= 8 else count - 7
    for index in range(start, count):
        targets.append(".".join(labels[index:]))
    return targets
