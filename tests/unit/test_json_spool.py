"""The JSON document written without keeping the reports is the very document built from them."""

from __future__ import annotations

import pytest

from mailcheck.model import ExitCode, Finding, QueryLine, Report, Section, Status
from mailcheck.render import Format
from mailcheck.render.writer import DocumentWriter, WriterSettings, document_text

HOSTILE = 'line\nbreak \x1b[31m red \u202e bidi \x9b csi \u2028 sep \\ " quote é'


def _report(number: int, size: int) -> Report:
    finding = Finding(
        "dkim.signature",
        list(Status)[number % len(Status)],
        f"#{number} {HOSTILE} " + "x" * size,
        details="two\nlines",
        evidence=("a", HOSTILE),
    )
    section = Section("dkim", "DKIM", (finding,), HOSTILE, {"rows": [{"d": HOSTILE}], "n": None})
    query = QueryLine("example.test", "TXT", "answer", "127.0.0.1", 0.001, (HOSTILE,))
    return Report("message", f"m{number}.eml", (section,), queries=(query,), data={"v": number})


@pytest.mark.parametrize(
    ("count", "size", "verbose"),
    [(0, 0, False), (1, 0, True), (3, 10, False), (1200, 10_000, False)],  # the last: > 8 MB
)
def test_spooled_json_is_byte_for_byte_the_document(
    capsys: pytest.CaptureFixture[str], count: int, size: int, verbose: bool
) -> None:
    settings = WriterSettings("verify", Format.JSON, verbose=verbose)
    reports = [_report(n, size) for n in range(count)]
    extra = {"dns": {"queries": 3}, "messages": {"from": HOSTILE}}
    writer = DocumentWriter(settings)
    for report in reports:
        writer.report(report)
    writer.finish(ExitCode.FAILED, extra)
    written = capsys.readouterr().out
    assert written == document_text(settings, reports, ExitCode.FAILED, extra)
    assert writer.reports == []  # nothing kept


@pytest.mark.parametrize("fmt", [Format.JSON, Format.JSONL])
def test_reports_prepared_elsewhere_write_the_same_bytes(
    capsys: pytest.CaptureFixture[str], fmt: Format
) -> None:
    """verify --jobs: a worker runs the writer's prepare() function on each report and
    pickles the result; the parent hands it to prepared(): the bytes report() writes."""
    import pickle

    from mailcheck.render.writer import JsonlWriter, Writer

    settings = WriterSettings("verify", fmt)
    reports = [_report(n, 10) for n in range(5)]

    def written(writer: Writer, prepared: bool) -> str:
        prepare = pickle.loads(pickle.dumps(writer.prepare()))  # noqa: S301 (our own bytes)
        assert prepare is not None
        for report in reports:
            if prepared:
                writer.prepared(pickle.loads(pickle.dumps(prepare(report))))  # noqa: S301
            else:
                writer.report(report)
        writer.finish(ExitCode.FAILED, {"dns": {"queries": 3}})
        return capsys.readouterr().out

    make = JsonlWriter if fmt is Format.JSONL else DocumentWriter
    assert written(make(settings), True) == written(make(settings), False)
    shown = written(make(settings), True)
    assert "\x1b" not in shown and "\u202e" not in shown and "\\u001b[31m" in shown
