"""Reports made safe for a terminal: every untrusted string escaped just before layout."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mailcheck.escape import from_presentation, printable, printable_lines
from mailcheck.model import Finding, Location, Report, Section


def safe_value(value: Any) -> Any:
    """Data as shown: strings escaped (inside lists, tuples, mappings and typed rows too)."""
    if isinstance(value, str):
        return printable_lines(value)
    if isinstance(value, Mapping):
        return {safe_value(k): safe_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(safe_value(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return safe_row(value)
    return value


def safe_row(row: Any) -> Any:
    """A typed row (a DKIM signature, an SPF tree node, a transcript line, a hop) with every
    string escaped; a row's strings are one-line values, so a line break is shown, not obeyed
    (a server line holding "\n250 OK" must not draw a line of its own)."""
    changes = {item.name: _one_line(getattr(row, item.name)) for item in dataclasses.fields(row)}
    return dataclasses.replace(row, **changes)


def _one_line(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list | tuple):
        return type(value)(_one_line(v) for v in value)
    return safe_value(value)


def safe_finding(item: Finding) -> Finding:
    location = item.location
    if location is not None:
        location = Location(printable(location.source), location.line)
    return dataclasses.replace(
        item,
        summary=printable(item.summary),
        details=printable_lines(item.details),
        evidence=tuple(printable_lines(e) for e in item.evidence),
        hint=printable_lines(item.hint),
        refs=tuple(printable(r) for r in item.refs),
        subject=printable(item.subject),
        location=location,
        waived=printable(item.waived),
    )


def safe_report(report: Report) -> Report:
    """The same report with no control byte (ESC, CR, NUL, C1, bidi) in any string;
    markup needs no escaping here: the text renderers never parse it."""
    sections = tuple(
        Section(
            family=printable(s.family),
            title=printable(s.title),
            findings=tuple(safe_finding(f) for f in s.findings),
            headline=printable(s.headline),
            data=safe_value(s.data),
        )
        for s in report.sections
    )
    queries = tuple(
        dataclasses.replace(
            q,
            name=printable(from_presentation(q.name)),
            outcome=printable(q.outcome),
            source=printable(q.source),
            # records come in presentation format (\027 for ESC): escaped as all else is
            answers=tuple(printable(from_presentation(a)) for a in q.answers),
        )
        for q in report.queries
    )
    return dataclasses.replace(
        report,
        subject=printable(report.subject),
        display=printable(report.display),
        sections=sections,
        queries=queries,
        data=safe_value(report.data),
    )
