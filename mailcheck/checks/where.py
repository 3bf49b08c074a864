"""The zone file line a finding is about, taken from the DNS answer the check judged (--zone)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from mailcheck.escape import decode
from mailcheck.model import Finding, Location
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.crawl import Crawler


def zone_files(crawler: Crawler) -> frozenset[str]:
    """The labels of the zone files given with --zone (empty without them)."""
    return frozenset(source.label for source in crawler.engine.sources)


def record_location(answer: Answer | None, zones: frozenset[str], tag: str = "") -> Location | None:
    """The line of the first record whose text starts with `tag` (lower-case); the zone file
    itself when the zone answered without such a record, so CI formats can still point at it."""
    if answer is None or not zones:
        return None
    for record in answer.records:
        if record.origin is None or record.origin.line is None:
            continue
        text = decode(record.txt) if answer.rdtype == "TXT" else record.text
        if not tag or text.strip().lower().startswith(tag):
            return record.origin
    if answer.source in zones:
        return Location(answer.source)
    return None


def located(findings: Iterable[Finding], where: Location | None) -> tuple[Finding, ...]:
    """The findings, each at `where` unless it already points at a record of its own."""
    if where is None:
        return tuple(findings)
    return tuple(f if f.location else dataclasses.replace(f, location=where) for f in findings)
