"""The one output interface of every command: start(), report(r) as each is done, finish()."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailcheck.model import ExitCode, Finding, Report, Status
from mailcheck.render import Format
from mailcheck.render.safe import safe_report, safe_value

if TYPE_CHECKING:
    from rich.console import Console


@contextlib.contextmanager
def _no_pause() -> Iterator[None]:
    yield


@dataclass(frozen=True)
class WriterSettings:
    """What a writer needs to know of the run; the CLI fills it from its options."""

    command: str
    format: Format = Format.TEXT
    verbose: bool = False
    quiet: bool = False
    fail_on: Status | None = Status.FAIL  # None: --fail-on never
    regression: bool = False
    console: Callable[[], Console] | None = None
    # stops the progress spinner while lines are written, so it never shares their line
    pause: Callable[[], contextlib.AbstractContextManager[None]] = _no_pause
    # a report made ready for people (for example: findings pointed at FILE:LINE)
    for_people: Callable[[Report], Report] = field(default=lambda report: report)

    def make_console(self) -> Console:
        if self.console is not None:
            return self.console()
        from rich.console import Console

        return Console(file=sys.stdout, highlight=False, markup=False, emoji=False)


class Writer:
    """Base: the run's reports in arrival order; `ordered` writers get them in input order."""

    # Text and documents follow the order of the inputs; JSONL streams as reports complete
    ordered = True

    def __init__(self, settings: WriterSettings) -> None:
        self.settings = settings

    def start(self) -> None:
        """Called once before the first report."""

    def report(self, report: Report) -> None:
        raise NotImplementedError

    def prepare(self) -> Callable[[Report], object] | None:
        """A picklable function turning a report into what prepared() takes, run where the
        report is made (a --jobs worker), so the parent only writes; None: report() it is."""
        return None

    def prepared(self, item: object) -> None:
        """A report as prepare()'s function made it: the same output as report() gives."""
        raise NotImplementedError

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        """Called once after the last report, with the run's exit code and run-wide data."""


class TextWriter(Writer):
    """Streams each report for people; a many-report run ends with the summary."""

    def __init__(self, settings: WriterSettings, *, summary: bool = True) -> None:
        super().__init__(settings)
        self.summary = summary
        self.reports: list[Report] = []

    def report(self, report: Report) -> None:
        from mailcheck.render.text import render_report

        report = safe_report(self.settings.for_people(report))
        with self.settings.pause():
            console = self.settings.make_console()
            if self.reports:
                console.print()
            render_report(console, report, verbose=self.settings.verbose, quiet=self.settings.quiet)
        self.reports.append(report)

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        if not self.summary or len(self.reports) < 2:
            return
        from mailcheck.render.text import render_summary

        with self.settings.pause():
            console = self.settings.make_console()
            console.print()
            render_summary(console, self.reports)


class JsonlWriter(Writer):
    """Exactly one compact JSON line per report, written as soon as the report is done."""

    ordered = False

    def report(self, report: Report) -> None:
        self.prepared(jsonl_line(self.settings.command, self.settings.verbose, report))

    def prepare(self) -> Callable[[Report], object] | None:
        return functools.partial(jsonl_line, self.settings.command, self.settings.verbose)

    def prepared(self, item: object) -> None:
        assert isinstance(item, str)
        sys.stdout.write(item)
        sys.stdout.flush()


def jsonl_line(command: str, verbose: bool, report: Report) -> str:
    from mailcheck.render.jsonfmt import SCHEMA_VERSION, dumps, report_dict

    line = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        **report_dict(report, verbose=verbose),
    }
    return dumps(line, pretty=False) + "\n"


class DocumentWriter(Writer):
    """The whole run as one document at the end: JSON, JUnit, SARIF, GitHub, Markdown, HTML."""

    def __init__(self, settings: WriterSettings) -> None:
        super().__init__(settings)
        self.reports: list[Report] = []
        self.spool: JsonSpool | None = None
        if settings.format is Format.JSON:
            self.spool = JsonSpool(settings.verbose)

    def report(self, report: Report) -> None:
        if self.spool is not None:
            self.spool.add(report)
        else:
            self.reports.append(report)

    def prepare(self) -> Callable[[Report], object] | None:
        if self.spool is None:
            return None
        return functools.partial(spool_entry, self.spool.verbose)

    def prepared(self, item: object) -> None:
        assert self.spool is not None and isinstance(item, tuple)
        self.spool.add_entry(item)

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        if self.spool is not None:
            self.spool.write(self.settings.command, int(code), extra)
        else:
            sys.stdout.write(document_text(self.settings, self.reports, code, extra))
        sys.stdout.flush()


class JsonSpool:
    """The JSON document without keeping the reports: each is serialised as it arrives, into
    a temporary file past a few MB (10,000 verified messages kept as objects took 640 MB),
    then the document is written around them, byte for byte what document_text() gives."""

    MEMORY = 8 * 2**20

    def __init__(self, verbose: bool) -> None:
        import tempfile

        from mailcheck.model import STATUS_ORDER

        self.verbose = verbose
        self.counts = dict.fromkeys(STATUS_ORDER, 0)
        # open across report() calls, closed by write() (or with the process)
        self.file = tempfile.SpooledTemporaryFile(self.MEMORY, "w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def add(self, report: Report) -> None:
        self.add_entry(spool_entry(self.verbose, report))

    def add_entry(self, entry: tuple[tuple[int, ...], str]) -> None:
        """What spool_entry() made of a report: its counts by status, and its JSON."""
        counts, text = entry
        for status, count in zip(self.counts, counts, strict=True):
            self.counts[status] += count
        self.file.write(("    " if not self.count else ",\n    ") + text)
        self.count += 1

    def write(self, command: str, code: int, extra: Mapping[str, Any] | None) -> None:
        from mailcheck.render.jsonfmt import document, dumps

        doc = document(command, [], code, dict(extra or {}))
        if "summary" not in (extra or {}):
            doc["summary"] = {status.value: n for status, n in self.counts.items()}
        head, marker, tail = dumps(doc).partition('\n  "reports": []')
        if not marker or not self.count:  # nothing spooled (or "reports" replaced by extra)
            sys.stdout.write(head + marker + tail + "\n")
            return
        sys.stdout.write(head + '\n  "reports": [\n')
        self.file.seek(0)
        while chunk := self.file.read(2**20):
            sys.stdout.write(chunk)
        sys.stdout.write("\n  ]" + tail + "\n")
        self.file.close()


def spool_entry(verbose: bool, report: Report) -> tuple[tuple[int, ...], str]:
    """A report as JsonSpool keeps it: its findings counted by status (in STATUS_ORDER),
    and its JSON as an element of the top-level "reports" list, two levels deep."""
    from mailcheck.model import STATUS_ORDER, count_statuses
    from mailcheck.render.jsonfmt import dumps, report_dict

    counts = count_statuses(report.findings())
    text = dumps(report_dict(report, verbose=verbose), margin=4)
    return tuple(counts[status] for status in STATUS_ORDER), text


def document_text(
    settings: WriterSettings,
    reports: Sequence[Report],
    code: ExitCode,
    extra: Mapping[str, Any] | None = None,
) -> str:
    from mailcheck.render import ci

    command, regression, form = settings.command, settings.regression, settings.format
    if form is Format.JUNIT:
        fail_on = settings.fail_on or Status.FAIL  # never: failures still show as failures
        return ci.junit(command, reports, fail_on=fail_on, regression=regression)
    if form is Format.SARIF:
        from mailcheck.render.jsonfmt import dumps

        return dumps(ci.sarif(command, reports, int(code), regression=regression)) + "\n"
    if form is Format.GITHUB:
        ci.write_step_summary(ci.markdown(command, reports, regression=regression))
        return ci.github(command, reports, regression=regression)
    if form is Format.MARKDOWN:
        return ci.markdown(command, reports, regression=regression)
    if form is Format.HTML:
        from mailcheck.render.html import render_html

        return render_html(command, reports, int(code), verbose=settings.verbose)
    from mailcheck.render.jsonfmt import document, dumps

    doc = document(command, reports, int(code), dict(extra or {}), verbose=settings.verbose)
    return dumps(doc) + "\n"


class VerifyTextWriter(Writer):
    """Text for one message is the full report; for many, one line each (the full reports
    with -v), then the summary. Lines are written at the end, the worst nearest the summary
    (what a terminal shows last), so no spinner can come between them."""

    # Lines kept for the table, per kind (passing, not): memory stays flat past them
    KEEP = 20_000

    def __init__(self, settings: WriterSettings) -> None:
        super().__init__(settings)
        self.full = TextWriter(settings, summary=False)
        self.first: Report | None = None
        self.count = 0
        self.lines: list[Any] = []
        self.kept = {True: 0, False: 0}
        self.omitted = {True: 0, False: 0}

    def report(self, report: Report) -> None:
        if not self.settings.verbose:
            # message_line escapes what it shows; a lone report is escaped by self.full
            from mailcheck.render.verify_lines import message_line

            self.prepared(message_line(report))
            self.first = report if self.count == 1 else None
            return
        self.count += 1
        if self.count == 1:
            self.first = report
            return
        if self.first is not None:
            self.full.report(self.first)
            self.first = None
        self.full.report(report)

    def prepare(self) -> Callable[[Report], object] | None:
        if self.settings.verbose:
            return None
        from mailcheck.render.verify_lines import message_line

        return message_line

    def prepared(self, item: object) -> None:
        """One message's line (a MessageLine): kept for the table, or counted past KEEP."""
        self.count += 1
        self.first = None
        passing = getattr(item, "status", None) in (Status.PASS, Status.INFO, Status.SKIP)
        if self.kept[passing] >= self.KEEP:
            self.omitted[passing] += 1
            return
        self.kept[passing] += 1
        self.lines.append(item)

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        if self.count == 1 and self.first is not None:
            self.full.report(self.first)
            return
        if self.count <= 1:
            return
        from mailcheck.render.verify_lines import render_lines, render_verify_summary

        console = self.settings.make_console()
        if self.lines:
            render_lines(console, self.lines, self.omitted[True], self.omitted[False])
        render_verify_summary(console, safe_value(dict((extra or {}).get("messages", {}))))


class FeedbackTextWriter(Writer):
    """`mailcheck report` for people: what the reports say, grouped, at the end."""

    def __init__(self, settings: WriterSettings) -> None:
        super().__init__(settings)
        self.reports: list[Report] = []

    def report(self, report: Report) -> None:
        self.reports.append(report)

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        from mailcheck.render.feedback import render_run

        if type(self) is FeedbackTextWriter:
            self.reports = [safe_report(r) for r in self.reports]
            if self.settings.quiet:  # the verdicts stay; findings only from WARN up
                self.reports = [_quiet(r) for r in self.reports]
        render_run(self.settings.make_console(), self.reports, verbose=self.settings.verbose)


def _quiet(report: Report) -> Report:
    from mailcheck.render.text import shown

    sections = tuple(
        dataclasses.replace(s, findings=tuple(shown(s.findings, True))) for s in report.sections
    )
    return dataclasses.replace(report, sections=sections)


class CsvWriter(FeedbackTextWriter):
    """`mailcheck report --csv`: one row per source, for a spreadsheet."""

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        from mailcheck.render.feedback import write_csv

        write_csv(self.reports)
        # a file that held no report, or a mailbox that failed, has no row: said on stderr,
        # as the exit code alone would leave the user guessing why the table is short
        unread = (r for r in self.reports if r.kind != "dmarc-report")
        problems = (Status.FAIL, Status.ERROR)  # what decides the exit code by default
        _to_stderr(f for r in unread for f in r.findings() if f.status in problems)


class MessageWriter(Writer):
    """`send --dry-run` as text: the message is the output; what we found goes to stderr."""

    def __init__(self, settings: WriterSettings, message: bytes) -> None:
        super().__init__(settings)
        self.message = message
        self.reports: list[Report] = []

    def report(self, report: Report) -> None:
        self.reports.append(report)

    def finish(self, code: ExitCode, extra: Mapping[str, Any] | None = None) -> None:
        sys.stdout.buffer.write(self.message)
        sys.stdout.flush()
        _to_stderr(f for r in self.reports for f in r.findings() if f.status is not Status.INFO)


def _to_stderr(findings: Iterable[Finding]) -> None:
    """Findings the output itself has no place for, one escaped line each on stderr."""
    from mailcheck.escape import printable

    for item in findings:
        summary = printable(item.summary)
        sys.stderr.write(f"mailcheck: {item.status.word} {item.id}: {summary}\n")
