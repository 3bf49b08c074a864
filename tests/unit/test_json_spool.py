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
