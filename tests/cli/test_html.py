"""`--format html`: one self-contained page for every command, with hostile record text escaped."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import ROOT, CliRun
from tests.smtpfixtures import MisbehavingServer, free_port

HOSTILE_ZONE = r"""$ORIGIN hostile.example.
$TTL 300
@      SOA  ns1 hostmaster 2026120101 7200 3600 1209600 3600
       NS   ns1
       NS   ns2
ns1    A    192.0.2.53
ns2    A    198.51.100.53
@      MX   10 mx
mx     A    192.0.2.10
@      TXT  "v=spf1 ip4:192.0.2.1 <script>alert('x')</script> \"q\" \027[31m -all"
_dmarc TXT  "v=DMARC1; p=reject; rua=mailto:\"><img src=x onerror=alert(1)>@hostile.example"
"""


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def test_hostile_record_text_is_escaped(run_cli: CliRun, tmp_path: Path) -> None:
    zone = tmp_path / "hostile.example.zone"
    zone.write_text(HOSTILE_ZONE)
    result = run_cli(
        "domain", "hostile.example", "--offline", "--zone", str(zone), "--format", "html"
    )
    assert result.returncode == 1, result.stderr
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>")
    parsed = _parse(page)
    # the record's markup arrives as text, never as elements or attributes
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not any(name in ("src", "href", "onerror") for name, _value in parsed.attrs)
    text = "".join(parsed.text)
    assert "<script>alert('x')</script>" in text and '"q"' in text
    assert "&lt;script&gt;" in page and "&quot;q&quot;" in page
    # the ESC byte is shown as an escape, never raw
    assert "\x1b" not in page and "\\x1b[31m" in text


def test_every_command_renders_a_self_contained_page(run_cli: CliRun) -> None:
    runs = [
        ("domain", "example.com", "--offline", "--zone", "examples/zones"),
        (
            "verify",
            str(ROOT / "examples/messages/tampered.eml"),
            "--offline",
            "--zone",
            "examples/zones",
        ),
        ("trace", "127.0.0.1", "--port", str(free_port()), "--step-timeout", "1"),
    ]
    for args in runs:
        result = run_cli(*args, "--format", "html")
        page = result.stdout
        assert page.startswith("<!DOCTYPE html>"), (args, result.stderr)
        assert page.rstrip().endswith("</html>")
        parsed = _parse(page)
        # no external assets, no scripts: only inline CSS
        assert {"script", "link", "img", "iframe"}.isdisjoint(parsed.tags)
        assert not any(name in ("src", "href") for name, _v in parsed.attrs)
        assert "default-src 'none'" in page
        assert f"mailcheck {args[0]}" in "".join(parsed.text)
    verify = run_cli(*runs[1], "--format", "html")
    assert verify.returncode == 1
    assert "dkim.signature" in verify.stdout and "body hash did not verify" in verify.stdout
    trace = run_cli(*runs[2], "--format", "html")
    assert trace.returncode == 3 and "smtp.connect" in trace.stdout


async def _hostile_banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b'220 <script>alert(1)</script> "q" \x1b[31m ESMTP\r\n')
    await writer.drain()
    await reader.readline()
    writer.close()


def test_trace_transcript_is_shown_escaped(run_cli: CliRun) -> None:
    with MisbehavingServer(_hostile_banner) as server:
        result = run_cli(
            "trace", server.host, "--port", str(server.port), "--tls", "none",
            "--quit-after", "banner", "--step-timeout", "2", "--format", "html",
        )  # fmt: skip
    page = result.stdout
    parsed = _parse(page)
    assert "script" not in parsed.tags
    assert "\x1b" not in page
    text = "".join(parsed.text)
    # the conversation itself, line by line, as the server sent it (ESC shown as an escape)
    assert 'S: 220 <script>alert(1)</script> "q" \\x1b[31m ESMTP' in text
