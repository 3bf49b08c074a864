"""`mailcheck send` has the time limits of every command: --timeout ends one stalled step,
--deadline the whole run, even against a server whose every line comes in time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.smtpfixtures import MisbehavingServer, silent

pytestmark = pytest.mark.timeout(60)


async def endless_ehlo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A greeting, then an EHLO reply that never ends: one short line every 0.2 s, each
    byte by itself, so no single read waits longer than --timeout."""
    try:
        writer.write(b"220 mx.slow.test ESMTP\r\n")
        await writer.drain()
        await reader.readline()
        while True:
            for byte in b"250-SLOW\r\n":
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.02)
    except (ConnectionError, OSError):
        pass


def _send(run_cli: CliRun, port: int, *limits: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(
        "send",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.net",
        "--server",
        f"127.0.0.1:{port}",
        "--tls",
        "none",
        "--offline",
        "--format",
        "json",
        *limits,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _findings(doc: dict[str, Any], check: str) -> list[tuple[str, str]]:
    return [
        (f["status"], f["summary"])
        for r in doc["reports"]
        for s in r["sections"]
        for f in s["findings"]
        if f["id"] == check
    ]


def test_timeout_ends_a_silent_server(run_cli: CliRun) -> None:
    with MisbehavingServer(silent) as server:
        code, doc = _send(run_cli, server.port, "--timeout", "1")
    [(status, summary)] = _findings(doc, "send.recipient")
    assert status == "error" and code == 3
    assert summary == (
        "bob@example.net: not delivered (after 1 attempt): banner: silence: "
        "no reply in 1.0 s (the per-step limit, --timeout 1)"
    )


def test_deadline_ends_a_server_whose_every_line_beats_the_timeout(run_cli: CliRun) -> None:
    with MisbehavingServer(endless_ehlo) as server:
        code, doc = _send(run_cli, server.port, "--timeout", "1", "--deadline", "2")
    [(status, summary)] = _findings(doc, "send.recipient")
    assert status == "error" and code == 3
    assert summary.startswith("bob@example.net: not delivered (after 1 attempt): ")
    assert "(the overall limit, --deadline 2" in summary, summary
