"""Inputs are checked before anything is sent: CR/LF/NUL in any field that reaches a
command (no command injection), unreadable or non-PEM files; recording servers prove that
nothing, DATA least of all, arrived."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_credentials import LOGIN, run
from tests.smtpfixtures import (
    USER,
    Certificates,
    MisbehavingServer,
    Recorder,
    certs_ca_file,
    recording_smtp,
    server_context,
)

pytestmark = pytest.mark.timeout(60)

ca_file = certs_ca_file  # this module's ca_file fixture: the CA of `certs`


@pytest.fixture
def other_name(certs: Certificates, recorder: Recorder) -> Iterator[MisbehavingServer]:
    handler = recording_smtp(server_context(certs.wrong_name), recorder)
    with MisbehavingServer(handler) as server:
        yield server


INJECTED = "x\r\nRSET"
SEND = ("send", "--from", "alice@dkim.test", "--to", "bob@example.net")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trace", "mx.smtp-good.test", "--ehlo", INJECTED), "--ehlo 'x\\r\\nRSET': control"),
        (
            ("trace", "mx.smtp-good.test", "--mail-from", f"a@b.test{INJECTED}"),
            "--mail-from 'a@b.testx\\r\\nRSET': control",
        ),
        (
            ("trace", "mx.smtp-good.test", "--mail-from", "a@b.test", "--rcpt", "c@d.test\n"),
            "--rcpt 'c@d.test\\n': control",
        ),
        (
            ("trace", "mx.smtp-good.test", "--protocol", "imap", "--user", 'a"\r\na2 LOGOUT'),
            "--user 'a\"\\r\\na2 LOGOUT': control",
        ),
        (
            ("trace", "mx.smtp-good.test", "--protocol", "pop3", "--user", "a\rQUIT"),
            "--user 'a\\rQUIT': control",
        ),
        ((*SEND, "--ehlo", INJECTED), "--ehlo 'x\\r\\nRSET': control"),
        # an empty or spaced EHLO name is refused, not replaced by this host's name
        (("trace", "mx.smtp-good.test", "--ehlo", ""), "--ehlo '': give one name"),
        ((*SEND, "--ehlo", "a b"), "--ehlo 'a b': give one name"),
        ((*SEND, "--user", "a\nb", "--server", "mx.smtp-good.test"), "--user 'a\\nb': control"),
        ((*SEND, "--mail-from", f"a@b.test{INJECTED}"), "--mail-from 'a@b.testx\\r\\nRSET'"),
        (
            ("send", "--from", "alice@dkim.test", "--to", "bob@example.net\r\nRCPT TO:<x@y.z>"),
            "--to 'bob@example.net\\r\\nRCPT TO:<x@y.z>'",
        ),
        ((*SEND, "--header", "X-Test: a\r\nBcc: x@y.z"), "--header 'X-Test: a\\r\\nBcc"),
        ((*SEND, "--subject", f"hi{INJECTED}"), "--subject 'hix\\r\\nRSET': control characters"),
        ((*SEND, "--subject", "x\x1b[31my"), "--subject 'x\\x1b[31my': control characters"),
        ((*SEND, "--header", "X-A: a\x1bb"), "--header 'X-A: a\\x1bb': control characters"),
        ((*SEND, "--from", "Eve\x9b <e@b.test>"), "--from 'Eve\\x9b <e@b.test>': control"),
    ],
)
def test_line_breaks_in_any_field_are_refused_before_connecting(
    run_cli: CliRun,
    dns_server: DnsServer,
    other_name: MisbehavingServer,
    recorder: Recorder,
    args: tuple[str, ...],
    message: str,
) -> None:
    port = ("--port", str(other_name.port))
    code, doc, stderr = run(
        run_cli, dns_server, *args, *port, *LOGIN[2:] if "--user" in args else ()
    )
    assert code == 2 and doc == {}
    first = stderr.splitlines()[0]
    assert first.startswith(f"mailcheck: error: {message}"), first
    assert recorder.connections == 0


def test_password_with_a_line_break_is_refused(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Any, recorder: Recorder
) -> None:
    secret = tmp_path / "password"
    secret.write_bytes(b"pa\0ss\n")
    secret.chmod(0o600)
    code, _doc, stderr = run(
        run_cli,
        dns_server,
        "trace",
        "mx.smtp-good.test",
        "--protocol",
        "imap",
        "--user",
        USER,
        "--password-file",
        str(secret),
    )
    assert code == 2 and "pa" not in stderr.replace("password", "")
    assert stderr.splitlines()[0] == (
        "mailcheck: error: the password holds CR, LF or NUL: it cannot be sent in a command"
    )


@pytest.fixture
def plain_recorder(certs: Certificates, recorder: Recorder) -> Iterator[MisbehavingServer]:
    with MisbehavingServer(recording_smtp(server_context(certs.good), recorder)) as server:
        yield server


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some text\n", "no PEM certificate in it"),
        ("key.pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no PEM"),
        (
            "broken.pem",
            b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            "no PEM",
        ),
        ("missing.pem", None, "no such file"),
    ],
)
def test_bad_ca_file_stops_send_before_connecting(
    run_cli: CliRun,
    dns_server: DnsServer,
    plain_recorder: MisbehavingServer,
    recorder: Recorder,
    tmp_path: Any,
    name: str,
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, doc, stderr = run(
        run_cli,
        dns_server,
        "send",
        "--server",
        f"mx.smtp-good.test:{plain_recorder.port}",
        "--ca-file",
        str(path),
        "--from",
        "alice@dkim.test",
        "--to",
        "bob@example.net",
    )
    assert code == 2 and doc == {}
    assert stderr.splitlines()[0].startswith(f"mailcheck: error: --ca-file {path}: {message}")
    assert recorder.connections == 0 and recorder.messages == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dkim-key", "{dir}", "--dkim-selector", "s"), "--dkim-key {dir}: is a directory"),
        (("--dkim-key", "{garbage}", "--dkim-selector", "s"), "--dkim-key {garbage}: "),
        (("--eml", "{dir}/missing.eml"), "--eml {dir}/missing.eml: no such file"),
        (("--attach", "{dir}"), "--attach {dir}: is a directory"),
        (("--user", USER, "--password-file", "{dir}/nope"), "--password-file {dir}/nope: no such"),
    ],
)
def test_unreadable_inputs_stop_send_before_connecting(
    run_cli: CliRun,
    dns_server: DnsServer,
    plain_recorder: MisbehavingServer,
    recorder: Recorder,
    ca_file: str,
    tmp_path: Any,
    args: tuple[str, ...],
    message: str,
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"\x00\x01 not a key")
    where = {"dir": str(tmp_path), "garbage": str(garbage)}
    code, _doc, stderr = run(
        run_cli,
        dns_server,
        "send",
        "--server",
        f"mx.smtp-good.test:{plain_recorder.port}",
        "--ca-file",
        ca_file,
        "--from",
        "alice@dkim.test",
        "--to",
        "bob@example.net",
        *(a.format(**where) for a in args),
    )
    assert code == 2
    assert stderr.splitlines()[0].startswith(f"mailcheck: error: {message.format(**where)}")
    assert recorder.connections == 0 and recorder.messages == 0


def test_bad_ca_file_stops_trace_before_connecting(
    run_cli: CliRun,
    dns_server: DnsServer,
    plain_recorder: MisbehavingServer,
    recorder: Recorder,
    tmp_path: Any,
) -> None:
    path = tmp_path / "ca.der"
    path.write_bytes(b"0\x82\x01\x00garbage")
    code, _doc, stderr = run(
        run_cli,
        dns_server,
        "trace",
        "mx.smtp-good.test",
        "--host",
        "--port",
        str(plain_recorder.port),
        "--ca-file",
        str(path),
    )
    assert code == 2 and recorder.connections == 0
    assert stderr.splitlines()[0] == (
        f"mailcheck: error: --ca-file {path}: no PEM certificate in it "
        "(expected -----BEGIN CERTIFICATE-----)"
    )
