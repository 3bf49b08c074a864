"""One IMAP login path for `trace` and `report --imap`: AUTHENTICATE PLAIN when advertised,
LOGIN with a literal for a non-ASCII password (a quoted string is 7-bit only, RFC 3501),
nothing sent under LOGINDISABLED without a mechanism we speak, and slow replies labelled as
IMAP. Against a recording IMAP server on loopback (tests/imapfixtures.py)."""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest

from tests.conftest import EXAMPLES, CliRun
from tests.dnsserver import DnsServer
from tests.imapfixtures import ImapRecorder, recording_imap
from tests.smtpfixtures import Certificates, MisbehavingServer, certs_ca_file, server_context

pytestmark = pytest.mark.timeout(60)

ca_file = certs_ca_file  # this module's ca_file fixture: the CA of `certs`
USER = "alice@smtp-good.test"
ASCII_PASSWORD = "s3cret-Pa55"
UTF8_PASSWORD = "Pässwörd-ñ€"
MESSAGE = next((EXAMPLES / "reports" / "Maildir" / "cur").glob("*M1P1*")).read_bytes()


@pytest.fixture(scope="module")
def context(certs: Certificates) -> ssl.SSLContext:
    # mx.smtp-good.test resolves to 127.0.0.1 in the test zones
    return server_context(certs.good)


def trace(
    run_cli: CliRun, dns: DnsServer, port: int, password: str, *args: str
) -> tuple[int, dict[str, Any], str]:
    result = run_cli(
        "trace",
        "mx.smtp-good.test",
        "--host",
        "--port",
        str(port),
        "--protocol",
        "imap",
        "--nameserver",
        dns.address,
        "--format",
        "json",
        "--step-timeout",
        "5",
        *args,
        env={"IMAP_PASSWORD": password},
    )
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    assert not password or password not in everything
    return result.returncode, json.loads(result.stdout), result.stderr


def findings(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for report in doc["reports"]:
        for section in report["sections"]:
            for item in section["findings"]:
                out.setdefault(item["id"], []).append((item["status"], item["summary"]))
    return out


LOGIN = ("--user", USER, "--password-env", "IMAP_PASSWORD")


def test_trace_sends_a_non_ascii_password_as_a_literal(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str
) -> None:
    recorder = ImapRecorder()
    handler = recording_imap(context, recorder, USER, UTF8_PASSWORD)  # no AUTH=: LOGIN
    with MisbehavingServer(handler) as server:
        code, doc, _ = trace(
            run_cli, dns_server, server.port, UTF8_PASSWORD, "--ca-file", ca_file, *LOGIN
        )
    got = findings(doc)
    assert recorder.logins == ["LOGIN literal"]
    assert got["mailbox.login"] == [("pass", "login accepted (LOGIN)")], got
    assert UTF8_PASSWORD.encode() in recorder.lines  # the literal's bytes, exactly
    assert code == 0


def test_trace_keeps_a_quoted_string_for_an_ascii_password(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str
) -> None:
    recorder = ImapRecorder()
    handler = recording_imap(context, recorder, USER, ASCII_PASSWORD)
    with MisbehavingServer(handler) as server:
        code, doc, _ = trace(
            run_cli, dns_server, server.port, ASCII_PASSWORD, "--ca-file", ca_file, *LOGIN
        )
    assert recorder.logins == ["LOGIN quoted"] and recorder.accepted == 1
    assert findings(doc)["mailbox.login"][0][0] == "pass" and code == 0


def test_trace_prefers_authenticate_plain_with_a_non_ascii_password(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str
) -> None:
    recorder = ImapRecorder()
    caps = "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR"
    handler = recording_imap(context, recorder, USER, UTF8_PASSWORD, caps)
    with MisbehavingServer(handler) as server:
        code, doc, _ = trace(
            run_cli, dns_server, server.port, UTF8_PASSWORD, "--ca-file", ca_file, *LOGIN
        )
    assert recorder.logins == ["AUTHENTICATE PLAIN"] and recorder.accepted == 1
    assert findings(doc)["mailbox.login"] == [("pass", "login accepted (AUTHENTICATE PLAIN)")]
    assert code == 0


def test_slow_imap_replies_are_a_mailbox_finding(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str
) -> None:
    recorder = ImapRecorder()
    handler = recording_imap(context, recorder, USER, ASCII_PASSWORD, greeting_delay=3.5)
    with MisbehavingServer(handler) as server:
        _code, doc, _ = trace(run_cli, dns_server, server.port, "", "--ca-file", ca_file)
    got = findings(doc)
    assert "smtp.slow" not in got
    [(status, summary)] = got["mailbox.slow"]
    assert status == "warn" and summary.startswith("the greeting took 3.")
    [item] = [
        f for s in doc["reports"][0]["sections"] for f in s["findings"] if f["id"] == "mailbox.slow"
    ]
    assert "RFC 5321" not in json.dumps(item)


def report(
    run_cli: CliRun, dns: DnsServer, port: int, password: str, ca_file: str
) -> tuple[int, str]:
    result = run_cli(
        "report",
        "--imap",
        f"mx.smtp-good.test:{port}",
        *LOGIN,
        "--nameserver",
        dns.address,
        "--ca-file",
        ca_file,
        "--step-timeout",
        "5",
        "--format",
        "json",
        env={"IMAP_PASSWORD": password},
        timeout=30,
    )
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    assert not password or password not in everything
    # what went wrong: the line on stderr (exit 2), or the mailbox's ERROR finding (exit 3)
    problems = [result.stderr] if result.stderr else []
    if result.stdout.strip():
        problems += [
            f["summary"]
            for r in json.loads(result.stdout)["reports"]
            for s in r["sections"]
            for f in s["findings"]
            if f["id"] == "report.mailbox"
        ]
    return result.returncode, "\n".join(problems)


def test_report_imap_uses_authenticate_plain_when_offered(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str
) -> None:
    recorder = ImapRecorder()
    caps = "IMAP4rev1 AUTH=PLAIN"  # no SASL-IR: the token follows the "+" continuation
    handler = recording_imap(context, recorder, USER, UTF8_PASSWORD, caps, message=MESSAGE)
    with MisbehavingServer(handler) as server:
        code, err = report(run_cli, dns_server, server.port, UTF8_PASSWORD, ca_file)
    assert recorder.logins == ["AUTHENTICATE PLAIN"] and recorder.accepted == 1, err
    assert code in (0, 1), err  # the report was read and judged


def test_report_imap_logs_in_with_a_literal_for_a_non_ascii_password(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str
) -> None:
    recorder = ImapRecorder()
    handler = recording_imap(context, recorder, USER, UTF8_PASSWORD, message=MESSAGE)
    with MisbehavingServer(handler) as server:
        code, err = report(run_cli, dns_server, server.port, UTF8_PASSWORD, ca_file)
    assert recorder.logins == ["LOGIN literal"] and recorder.accepted == 1, err
    assert code in (0, 1), err


@pytest.mark.parametrize("command", ["trace", "report"])
def test_logindisabled_without_a_mechanism_we_speak_sends_no_password(
    run_cli: CliRun, dns_server: DnsServer, context: ssl.SSLContext, ca_file: str, command: str
) -> None:
    recorder = ImapRecorder()
    caps = "IMAP4rev1 LOGINDISABLED AUTH=GSSAPI"
    handler = recording_imap(context, recorder, USER, ASCII_PASSWORD, caps)
    with MisbehavingServer(handler) as server:
        if command == "trace":
            code, doc, _ = trace(
                run_cli, dns_server, server.port, ASCII_PASSWORD, "--ca-file", ca_file, *LOGIN
            )
            [(status, summary)] = findings(doc)["mailbox.login"]
            assert status != "pass" and "no password was sent" in summary
        else:
            code, err = report(run_cli, dns_server, server.port, ASCII_PASSWORD, ca_file)
            assert "LOGINDISABLED" in err and "no password was sent" in err, err
            assert code == 3
    assert recorder.logins == []
    assert not any(ASCII_PASSWORD.encode() in line for line in recorder.lines)
