"""Checks keep raw values, renderers escape them: the library API returns a record's real
characters (ESC, bidi controls), while `--format text` and `--format json` show them escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailcheck import Dns, check_domain
from tests.conftest import CliRun

# An SPF record with an ESC sequence (red) and a right-to-left override (U+202E) in a term
ZONE = """$ORIGIN raw.test.
$TTL 300
@ SOA ns hm 1 3600 600 1209600 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 ip4:192.0.2.1 \\027[31mred\\226\\128\\174 -all"
"""
RECORD = "v=spf1 ip4:192.0.2.1 \x1b[31mred\u202e -all"
SHOWN = "v=spf1 ip4:192.0.2.1 \\x1b[31mred\\u202e -all"


@pytest.fixture
def zone(tmp_path: Path) -> Path:
    path = tmp_path / "raw.test.zone"
    path.write_text(ZONE)
    return path


def test_library_returns_the_real_characters(zone: Path) -> None:
    report = check_domain("raw.test", dns=Dns(zones=[str(zone)], offline=True))
    spf = next(s for s in report.sections if s.family == "spf")
    syntax = [f for f in spf.findings if f.id == "spf.syntax"]
    assert [f.summary for f in syntax] == [
        "raw.test: non-ASCII characters (SPF records are 7-bit ASCII, RFC 7208 3.1)",
        "raw.test: \x1b[31mred\u202e: unknown term",
    ]
    assert all(f.evidence == (RECORD,) for f in syntax)
    assert (spf.headline, spf.data["record"], spf.data["tree"].record) == (RECORD,) * 3


def test_text_output_shows_them_escaped(run_cli: CliRun, zone: Path) -> None:
    result = run_cli(
        "domain", "raw.test", "--offline", "--zone", str(zone), "--verbose", "--no-config"
    )
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert re.search(r"spf\.syntax +raw\.test: \\x1b\[31mred\\u202e: unknown term", result.stdout)
    assert SHOWN in result.stdout  # the headline and the evidence


def test_verbose_query_lines_escape_as_everything_else(run_cli: CliRun, zone: Path) -> None:
    """The DNS query log showed dnspython's presentation escapes (\\027 for ESC, \\226\\128
    for UTF-8) while the findings above it showed \\x1b: one record, two spellings."""
    result = run_cli(
        "domain", "raw.test", "--offline", "--zone", str(zone), "--verbose", "--no-config"
    )
    log = result.stdout[result.stdout.index("DNS queries") :]
    assert f'→ "{SHOWN}"' in log
    assert "\\027" not in log and "\\226" not in log


def test_json_output_escapes_them_and_keeps_the_value(run_cli: CliRun, zone: Path) -> None:
    result = run_cli(
        "domain", "raw.test", "--offline", "--zone", str(zone), "--format", "json", "--no-config"
    )
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\u001b[31mred\\u202e" in result.stdout
    [report] = json.loads(result.stdout)["reports"]
    spf = next(s for s in report["sections"] if s["family"] == "spf")
    assert spf["data"]["record"] == RECORD == spf["headline"]
    summaries = [f["summary"] for f in spf["findings"] if f["id"] == "spf.syntax"]
    assert "raw.test: \x1b[31mred\u202e: unknown term" in summaries


def test_verbose_query_names_escape_as_everything_else(
    run_cli: CliRun, zone: Path, tmp_path: Path
) -> None:
    """A name asked because a message named it (an ARC set's d=ra<ESC>w.test: its key is
    looked up) showed as ra\\027w.test in the query log and ra\\x1bw.test everywhere else.
    (A From: domain with a control byte is no domain name: not asked, said so.)"""
    path = tmp_path / "m.eml"
    path.write_bytes(
        b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=ra\x1bw.test; s=s; t=1; b=AAAA\r\n"
        b"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=ra\x1bw.test; s=s; "
        b"h=from; bh=AAAA; b=AAAA\r\n"
        b"ARC-Authentication-Results: i=1; mx.raw.test; none\r\n"
        b"From: alice@ra\x1bw.test\r\nSubject: x\r\n\r\nbody\r\n"
    )
    result = run_cli("verify", str(path), "--offline", "--zone", str(zone), "-v")
    log = result.stdout[result.stdout.index("DNS queries") :]
    assert "s._domainkey.ra\\x1bw.test TXT" in log
    assert "From: alice@ra\\x1bw.test: invalid domain" in result.stdout
    assert "\\027" not in result.stdout and "\x1b" not in result.stdout
