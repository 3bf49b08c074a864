"""Choosing the run's writer for the chosen format; progress and errors stay on stderr."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from mailcheck.cli.common import OutputOptions, paused_progress
from mailcheck.errors import UsageError
from mailcheck.model import Report
from mailcheck.render import DOCUMENT_FORMATS, Format

if TYPE_CHECKING:
    from mailcheck.render.writer import Writer


def check_selectors(values: Iterable[str], known_ids: Iterable[str], option: str) -> None:
    """--only/--skip must name real ids or families, or a typo silently hides everything."""
    ids = set(known_ids)
    families = {i.split(".", 1)[0] for i in ids}
    for value in values:
        if not value:
            raise UsageError(
                f"{option} '': an empty check id", hint="see: mailcheck explain --list"
            )
        if value in ids or value in families:
            continue
        close = difflib.get_close_matches(value, sorted(ids | families), n=1)
        raise UsageError(
            f"{option} {value!r}: no such check id or family",
            hint=f"did you mean {close[0]!r}? (see: mailcheck explain --list)"
            if close
            else "see: mailcheck explain --list",
        )


def check_selection(
    only: Sequence[str], skip: Sequence[str], known_ids: Iterable[str] | None = None
) -> None:
    """--only and --skip of one command: each names real ids or families (`known_ids`, or
    else the catalogue's, loaded only when there is a selection to check), and no --only
    value is taken away again by a --skip value (the run would show nothing and exit 0)."""
    if not only and not skip:
        return
    if known_ids is None:
        from mailcheck.catalog import CHECKS

        known_ids = CHECKS
    ids = set(known_ids)
    check_selectors(only, ids, "--only")
    check_selectors(skip, ids, "--skip")
    for wanted in only:
        for dropped in skip:
            if wanted.lower() == dropped.lower() or wanted.lower().startswith(
                dropped.lower() + "."
            ):
                raise UsageError(
                    f"--only {wanted} is removed again by --skip {dropped}: nothing would be "
                    "checked",
                    hint="drop one of the two",
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


def open_writer(
    command: str, out: OutputOptions, *, csv: bool = False, message: bytes | None = None
) -> Writer:
    """The one writer of a run: its format's implementation, started.

    `csv` is `mailcheck report --csv`; `message` is `send --dry-run`'s message (the text
    output when it is not saved)."""
    from mailcheck.cli.common import FailOn
    from mailcheck.render import writer

    settings = writer.WriterSettings(
        command=command,
        format=out.format,
        verbose=out.verbose,
        quiet=out.quiet,
        fail_on=out.threshold,
        regression=out.fail_on is FailOn.REGRESSION,
        console=out.console,
        pause=paused_progress,
        for_people=_with_header_lines,
    )
    chosen: Writer
    if csv:
        chosen = writer.CsvWriter(settings)
    elif out.format is Format.JSONL:
        chosen = writer.JsonlWriter(settings)
    elif out.format in DOCUMENT_FORMATS:
        chosen = writer.DocumentWriter(settings)
    elif message is not None:
        chosen = writer.MessageWriter(settings, message)
    elif command == "verify":
        chosen = writer.VerifyTextWriter(settings)
    elif command == "report":
        chosen = writer.FeedbackTextWriter(settings)
    else:
        chosen = writer.TextWriter(settings)
    chosen.start()
    return chosen


def _with_header_lines(report: Report) -> Report:
    """A message read from a file: its findings point at their header lines (FILE:LINE)."""
    import os

    from mailcheck.services.message_lines import HEAD_LIMIT, locate_message

    if report.kind != "message" or not os.path.isfile(report.subject):
        return report  # stdin, or one message of an mbox
    try:
        with open(report.subject, "rb") as file:
            head = file.read(HEAD_LIMIT)
    except OSError:
        return report
    return locate_message(report, head, report.subject)
