"""The one mapping from a run's reports, or the error that ended it, to the exit code."""

from __future__ import annotations

from collections.abc import Iterable

from mailcheck.model import ExitCode, Report, Status

# A server that could not be reached leaves the run inconclusive, whatever else was shown
UNREACHABLE = frozenset({"smtp.connect", "mailbox.connect", "report.mailbox"})
# What --fail-on regression fails on (WARN and up), and what makes the comparison unsure
REGRESSED = frozenset({"regression.new", "regression.worse"})
REGRESSION_UNSURE = "regression.inconclusive"


class ExitTally:
    """The exit code of a run that streams its reports: add each, read `code` at the end.

    `fail_on` is the lowest status that fails the run (None: --fail-on never: errors still
    make it inconclusive); `regression` is --fail-on regression (only changes count)."""

    def __init__(self, fail_on: Status | None = Status.FAIL, *, regression: bool = False):
        self.fail_on = fail_on
        self.regression = regression
        self.failed = False
        self.errors = False
        self.regressed = False
        self.unsure = False

    def add(self, shown: Report, full: Report | None = None) -> None:
        """`shown` is what --only/--skip kept; `full` the report before them, if different."""
        for item in shown.findings():
            status = item.status
            if (status is Status.FAIL and self.fail_on is not None) or (
                status is Status.WARN and self.fail_on is Status.WARN
            ):
                self.failed = True
            elif status is Status.ERROR:
                self.errors = True
            if item.id in REGRESSED and status in (Status.WARN, Status.ERROR, Status.FAIL):
                self.regressed = True
            elif item.id == REGRESSION_UNSURE:
                self.unsure = True
        unreachable = [f for f in (full or shown).findings() if f.id in UNREACHABLE]
        if unreachable and all(f.status is Status.ERROR for f in unreachable):
            self.errors = True

    def merge(self, other: ExitTally) -> None:
        """What another tally saw (one report's, added where it was made: a --jobs worker)."""
        self.failed |= other.failed
        self.errors |= other.errors
        self.regressed |= other.regressed
        self.unsure |= other.unsure

    @property
    def code(self) -> ExitCode:
        if self.regression:
            # a new or worse finding fails; a comparison over errors is inconclusive (never 1)
            if self.regressed:
                return ExitCode.FAILED
            return ExitCode.INCONCLUSIVE if self.unsure else ExitCode.OK
        if self.failed:
            return ExitCode.FAILED
        return ExitCode.INCONCLUSIVE if self.errors else ExitCode.OK


def exit_code(
    reports: Iterable[Report],
    fail_on: Status | None = Status.FAIL,
    *,
    regression: bool = False,
    full: Iterable[Report] = (),
) -> ExitCode:
    """0 below the threshold; 1 on failures (or warnings with --fail-on warn); 3 inconclusive.

    `full`: the same reports before --only/--skip, when they hid something."""
    tally = ExitTally(fail_on, regression=regression)
    originals = list(full)
    for index, report in enumerate(reports):
        tally.add(report, originals[index] if index < len(originals) else None)
    return tally.code


def error_exit_code(error: BaseException) -> ExitCode:
    """The exit code of a run that an error ended before it could report."""
    from mailcheck.errors import MailcheckError

    if isinstance(error, MailcheckError):
        return ExitCode(error.exit_code)
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, BrokenPipeError):
        return ExitCode.OK  # the reader went away (| head): not our failure
    code = getattr(error, "exit_code", None)  # click's usage errors carry theirs
    if isinstance(code, int) and code in {int(c) for c in ExitCode}:
        return ExitCode(code)
    return ExitCode.INTERNAL
