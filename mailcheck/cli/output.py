"""Writing reports to stdout in the chosen format; progress and errors stay on stderr."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from mailcheck.cli.common import OutputOptions, paused_progress
from mailcheck.errors import UsageError
from mailcheck.model import ExitCode, Report, Status
from mailcheck.render import Format


def check_selectors(values: Iterable[str], known_ids: Iterable[str], option: str) -> None:
    """--only/--skip must name real ids or families, or a typo silently hides everything."""
    ids = set(known_ids)
    families = {i.split(".", 1)[0] for i in ids}
    for value in values:
        if value in ids or value in families:
            continue
        close = difflib.get_close_matches(value, sorted(ids | families), n=1)
        raise UsageError(
            f"{option} {value!r}: no such check id or family",
            hint=f"did you mean {close[0]!r}? (see: mailcheck explain --list)"
            if close
            else "see: mailcheck explain --list",
        )


def families_wanted(
    all_families: Sequence[str], only: Sequence[str], skip: Sequence[str]
) -> list[str]:
    wanted = list(all_families)
    if only:
        wanted = [f for f in wanted if any(o == f or o.startswith(f + ".") for o in only)]
    return [f for f in wanted if f not in skip]


def refuse_regression(out: OutputOptions, command: str) -> None:
    from mailcheck.cli.common import FailOn

    if out.fail_on is FailOn.REGRESSION:
        raise UsageError(
            f"--fail-on regression compares against a baseline: mailcheck {command} has none",
            hint="use it with mailcheck domain --baseline live|FILE",
        )


def write_text_report(report: Report, out: OutputOptions, first: bool) -> None:
    """One report as text: its verdict first, its sections worst first, its verdict last."""
    from mailcheck.render.text import render_report

    if report.kind == "message":
        report = _with_header_lines(report)
    with paused_progress():
        console = out.console()
        if not first:
            console.print()
        render_report(console, report, verbose=out.verbose, quiet=out.quiet)


def _with_header_lines(report: Report) -> Report:
    """A message read from a file: its findings point at their header lines (FILE:LINE)."""
    import os

    from mailcheck.services.message_lines import HEAD_LIMIT, locate_message

    if not os.path.isfile(report.subject):
        return report  # stdin, or one message of an mbox
    try:
        with open(report.subject, "rb") as file:
            head = file.read(HEAD_LIMIT)
    except OSError:
        return report
    return locate_message(report, head, report.subject)


def write_summary(reports: Sequence[Report], out: OutputOptions) -> None:
    """The end of a many-subject run: each verdict, with its FAIL and ERROR ids."""
    from mailcheck.render.text import render_summary

    with paused_progress():
        console = out.console()
        console.print()
        render_summary(console, reports)


def write_document(
    command: str,
    reports: Sequence[Report],
    code: ExitCode,
    out: OutputOptions,
    extra: dict[str, Any] | None = None,
) -> None:
    """The whole run in a machine format: JSON, JUnit, SARIF, GitHub or Markdown."""
    from mailcheck.cli.common import FailOn
    from mailcheck.render import ci
    from mailcheck.render.jsonfmt import document, dumps

    regression = out.fail_on is FailOn.REGRESSION
    if out.format is Format.JUNIT:
        fail_on = out.threshold or Status.FAIL  # never: failures still show as failures
        text = ci.junit(command, reports, fail_on=fail_on, regression=regression)
    elif out.format is Format.SARIF:
        text = dumps(ci.sarif(command, reports, int(code), regression=regression)) + "\n"
    elif out.format is Format.GITHUB:
        text = ci.github(command, reports, regression=regression)
        ci.write_step_summary(ci.markdown(command, reports, regression=regression))
    elif out.format is Format.MARKDOWN:
        text = ci.markdown(command, reports, regression=regression)
    elif out.format is Format.HTML:
        from mailcheck.render.html import render_html

        text = render_html(command, reports, int(code), verbose=out.verbose)
    else:
        doc = document(command, reports, int(code), extra, verbose=out.verbose)
        text = dumps(doc) + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()


def write_jsonl_line(command: str, report: Report, out: OutputOptions) -> None:
    from mailcheck.render.jsonfmt import SCHEMA_VERSION, dumps, report_dict

    line = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        **report_dict(report, verbose=out.verbose),
    }
    sys.stdout.write(dumps(line, pretty=False) + "\n")
    sys.stdout.flush()


def is_streaming(out: OutputOptions) -> bool:
    return out.format is Format.JSONL
