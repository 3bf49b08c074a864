"""The result model: statuses, findings, sections and reports (frozen, no I/O, no rich)."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


class Status(enum.Enum):
    """Outcome of one check, ordered by how much attention it needs."""

    PASS = "pass"  # noqa: S105  (a status word, not a password)
    INFO = "info"
    SKIP = "skip"
    WARN = "warn"
    ERROR = "error"
    FAIL = "fail"

    @property
    def word(self) -> str:
        return self.value.upper()

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Status.SKIP: 0,
    Status.PASS: 1,
    Status.INFO: 2,
    Status.WARN: 3,
    Status.ERROR: 4,
    Status.FAIL: 5,
}

# Order used when counting and printing summaries: worst first.
STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.INFO, Status.PASS, Status.SKIP)


class ExitCode(enum.IntEnum):
    """Process exit codes; documented in README and `--help`."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INCONCLUSIVE = 3
    INTERNAL = 4
    INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    """Where a piece of evidence came from: a zone file line or an upstream server."""

    source: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


@dataclass(frozen=True)
class Finding:
    """One judged fact, with a stable id (an API: JSON, --only/--skip, waivers)."""

    id: str
    status: Status
    summary: str
    details: str = ""
    evidence: tuple[str, ...] = ()
    hint: str = ""
    refs: tuple[str, ...] = ()
    subject: str = ""
    location: Location | None = None
    waived: str = ""  # why an expectations file waives it (the status is then INFO)

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class SignatureRow:
    """One DKIM-Signature field of a verified message: its tags and what verifying it gave."""

    index: int  # 1 for the topmost field
    domain: str  # d=
    selector: str  # s=
    algorithm: str  # a=
    canonicalization: str  # c=
    signed_headers: tuple[str, ...]  # h=
    body_length: str | None  # l=, None when absent
    result: str  # pass, fail, neutral, permerror, temperror
    reason: str
    key_type: str | None = None  # rsa, ed25519; None: no key was found
    key_bits: int | None = None
    signed_bh: str = ""
    computed_bh: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "d": self.domain,
            "s": self.selector,
            "a": self.algorithm,
            "c": self.canonicalization,
            "h": list(self.signed_headers),
            "l": self.body_length,
            "result": self.result,
            "reason": self.reason,
            "key_type": self.key_type,
            "key_bits": self.key_bits,
            "signed_bh": self.signed_bh,
            "computed_bh": self.computed_bh,
        }


@dataclass(frozen=True)
class SpfTreeNode:
    """One SPF record of the include/redirect tree, with the DNS lookups it costs."""

    # the domain, or "include:domain" / "redirect=domain" below the root; a term with macros
    # as written and the name it expands to: "include:%{d}.spf.example (a.example.spf.example)"
    label: str
    domain: str
    status: str  # ok, none, multiple, syntax, error, loop, truncated, pending
    record: str | None
    origin: str | None  # where the record came from (a zone file, an upstream)
    direct_terms: tuple[str, ...]  # a, mx, ptr, exists terms of this record
    direct_lookups: int
    total_lookups: int  # the known part: at least this many when total_exact is False
    total_exact: bool
    children: tuple[SpfTreeNode, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "domain": self.domain,
            "status": self.status,
            "record": self.record,
            "origin": self.origin,
            "direct_terms": list(self.direct_terms),
            "direct_lookups": self.direct_lookups,
            "total_lookups": self.total_lookups,
            "total_exact": self.total_exact,
            "children": [child.to_json() for child in self.children],
        }


@dataclass(frozen=True)
class TranscriptLine:
    """One line of an SMTP/IMAP/POP3 conversation: C (client), S (server) or * (an event)."""

    ms: float  # since the connection was opened
    who: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"ms": self.ms, "who": self.who, "text": self.text}


@dataclass(frozen=True)
class ReceivedHop:
    """One Received: field of a message, oldest hop first; what each server claims."""

    helo: str  # the "from" name the sender gave
    ip: str
    by: str
    protocol: str  # the "with" keyword: ESMTP, ESMTPS, ESMTPSA ...
    tls: str
    authenticated: bool
    encrypted: bool
    time: datetime.datetime | None
    delay: float | None  # seconds after the previous hop, None when unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.helo,
            "ip": self.ip,
            "by": self.by,
            "with": self.protocol,
            "tls": self.tls,
            "authenticated": self.authenticated,
            "encrypted": self.encrypted,
            "time": self.time.isoformat() if self.time else None,
            "delay": self.delay,
        }


@dataclass(frozen=True)
class Section:
    """The findings of one family (MX, SPF, DMARC ...) plus structured data for JSON."""

    family: str
    title: str
    findings: tuple[Finding, ...] = ()
    headline: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryStats:
    """DNS counts of a run or a subject: queries, cache hits, errors, time."""

    queries: int = 0
    cache_hits: int = 0
    errors: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True)
class QueryLine:
    """One DNS query as the engine made it (for --verbose and JSON)."""

    name: str
    rdtype: str
    outcome: str
    source: str
    elapsed: float
    answers: tuple[str, ...] = ()
    dnssec: bool = False  # asked with the DO bit (DNSSEC records wanted): a question of its own


@dataclass(frozen=True)
class Report:
    """Everything one subject (a domain, a message, a server) produced."""

    kind: str
    subject: str
    sections: tuple[Section, ...] = ()
    display: str = ""
    duration: float = 0.0
    # this subject's own lookups; None where no count would be its own (verify: a message's
    # lookups depend on which messages the same process verified before it)
    dns: QueryStats | None = QueryStats()
    queries: tuple[QueryLine, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    def findings(self) -> Iterator[Finding]:
        for section in self.sections:
            yield from section.findings

    def counts(self) -> dict[Status, int]:
        return count_statuses(self.findings())

    @property
    def status(self) -> Status:
        """The verdict: the worst of PASS/WARN/ERROR/FAIL (INFO and SKIP do not lower it)."""
        judged = (f.status for f in self.findings() if f.status not in (Status.INFO, Status.SKIP))
        return worst(judged, default=Status.PASS)


def count_statuses(findings: Iterable[Finding]) -> dict[Status, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for finding in findings:
        counts[finding.status] += 1
    return counts


def worst(statuses: Iterable[Status], default: Status = Status.PASS) -> Status:
    best = default
    for status in statuses:
        if status.rank > best.rank:
            best = status
    return best


def select_findings(report: Report, only: Iterable[str], skip: Iterable[str]) -> Report:
    """Keep the findings whose id or family matches `only` (if given) and not `skip`.

    An `only` selector that matches no finding may name checks that never ran because an
    input was unknown (no MX hosts when the DNS is down): then the report's ERRORs stay, so
    the run is not OK over checks nobody evaluated (unknown is never PASS)."""
    only_set, skip_set = set(only), set(skip)
    if not only_set and not skip_set:
        return report

    def wanted(finding: Finding) -> bool:
        keys = {finding.id, finding.family}
        if only_set and not keys & only_set:
            return False
        return not keys & skip_set

    matched = {
        key
        for section in report.sections
        for f in section.findings
        if wanted(f)
        for key in (f.id, f.family)
    }
    unmatched = only_set - matched

    def kept_error(finding: Finding) -> bool:
        return (
            bool(unmatched)
            and finding.status is Status.ERROR
            and not ({finding.id, finding.family} & skip_set)
        )

    sections = []
    for section in report.sections:
        kept = tuple(f for f in section.findings if wanted(f) or kept_error(f))
        if kept or (only_set and section.family in only_set):
            sections.append(replace(section, findings=kept))
    return replace(report, sections=tuple(sections))
