"""Figures computed over lookups: exact, or "at least N" when some lookups could not be made."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from mailcheck.catalog import finding
from mailcheck.model import Finding, worst

MAX_PER_ID = 20  # findings of one id in one report; the rest are counted in one more


class Resolution(enum.Enum):
    """What became of one piece of data a conclusion needs."""

    RESOLVED = "resolved"  # we have it
    MISSING = "missing"  # the DNS said there is none (NXDOMAIN, NODATA, no such record)
    UNKNOWN = "unknown"  # could not determine (timeout, SERVFAIL, offline, not followed)


class Verdict(enum.Enum):
    """A count held against a limit. UNKNOWN is never "within": callers must say ERROR."""

    WITHIN = "within"
    OVER = "over"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Count:
    """`known` is what was counted; `unresolved` names what could not be, so the true figure
    is at least `known`. There is no way to read a bare int out of an inexact count without
    also seeing that it is inexact: `judge` and `__str__` carry it."""

    known: int = 0
    unresolved: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return not self.unresolved

    def __add__(self, other: Count | int) -> Count:
        if isinstance(other, int):
            return Count(self.known + other, self.unresolved)
        return Count(self.known + other.known, self.unresolved + other.unresolved)

    def __str__(self) -> str:
        return str(self.known) if self.exact else f"at least {self.known}"

    def judge(self, limit: int) -> Verdict:
        """OVER when the counted part alone exceeds `limit`; UNKNOWN when it might."""
        if self.known > limit:
            return Verdict.OVER
        return Verdict.WITHIN if self.exact else Verdict.UNKNOWN

    def as_data(self) -> dict[str, object]:
        """For JSON: the figure, whether it is exact, and what could not be counted."""
        return {"count": self.known, "exact": self.exact, "unresolved": list(self.unresolved)}


def total(counts: Iterable[Count]) -> Count:
    out = Count()
    for count in counts:
        out = out + count
    return out


def listed(items: Iterable[str], limit: int = 4, sep: str = ", ") -> str:
    """ "a, b, c, d and 3 more": bounded output however many items there are."""
    seen = list(dict.fromkeys(items))
    shown = sep.join(seen[:limit])
    return shown + (f" and {len(seen) - limit} more" if len(seen) > limit else "")


def bounded(findings: list[Finding], per_id: int = MAX_PER_ID) -> list[Finding]:
    """At most `per_id` findings of each id, then one that counts the rest (worst status):
    a hostile record with thousands of terms gives a report of bounded size."""
    kept: list[Finding] = []
    extra: dict[str, list[Finding]] = {}
    seen: dict[str, int] = {}
    for item in findings:
        seen[item.id] = seen.get(item.id, 0) + 1
        if seen[item.id] <= per_id:
            kept.append(item)
        else:
            extra.setdefault(item.id, []).append(item)
    for check_id, rest in extra.items():
        status = worst(f.status for f in rest)
        kept.append(
            finding(check_id, status, f"and {len(rest)} more {check_id} findings like the above")
        )
    return kept
