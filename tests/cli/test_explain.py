"""`mailcheck explain`: the terminal width every command uses."""

from __future__ import annotations

import pytest

from mailcheck.catalog import CHECKS
from tests.conftest import CliRun


@pytest.mark.parametrize("columns", [50, 80])
@pytest.mark.parametrize("args", [("spf.lookup-limit",), ("dmarc",), ("--list",)])
def test_explain_wraps_to_columns(run_cli: CliRun, args: tuple[str, ...], columns: int) -> None:
    result = run_cli("explain", *args, env={"COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    too_long = [x for x in lines if len(x) > columns and " " in x.strip()]
    assert too_long == []
    assert [x for x in lines if x != x.rstrip()] == []
    # wrapped at spaces only: every word of the story is still there, whole
    words = set(result.stdout.split())
    spec = CHECKS["spf.lookup-limit" if args[0] == "spf.lookup-limit" else "dmarc.policy-none"]
    text = spec.title if args[0] == "--list" else spec.explain + " " + spec.hint
    assert [w for w in text.split() if w not in words] == []


def test_explain_fix_continues_under_its_text(run_cli: CliRun) -> None:
    lines = run_cli("explain", "spf.lookup-limit", env={"COLUMNS": "50"}).stdout.splitlines()
    fix = next(n for n, line in enumerate(lines) if line.startswith("Fix: "))
    assert lines[fix + 1].startswith("     ") and lines[fix + 1][5] != " "


def test_explain_without_columns_uses_the_default_width(run_cli: CliRun) -> None:
    result = run_cli("explain", "spf.lookup-limit", env={"COLUMNS": ""})
    assert max(len(x) for x in result.stdout.splitlines()) <= 100
