"""Case tables of the domain checks: (name, check id, status, text in the summary), one
parametrize mark per table, and what a failing case prints (every finding of the report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from mailcheck.model import Report, Status

FIELDS = ("domain", "check_id", "status", "text")


def case_table(cases: Sequence[tuple[Any, ...]], fields: Sequence[str] = FIELDS) -> Any:
    """The parametrize mark of a case table, each case named "<name>-<check id>"."""
    return pytest.mark.parametrize(tuple(fields), cases, ids=[f"{c[0]}-{c[1]}" for c in cases])


def describe(report: Report) -> str:
    return "\n".join(f"{f.status.word} {f.id}: {f.summary}" for f in report.findings())


def has(report: Report, check_id: str, status: Status, text: str) -> bool:
    return any(
        f.id == check_id and f.status is status and text in f.summary for f in report.findings()
    )
