"""Network trouble is never FAIL: a TLS handshake that stalls is "could not determine"
(ERROR, exit 3) in trace and send alike, while a handshake the server refuses stays FAIL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import (
    MisbehavingServer,
    refuse_implicit_tls,
    refuse_in_tls,
    silent,
    stall_in_tls,
)

pytestmark = pytest.mark.timeout(60)


def _run(run_cli: CliRun, dns: DnsServer, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(*args, "--nameserver", dns.address, "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _trace(run_cli: CliRun, dns: DnsServer, port: int, *args: str) -> tuple[int, dict[str, Any]]:
    return _run(run_cli, dns, "trace", "127.0.0.1", "--port", str(port), *args)


def _send(run_cli: CliRun, dns: DnsServer, port: int, *args: str) -> tuple[int, dict[str, Any]]:
    to = ("--from", "alice@dkim.test", "--to", "bob@example.net")
    return _run(run_cli, dns, "send", "--server", f"127.0.0.1:{port}", *to, *args)


def _found(doc: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """id -> [(status, summary, hint)] over every report and section."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for report in doc["reports"]:
        for section in report["sections"]:
            for item in section["findings"]:
                entry = (item["status"], item["summary"], item.get("hint") or "")
                out.setdefault(item["id"], []).append(entry)
    return out


# -- a TLS handshake that stalls ----------------------------------------------------------


def test_a_stalled_starttls_handshake_is_undetermined(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(stall_in_tls) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--timeout", "1")
    got = _found(doc)
    assert got["tls.handshake"] == [
        (
            "error",
            "tls: TLS handshake timed out after 1.0 s (the per-step limit, --timeout 1)",
            "",
        )
    ]
    assert "tls.starttls" not in got and code == 3


def test_a_stalled_handshake_names_the_overall_limit(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(stall_in_tls) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--timeout", "20", "--deadline", "3")
    [(status, summary, hint)] = _found(doc)["tls.handshake"]
    assert status == "error" and hint == "" and code == 3
    assert summary.startswith("tls: TLS handshake timed out after ")
    assert summary.endswith(" s (the overall limit, --deadline 3)")
    seconds = summary.removeprefix("tls: TLS handshake timed out after ").split(" ")[0]
    assert len(seconds.partition(".")[2]) == 1, summary  # tenths, not 2.97256


def test_a_silent_implicit_tls_port_is_undetermined(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(silent) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--tls", "implicit", "--timeout", "1")
    got = _found(doc)
    assert got["tls.handshake"] == [
        (
            "error",
            "tls: TLS handshake timed out after 1.0 s (the per-step limit, --timeout 1)",
            "",
        )
    ]
    assert "tls.starttls" not in got and code == 3


def test_send_reports_a_stalled_handshake_as_trace_does(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(stall_in_tls) as server:
        code, doc = _send(run_cli, dns_server, server.port, "--timeout", "1")
    got = _found(doc)
    assert got["tls.handshake"] == [
        (
            "error",
            "tls: TLS handshake timed out after 1.0 s (the per-step limit, --timeout 1)",
            "",
        )
    ]
    assert got["send.recipient"][0][0] == "error" and code == 3


# -- a handshake the server refuses stays a failure --------------------------------------


def test_a_refused_starttls_handshake_is_a_failure(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(refuse_in_tls) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--timeout", "5")
    [(status, summary, hint)] = _found(doc)["tls.starttls"]
    assert status == "fail" and summary.startswith("tls: TLS handshake failed: ")
    assert "HANDSHAKE_FAILURE" in summary.upper() and hint.startswith("Enable STARTTLS")
    assert "tls.handshake" not in _found(doc) and code == 1


def test_a_refused_implicit_handshake_gets_no_starttls_advice(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(refuse_implicit_tls) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--tls", "implicit", "--timeout", "5")
    [(status, summary, hint)] = _found(doc)["tls.starttls"]
    assert status == "fail" and "HANDSHAKE_FAILURE" in summary.upper()
    assert hint == (
        "The server refused the TLS handshake on this implicit-TLS port: look at its "
        "certificate, protocol versions and ciphers."
    )
    assert code == 1
