"""Network trouble is never FAIL: a TLS handshake that stalls and a connection lost in the
middle of a reply are "could not determine" (ERROR, exit 3) in trace (SMTP, IMAP, POP3) and
send alike, while a handshake the server refuses and garbage that did arrive stay FAIL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import (
    MisbehavingServer,
    close_after,
    refuse_implicit_tls,
    refuse_in_tls,
    self_signed_context,
    silent,
    stall_in_tls,
    vanish_after_tls,
)

pytestmark = pytest.mark.timeout(60)

EHLO_CUT = close_after(b"220 ok\r\n", b"250-localhost\r\n250-SIZE 100\r\n250-PIP")


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


async def _plain_text_after_starttls(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    writer.write(b"220 ok ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-localhost\r\n250 STARTTLS\r\n")
    await reader.readline()
    writer.write(b"220 go\r\n")
    await writer.drain()
    await reader.read(10)  # the start of the ClientHello, answered in plain text
    writer.write(b"500 5.5.1 what is this?\r\n")
    await writer.drain()
    await asyncio.sleep(3600)


def test_plain_text_after_starttls_gets_no_advice_to_use_starttls(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """The server said yes to STARTTLS, then answered the handshake in plain text: the hint
    was "it may expect STARTTLS first (--tls auto or --tls starttls)", for a session that
    had just used STARTTLS."""
    with MisbehavingServer(_plain_text_after_starttls) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--timeout", "5")
    [(status, summary, hint)] = _found(doc)["tls.starttls"]
    assert status == "fail" and "WRONG_VERSION_NUMBER" in summary.upper() and code == 1
    assert hint == (
        "The server accepted STARTTLS, then answered the TLS handshake in plain text: its "
        "STARTTLS does not work (TLS not really set up, or a filter in the path)."
    )


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


# -- a connection lost in the middle of a reply ------------------------------------------


def test_trace_a_connection_lost_mid_reply_is_undetermined(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(EHLO_CUT) as server:
        code, doc = _trace(run_cli, dns_server, server.port)
    assert _found(doc)["smtp.protocol"] == [("error", "ehlo: the server closed the connection", "")]
    assert code == 3


def test_send_a_connection_lost_mid_reply_is_the_same_error(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(EHLO_CUT) as server:
        code, doc = _send(run_cli, dns_server, server.port)
    got = _found(doc)
    assert got["smtp.protocol"] == [("error", "ehlo: the server closed the connection", "")]
    [(status, summary, _hint)] = got["send.recipient"]
    assert status == "error" and "the connection was lost" in summary and code == 3


def test_a_connection_dropped_inside_tls_is_undetermined(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(vanish_after_tls(self_signed_context("mx.bad.test"))) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--timeout", "5")
    got = _found(doc)
    assert got["tls.starttls"][0][0] == "pass"
    assert got["smtp.protocol"] == [("error", "ehlo: the server closed the connection", "")]
    assert code == 1  # the self-signed certificate fails; the lost connection does not


@pytest.mark.parametrize(
    ("protocol", "greeting", "partial", "summary"),
    [
        (
            "imap",
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
            b"* CAPABILITY IMA",
            "IMAP capabilities: the server closed the connection",
        ),
        (
            "pop3",
            b"+OK ready\r\n",
            b"+OK\r\nUSER\r\nTO",
            "POP3 capabilities: the server closed the connection",
        ),
    ],
)
def test_mailbox_connection_lost_mid_reply_is_undetermined(
    run_cli: CliRun,
    dns_server: DnsServer,
    protocol: str,
    greeting: bytes,
    partial: bytes,
    summary: str,
) -> None:
    with MisbehavingServer(close_after(greeting, partial)) as server:
        code, doc = _trace(run_cli, dns_server, server.port, "--protocol", protocol)
    got = _found(doc)
    assert got["mailbox.protocol"] == [("error", summary, "")]
    assert "tls.starttls" not in got and code == 3


def test_garbage_that_arrived_stays_a_failure(run_cli: CliRun, dns_server: DnsServer) -> None:
    cut = close_after(b"220 ok\r\n", b"250-localhost\r\nhello there\r\n")
    with MisbehavingServer(cut) as server:
        code, doc = _trace(run_cli, dns_server, server.port)
    [(status, summary, _hint)] = _found(doc)["smtp.protocol"]
    assert status == "fail" and summary.startswith("ehlo: not an SMTP reply") and code == 1
