"""One function maps a run's reports, or the error that ended it, to the exit code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailcheck.errors import InputError, NetworkError, UsageError
from mailcheck.model import ExitCode, Finding, Report, Section, Status, select_findings
from mailcheck.outcome import error_exit_code, exit_code

ROOT = Path(__file__).resolve().parents[2]


def report(*findings: tuple[str, Status]) -> Report:
    items = tuple(Finding(i, s, "x") for i, s in findings)
    return Report("domain", "example.com", (Section("spf", "SPF", items),))


@pytest.mark.parametrize(
    ("statuses", "fail_on", "code"),
    [
        ([Status.PASS, Status.INFO], Status.FAIL, ExitCode.OK),
        ([Status.PASS, Status.WARN], Status.FAIL, ExitCode.OK),
        ([Status.WARN], Status.WARN, ExitCode.FAILED),
        ([Status.ERROR, Status.FAIL], Status.FAIL, ExitCode.FAILED),
        ([Status.ERROR, Status.WARN], Status.FAIL, ExitCode.INCONCLUSIVE),
        ([Status.FAIL], None, ExitCode.OK),
        ([Status.FAIL, Status.ERROR], None, ExitCode.INCONCLUSIVE),
    ],
)
def test_thresholds(statuses: list[Status], fail_on: Status | None, code: ExitCode) -> None:
    assert exit_code([report(*(("spf.record", s) for s in statuses))], fail_on) is code


def test_many_reports_the_worst_outcome_wins() -> None:
    reports = [report(("spf.record", Status.PASS)), report(("spf.record", Status.ERROR))]
    assert exit_code(reports) is ExitCode.INCONCLUSIVE
    assert exit_code([*reports, report(("spf.record", Status.FAIL))]) is ExitCode.FAILED


def test_a_server_that_could_not_be_reached_is_inconclusive_even_when_hidden() -> None:
    full = report(("smtp.connect", Status.ERROR), ("smtp.banner", Status.PASS))
    shown = select_findings(full, (), ("smtp.connect",))
    assert exit_code([shown]) is ExitCode.OK  # without the unfiltered report, nothing says so
    assert exit_code([shown], full=[full]) is ExitCode.INCONCLUSIVE


def test_regression_counts_only_changes() -> None:
    worse = report(("spf.record", Status.FAIL), ("regression.worse", Status.WARN))
    unsure = report(("spf.record", Status.FAIL), ("regression.inconclusive", Status.ERROR))
    same = report(("spf.record", Status.FAIL))
    assert exit_code([worse], regression=True) is ExitCode.FAILED
    assert exit_code([unsure], regression=True) is ExitCode.INCONCLUSIVE
    assert exit_code([same], regression=True) is ExitCode.OK


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("x"), ExitCode.USAGE),
        (InputError("x"), ExitCode.USAGE),
        (NetworkError("x"), ExitCode.INCONCLUSIVE),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (BrokenPipeError(), ExitCode.OK),
        (RuntimeError("bug"), ExitCode.INTERNAL),
    ],
)
def test_errors(error: BaseException, code: ExitCode) -> None:
    assert error_exit_code(error) is code


def test_no_literal_exit_numbers_in_the_package() -> None:
    """Exit codes are ExitCode members: a bare number hides which rule it follows."""
    literal = re.compile(
        r"Exit\(\s*\d|sys\.exit\(\s*\d|exit_code\s*=\s*\d|exit_code\s+in\s+\(\d|"
        r"^\s*return (?:0|1|2|3|4|130)\s*$"
    )
    offenders = []
    for path in (ROOT / "mailcheck").rglob("*.py"):
        if "dns" in path.parts or path.parent.name in ("checks", "records", "net"):
            continue  # counts and numbers of the protocol, not exit codes
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if literal.search(line) and "gating/baseline.py" not in str(path):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
