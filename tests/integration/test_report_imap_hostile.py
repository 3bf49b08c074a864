"""`mailcheck report --imap` against IMAP servers that misbehave on purpose (loopback only):
no STARTTLS, bytes injected before the handshake, a stall after login, a literal that lies
about its size, a server that accepts and never says a word. Each is an ERROR finding of the
report (report.mailbox) in the chosen format, exit 3, and the password only ever inside TLS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import defusedxml.ElementTree as ElementTree
import pytest

from tests.conftest import CliRun
from tests.smtpfixtures import MisbehavingServer

PASSWORD = "S3cret-imap"
REPORT = (Path(__file__).resolve().parents[2] / "examples" / "reports" / "Maildir" / "cur").glob(
    "*M1P1*"
)
MESSAGE = next(iter(REPORT)).read_bytes()
REPORT_FILE = next(
    (Path(__file__).resolve().parents[2] / "examples" / "reports").glob("google.com*.xml.gz")
)

Scenario = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(scope="module")
def tls_context(test_ca: object) -> ssl.SSLContext:
    cert = test_ca.issue_cert("127.0.0.1")  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


class Imap:
    """A scripted IMAP server: records every line it receives in clear and inside TLS."""

    def __init__(self, context: ssl.SSLContext, mode: str) -> None:
        self.context = context
        self.mode = mode
        self.clear: list[bytes] = []
        self.encrypted: list[bytes] = []

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError, asyncio.CancelledError):
            caps = "IMAP4rev1" if self.mode == "no-starttls" else "IMAP4rev1 STARTTLS"
            writer.write(f"* OK [CAPABILITY {caps}] ready\r\n".encode())
            await writer.drain()
            lines = self.clear
            while line := await reader.readline():
                lines.append(line)
                tag, _, command = line.decode().strip().partition(" ")
                verb = command.split(" ")[0].upper()
                if verb == "STARTTLS":
                    extra = b"* OK injected\r\n" if self.mode == "inject" else b""
                    writer.write(f"{tag} OK begin TLS\r\n".encode() + extra)
                    await writer.drain()
                    await writer.start_tls(self.context)
                    lines = self.encrypted
                    continue
                if verb == "LOGIN" and self.mode == "stall":
                    await asyncio.sleep(3600)
                if verb == "UID" and "BODY.PEEK" in command:
                    size = 10**12 if self.mode == "liar" else len(MESSAGE)
                    writer.write(f"* 1 FETCH (UID 7 BODY[] {{{size}}}\r\n".encode())
                    writer.write(MESSAGE + b")\r\n")
                elif verb == "UID":
                    writer.write(b"* 1 FETCH (UID 7 RFC822.SIZE 1603)\r\n")
                elif verb == "CAPABILITY":
                    sasl = b" AUTH=PLAIN" if self.mode == "early" else b""
                    writer.write(b"* CAPABILITY IMAP4rev1" + sasl + b"\r\n")
                elif verb == "LOGOUT":
                    writer.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                    await writer.drain()
                    break
                writer.write(f"{tag} OK done\r\n".encode())
                await writer.drain()
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            writer.close()


def run_against(
    run_cli: CliRun, server: Imap, ca_file: str, *extra: str
) -> tuple[int, str, str, MisbehavingServer]:
    with MisbehavingServer(server.handler) as listening:
        result = run_cli(
            "report",
            "--imap",
            f"127.0.0.1:{listening.port}",
            "--user",
            "dmarc@example.test",
            "--password-env",
            "IMAP_PASSWORD",
            "--ca-file",
            ca_file,
            "--timeout",
            "1",
            "--offline",
            "--format",
            "json",
            *extra,
            env={"IMAP_PASSWORD": PASSWORD},
            timeout=30,
        )
    assert "Traceback" not in result.stderr, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    return result.returncode, result.stdout, result.stderr, listening


def mailbox_errors(out: str) -> list[str]:
    """The summaries of the report.mailbox findings of a JSON document (all ERROR)."""
    found = [
        f
        for r in json.loads(out)["reports"]
        for s in r["sections"]
        for f in s["findings"]
        if f["id"] == "report.mailbox"
    ]
    assert all(f["status"] == "error" for f in found)
    return [f["summary"] for f in found]


def in_clear(server: Imap) -> bytes:
    return b"".join(server.clear)


@pytest.mark.timeout(60)
def test_a_well_behaved_server_works(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    server = Imap(tls_context, "good")
    code, out, err, _ = run_against(run_cli, server, ca_file)
    assert code == 0, err
    assert '"shop.example"' in out
    assert PASSWORD.encode() not in in_clear(server)
    assert any(PASSWORD.encode() in line for line in server.encrypted)
    assert any(b"EXAMINE" in line for line in server.encrypted)  # read-only
    assert any(b"BODY.PEEK[]" in line for line in server.encrypted)


@pytest.mark.timeout(60)
def test_no_starttls_keeps_the_password(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    server = Imap(tls_context, "no-starttls")
    code, out, err, listening = run_against(run_cli, server, ca_file)
    assert (code, err) == (3, "")
    assert mailbox_errors(out) == [
        f"imap://127.0.0.1:{listening.port}/INBOX: no STARTTLS offered; the password stays"
    ]
    assert b"LOGIN" not in in_clear(server)


@pytest.mark.timeout(60)
def test_injection_before_tls_is_refused(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    server = Imap(tls_context, "inject")
    code, out, err, listening = run_against(run_cli, server, ca_file)
    assert (code, err) == (3, "")
    assert mailbox_errors(out) == [
        f"imap://127.0.0.1:{listening.port}/INBOX: "
        "bytes arrived before the TLS handshake (STARTTLS injection)"
    ]
    assert PASSWORD.encode() not in in_clear(server) and not server.encrypted


@pytest.mark.timeout(60)
def test_stall_after_login_times_out(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    code, out, err, listening = run_against(run_cli, Imap(tls_context, "stall"), ca_file)
    assert (code, err) == (3, "")
    assert mailbox_errors(out) == [
        f"imap://127.0.0.1:{listening.port}/INBOX: silence: no reply in 1.0 s "
        "(the per-step limit, --timeout 1)"
    ]


@pytest.mark.timeout(60)
def test_success_before_the_password_reads_no_mailbox(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    """A tagged OK to AUTHENTICATE PLAIN before any "+" asked for the credentials: the
    mailbox was read as though logged in; no password went out, so nothing is read."""
    server = Imap(tls_context, "early")
    code, out, err, listening = run_against(run_cli, server, ca_file)
    assert (code, err) == (3, "")
    assert mailbox_errors(out) == [
        f"imap://127.0.0.1:{listening.port}/INBOX: the server answered success (OK done) "
        "before mailcheck sent the password: a protocol fault, no credentials were checked; "
        "the password was not sent"
    ]
    assert not any(b"EXAMINE" in line or PASSWORD.encode() in line for line in server.encrypted)


@pytest.fixture
def mute() -> Iterator[int]:
    """A port whose server accepts connections (the kernel does, for the backlog) and never
    writes a byte."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("form", ["json", "junit", "text"])
def test_a_silent_server_is_an_error_finding_beside_the_local_reports(
    run_cli: CliRun, mute: int, form: str
) -> None:
    """The reports of the local inputs are still shown, in the chosen format, with the
    mailbox as one ERROR; the run is inconclusive (3), never a bare one-line error."""
    result = run_cli(
        *("report", str(REPORT_FILE), "--imap", f"127.0.0.1:{mute}", "--user", "x"),
        *("--password-env", "IMAP_PASSWORD", "--offline", "--timeout", "1", "-f", form),
        env={"IMAP_PASSWORD": PASSWORD},
        timeout=30,
    )
    assert (result.returncode, result.stderr) == (3, "")
    why = (
        f"imap://127.0.0.1:{mute}/INBOX: silence: no reply in 1.0 s "
        "(the per-step limit, --timeout 1)"
    )
    if form == "json":
        doc = json.loads(result.stdout)
        assert doc["exit_code"] == 3
        assert [r["subject"] for r in doc["reports"]] == ["shop.example", "inputs"]
        assert mailbox_errors(result.stdout) == [why]
    elif form == "junit":
        suites = ElementTree.fromstring(result.stdout)
        assert suites.get("errors") == "1"
        [error] = suites.iter("error")
        assert why in (error.get("message", "") + (error.text or ""))
        assert any(s.get("name") == "shop.example" for s in suites.iter("testsuite"))
    else:
        assert "NOT READY" in result.stdout
        assert "ERROR  report.mailbox  imap://127.0.0.1:" in result.stdout


@pytest.mark.timeout(60)
def test_literal_that_lies_about_its_size(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    code, out, err, _ = run_against(run_cli, Imap(tls_context, "liar"), ca_file)
    assert (code, err) == (3, "")
    # the run goes on: what could not be read is a finding of its own, and the run inconclusive
    [problem] = [
        f
        for r in json.loads(out)["reports"]
        for s in r["sections"]
        for f in s["findings"]
        if f["id"] == "report.malformed"
    ]
    assert problem["status"] == "error"
    assert problem["summary"].endswith(
        ";UID=7: a 1000000000000-byte message literal; 1 message(s) not read"
    )


@pytest.mark.timeout(60)
def test_move_without_move_or_uidplus(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    """No MOVE (RFC 6851): COPY and flag \\Deleted; no UIDPLUS: never a plain EXPUNGE, which
    would also purge what the user had marked deleted."""
    server = Imap(tls_context, "good")
    code, _out, err, _ = run_against(run_cli, server, ca_file, "--move-to", "Done")
    assert code == 0, err
    sent = [line.decode().split(" ", 1)[1].strip() for line in server.encrypted]
    assert 'SELECT "INBOX"' in sent  # read-write only because --move-to asks for it
    assert sent[-4:] == [
        'CREATE "Done"',
        'UID COPY 7 "Done"',
        "UID STORE 7 +FLAGS.SILENT (\\Deleted)",
        "LOGOUT",
    ]


def mailbox_findings(out: str) -> list[dict[str, str]]:
    return [
        f
        for r in json.loads(out)["reports"]
        for s in r["sections"]
        for f in s["findings"]
        if f["id"] == "report.mailbox"
    ]


def timed_report(
    run_cli: CliRun, handler: Scenario, ca_file: str, *extra: str
) -> tuple[int, dict[str, str], float, int]:
    """One `report --imap` run against `handler`: exit code, its report.mailbox finding, the
    seconds it took, the port."""
    import time

    with MisbehavingServer(handler) as listening:
        started = time.monotonic()
        result = run_cli(
            *("report", "--imap", f"127.0.0.1:{listening.port}", "--user", "dmarc@example.test"),
            *("--password-env", "IMAP_PASSWORD", "--ca-file", ca_file, "--offline"),
            *("--format", "json", *extra),
            env={"IMAP_PASSWORD": PASSWORD},
            timeout=60,
        )
        took = time.monotonic() - started
    assert result.stderr == ""
    assert PASSWORD not in result.stdout
    [found] = mailbox_findings(result.stdout)
    return result.returncode, found, took, listening.port


@pytest.mark.timeout(60)
def test_implicit_tls_against_a_plain_text_server_suggests_starttls(
    run_cli: CliRun, ca_file: str
) -> None:
    """--tls implicit (or --imap HOST:993) where the server greets in plain text:
    told at once, with trace's suggestion, not after the timeout."""
    received: list[bytes] = []

    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            writer.write(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
            await writer.drain()
            while data := await reader.read(4096):
                received.append(data)

    code, found, took, port = timed_report(
        run_cli, plain, ca_file, "--tls", "implicit", "--timeout", "20"
    )
    assert code == 3 and found["status"] == "error"
    assert found["summary"] == (
        f"imap://127.0.0.1:{port}/INBOX: TLS handshake failed: WRONG_VERSION_NUMBER"
    )
    assert found["hint"] == (
        "The server answered in plain text, not TLS: it may expect STARTTLS first "
        "(--tls auto or --tls starttls)."
    )
    assert took < 10, took
    assert b"".join(received).startswith(b"\x16\x03")  # a ClientHello and nothing more
    assert PASSWORD.encode() not in b"".join(received)


@pytest.mark.timeout(60)
def test_a_tls_record_where_the_greeting_belongs_suggests_tls_implicit(
    run_cli: CliRun, ca_file: str
) -> None:
    """STARTTLS expected (--tls auto on a port other than 993), and the server's first bytes
    are a TLS record (here an alert): no line break will come, so no waiting for one."""
    from tests.smtpfixtures import HANDSHAKE_FAILURE

    async def tls_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            writer.write(HANDSHAKE_FAILURE)
            await writer.drain()
            await reader.read()

    code, found, took, port = timed_report(run_cli, tls_first, ca_file, "--timeout", "20")
    assert code == 3 and found["status"] == "error"
    assert found["summary"] == (
        f"imap://127.0.0.1:{port}/INBOX: a TLS record where a plain-text greeting belongs"
    )
    assert found["hint"] == (
        "The first bytes are a TLS record: this port speaks TLS at once (--tls implicit)."
    )
    assert took < 10, took


@pytest.mark.timeout(60)
def test_a_silent_implicit_tls_port_suggests_tls_implicit(
    run_cli: CliRun, tls_context: ssl.SSLContext, ca_file: str
) -> None:
    """A real implicit-TLS server on a port other than 993 says nothing until a ClientHello
    comes: only the timeout tells, and then the suggestion trace gives."""

    async def implicit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError, asyncio.CancelledError):
            await writer.start_tls(tls_context)  # waits for a ClientHello that never comes

    code, found, _took, port = timed_report(run_cli, implicit, ca_file, "--timeout", "1")
    assert code == 3 and found["status"] == "error"
    assert found["summary"] == (
        f"imap://127.0.0.1:{port}/INBOX: silence: no reply in 1.0 s "
        "(the per-step limit, --timeout 1)"
    )
    assert found["hint"] == (
        f"Port {port} is not a standard IMAP port: if it expects TLS from the first byte, "
        "try --tls implicit."
    )
