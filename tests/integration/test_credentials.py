"""Credentials go only to the server the user meant: hostile loopback servers that record
every line they receive (AUTH included), for `mailcheck trace` and `mailcheck send`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import (
    PASSWORD,
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
    """A server with a valid certificate from the trusted CA, for somewhere-else.test."""
    handler = recording_smtp(server_context(certs.wrong_name), recorder)
    with MisbehavingServer(handler) as server:
        yield server


def invoke(
    run_cli: CliRun, dns: DnsServer, *args: str, password: str = PASSWORD, output: str = "json"
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        *args,
        "--nameserver",
        dns.address,
        "--format",
        output,
        "--step-timeout",
        "3",
        "--timeout",
        "20",
        env={"SMTP_PASSWORD": password},
    )


def run(run_cli: CliRun, dns: DnsServer, *args: str) -> tuple[int, dict[str, Any], str]:
    result = invoke(run_cli, dns, *args)
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.returncode, doc, result.stderr


def ids(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for report in doc.get("reports", []):
        for section in report["sections"]:
            for item in section["findings"]:
                out.setdefault(item["id"], []).append((item["status"], item["summary"]))
    return out


LOGIN = ("--user", USER, "--password-env", "SMTP_PASSWORD")


def trace_args(target: str, port: int, ca_file: str, *extra: str) -> tuple[str, ...]:
    """`trace` of TARGET (a name is one host, not a mail domain) with the test CA and LOGIN."""
    host = () if target == "127.0.0.1" else ("--host",)
    return ("trace", target, *host, "--port", str(port), "--ca-file", ca_file, *LOGIN, *extra)


def send_args(server: str, ca_file: str, *extra: str) -> tuple[str, ...]:
    """`send` of a test message through SERVER with the test CA and LOGIN."""
    to = ("--from", "alice@dkim.test", "--to", "bob@example.net")
    return ("send", "--server", server, "--ca-file", ca_file, *LOGIN, *to, *extra)


@pytest.mark.parametrize("protocol", ["smtp", "imap", "pop3"])
def test_trace_login_to_an_ip_address_is_refused_before_connecting(
    run_cli: CliRun,
    dns_server: DnsServer,
    other_name: MisbehavingServer,
    recorder: Recorder,
    ca_file: str,
    protocol: str,
) -> None:
    args = trace_args("127.0.0.1", other_name.port, ca_file, "--protocol", protocol)
    code, doc, stderr = run(run_cli, dns_server, *args)
    assert code == 2 and doc == {}
    assert stderr.splitlines()[0] == (
        "mailcheck: error: --user with the IP address 127.0.0.1: no host name to verify the "
        "server's certificate for, so the password could go to any server"
    )
    assert recorder.connections == 0 and recorder.auth_lines == []


def test_trace_login_goes_to_the_server_named_never_to_an_mx_host(
    run_cli: CliRun,
    dns_server: DnsServer,
    certs: Certificates,
    recorder: Recorder,
    ca_file: str,
) -> None:
    # smtp-good.test's MX is mx.smtp-good.test, whose certificate the trusted CA issued: the
    # password went there (AUTH PLAIN), though only the MX record, unsigned, named that host.
    # A login now traces the name given, as `send --server` does (smtp-good.test has no A)
    server = MisbehavingServer(recording_smtp(server_context(certs.good), recorder))
    with server:
        args = ("trace", "smtp-good.test", "--port", str(server.port), "--ca-file", ca_file)
        code, doc, _ = run(run_cli, dns_server, *args, *LOGIN)
    assert recorder.connections == 0 and recorder.auth_lines == []
    assert ids(doc) == {"smtp.connect": [("fail", "smtp-good.test has no A or AAAA record")]}
    assert code == 1


def test_trace_login_with_all_mx_is_a_usage_error(run_cli: CliRun, dns_server: DnsServer) -> None:
    code, _doc, stderr = run(run_cli, dns_server, "trace", "smtp-good.test", "--all-mx", *LOGIN)
    assert code == 2
    assert stderr.splitlines()[0] == (
        "mailcheck: error: --user logs in to the server named, never to MX hosts DNS names: "
        "not with --all-mx"
    )


def test_send_login_to_an_ip_address_is_refused_before_connecting(
    run_cli: CliRun,
    dns_server: DnsServer,
    other_name: MisbehavingServer,
    recorder: Recorder,
    ca_file: str,
) -> None:
    args = send_args(f"127.0.0.1:{other_name.port}", ca_file)
    code, _doc, stderr = run(run_cli, dns_server, *args)
    assert code == 2
    assert stderr.startswith("mailcheck: error: --user with the IP address 127.0.0.1: ")
    assert recorder.connections == 0 and recorder.lines == []


def test_trace_certificate_for_another_name_gets_no_password(
    run_cli: CliRun,
    dns_server: DnsServer,
    other_name: MisbehavingServer,
    recorder: Recorder,
    ca_file: str,
) -> None:
    args = trace_args("mx.smtp-good.test", other_name.port, ca_file)
    code, doc, _ = run(run_cli, dns_server, *args)
    got = ids(doc)
    assert got["smtp.login"] == [
        (
            "warn",
            "login not attempted: the certificate does not name mx.smtp-good.test; the "
            "password would go to a server we cannot authenticate (--allow-insecure-auth to "
            "send it anyway)",
        )
    ]
    assert got["tls.hostname"][0][0] == "fail" and code == 1
    # six grading handshakes (no credentials on them), then the session that withheld them
    assert recorder.connections == 7 and "STARTTLS" in recorder.lines
    assert recorder.auth_lines == []


def test_send_certificate_for_another_name_gets_no_password_and_no_message(
    run_cli: CliRun,
    dns_server: DnsServer,
    other_name: MisbehavingServer,
    recorder: Recorder,
    ca_file: str,
) -> None:
    args = send_args(f"mx.smtp-good.test:{other_name.port}", ca_file)
    code, doc, _ = run(run_cli, dns_server, *args)
    [recipient] = doc["reports"][0]["data"]["recipients"]
    assert recipient["status"] == "rejected" and code == 1
    assert "the certificate does not name mx.smtp-good.test" in recipient["reply"]
    assert recorder.auth_lines == [] and recorder.messages == 0
    # the advice is the login's, not the one for a message too big for the server (SIZE)
    [said] = _recipient_findings(doc)
    assert said["hint"] == (
        "Nothing was sent: the password goes only over TLS, to a certificate trusted for the "
        "server's name. Fix the server's TLS, or name what to trust (--tls-name, --ca-file); "
        "--allow-insecure-auth sends it anyway."
    )


def _recipient_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    sections = doc["reports"][0]["sections"]
    return [f for s in sections for f in s["findings"] if f["id"] == "send.recipient"]


def test_allow_insecure_auth_sends_it_to_an_ip_address(
    run_cli: CliRun,
    dns_server: DnsServer,
    other_name: MisbehavingServer,
    recorder: Recorder,
    ca_file: str,
) -> None:
    args = trace_args("127.0.0.1", other_name.port, ca_file, "--allow-insecure-auth")
    _code, doc, _ = run(run_cli, dns_server, *args)
    assert ids(doc)["smtp.login"] == [("pass", "login accepted (AUTH PLAIN)")]
    assert len(recorder.auth_lines) == 1 and recorder.logins == 1


@pytest.fixture
def real_looking(
    certs: Certificates, recorder: Recorder
) -> Iterator[tuple[MisbehavingServer, list[str]]]:
    """A loopback server whose certificate names smtp.example.com; it keeps the SNI it saw."""
    cert = certs.ca.issue_cert("smtp.example.com")
    context = server_context(cert)
    seen: list[str] = []

    def sni(_sock: Any, name: str | None, _context: Any) -> None:
        seen.append(name or "")

    context.sni_callback = sni
    with MisbehavingServer(recording_smtp(context, recorder, name="smtp.example.com")) as server:
        yield server, seen


def test_tls_name_verifies_the_name_at_an_address(
    run_cli: CliRun,
    dns_server: DnsServer,
    real_looking: tuple[MisbehavingServer, list[str]],
    recorder: Recorder,
    ca_file: str,
) -> None:
    server, seen = real_looking
    args = trace_args("127.0.0.1", server.port, ca_file, "--tls-name", "SMTP.example.com.")
    code, doc, _ = run(run_cli, dns_server, *args)
    got = ids(doc)
    assert got["smtp.login"] == [("pass", "login accepted (AUTH PLAIN)")], got
    assert got["tls.certificate"][0][0] == "pass" and "tls.hostname" not in got
    # every handshake (the grading ones too) names --tls-name
    assert set(seen) == {"smtp.example.com"} and recorder.logins == 1
    lines = [line["text"] for line in doc["reports"][0]["sections"][0]["data"]["transcript"]]
    assert "TLS handshake (server name smtp.example.com)" in lines
    assert doc["reports"][0]["sections"][0]["title"].startswith("127.0.0.1 [127.0.0.1]")
    assert code == 0


def test_tls_name_that_the_certificate_lacks_gets_no_password(
    run_cli: CliRun,
    dns_server: DnsServer,
    real_looking: tuple[MisbehavingServer, list[str]],
    recorder: Recorder,
    ca_file: str,
) -> None:
    server, seen = real_looking
    args = trace_args("127.0.0.1", server.port, ca_file, "--tls-name", "mail.example.org")
    code, doc, _ = run(run_cli, dns_server, *args)
    got = ids(doc)
    assert got["tls.hostname"] == [
        ("fail", "the certificate does not name mail.example.org (it names smtp.example.com)")
    ]
    assert got["smtp.login"][0][1].startswith(
        "login not attempted: the certificate does not name mail.example.org;"
    )
    assert set(seen) == {"mail.example.org"} and recorder.auth_lines == [] and code == 1


def test_send_with_tls_name(
    run_cli: CliRun,
    dns_server: DnsServer,
    real_looking: tuple[MisbehavingServer, list[str]],
    recorder: Recorder,
    ca_file: str,
) -> None:
    server, seen = real_looking
    args = send_args(f"127.0.0.1:{server.port}", ca_file, "--tls-name", "smtp.example.com")
    code, doc, _ = run(run_cli, dns_server, *args)
    [recipient] = doc["reports"][0]["data"]["recipients"]
    assert recipient["status"] == "accepted" and code == 0, recipient
    assert seen == ["smtp.example.com"] and recorder.logins == 1 and recorder.messages == 1
    message = ids(doc)["send.message"][0][1]
    assert message.endswith(
        f"submission through 127.0.0.1:{server.port} (its certificate checked for smtp.example.com)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("trace", "127.0.0.1", "--tls-name", "not a name"),
            "mailcheck: error: --tls-name 'not a name' is not a host name",
        ),
        (
            ("trace", "127.0.0.1", "--tls-name", "10.0.0.1"),
            "mailcheck: error: --tls-name '10.0.0.1' is not a host name",
        ),
        (
            ("send", "--from", "a@b.test", "--to", "c@d.test", "--tls-name", "smtp.example.com"),
            "mailcheck: error: --tls-name needs --server: each MX host is verified for its own "
            "name",
        ),
    ],
)
def test_tls_name_usage_errors(
    run_cli: CliRun, dns_server: DnsServer, args: tuple[str, ...], message: str
) -> None:
    code, _doc, stderr = run(run_cli, dns_server, *args)
    assert code == 2 and stderr.splitlines()[0] == message


@pytest.mark.parametrize("step", ["connect", "banner", "ehlo", "tls"])
def test_a_login_with_a_session_that_ends_before_it_is_a_usage_error(
    run_cli: CliRun, dns_server: DnsServer, step: str
) -> None:
    # it traced up to the step and said nothing of the login the user asked for (exit 0)
    code, _doc, stderr = run(
        run_cli, dns_server, "trace", "mx.smtp-good.test", "--user", USER,
        "--password-env", "SMTP_PASSWORD", "--quit-after", step,
    )  # fmt: skip
    assert code == 2
    assert stderr.splitlines()[0] == (
        f"mailcheck: error: --user asks for a login, which comes after TLS: --quit-after "
        f"{step} ends the session before it (--quit-after mail, or no --user)"
    )


@pytest.mark.parametrize(
    ("command", "source", "said"),
    [
        (
            ("trace", "mx.smtp-good.test", "--user", USER),
            ("--password-env", "SMTP_PASSWORD"),
            "--password-env SMTP_PASSWORD: the variable is empty",
        ),
        (
            ("send", "--server", "mx.smtp-good.test", "--user", USER),
            ("--password-file", "{file}"),
            "--password-file {file}: the first line (the password) is empty",
        ),
        (
            ("report", "--imap", "mx.smtp-good.test", "--user", USER),
            ("--password-env", "SMTP_PASSWORD"),
            "--password-env SMTP_PASSWORD: the variable is empty",
        ),
    ],
)
def test_an_empty_password_is_a_usage_error(
    run_cli: CliRun,
    dns_server: DnsServer,
    tmp_path: Any,
    command: tuple[str, ...],
    source: tuple[str, str],
    said: str,
) -> None:
    # a CI secret a fork's job cannot read arrives empty: it was sent, and the login test
    # blamed the server ("login refused")
    empty = tmp_path / "password"
    empty.write_text("\n")
    empty.chmod(0o600)
    option, value = source[0], source[1].format(file=empty)
    extra = ("--from", "a@example.org", "--to", "b@example.org") if command[0] == "send" else ()
    result = invoke(run_cli, dns_server, *command, option, value, *extra, password="")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines()[0] == f"mailcheck: error: {said.format(file=empty)}"


def _mechanism_server(
    certs: Certificates, recorder: Recorder, mechanisms: str, echo: bool = False
) -> MisbehavingServer:
    context = server_context(certs.good)
    return MisbehavingServer(
        recording_smtp(context, recorder, mechanisms=mechanisms, echo_auth=echo)
    )


def _login_trace(
    run_cli: CliRun, dns: DnsServer, server: MisbehavingServer, ca_file: str, *extra: str
) -> tuple[int, dict[str, Any], str]:
    return run(run_cli, dns, *trace_args("mx.smtp-good.test", server.port, ca_file, *extra))


def transcript(doc: dict[str, Any]) -> list[str]:
    return [
        f"{line['who']}: {line['text']}"
        for report in doc["reports"]
        for section in report["sections"]
        for line in section["data"].get("transcript", [])
    ]


@pytest.mark.parametrize(
    ("offered", "used", "sent"),
    [
        ("CRAM-MD5", "CRAM-MD5", ["C: AUTH CRAM-MD5", "C: <redacted>"]),
        ("SCRAM-SHA-256", "SCRAM-SHA-256", ["C: AUTH SCRAM-SHA-256 <redacted>", "C: <redacted>"]),
        ("LOGIN", "LOGIN", ["C: AUTH LOGIN", "C: <redacted>", "C: <redacted>"]),
        ("LOGIN PLAIN CRAM-MD5", "CRAM-MD5", ["C: AUTH CRAM-MD5", "C: <redacted>"]),
        ("PLAIN SCRAM-SHA-256 LOGIN", "SCRAM-SHA-256", ["C: AUTH SCRAM-SHA-256 <redacted>"]),
    ],
)
def test_only_an_advertised_mechanism_is_used(
    run_cli: CliRun,
    dns_server: DnsServer,
    certs: Certificates,
    recorder: Recorder,
    ca_file: str,
    offered: str,
    used: str,
    sent: list[str],
) -> None:
    with _mechanism_server(certs, recorder, offered) as server:
        code, doc, everything = _login_trace(run_cli, dns_server, server, ca_file)
    assert ids(doc)["smtp.login"] == [("pass", f"login accepted (AUTH {used})")]
    assert recorder.mechanisms == [used] and recorder.logins == 1 and code == 0
    lines = transcript(doc)
    start = lines.index(sent[0])
    assert lines[start : start + len(sent) * 2 : 2] == sent
    assert PASSWORD not in everything


def test_no_mechanism_we_speak_means_no_password(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _mechanism_server(certs, recorder, "GSSAPI XOAUTH2") as server:
        code, doc, _ = _login_trace(run_cli, dns_server, server, ca_file)
    assert ids(doc)["smtp.login"] == [
        (
            "warn",
            "login not attempted: the server offers AUTH GSSAPI XOAUTH2, none of which "
            "mailcheck speaks (SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN); no password was sent",
        )
    ]
    assert recorder.auth_lines == [] and code == 0


def test_wrong_password_with_cram_md5(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _mechanism_server(certs, recorder, "CRAM-MD5") as server:
        args = trace_args("mx.smtp-good.test", server.port, ca_file)
        result = invoke(run_cli, dns_server, *args, password="wrong")
    doc = json.loads(result.stdout)
    assert ids(doc)["smtp.login"] == [
        ("fail", "login refused (AUTH CRAM-MD5): 535 5.7.8 Error: authentication failed")
    ]
    assert result.returncode == 1


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
@pytest.mark.parametrize(("password", "output"), [(PASSWORD, "json"), ("wrong-Pa55word", "text")])
def test_an_echoed_credential_is_redacted(
    run_cli: CliRun,
    dns_server: DnsServer,
    certs: Certificates,
    recorder: Recorder,
    ca_file: str,
    mechanism: str,
    password: str,
    output: str,
) -> None:
    import base64

    with _mechanism_server(certs, recorder, mechanism, echo=True) as server:
        args = trace_args("mx.smtp-good.test", server.port, ca_file, "--verbose")
        result = invoke(run_cli, dns_server, *args, password=password, output=output)
    everything = result.stdout + result.stderr
    sent = [line for line in recorder.lines if not line.upper().startswith(("EHLO", "STARTTLS"))]
    secrets = [password, base64.b64encode(password.encode()).decode()]
    for line in sent:
        words = line.split()
        if words and words[0].upper() == "AUTH":
            secrets += words[2:]  # the initial response, if any
        elif line and line.upper() != "QUIT":
            secrets.append(line)  # a response to a challenge
    assert len(secrets) >= 3  # what went over the wire really was echoed back
    assert "<redacted>)" in everything  # the echo arrived, redacted
    for secret in secrets:
        if len(secret) >= 8:
            assert secret not in everything
            assert secret[:16] not in everything


def test_a_truncated_echo_is_redacted_too(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, ca_file: str
) -> None:
    import asyncio
    import base64

    token = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
        await reader.readline()
        writer.write(b"250-mx.smtp-good.test\r\n250 STARTTLS\r\n")
        await reader.readline()
        writer.write(b"220 go ahead\r\n")
        await writer.drain()
        await writer.start_tls(server_context(certs.good))
        await reader.readline()
        writer.write(b"250-mx.smtp-good.test\r\n250 AUTH PLAIN\r\n")
        line = (await reader.readline()).decode().strip()
        writer.write(f"501 5.5.2 line too long: {line[:30]}...\r\n".encode())
        await writer.drain()
        await reader.readline()
        writer.write(b"221 bye\r\n")
        await writer.drain()
        writer.close()

    with MisbehavingServer(handler) as server:
        code, doc, _ = _login_trace(run_cli, dns_server, server, ca_file)
    text = json.dumps(doc)
    assert token[:19] not in text  # "AUTH PLAIN " + 19 characters of the token were echoed
    assert "S: 501 5.5.2 line too long: AUTH PLAIN <redacted>..." in transcript(doc)
    assert ids(doc)["smtp.login"][0][0] == "fail" and code == 1


def test_scram_server_that_cannot_prove_itself(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    context = server_context(certs.good)
    handler = recording_smtp(context, recorder, mechanisms="SCRAM-SHA-256", forge_scram=True)
    with MisbehavingServer(handler) as server:
        code, doc, _ = _login_trace(run_cli, dns_server, server, ca_file)
    [(status, summary)] = ids(doc)["smtp.login"]
    assert status == "fail" and summary.startswith(
        "login refused (AUTH SCRAM-SHA-256): SCRAM-SHA-256: the server's answer does not "
        "prove it knows the password"
    )
    assert recorder.lines[-2:] == ["*", "QUIT"] and code == 1


def test_send_through_a_cram_md5_only_server(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _mechanism_server(certs, recorder, "CRAM-MD5") as server:
        args = send_args(f"mx.smtp-good.test:{server.port}", ca_file)
        code, doc, _ = run(run_cli, dns_server, *args)
    assert ids(doc)["smtp.login"] == [("pass", "login accepted (AUTH CRAM-MD5)")]
    assert recorder.mechanisms == ["CRAM-MD5"] and recorder.messages == 1 and code == 0
    assert not any(line.upper().startswith("AUTH PLAIN") for line in recorder.lines)


def test_send_with_a_wrong_password_says_to_check_the_login(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _mechanism_server(certs, recorder, "PLAIN") as server:
        args = send_args(f"mx.smtp-good.test:{server.port}", ca_file)
        result = invoke(run_cli, dns_server, *args, password="not-the-password")
    doc = json.loads(result.stdout)
    [said] = _recipient_findings(doc)
    assert said["status"] == "fail" and result.returncode == 1
    assert said["summary"].startswith("bob@example.net: rejected: not sent: the server refused")
    assert said["hint"] == (
        "Nothing was sent: the server refused the login. Check --user and the password."
    )
    assert recorder.logins == 0 and recorder.messages == 0
