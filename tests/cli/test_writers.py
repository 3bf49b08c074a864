"""Every command writes through one writer: JSONL is exactly one compact line per report."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import ROOT, CliRun

EXAMPLES = ROOT / "examples"
ZONES = ("--offline", "--zone", str(EXAMPLES / "zones"))
REPORTS = EXAMPLES / "reports"


def closed_port() -> int:
    """A loopback port nothing listens on: the connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def commands() -> dict[str, tuple[tuple[str, ...], int]]:
    """Each command's arguments for an offline (loopback-only) run, and its report count."""
    return {
        "domain": (("domain", "example.com", "example.net", *ZONES), 2),
        "verify": (("verify", str(EXAMPLES / "messages" / "signed.eml"), *ZONES), 1),
        "trace": (
            ("trace", "127.0.0.1", "--port", str(closed_port()), "--timeout", "5", "--offline"),
            1,
        ),
        "send": (
            (
                "send",
                "--dry-run",
                "--from",
                "a@example.com",
                "--to",
                "b@example.net",
                *ZONES,
            ),
            1,
        ),
        "report": (("report", str(REPORTS), "--offline", "--zone", str(REPORTS / "dns")), -1),
    }


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["domain", "verify", "trace", "send", "report"])
def test_jsonl_is_one_line_per_report(run_cli: CliRun, command: str) -> None:
    args, count = commands()[command]
    result = run_cli(*args, "--format", "jsonl")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1, 3), result.stderr
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    if count >= 0:
        assert len(lines) == count
    json_doc = run_cli(*args, "--format", "json")
    assert len(json.loads(json_doc.stdout)["reports"]) == len(lines)
    for line in lines:
        item = json.loads(line)
        assert item["command"] == command
        assert item["schema_version"] == 1
        assert {"kind", "subject", "status", "sections"} <= item.keys()
