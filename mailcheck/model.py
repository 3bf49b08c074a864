"""The result model: statuses, findings, sections and reports (frozen, no I/O, no rich)."""

from __future__ import annotations

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
class Section:
    """The findings of one family (MX, SPF, DMARC ...) plus structured data for JSON."""

    family: str
    title: str
    findings: tuple[Finding, ...] = ()
    headline: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryStats:
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
