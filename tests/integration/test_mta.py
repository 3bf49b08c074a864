"""`mailcheck trace` against the servers people run: a private Postfix (SMTP with STARTTLS,
submission with SASL through Dovecot) and Dovecot (IMAP and POP3, STARTTLS and implicit TLS),
both from Debian, started on loopback ports by tests/mtas.py.

Dovecot treats a client connecting from its own address as secure and hides LOGINDISABLED, so
the pre-TLS checks connect from 127.0.0.2."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests import mtas
from tests.conftest import CliRun
from tests.dnsserver import DnsServer


@pytest.fixture(scope="module")
def servers(test_ca: Any) -> Iterator[mtas.MailServers]:
    if not mtas.available():
        if os.environ.get("CI"):
            pytest.fail("CI must provide Postfix and Dovecot (.ci/run installs them) and root")
        pytest.skip("needs root and the postfix, dovecot-imapd and dovecot-pop3d packages")
    with mtas.MailServers(test_ca) as started:
        yield started


def trace(
    run_cli: CliRun, dns: DnsServer, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    result = run_cli(
        "trace",
        "--nameserver",
        dns.address,
        "--format",
        "json",
        "--step-timeout",
        "5",
        *args,
        env=env,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stdout + result.stderr


def trace_host(
    run_cli: CliRun,
    dns: DnsServer,
    host: str,
    port: int,
    *args: str,
    password: str | None = None,
    user: str = mtas.USER,
) -> tuple[int, dict[str, Any], str]:
    """`trace` of one HOST (not a mail domain) on PORT; with `password`, a login test as
    `user`, the password passed in the environment."""
    login: tuple[str, ...] = ()
    env = None
    if password is not None:
        login = ("--user", user, "--password-env", "TEST_PASSWORD")
        env = {"TEST_PASSWORD": password}
    return trace(run_cli, dns, host, "--host", "--port", str(port), *args, *login, env=env)


def statuses(doc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        item["id"]: (item["status"], item["summary"])
        for report in doc["reports"]
        for section in report["sections"]
        for item in section["findings"]
    }


def fails(doc: dict[str, Any]) -> set[str]:
    """Ids that failed. Postfix's default opportunistic TLS accepts anonymous ciphers, so
    tls.cipher and tls.grade fail on every trace of it (test_postfix_mx_by_domain)."""
    return {
        item["id"]
        for report in doc["reports"]
        for section in report["sections"]
        for item in section["findings"]
        if item["status"] == "fail"
    }


POSTFIX_GRADE = {"tls.cipher", "tls.grade"}


def lines(doc: dict[str, Any]) -> list[str]:
    return [
        f"{line['who']}: {line['text']}"
        for report in doc["reports"]
        for section in report["sections"]
        for line in section["data"].get("transcript", [])
    ]


def test_postfix_mx_by_domain(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    code, doc, _ = trace(
        run_cli,
        dns_server,
        "postfix.test",
        "--port",
        str(servers.ports.smtp),
        "--ca-file",
        ca_file,
        "--mail-from",
        "probe@loopback.test",
        "--rcpt",
        "alice@postfix.test",
        "--rcpt",
        "someone@elsewhere.test",
    )
    got = statuses(doc)
    assert got["tls.starttls"][0] == "pass" and "TLSv1.3" in got["tls.starttls"][1]
    assert got["tls.certificate"][0] == "pass", got
    assert "tls.hostname" not in got or got["tls.hostname"][0] == "pass"
    transcript = lines(doc)
    assert transcript[1] == "S: 220 mx.postfix.test ESMTP Postfix"
    assert "S: 250-SIZE 1048576" in transcript and "S: 250-STARTTLS" in transcript
    assert "S: 250 2.1.5 Ok" in transcript  # the local recipient
    assert "S: 454 4.7.1 <someone@elsewhere.test>: Relay access denied" in transcript
    rcpt = [
        (item["status"], item["summary"])
        for item in doc["reports"][0]["sections"][0]["findings"]
        if item["id"] == "smtp.rcpt"
    ]
    assert rcpt[0] == ("pass", "RCPT TO:<alice@postfix.test>: 250 2.1.5 Ok")
    assert rcpt[1][0] == "warn" and "relaying refused" in rcpt[1][1]
    assert "SIZE (messages up to 1 MB (RFC 1870))" in got["smtp.extensions"][1]
    # 127.0.0.1's PTR in the test zone names another host: reported, not fatal
    assert got["smtp.banner-name"][0] == "warn"
    # Postfix's defaults for opportunistic TLS: TLS 1.0 and 1.1 still on, and anonymous
    # (aNULL) ciphers accepted when a client offers nothing else: NCSC-NL calls that
    # insufficient, so the grade fails, with its reasons (and nothing else fails)
    assert got["tls.protocols"] == (
        "warn",
        "offers TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (TLSv1, TLSv1.1: phase-out)",
    )
    assert got["tls.cipher"][0] == "fail"
    assert got["tls.cipher"][1].endswith(
        "also accepts ADH-AES256-GCM-SHA384 (broken or unauthenticated): insufficient"
    )
    assert got["tls.key-size"] == (
        "pass",
        "certificate key EC secp256r1: good (a recommended curve)",
    )
    assert got["tls.grade"][0] == "fail"
    assert got["tls.grade"][1].startswith("Insufficient (NCSC-NL TLS guidelines 2.1): ")
    assert fails(doc) == {"tls.cipher", "tls.grade"}
    assert code == 1
    assert lines(doc)[-2:] == ["C: QUIT", "S: 221 2.0.0 Bye"]


def test_postfix_submission_login_is_redacted(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    code, doc, everything = trace_host(
        run_cli,
        dns_server,
        "mx.postfix.test",
        servers.ports.submission,
        "--ca-file",
        ca_file,
        "--require-tls",
        password=mtas.PASSWORD,
    )
    got = statuses(doc)
    # graded before the login, on connections of their own (Postfix's anonymous ciphers)
    assert fails(doc) == POSTFIX_GRADE and code == 1, got
    assert got["smtp.login"][0] == "pass"
    transcript = lines(doc)
    assert "C: AUTH PLAIN <redacted>" in transcript
    assert transcript.index("C: STARTTLS") < transcript.index("C: AUTH PLAIN <redacted>")
    # Postfix offers AUTH only after TLS (smtpd_tls_auth_only): no plaintext-AUTH finding
    assert "smtp.auth-plaintext" not in got
    assert got["smtp.extensions"][1].endswith("After TLS: +AUTH PLAIN LOGIN, -STARTTLS")
    assert mtas.PASSWORD not in everything
    import base64

    token = base64.b64encode(f"\0{mtas.USER}\0{mtas.PASSWORD}".encode()).decode()
    assert token not in everything


def test_postfix_submission_wrong_password(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    code, doc, everything = trace_host(
        run_cli,
        dns_server,
        "mx.postfix.test",
        servers.ports.submission,
        "--ca-file",
        ca_file,
        password="not-the-password",
    )
    status, summary = statuses(doc)["smtp.login"]
    assert code == 1 and status == "fail"
    assert "535" in summary and "not-the-password" not in everything


def test_password_never_sent_without_tls(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers
) -> None:
    code, doc, _ = trace_host(
        run_cli,
        dns_server,
        "imap.postfix.test",
        servers.ports.imap,
        "--protocol",
        "imap",
        "--tls",
        "none",
        "--source-address",
        "127.0.0.2",
        password=mtas.PASSWORD,
    )
    status, summary = statuses(doc)["mailbox.login"]
    assert status == "warn" and "never sent without TLS" in summary
    assert statuses(doc)["tls.starttls"][0] == "info"  # offered, but --tls none
    assert code == 0
    assert not any(line.startswith("C: ") and "LOGIN" in line for line in lines(doc))


def test_dovecot_imap_starttls_and_login(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    code, doc, everything = trace_host(
        run_cli,
        dns_server,
        "imap.postfix.test",
        servers.ports.imap,
        "--protocol",
        "imap",
        "--ca-file",
        ca_file,
        "--source-address",
        "127.0.0.2",
        password=mtas.PASSWORD,
    )
    got = statuses(doc)
    assert code == 0, got
    assert got["mailbox.plaintext-login"] == ("pass", "LOGINDISABLED before TLS: no login in clear")
    assert got["mailbox.login"][0] == "pass"
    assert got["tls.certificate"][0] == "pass"
    transcript = lines(doc)
    assert transcript[1].startswith("S: * OK [CAPABILITY IMAP4rev1")
    assert "Dovecot" in transcript[1]
    assert any(line.startswith("C: ") and line.endswith("STARTTLS") for line in transcript)
    # Dovecot advertises AUTH=PLAIN and SASL-IR after TLS: AUTHENTICATE, not LOGIN
    assert got["mailbox.login"] == ("pass", "login accepted (AUTHENTICATE PLAIN)")
    assert any(line.endswith(" AUTHENTICATE PLAIN <redacted>") for line in transcript)
    assert mtas.PASSWORD not in everything
    data = doc["reports"][0]["sections"][0]["data"]
    assert "LOGINDISABLED" in data["capabilities_before"]
    assert "LOGINDISABLED" not in data["capabilities_after"]
    assert "AUTH=PLAIN" in data["capabilities_after"]


def test_dovecot_imaps_and_pop3s_implicit_tls(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    for protocol, port in (("imap", servers.ports.imaps), ("pop3", servers.ports.pop3s)):
        code, doc, _ = trace_host(
            run_cli,
            dns_server,
            "imap.postfix.test",
            port,
            "--protocol",
            protocol,
            "--tls",
            "implicit",
            "--ca-file",
            ca_file,
        )
        got = statuses(doc)
        assert code == 0, (protocol, got)
        status, summary = got["tls.starttls"]
        assert status == "pass" and summary.startswith("implicit TLS"), got
        assert got["tls.certificate"][0] == "pass"
        transcript = lines(doc)
        # the TLS handshake comes before the server's first line, and no STARTTLS/STLS is sent
        assert transcript[1].startswith("*: TLS handshake")
        assert transcript[3].startswith("S: * OK" if protocol == "imap" else "S: +OK")
        assert not any(line in ("C: STLS",) or line.endswith(" STARTTLS") for line in transcript)


def test_dovecot_pop3_stls_and_login(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    code, doc, everything = trace_host(
        run_cli,
        dns_server,
        "imap.postfix.test",
        servers.ports.pop3,
        "--protocol",
        "pop3",
        "--ca-file",
        ca_file,
        "--source-address",
        "127.0.0.2",
        password=mtas.PASSWORD,
    )
    got = statuses(doc)
    assert code == 0, got
    assert got["mailbox.login"][0] == "pass"
    assert got["mailbox.plaintext-login"][0] == "pass", got
    transcript = lines(doc)
    assert transcript[1].startswith("S: +OK Dovecot")
    # Dovecot's CAPA lists SASL PLAIN LOGIN after STLS: AUTH PLAIN rather than USER/PASS
    assert "C: STLS" in transcript and "C: AUTH PLAIN <redacted>" in transcript
    assert not any(line.startswith(("C: USER", "C: PASS")) for line in transcript)
    assert mtas.PASSWORD not in everything


def test_dovecot_text_transcript(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    result = run_cli(
        "trace",
        "--nameserver",
        dns_server.address,
        "imap.postfix.test",
        "--host",
        "--port",
        str(servers.ports.imap),
        "--protocol",
        "imap",
        "--ca-file",
        ca_file,
        "--source-address",
        "127.0.0.2",
        "--color",
        "never",
        env={"COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "STARTTLS" in out and "LOGINDISABLED" in out and "TLSv1.3" in out
    assert "imap.postfix.test" in out


def test_domain_smtp_against_postfix(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    result = run_cli(
        "domain",
        "--nameserver",
        dns_server.address,
        "postfix.test",
        "--smtp",
        "--smtp-port",
        str(servers.ports.smtp),
        "--ca-file",
        ca_file,
        "--only",
        "smtp,tls",
        "--format",
        "json",
    )
    doc = json.loads(result.stdout)
    got = statuses(doc)
    assert got["smtp.banner"] == ("pass", "220 mx.postfix.test ESMTP Postfix")
    assert got["tls.starttls"][0] == "pass" and got["tls.certificate"][0] == "pass"
    # domain --smtp grades each MX too: one grade, with its reasons
    assert got["tls.grade"][1].startswith("Insufficient (NCSC-NL TLS guidelines 2.1): ")
    assert fails(doc) == POSTFIX_GRADE and result.returncode == 1, got


def test_trace_json_validates(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    import jsonschema

    from mailcheck.catalog import CHECKS
    from tests.cli.test_json_schema import schema

    for port, protocol in ((servers.ports.submission, "smtp"), (servers.ports.pop3s, "pop3")):
        _code, doc, _ = trace_host(
            run_cli,
            dns_server,
            "mx.postfix.test",
            port,
            "--protocol",
            protocol,
            "--tls",
            "starttls" if protocol == "smtp" else "implicit",
            "--ca-file",
            ca_file,
            "--verbose",
        )
        jsonschema.validate(doc, schema())
        assert doc["command"] == "trace"
        ids = set(statuses(doc))
        assert ids <= set(CHECKS) and "tls.certificate" in ids


def test_send_through_postfix_submission_arrives_signed(
    run_cli: CliRun,
    dns_server: DnsServer,
    servers: mtas.MailServers,
    ca_file: str,
    generated: Any,
    tmp_path: Any,
) -> None:
    key = tmp_path / "rsa2048.pem"
    key.write_bytes(generated.dkim_keys["rsa2048"])
    key.chmod(0o600)
    result = run_cli(
        "send",
        "--nameserver",
        dns_server.address,
        "--server",
        f"mx.postfix.test:{servers.ports.submission}",
        "--ca-file",
        ca_file,
        "--user",
        mtas.USER,
        "--password-env",
        "SUBMISSION_PASSWORD",
        "--from",
        "Alice <alice@dkim.test>",
        "--to",
        mtas.USER,
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "rsa2048",
        "--format",
        "json",
        env={"SUBMISSION_PASSWORD": mtas.PASSWORD},
    )
    assert "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    [recipient] = doc["reports"][0]["data"]["recipients"]
    assert result.returncode == 0, json.dumps(recipient, indent=1)
    assert recipient["status"] == "accepted" and recipient["queue_id"]
    assert mtas.PASSWORD not in result.stdout + result.stderr
    token = doc["reports"][0]["data"]["token"]
    files = servers.delivered()
    arrived = [f for f in files if token.encode() in f.read_bytes()]
    assert arrived, servers.log()[-2000:]
    content = arrived[0].read_bytes()
    # Postfix logged the same queue id it gave us, and put it in its Received header
    assert recipient["queue_id"].encode() in content
    verified = run_cli(
        "verify", str(arrived[0]), "--nameserver", dns_server.address, "--format", "json"
    )
    signatures = [
        f
        for s in json.loads(verified.stdout)["reports"][0]["sections"]
        for f in s["findings"]
        if f["id"] == "dkim.signature"
    ]
    assert [f["status"] for f in signatures] == ["pass"], signatures


def test_postfix_by_address_with_tls_name(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    """The real Postfix reached by IP: the password goes only with --tls-name, and only when
    the certificate names it."""
    env = {"SUBMISSION_PASSWORD": mtas.PASSWORD}
    base = ("127.0.0.1", "--port", str(servers.ports.submission), "--ca-file", ca_file)
    login = ("--user", mtas.USER, "--password-env", "SUBMISSION_PASSWORD")
    refused = run_cli("trace", *base, *login, "--nameserver", dns_server.address, env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("mailcheck: error: --user with the IP address 127.0.0.1")
    code, doc, everything = trace(
        run_cli, dns_server, *base, *login, "--tls-name", "mx.postfix.test", env=env
    )
    got = statuses(doc)
    assert got["smtp.login"] == ("pass", "login accepted (AUTH PLAIN)")
    # graded too, before the login (Postfix's anonymous ciphers fail the grade)
    assert fails(doc) == POSTFIX_GRADE and code == 1
    assert "*: TLS handshake (server name mx.postfix.test)" in lines(doc)
    assert mtas.PASSWORD not in everything
    code, doc, _ = trace(
        run_cli, dns_server, *base, *login, "--tls-name", "smtp.example.com", env=env
    )
    got = statuses(doc)
    assert got["smtp.login"][1].startswith(
        "login not attempted: the certificate does not name smtp.example.com"
    )
    assert not any(line.startswith("C: AUTH") for line in lines(doc)) and code == 1


def test_dovecot_imap_login_with_a_non_ascii_password(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    """A UTF-8 password reaches Dovecot intact through the shared IMAP login path."""
    code, doc, everything = trace_host(
        run_cli,
        dns_server,
        "imap.postfix.test",
        servers.ports.imaps,
        "--protocol",
        "imap",
        "--tls",
        "implicit",
        "--ca-file",
        ca_file,
        password=mtas.UTF8_PASSWORD,
        user=mtas.UTF8_USER,
    )
    assert statuses(doc)["mailbox.login"] == ("pass", "login accepted (AUTHENTICATE PLAIN)")
    assert code == 0 and mtas.UTF8_PASSWORD not in everything
