"""Report -> text for people; JSON and CI formats for machines; one Format enum for all."""

from __future__ import annotations

import enum


def counted(count: int, one: str, many: str) -> str:
    """ "1 query", "2 queries", "0 queries": a count with its noun, for every format."""
    return f"{count} {one if count == 1 else many}"


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"
    MARKDOWN = "markdown"
    HTML = "html"


class ReportFormat(str, enum.Enum):
    """`mailcheck report`'s formats: the shared ones and CSV (a row per source per report)."""

    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"
    MARKDOWN = "markdown"
    HTML = "html"


# Every value some command's --format (or MAILCHECK_FORMAT) accepts
ALL_FORMATS = frozenset(f.value for f in (*Format, *ReportFormat))

# Formats that render the whole run at the end (not streamed, not text)
DOCUMENT_FORMATS = (
    Format.JSON,
    Format.JUNIT,
    Format.SARIF,
    Format.GITHUB,
    Format.MARKDOWN,
    Format.HTML,
)
