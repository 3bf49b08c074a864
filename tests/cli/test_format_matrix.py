"""Every command accepts every --format the README's table claims for it, and -q with text;
what each writes is that format (JSON parses, JSONL is one object a line, XML parses ...)."""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRun
from tests.smtpfixtures import free_port

pytestmark = pytest.mark.timeout(120)


def _claims() -> dict[str, list[str]]:
    """The table under "## CI formats": command -> formats, as the README states them."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## CI formats", 1)[1].split("\n## ", 1)[0]
    claims: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) != 4 or not cells[1].strip().startswith("`"):
            continue
        formats = re.findall(r"`([a-z]+)`", cells[2])
        for command in re.findall(r"`([a-z]+)`", cells[1]):
            claims[command] = formats
    return claims


CLAIMS = _claims()


def _args(command: str) -> list[str]:
    """The smallest real run of each command: zone files, no network beyond loopback."""
    zones = ["--offline", "--zone", "examples/zones"]
    if command == "domain":
        return ["domain", "broken.example.org", *zones]
    if command == "verify":
        return ["verify", "examples/messages/signed.eml", *zones]
    if command == "report":
        return ["report", "examples/reports", "--offline", "--zone", "examples/reports/dns"]
    if command == "trace":  # a closed loopback port: a report with an ERROR, exit 3
        return ["trace", "127.0.0.1", "--port", str(free_port()), "--timeout", "2"]
    if command == "send":
        saved = Path(tempfile.mkdtemp(prefix="mailcheck-format-")) / "message.eml"
        send = ["send", "--from", "alice@example.com", "--to", "bob@example.net"]
        return [*send, *zones, "--dry-run", "--save", str(saved)]
    return [command]


def _looks_like(fmt: str, out: str) -> None:
    if fmt == "json":
        json.loads(out)
    elif fmt == "jsonl":
        lines = out.splitlines()
        assert lines and all(isinstance(json.loads(line), dict) for line in lines)
    elif fmt in ("junit", "sarif"):
        if fmt == "junit":
            ET.fromstring(out.encode())  # noqa: S314  (our own output: well-formed?)
        else:
            assert json.loads(out)["version"] == "2.1.0"
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    elif fmt == "csv":
        assert out.splitlines()[0].count(",") >= 3
    else:
        assert out.strip()


def test_the_readme_names_every_command() -> None:
    assert set(CLAIMS) == {"domain", "verify", "trace", "send", "report", "schema", "explain"}
    assert CLAIMS["explain"] == []


@pytest.mark.parametrize(
    ("command", "fmt"), [(c, f) for c, formats in sorted(CLAIMS.items()) for f in formats]
)
def test_every_claimed_format_is_accepted(run_cli: CliRun, command: str, fmt: str) -> None:
    result = run_cli(*_args(command), "--format", fmt)
    assert result.returncode in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    _looks_like(fmt, result.stdout)


@pytest.mark.parametrize("command", sorted(c for c, f in CLAIMS.items() if "text" in f))
def test_quiet_is_accepted_with_text(run_cli: CliRun, command: str) -> None:
    loud = run_cli(*_args(command))
    quiet = run_cli(*_args(command), "-q")
    assert quiet.returncode == loud.returncode and quiet.returncode in (0, 1, 3), quiet.stderr
    assert quiet.stdout.strip() and len(quiet.stdout) <= len(loud.stdout)
    finding = re.compile(r"^\s+(PASS|INFO)\s+[a-z0-9]+\.[a-z0-9.-]+\s", re.MULTILINE)
    # the closed port of trace gives only an ERROR; every other run has something to hide
    assert command == "trace" or finding.search(loud.stdout)
    assert not finding.search(quiet.stdout), quiet.stdout


def test_a_format_the_table_does_not_claim_is_refused(run_cli: CliRun) -> None:
    result = run_cli("schema", "--format", "text")
    assert result.returncode == 2 and "'text' is not one of 'json'" in result.stderr
