"""Renderers are safe on their own: hostile strings in every field of a report, rendered in
every format with colour forced, leave no control byte and no live markup in the output."""

from __future__ import annotations

import datetime
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from mailcheck.model import (
    ExitCode,
    Finding,
    Location,
    QueryStats,
    ReceivedHop,
    Report,
    Section,
    SignatureRow,
    SpfTreeNode,
    Status,
    TranscriptLine,
)
from mailcheck.render import Format
from mailcheck.render.writer import (
    DocumentWriter,
    FeedbackTextWriter,
    JsonlWriter,
    TextWriter,
    VerifyTextWriter,
    Writer,
    WriterSettings,
)

# ESC sequences (clear screen, OSC 8 link, a title), CR, NUL, BEL, bidi overrides, C1 CSI
# and NEL, a byte that was not UTF-8 (a lone surrogate), rich markup, HTML, and a line that
# would be a GitHub workflow command
HOSTILE = (
    "A\x1b[2JB\x1b]8;;https://evil.invalid/\x1b\\link\x1b]8;;\x1b\\C\x1b]0;title\x07"
    "D\rE\x00F\u202eG\u2066H\u200fI\x9b2JJ\x85K\x7fL\udcffM"
    "[bold red]markup[/bold red]<script>alert(1)</script>\n::error::injected"
)
# What JSON holds: the value itself, but a byte that was not UTF-8 as the text \xff
AS_JSON = HOSTILE.replace("\udcff", "\\xff")
# Control characters no output may carry raw (newlines and tabs are layout)
CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
# The colour the renderer itself adds (forced): well-formed SGR sequences only
OWN_SGR = re.compile(r"\x1b\[[0-9;]*m")


def finding(status: Status, number: int) -> Finding:
    return Finding(
        id="spf.record",
        status=status,
        summary=f"{number} {HOSTILE}",
        details=HOSTILE,
        evidence=(HOSTILE, HOSTILE),
        hint=HOSTILE,
        refs=("RFC 7208",),
        subject=HOSTILE,
        location=Location(HOSTILE, 3),
    )


def signature_row() -> SignatureRow:
    return SignatureRow(
        index=1,
        domain="sig:" + HOSTILE,
        selector=HOSTILE,
        algorithm=HOSTILE,
        canonicalization=HOSTILE,
        signed_headers=(HOSTILE,),
        body_length=HOSTILE,
        result=HOSTILE,
        reason=HOSTILE,
        key_type="rsa",
        key_bits=2048,
        signed_bh=HOSTILE,
    )


def spf_tree() -> SpfTreeNode:
    hostile = (HOSTILE, HOSTILE, HOSTILE, HOSTILE)
    child = SpfTreeNode("tree:" + HOSTILE, *hostile, (HOSTILE,), 1, 1, True)
    return SpfTreeNode(HOSTILE, HOSTILE, "ok", HOSTILE, None, (HOSTILE,), 1, 3, True, (child,))


def hop() -> ReceivedHop:
    when = datetime.datetime(2026, 12, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    return ReceivedHop("hop:" + HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, True, True, when, 2.0)


# Where each typed row shows in text output: its marker, escaped like the rest
ROW_MARKERS = ("sig:A\\x1b[2JB", "tree:A\\x1b[2JB", "hop:A\\x1b[2JB", "line:A\\x1b[2JB")


def hostile_report(kind: str = "domain") -> Report:
    data = {
        "record": HOSTILE,
        "list": [HOSTILE],
        "nested": {"k": HOSTILE},
        "result": HOSTILE,
        "disposition": HOSTILE,
        "cv": HOSTILE,
        "signatures": (signature_row(),),
        "tree": spf_tree(),
        "hops": (hop(),),
        "transcript": (TranscriptLine(1.5, "S", "line:" + HOSTILE),),
    }
    sections = (
        Section(
            "spf",
            HOSTILE,
            (finding(Status.FAIL, 1), finding(Status.WARN, 2), finding(Status.PASS, 3)),
            headline=HOSTILE,
            data=data,
        ),
        Section("dmarc", "DMARC", (finding(Status.ERROR, 4),), headline=HOSTILE, data=data),
        Section("dkim", "DKIM", (finding(Status.FAIL, 5),), headline=HOSTILE, data=data),
        Section("received", "Received", (finding(Status.INFO, 6),), data=data),
    )
    return Report(kind, HOSTILE, sections, display=HOSTILE + "x", data=data)


class Captured:
    """stdout as a text stream with a byte buffer (MessageWriter writes bytes)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.text = io.TextIOWrapper(self.buffer, encoding="utf-8", write_through=True)


def render(writer: Writer, reports: list[Report], monkeypatch: pytest.MonkeyPatch) -> str:
    out = Captured()
    monkeypatch.setattr(sys, "stdout", out.text)
    from mailcheck.cli.run_verify import Tally

    tally = Tally()
    writer.start()
    for report in reports:
        tally.add(report)
        writer.report(report)
    writer.finish(ExitCode.FAILED, {"dns": {"queries": 1}, "messages": tally.as_dict()})
    out.text.flush()
    return out.buffer.getvalue().decode("utf-8")


def forced_console() -> object:
    from rich.console import Console

    return Console(
        file=sys.stdout,
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        markup=False,
        emoji=False,
        width=120,
    )


def settings(form: Format, command: str = "domain") -> WriterSettings:
    return WriterSettings(
        command=command,
        format=form,
        verbose=True,
        console=forced_console,  # type: ignore[arg-type]
    )


def writers() -> Iterator[tuple[str, Writer, str]]:
    for form in (Format.JSON, Format.JUNIT, Format.SARIF, Format.GITHUB, Format.MARKDOWN):
        yield form.value, DocumentWriter(settings(form)), "domain"
    yield "html", DocumentWriter(settings(Format.HTML)), "domain"
    yield "jsonl", JsonlWriter(settings(Format.JSONL)), "domain"
    yield "text", TextWriter(settings(Format.TEXT)), "domain"
    yield "text-verify", VerifyTextWriter(settings(Format.TEXT, "verify")), "message"
    quiet = WriterSettings(command="verify", console=forced_console)  # type: ignore[arg-type]
    yield "text-verify-lines", VerifyTextWriter(quiet), "message"
    yield "text-report", FeedbackTextWriter(settings(Format.TEXT, "report")), "dmarc"


CASES = {name: (writer, kind) for name, writer, kind in writers()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_control_byte_and_no_markup_survives(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    writer, kind = CASES[name]
    text = render(writer, [hostile_report(kind), hostile_report(kind)], monkeypatch)
    assert "2JB" in text, text  # the hostile string was shown (escaped)
    left = OWN_SGR.sub("", text) if name.startswith("text") else text
    assert not CONTROL.findall(left), [hex(ord(c)) for c in CONTROL.findall(left)][:10]
    if name in ("text", "text-verify"):
        assert "[bold red]" in text  # shown literally, never parsed as rich markup
    if name in ("json", "sarif"):
        json.loads(text)
    if name == "jsonl":
        assert [json.loads(line)["subject"] for line in text.splitlines()] == [AS_JSON] * 2
    if name in ("text", "text-verify"):
        for marker in ROW_MARKERS:  # every typed row was drawn, escaped
            assert marker in text, marker
    if name == "html":
        assert "line:A\\x1b[2JB" in text  # the transcript, escaped
    if name == "json":
        data = json.loads(text)["reports"][0]["sections"][0]["data"]
        assert data["record"] == AS_JSON
        # typed rows are JSON objects with the raw value (the \\u escapes of JSON decode to it)
        assert data["signatures"][0]["d"] == "sig:" + AS_JSON
        assert data["tree"]["children"][0]["label"] == "tree:" + AS_JSON
        assert data["hops"][0]["from"] == "hop:" + AS_JSON
        assert data["hops"][0]["time"] == "2026-12-02T03:04:05+00:00"
        assert data["transcript"][0] == {"ms": 1.5, "who": "S", "text": "line:" + AS_JSON}
    if name == "junit":
        ET.fromstring(text)  # noqa: S314  (our own output, parsed to prove it is XML)
    if name == "github":
        assert not re.search(r"^::error::injected", text, re.M)
    if name in ("markdown", "html", "junit"):
        assert "<script" not in text  # no live HTML (and no XML element of ours)


@pytest.mark.parametrize(
    ("name", "count", "words"),
    [
        ("text", 1, "(1 query, 0.25 s)"),
        ("text", 2, "(2 queries, 0.25 s)"),
        ("html", 1, "(1 query, 0.25 s)"),
        ("html", 3, "(3 queries, 0.25 s)"),
    ],
)
def test_one_query_is_singular(
    name: str, count: int, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header of a report said "1 queries" in text and HTML."""
    writer: Writer = (
        TextWriter(settings(Format.TEXT))
        if name == "text"
        else DocumentWriter(settings(Format.HTML))
    )
    report = Report("domain", "example.test", duration=0.25, dns=QueryStats(queries=count))
    text = OWN_SGR.sub("", render(writer, [report], monkeypatch))
    assert words in text, text
    assert "1 queries" not in text
