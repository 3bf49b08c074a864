"""DMARC aggregate reports (RFC 9990, RFC 7489 appendix C) from XML or JSON: pure parsing.

XML goes through defusedxml with DTDs forbidden outright: a report has no business declaring
entities, so a billion-laughs or an external entity is refused before anything expands."""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_COUNT = 10**12  # messages in one row: no receiver sees a trillion from one source a day
MAX_RECORDS = 100_000  # rows in one report: far above what big receivers send in a day


class ReportError(Exception):
    """The report cannot be read: a per-report finding, the run goes on."""


@dataclass(frozen=True)
class DkimAuth:
    """A DKIM result in an aggregate report record (auth_results)."""

    domain: str
    selector: str
    result: str


@dataclass(frozen=True)
class SpfAuth:
    """An SPF result in an aggregate report record (auth_results)."""

    domain: str
    scope: str
    result: str


@dataclass(frozen=True)
class Row:
    """One <record>: a source IP and what the receiver saw for `count` messages."""

    source_ip: str
    count: int
    disposition: str
    dkim: str  # policy_evaluated: pass means aligned and passing
    spf: str
    reasons: tuple[tuple[str, str], ...]  # override (type, comment)
    header_from: str
    envelope_from: str
    envelope_to: str
    dkim_auth: tuple[DkimAuth, ...]
    spf_auth: tuple[SpfAuth, ...]

    @property
    def passes(self) -> bool:
        return self.dkim == "pass" or self.spf == "pass"


@dataclass(frozen=True)
class Policy:
    """The DMARC policy a reporter says it applied (policy_published)."""

    domain: str
    p: str
    sp: str = ""
    np: str = ""
    adkim: str = "r"
    aspf: str = "r"
    pct: int | None = None
    testing: str = ""


@dataclass(frozen=True)
class AggregateReport:
    """A DMARC aggregate report (RFC 9990), as read from its XML."""

    source: str
    org_name: str
    email: str
    report_id: str
    begin: int
    end: int
    policy: Policy
    rows: tuple[Row, ...]
    errors: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """Same reporter and report id: the same report (sent twice, or in two formats)."""
        return (self.org_name.lower(), self.report_id)

    @property
    def period(self) -> tuple[str, str]:
        return (iso_day(self.begin), iso_day(self.end))


def iso_day(stamp: int) -> str:
    try:
        when = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "?"
    return when.strftime("%Y-%m-%d %H:%M")


# -- XML ------------------------------------------------------------------------------


_UTF8_BOM = b"\xef\xbb\xbf"


def parse_xml(data: bytes, source: str) -> AggregateReport:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    # a UTF-8 byte order mark, then a line break before the declaration (an editor's save):
    # the parser reads the mark but not the declaration after the break
    bom = data.startswith(_UTF8_BOM)
    if bom and data[3:].lstrip(b" \t\r\n").startswith(b"<?xml"):
        data = _UTF8_BOM + data[3:].lstrip(b" \t\r\n")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        why = type(exc).__name__
        raise ReportError(f"XML refused: {why} (DTDs and entities are not allowed)") from None
    except ParseError as exc:
        after = " after the UTF-8 byte order mark at its start" if bom else ""
        raise ReportError(f"not well-formed XML{after} ({exc})") from None
    tree = _as_dict(root, 0)
    if _local(root.tag) != "feedback":
        raise ReportError(f"XML whose root is <{_local(root.tag)}>, not a DMARC <feedback>")
    return build(tree, source)


def _local(tag: str) -> str:
    """Namespaces vary (none, RFC 7489's draft URN, RFC 9990's dmarc-2.0): compare local names."""
    return tag.rsplit("}", 1)[-1]


MAX_DEPTH = 16  # feedback/record/auth_results/dkim/domain is 5 deep


def _as_dict(element: Any, depth: int) -> Any:
    """An element as nested dicts; repeated children become lists (like the JSON form)."""
    if depth > MAX_DEPTH:
        raise ReportError(f"XML nested more than {MAX_DEPTH} levels deep: not a DMARC report")
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        name = _local(child.tag)
        value = _as_dict(child, depth + 1)
        if name in out:
            if not isinstance(out[name], list) or name not in _REPEATED:
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = [value] if name in _REPEATED else value
    return out


_REPEATED = {"record", "dkim", "spf", "reason", "error"}


# -- JSON (the same tree, as parsedmarc and some receivers write it) ------------------


def parse_json(data: bytes, source: str) -> AggregateReport:
    try:
        tree = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ReportError(f"not valid JSON ({exc})") from None
    if isinstance(tree, dict) and "feedback" in tree:
        tree = tree["feedback"]
    if not isinstance(tree, dict):
        raise ReportError("JSON that is not a DMARC aggregate report")
    return build(tree, source)


# -- the tree to a report --------------------------------------------------------------


def _get(tree: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(tree, Mapping):
            return None
        tree = tree.get(name)
    return tree


def _text(tree: Any, *path: str, required: str = "") -> str:
    value = _get(tree, *path)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        if required:
            raise ReportError(f"no {required} in the report")
        return ""
    return value.strip()


def _list(tree: Any, *path: str) -> list[Any]:
    value = _get(tree, *path)
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ReportError(f"{what} is not a number: {text[:40]!r}") from None


LAST_STAMP = 4_102_444_800  # 2100-01-01: a report from later is not a report


def _stamp(text: str, what: str) -> int:
    """A Unix time in the range reports can have been written in."""
    value = _int(text, what)
    if not 0 <= value < LAST_STAMP:
        raise ReportError(f"date_range/{what} is not a possible time: {text[:40]!r}")
    return value


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise ReportError(f"source_ip is not an IP address: {text[:60]!r}") from None


def build(tree: Any, source: str) -> AggregateReport:
    meta = _get(tree, "report_metadata")
    if not isinstance(meta, Mapping):
        raise ReportError("no report_metadata: not a DMARC aggregate report")
    published = _get(tree, "policy_published")
    domain = _text(published, "domain", required="policy_published/domain").lower().rstrip(".")
    pct = _text(published, "pct")
    policy = Policy(
        domain=domain,
        p=_text(published, "p").lower() or "none",
        sp=_text(published, "sp").lower(),
        np=_text(published, "np").lower(),
        adkim=_text(published, "adkim").lower() or "r",
        aspf=_text(published, "aspf").lower() or "r",
        pct=_int(pct, "pct") if pct else None,
        testing=_text(published, "testing").lower(),
    )
    begin = _stamp(_text(meta, "date_range", "begin", required="date_range/begin"), "begin")
    end = _stamp(_text(meta, "date_range", "end", required="date_range/end"), "end")
    if end < begin:
        raise ReportError(f"date_range ends ({end}) before it begins ({begin})")
    records = _list(tree, "record")
    if len(records) > MAX_RECORDS:
        raise ReportError(f"{len(records)} records (more than {MAX_RECORDS})")
    rows = tuple(_row(r, domain) for r in records)
    return AggregateReport(
        source=source,
        org_name=_text(meta, "org_name", required="org_name"),
        email=_text(meta, "email"),
        report_id=_text(meta, "report_id", required="report_id"),
        begin=begin,
        end=end,
        policy=policy,
        rows=rows,
        errors=tuple(str(e) for e in _list(meta, "error") if isinstance(e, str)),
    )


def _row(record: Any, domain: str) -> Row:
    row = _get(record, "row")
    evaluated = _get(row, "policy_evaluated")
    reasons = tuple(
        (_text(r, "type").lower(), _text(r, "comment"))
        for r in _list(evaluated, "reason")
        if isinstance(r, Mapping)
    )
    auth = _get(record, "auth_results")
    dkim = tuple(
        DkimAuth(
            _text(d, "domain").lower().rstrip("."), _text(d, "selector"), _text(d, "result").lower()
        )
        for d in _list(auth, "dkim")
        if isinstance(d, Mapping)
    )
    spf = tuple(
        SpfAuth(
            _text(s, "domain").lower().rstrip("."),
            _text(s, "scope").lower() or "mfrom",
            _text(s, "result").lower(),
        )
        for s in _list(auth, "spf")
        if isinstance(s, Mapping)
    )
    count = _int(_text(row, "count", required="row/count"), "count")
    if not 0 <= count <= MAX_COUNT:
        raise ReportError(f"an impossible message count ({str(count)[:40]})")
    return Row(
        source_ip=_ip(_text(row, "source_ip", required="row/source_ip")),
        count=count,
        disposition=_text(evaluated, "disposition").lower() or "none",
        dkim=_text(evaluated, "dkim").lower() or "fail",
        spf=_text(evaluated, "spf").lower() or "fail",
        reasons=reasons,
        header_from=(_text(record, "identifiers", "header_from") or domain).lower().rstrip("."),
        envelope_from=_text(record, "identifiers", "envelope_from").lower().rstrip("."),
        envelope_to=_text(record, "identifiers", "envelope_to").lower(),
        dkim_auth=dkim,
        spf_auth=spf,
    )
