"""Failures reported as what really happened: certificates judged as RFC 6125 and openssl
say, timeouts that name the limit in force (silence, trickle, endless line), IMAP/POP3
failures labelled as such, and a server that speaks another protocol recognised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_credentials import LOGIN, ids, run
from tests.smtpfixtures import (
    Certificates,
    MisbehavingServer,
    Recorder,
    certs_ca_file,
    recording_smtp,
    server_context,
)

pytestmark = pytest.mark.timeout(60)

ca_file = certs_ca_file  # this module's ca_file fixture: the CA of `certs`


def _tls_server(context: Any, recorder: Recorder) -> MisbehavingServer:
    return MisbehavingServer(recording_smtp(context, recorder))


def test_wildcard_certificate_is_trusted_and_names_the_host(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    wildcard = certs.ca.issue_cert("*.example.com")
    with _tls_server(server_context(wildcard), recorder) as server:
        code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            "127.0.0.1",
            "--port",
            str(server.port),
            "--tls-name",
            "mx.example.com",
            "--ca-file",
            ca_file,
            *LOGIN,
        )
    got = ids(doc)
    status, summary = got["tls.certificate"][0]
    assert status == "pass" and summary.startswith(
        "issued by a trusted authority: SAN *.example.com"
    )
    assert "tls.hostname" not in got
    assert got["smtp.login"] == [("pass", "login accepted (AUTH PLAIN)")]
    assert recorder.logins == 1 and code == 0


def test_wildcard_covers_one_label_only(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    wildcard = certs.ca.issue_cert("*.example.com")
    with _tls_server(server_context(wildcard), recorder) as server:
        code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            "127.0.0.1",
            "--port",
            str(server.port),
            "--tls-name",
            "a.mx.example.com",
            "--ca-file",
            ca_file,
            *LOGIN,
        )
    got = ids(doc)
    assert got["tls.certificate"][0][0] == "pass"  # trusted, but not for this name
    assert got["tls.hostname"] == [
        ("fail", "the certificate does not name a.mx.example.com (it names *.example.com)")
    ]
    assert recorder.auth_lines == [] and code == 1


def test_a_name_only_in_the_cn_is_trusted_warned_and_gets_no_password(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    """A certificate from the trusted CA with mx.example.com as its CN and no
    subjectAltName (OpenSSL, so Postfix and Python's ssl, accept it for that name) was
    'FAIL tls.certificate not issued by a trusted authority (validation failed: leaf
    certificate has no matching subjectAltName (encountered processing <Certificate(...)>))'."""
    cn_only = certs.ca.issue_cert(common_name="mx.example.com")
    with _tls_server(server_context(cn_only), recorder) as server:
        code, doc, _ = run(
            run_cli, dns_server, "trace", "127.0.0.1", "--port", str(server.port),
            "--tls-name", "mx.example.com", "--ca-file", ca_file, "--no-tls-grade", *LOGIN,
        )  # fmt: skip
    got = ids(doc)
    [(status, summary)] = got["tls.certificate"]
    assert status == "pass" and summary.startswith(
        "issued by a trusted authority: CN=mx.example.com, SAN -, issuer "
    )
    assert got["tls.hostname"] == [
        (
            "warn",
            "the certificate names mx.example.com only in its CN (no subjectAltName): "
            "OpenSSL-based clients accept it, clients that follow RFC 9525 do not",
        )
    ]
    # the stricter reading decides who gets a password
    assert got["smtp.login"][0] == (
        "warn",
        "login not attempted: the certificate names mx.example.com only in its CN, in no "
        "subjectAltName; the password would go to a server we cannot authenticate "
        "(--allow-insecure-auth to send it anyway)",
    )
    assert recorder.auth_lines == [] and code == 0


def test_expired_certificate_is_one_fail(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _tls_server(server_context(certs.expired), recorder) as server:
        code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            "mx.smtp-expired.test",
            "--host",
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
        )
    got = ids(doc)
    status, summary = got["tls.certificate"][0]
    assert status == "info" and "expired on" in summary and " days ago)" in summary
    assert "-" not in summary.split("expired on")[1].split(")")[0].split("(")[1]
    fails = [(i, s) for i, items in got.items() for s, _t in items if s == "fail"]
    assert fails == [("tls.expiry", "fail")] and code == 1


def test_unknown_issuer_wording(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder
) -> None:
    with _tls_server(server_context(certs.good), recorder) as server:
        _code, doc, _ = run(
            run_cli, dns_server, "trace", "mx.smtp-good.test", "--host", "--port", str(server.port)
        )  # no --ca-file: the test CA is in no store
    status, summary = ids(doc)["tls.certificate"][0]
    assert status == "fail"
    assert summary.startswith("unknown issuer: OU=Testing CA #")
    assert "is not in the trust store (unable to get local issuer certificate): " in summary


def test_self_signed_root_in_the_chain_wording(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, tmp_path: Any
) -> None:
    import ssl

    leaf = certs.ca.issue_cert("mx.smtp-good.test")
    pem = tmp_path / "chain.pem"
    pem.write_bytes(
        leaf.cert_chain_pems[0].bytes() + certs.ca.cert_pem.bytes() + leaf.private_key_pem.bytes()
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pem))
    with _tls_server(context, recorder) as server:
        _code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            "mx.smtp-good.test",
            "--host",
            "--port",
            str(server.port),
            "-v",
        )
    status, summary = ids(doc)["tls.certificate"][0]
    assert status == "fail"
    assert summary.startswith("self-signed certificate in certificate chain: OU=Testing CA #")
    assert len(doc["reports"][0]["sections"][0]["data"]["tls"]["certificates"]) == 2


def test_verbose_text_shows_the_chain(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    args = ["trace", "mx.smtp-chain.test", "--host", "--ca-file", ca_file]
    args += ["--nameserver", dns_server.address, "--format", "text"]
    with _tls_server(server_context(certs.intermediate), recorder) as server:
        quiet = run_cli(*args, "--port", str(server.port))
        verbose = run_cli(*args, "--port", str(server.port), "-v")
    assert "0 s:" not in quiet.stdout
    out = verbose.stdout
    assert "0 s:" in out and "SAN mx.smtp-chain.test" in out
    assert "1 s:" in out and " i:OU=Testing CA #" in out


# -- time budgets and what really happened ----------------------------------------------


def _script(*chunks: bytes, delay: float = 0.0, after_line: bool = False) -> Any:
    """A server that sends `chunks` with `delay` between them (after reading one line when
    `after_line`), then holds the connection open."""
    import asyncio

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if after_line:
                writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
                await writer.drain()
                await reader.readline()
            for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(delay)
            await asyncio.sleep(3600)
        except (ConnectionError, OSError):
            pass

    return handler


def _findings_and_error(doc: dict[str, Any]) -> tuple[dict[str, list[tuple[str, str]]], str]:
    section = doc["reports"][0]["sections"][0]
    return ids(doc), section["data"]["error"]


def _timed(run_cli: CliRun, dns: DnsServer, port: int, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(
        "trace",
        "127.0.0.1",
        "--port",
        str(port),
        "--nameserver",
        dns.address,
        "--format",
        "json",
        *args,
    )
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def test_silence_names_the_overall_limit_in_force(run_cli: CliRun, dns_server: DnsServer) -> None:
    import re

    with MisbehavingServer(_script()) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--deadline", "2")
    got, error = _findings_and_error(doc)
    assert re.fullmatch(
        r"silence: no reply in [12]\.\d s \(the overall limit, --deadline 2\)", error
    )
    [(status, summary)] = got["smtp.banner"]
    assert status == "error" and summary.endswith(
        f"the server accepted the connection but said nothing ({error})"
    )
    assert "within 10 s" not in json.dumps(doc) and code == 3


def test_silence_names_the_step_limit(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(_script()) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "1")
    got, error = _findings_and_error(doc)
    assert error == "silence: no reply in 1.0 s (the per-step limit, --timeout 1)"
    [(status, summary)] = got["smtp.banner"]
    assert status == "error" and summary.endswith(f"said nothing ({error})") and code == 3


def test_the_old_step_timeout_name_still_sets_the_step_limit(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """--step-timeout (trace and send before --timeout meant one step) is a hidden alias."""
    with MisbehavingServer(_script()) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--step-timeout", "1")
    _got, error = _findings_and_error(doc)
    assert error == "silence: no reply in 1.0 s (the per-step limit, --timeout 1)" and code == 3


def test_the_deadline_ends_a_server_whose_every_line_beats_the_timeout(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """An EHLO reply that never ends, one short line every 0.2 s, each byte by itself: no
    step runs over --timeout 1, so only --deadline 2 can end the trace."""
    lines = [b"2", b"5", b"0", b"-", b"X", b"\r\n"] * 400
    with MisbehavingServer(_script(*lines, delay=0.03, after_line=True)) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "1", "--deadline", "2")
    got, error = _findings_and_error(doc)
    assert "the overall limit, --deadline 2" in error, error
    [(status, summary)] = got["smtp.protocol"]
    assert status == "error" and summary.startswith("ehlo: ") and code == 3


def test_a_trickle_is_told_apart_from_silence(run_cli: CliRun, dns_server: DnsServer) -> None:
    import re

    with MisbehavingServer(_script(*[b"2"] * 40, delay=0.2)) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "1.5")
    got, error = _findings_and_error(doc)
    match = re.fullmatch(
        r"a trickle: (\d+) bytes in 1\.5 s and no complete line "
        r"\(the per-step limit, --timeout 1\.5\)",
        error,
    )
    assert match and 3 <= int(match.group(1)) <= 9, error
    [(status, summary)] = got["smtp.banner"]
    assert status == "error" and "greeting never became a whole line" in summary
    assert code == 3


def test_a_trickle_after_ehlo(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(_script(b"250-", b"mx", b".", delay=0.3, after_line=True)) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "1")
    got, error = _findings_and_error(doc)
    assert error.startswith("a trickle: 7 bytes in 1.0 s and no complete line")
    assert got["smtp.protocol"] == [("error", f"ehlo: {error}")] and code == 3


def test_part_of_a_line_then_silence_is_no_trickle(run_cli: CliRun, dns_server: DnsServer) -> None:
    """'220 mx.hos' then nothing: it was 'a trickle: 10 bytes in 2.0 s', though the bytes
    stopped at once; a trickle (bytes that keep coming slowly) keeps its wording."""
    with MisbehavingServer(_script(b"220 mx.hos")) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "2")
    got, error = _findings_and_error(doc)
    assert error == (
        "stalled after 10 bytes of a line: no end of line within 2.0 s "
        "(the per-step limit, --timeout 2)"
    )
    [(status, summary)] = got["smtp.banner"]
    assert status == "error" and summary.endswith(
        f"the server's greeting never became a whole line ({error})"
    )
    assert code == 3


def test_a_line_that_never_ends(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(_script(*[b"x" * 1000] * 20)) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "3")
    got, error = _findings_and_error(doc)
    assert error == "a line that never ends: longer than 8192 bytes without a line break"
    assert got["smtp.protocol"] == [("fail", f"banner: {error}")] and code == 1


# -- IMAP and POP3 failures are labelled as such ------------------------------------------


def test_imap_failure_is_an_imap_finding(run_cli: CliRun, dns_server: DnsServer) -> None:
    greeting = b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"
    with MisbehavingServer(_script(greeting)) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--protocol", "imap", "--timeout", "1")
    got, error = _findings_and_error(doc)
    assert error.startswith("silence: no reply in 1.0 s")
    assert got["mailbox.protocol"] == [("error", f"IMAP capabilities: {error}")]
    assert "smtp.protocol" not in got and "tls.starttls" not in got  # no "no STARTTLS" claim
    protocol = [
        f for f in doc["reports"][0]["sections"][0]["findings"] if f["id"] == "mailbox.protocol"
    ]
    assert "RFC 5321" not in json.dumps(protocol) and code == 3


def test_pop3_garbage_is_a_pop3_finding(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(_script(b"+OK POP3 ready\r\n", b"what?\r\n")) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--protocol", "pop3")
    got, _error = _findings_and_error(doc)
    assert got["mailbox.protocol"] == [("fail", "POP3 capabilities: not a POP3 reply: 'what?'")]
    assert "tls.starttls" not in got and code == 1


def _hint(doc: dict[str, Any], check_id: str) -> str:
    for section in doc["reports"][0]["sections"]:
        for item in section["findings"]:
            if item["id"] == check_id:
                return str(item.get("hint") or "")
    return ""


@pytest.mark.parametrize(
    ("greeting", "protocol", "hint"),
    [
        (b"* OK IMAP4rev1 ready\r\n", "smtp", "looks like IMAP, not SMTP: try --protocol imap."),
        (b"+OK Dovecot ready.\r\n", "smtp", "looks like POP3, not SMTP: try --protocol pop3."),
        (b"220 mx.example ESMTP\r\n", "imap", "looks like SMTP, not IMAP: try --protocol smtp."),
        (b"\x16\x03\x01\x00\x05hello", "smtp", "a TLS record: this port speaks TLS at once"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "smtp", "The server speaks SSH, not a mail protocol."),
    ],
)
def test_another_protocol_is_recognised(
    run_cli: CliRun, dns_server: DnsServer, greeting: bytes, protocol: str, hint: str
) -> None:
    with MisbehavingServer(_script(greeting)) as server:
        _code, doc = _timed(
            run_cli, dns_server, server.port, "--protocol", protocol, "--timeout", "1"
        )
    hints = " ".join(_hint(doc, c) for c in ("smtp.protocol", "mailbox.protocol", "smtp.banner"))
    assert hint in hints, json.dumps(ids(doc))


def test_silent_implicit_tls_port_suggests_tls_implicit(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder
) -> None:
    import asyncio
    import contextlib
    import ssl

    context = server_context(certs.good)

    async def implicit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            await writer.start_tls(context)  # waits for a ClientHello that never comes

    with MisbehavingServer(implicit) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "1")
    assert ids(doc)["smtp.banner"][0][0] == "error" and code == 3
    assert _hint(doc, "smtp.banner") == (
        f"Port {server.port} is not a standard SMTP port: if it expects TLS from the first "
        "byte, try --tls implicit."
    )


def test_implicit_tls_against_plain_text_suggests_starttls(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    with MisbehavingServer(_script(b"220 mx.smtp-good.test ESMTP\r\n")) as server:
        _code, doc = _timed(run_cli, dns_server, server.port, "--tls", "implicit")
    assert "answered in plain text, not TLS" in _hint(doc, "tls.starttls"), json.dumps(ids(doc))


def test_all_mx_with_one_dead(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, ca_file: str
) -> None:
    from tests.smtpfixtures import free_port, start_smtp

    port = free_port("127.0.0.2")
    alive = start_smtp(
        "127.0.0.2", port, starttls=server_context(certs.good), name="mx1.smtp-all.test"
    )  # mx2.smtp-all.test (127.0.0.3) has nothing listening
    try:
        code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            "smtp-all.test",
            "--port",
            str(port),
            "--all-mx",
            "--ca-file",
            ca_file,
        )
    finally:
        alive.stop()
    sections = doc["reports"][0]["sections"]
    assert [s["data"]["host"] for s in sections] == ["mx1.smtp-all.test", "mx2.smtp-all.test"]
    assert ids(doc)["smtp.connect"] == [
        ("pass", f"connected to mx1.smtp-all.test [127.0.0.2]:{port}"),
        ("error", f"mx2.smtp-all.test [127.0.0.3]:{port}: connection refused by 127.0.0.3:{port}"),
    ]
    assert [s for s, _t in ids(doc)["tls.certificate"]] == ["pass"]  # the live one, judged
    # as the README says: an MX that could not be reached makes the run inconclusive (3)
    assert code == 3 and doc["exit_code"] == 3


def test_one_deadline_for_every_host_tried(run_cli: CliRun, dns_server: DnsServer) -> None:
    """smtp-next.test: down.smtp-next.test (127.0.0.4) first, whose listen queue is full so
    a connect hangs, then mx.smtp-next.test; --deadline 2 is the whole trace's, so the second
    host is not tried at all."""
    import socket
    import time

    from tests.smtpfixtures import free_port

    port = free_port("127.0.0.4")
    listener = socket.socket()
    listener.bind(("127.0.0.4", port))
    listener.listen(0)
    queued = []
    for _ in range(3):  # fill the accept queue: later SYNs are dropped, connects hang
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.4", port))
        queued.append(client)
    try:
        started = time.monotonic()
        result = run_cli(
            "trace",
            "smtp-next.test",
            "--port",
            str(port),
            "--deadline",
            "2",
            "--timeout",
            "5",
            "--nameserver",
            dns_server.address,
            "--format",
            "json",
        )
        elapsed = time.monotonic() - started
    finally:
        for client in queued:
            client.close()
        listener.close()
    doc = json.loads(result.stdout)
    connect = ids(doc)["smtp.connect"]
    assert connect[0][0] == "error" and "(the overall limit, --deadline 2;" in connect[0][1]
    assert connect[1] == (
        "error",
        f"mx.smtp-next.test [127.0.0.5]:{port}: not tried: the overall limit, --deadline 2 "
        "had run out",
    )
    assert result.returncode == 3 and elapsed < 10


def test_pop3_without_stls_is_named_so(run_cli: CliRun, dns_server: DnsServer) -> None:
    import asyncio

    async def pop3(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"+OK POP3 ready\r\n")
        while line := (await reader.readline()).strip().upper():
            if line == b"CAPA":
                writer.write(b"+OK\r\nUSER\r\nTOP\r\n.\r\n")
            else:
                writer.write(b"+OK bye\r\n")
            await writer.drain()
        writer.close()

    with MisbehavingServer(pop3) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--protocol", "pop3")
    got = ids(doc)
    assert got["tls.starttls"] == [
        ("warn", f"no STLS on port {server.port}: everything travels in clear")
    ]
    assert got["mailbox.plaintext-login"][0][0] == "fail" and code == 1


def _pop3_with_sasl(mechanisms: bytes) -> Any:
    """A POP3 server without STLS or USER whose CAPA offers SASL with these mechanisms."""
    import asyncio

    async def pop3(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"+OK POP3 ready\r\n")
        while line := (await reader.readline()).strip().upper():
            if line == b"CAPA":
                writer.write(b"+OK\r\nSASL " + mechanisms + b"\r\nTOP\r\n.\r\n")
            else:
                writer.write(b"+OK bye\r\n")
            await writer.drain()
        writer.close()

    return pop3


@pytest.mark.parametrize(
    ("mechanisms", "status", "summary"),
    [
        # it was PASS "no USER/PASS and no plaintext SASL before TLS: no login in clear"
        (
            b"CRAM-MD5",
            "warn",
            "POP3 allows AUTH CRAM-MD5 before TLS: the password is not sent, but the user name "
            "and the mail after the login are, and the exchange can be guessed offline",
        ),
        # a bearer token is as readable as a password (it was PASS too)
        (
            b"XOAUTH2 CRAM-MD5",
            "fail",
            "POP3 allows AUTH XOAUTH2 before TLS: access tokens can be sent in clear",
        ),
        (b"PLAIN", "fail", "POP3 allows AUTH PLAIN before TLS: passwords can be sent in clear"),
    ],
)
def test_pop3_sasl_before_tls(
    run_cli: CliRun, dns_server: DnsServer, mechanisms: bytes, status: str, summary: str
) -> None:
    with MisbehavingServer(_pop3_with_sasl(mechanisms)) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--protocol", "pop3")
    assert ids(doc)["mailbox.plaintext-login"] == [(status, summary)]
    assert code == (1 if status == "fail" else 0)


def test_hundreds_of_extensions_make_a_one_line_summary(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """150 EHLO keywords of 1,000 characters each: smtp.extensions listed every one of them
    in full (150 KB in one summary, repeated in every format); now 30, each cut at 200
    characters, and how many more. The transcript still has every line."""
    keywords = [b"X%03d" % i + b"Y" * 996 for i in range(150)]
    reply = b"".join(b"250-" + line + b"\r\n" for line in [b"mx.many.test", *keywords])
    script = _script(reply + b"250 PIPELINING\r\n", after_line=True)
    with MisbehavingServer(script) as server:
        args = ("--tls", "none", "--quit-after", "ehlo", "--timeout", "1")
        code, doc = _timed(run_cli, dns_server, server.port, *args)
    [(status, summary)] = ids(doc)["smtp.extensions"]
    items = summary.split("; ")
    assert status == "info" and code == 0
    assert items[0] == "X000" + "Y" * 195 + "…" and items[29].startswith("X029Y")
    assert items[30:] == ["and 121 more"]
    transcript = doc["reports"][0]["sections"][0]["data"]["transcript"]
    assert sum(line["text"].startswith("250-X") for line in transcript) == 150


def _imap_preauth(received: list[bytes]) -> Any:
    import asyncio

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hello root\r\n")
        while line := await reader.readline():
            received.append(line)
            tag = line.split(b" ")[0]
            writer.write(b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n" + tag + b" OK\r\n")
            await writer.drain()

    return handler


def test_imap_preauth_in_clear_is_a_failure_and_gets_no_starttls_nor_password(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """A PREAUTH greeting on a plain connection: the session is open without a login and
    STARTTLS is only for the not-authenticated state (RFC 9051 6.2.1). It was a PASS
    greeting, then STARTTLS was sent anyway, and 'IMAP allows LOGIN before TLS' was the
    failure named."""
    received: list[bytes] = []
    with MisbehavingServer(_imap_preauth(received)) as server:
        result = run_cli(
            "trace", "127.0.0.1", "--port", str(server.port), "--protocol", "imap",
            "--nameserver", dns_server.address, "--format", "json", "--no-tls-grade",
            "--user", "alice", "--password-env", "IMAP_PASSWORD", "--allow-insecure-auth",
            env={"IMAP_PASSWORD": "s3cret-Pa55"},
        )  # fmt: skip
    got = ids(json.loads(result.stdout))
    assert got["mailbox.greeting"] == [
        (
            "fail",
            "IMAP greeted with PREAUTH before TLS: the session is authenticated without a "
            "login, in clear, and STARTTLS can no longer start: [CAPABILITY IMAP4rev1 "
            "STARTTLS AUTH=PLAIN] hello root",
        )
    ]
    assert got["tls.starttls"][0][1] == (
        "STARTTLS offered, but it cannot start after PREAUTH: everything travels in clear"
    )
    assert got["mailbox.login"][0][1].startswith("login not attempted: the server greeted with")
    assert "mailbox.plaintext-login" not in got and result.returncode == 1
    assert [line.split(b" ")[1].strip() for line in received] == [b"CAPABILITY", b"LOGOUT"]


@pytest.mark.parametrize("reply", [b"220 hello", b"354 go ahead"])
def test_ehlo_answered_with_a_wrong_code_is_a_failure(
    run_cli: CliRun, dns_server: DnsServer, reply: bytes
) -> None:
    """A 2xx or 3xx that is not 250 to EHLO: no finding said so (exit 0), and tls.starttls
    claimed 'no STARTTLS ...: everything travels in clear' from a list never heard."""
    with MisbehavingServer(_script(reply + b"\r\n", after_line=True)) as server:
        args = ("--tls", "auto", "--quit-after", "ehlo", "--timeout", "1")
        code, doc = _timed(run_cli, dns_server, server.port, *args)
    got = ids(doc)
    assert got["smtp.ehlo"] == [
        (
            "fail",
            f"EHLO answered {reply.decode()}, not 250: the server's extensions (STARTTLS "
            "among them) are unknown",
        )
    ]
    assert "tls.starttls" not in got and code == 1


def test_an_ehlo_without_extensions_says_so(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(_script(b"250 mx.bare.test\r\n", after_line=True)) as server:
        code, doc = _timed(
            run_cli, dns_server, server.port, "--quit-after", "ehlo", "--timeout", "1"
        )
    assert ids(doc)["smtp.extensions"] == [("info", "none: EHLO listed no extensions")]
    assert code == 0


def test_starttls_answered_250_is_not_called_a_refusal(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """'250 sure' to STARTTLS, then bytes that look like TLS: it was 'STARTTLS offered but
    refused: 250 sure'; the server said yes in the wrong words, and TLS never started."""
    import asyncio

    ehlo = b"250-mx.odd.test\r\n250 STARTTLS\r\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mx.odd.test ESMTP\r\n")
        await reader.readline()
        writer.write(ehlo)
        await reader.readline()
        writer.write(b"250 sure\r\n\x16\x03\x01garbage\r\n")
        await writer.drain()
        await asyncio.sleep(3600)

    with MisbehavingServer(handler) as server:
        code, doc = _timed(run_cli, dns_server, server.port, "--timeout", "1", "--no-tls-grade")
    assert ids(doc)["tls.starttls"] == [
        ("fail", "STARTTLS offered but answered 250 sure, not 220: TLS never started")
    ]
    assert code == 1


# -- a login "accepted" before the password was sent ---------------------------------------


def _early_success(protocol: str, received: list[bytes]) -> Any:
    """A server that offers one SASL mechanism in clear and answers success to the AUTH
    command itself, before any credentials came (no continuation asked for them)."""
    import asyncio

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        greeting = {
            "imap": b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
            "pop3": b"+OK POP3 ready\r\n",
            "smtp": b"220 mx.early.test ESMTP\r\n",
        }[protocol]
        writer.write(greeting)
        while line := await reader.readline():
            received.append(line)
            words = line.split()
            if protocol == "imap":
                tag, verb = words[0], words[1].upper()
                if verb == b"CAPABILITY":
                    writer.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
                writer.write(tag + b" OK done\r\n")
            elif protocol == "pop3":
                body = b"\r\nSASL LOGIN\r\n." if words[0].upper() == b"CAPA" else b""
                writer.write(b"+OK welcome" + body + b"\r\n")
            elif words[0].upper() == b"EHLO":
                writer.write(b"250-mx.early.test\r\n250 AUTH LOGIN\r\n")
            elif words[0].upper() == b"AUTH":
                writer.write(b"235 2.7.0 welcome\r\n")
            else:
                writer.write(b"221 bye\r\n")
            await writer.drain()
        writer.close()

    return handler


@pytest.mark.parametrize(
    ("protocol", "check_id", "how", "said"),
    [
        ("imap", "mailbox.login", "AUTHENTICATE PLAIN", "OK done"),
        ("pop3", "mailbox.login", "AUTH LOGIN", "welcome"),
        ("smtp", "smtp.login", "AUTH LOGIN", "235 2.7.0 welcome"),
    ],
)
def test_success_before_the_password_was_sent_is_no_login_accepted(
    run_cli: CliRun, dns_server: DnsServer, protocol: str, check_id: str, how: str, said: str
) -> None:
    """An IMAP server's tagged OK to AUTHENTICATE PLAIN with no "+" asking for the
    credentials (or a POP3 +OK, an SMTP 235 to AUTH LOGIN): it was PASS 'login accepted',
    though the password never went out."""
    received: list[bytes] = []
    with MisbehavingServer(_early_success(protocol, received)) as server:
        result = run_cli(
            "trace", "127.0.0.1", "--port", str(server.port), "--protocol", protocol,
            "--nameserver", dns_server.address, "--format", "json", "--no-tls-grade",
            "--tls", "none", "--user", "alice", "--password-env", "PW",
            "--allow-insecure-auth", env={"PW": "s3cret-Pa55"},
        )  # fmt: skip
    got = ids(json.loads(result.stdout))
    assert got[check_id] == [
        (
            "fail",
            f"login not completed ({how}): the server answered success ({said}) before "
            "mailcheck sent the password: a protocol fault, no credentials were checked; "
            "the password was not sent",
        )
    ]
    assert result.returncode == 1
    assert not any(b"s3cret" in line or b"czNjcmV0" in line for line in received)


def test_send_stops_at_a_success_before_the_password(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """send through a server that answers 235 to AUTH LOGIN itself: the message went on
    to MAIL FROM as though logged in; it stays here, and the user is told why."""
    received: list[bytes] = []
    with MisbehavingServer(_early_success("smtp", received)) as server:
        result = run_cli(
            "send", "--server", f"127.0.0.1:{server.port}", "--tls", "none",
            "--allow-insecure-auth", "--user", "alice", "--password-env", "PW",
            "--from", "alice@dkim.test", "--to", "bob@example.net",
            "--nameserver", dns_server.address, "--format", "json",
            env={"PW": "s3cret-Pa55"},
        )  # fmt: skip
    doc = json.loads(result.stdout)
    said = [
        item
        for report in doc["reports"]
        for section in report["sections"]
        for item in section["findings"]
        if item["summary"].startswith("bob@example.net")
    ]
    assert [(s["status"], s["summary"]) for s in said] == [
        (
            "fail",
            "bob@example.net: rejected: not sent: the server answered success (235 2.7.0 "
            "welcome) before mailcheck sent the password: a protocol fault, no credentials "
            "were checked; the password was not sent",
        )
    ]
    assert said[0]["hint"].startswith("Nothing was sent: the server claimed success before")
    assert not any(line.upper().startswith((b"MAIL", b"DATA")) for line in received)
    assert result.returncode == 1


# -- a password echoed back in another form ------------------------------------------------


def _echoing(protocol: str, password: str) -> Any:
    """A server in clear that refuses the login with the password echoed back changed:
    upper-cased, swapped case, as the base64 of the AUTH PLAIN string and of itself."""
    import asyncio
    import base64

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    echo = f"{password.upper()} {password.swapcase()} {b64(password)}".encode()
    if protocol == "smtp":  # the AUTH PLAIN string mailcheck sent, in base64
        echo += f" {b64(f'{chr(0)}alice{chr(0)}{password}')}".encode()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mx.echo.test ESMTP\r\n" if protocol == "smtp" else b"+OK ready\r\n")
        while line := await reader.readline():
            verb = line.split()[0].upper()
            if verb == b"EHLO":
                writer.write(b"250-mx.echo.test\r\n250 AUTH PLAIN\r\n")
            elif verb == b"CAPA":
                writer.write(b"+OK\r\nUSER\r\n.\r\n")
            elif verb == b"USER":
                writer.write(b"+OK go on\r\n")
            elif verb in (b"AUTH", b"PASS"):
                bad = b"535 5.7.8 " if protocol == "smtp" else b"-ERR "
                writer.write(bad + b"no such login: " + echo + b"\r\n")
            else:
                writer.write(b"221 bye\r\n" if protocol == "smtp" else b"+OK bye\r\n")
            await writer.drain()
        writer.close()

    return handler


@pytest.mark.parametrize("output", ["json", "text", "sarif", "markdown", "html", "junit"])
@pytest.mark.parametrize(("protocol", "check_id"), [("smtp", "smtp"), ("pop3", "mailbox")])
def test_a_password_echoed_in_another_form_is_redacted(
    run_cli: CliRun, dns_server: DnsServer, protocol: str, check_id: str, output: str
) -> None:
    """Redaction matched the exact password only: echoed upper-cased (or, after USER/PASS,
    as base64) it was shown in the transcript and the login finding, in every format."""
    import base64
    import re

    password = "s3cret-Pa55word"
    with MisbehavingServer(_echoing(protocol, password)) as server:
        result = run_cli(
            "trace", "127.0.0.1", "--port", str(server.port), "--protocol", protocol,
            "--nameserver", dns_server.address, "--format", output, "--no-tls-grade",
            "--tls", "none", "--user", "alice", "--password-env", "PW",
            "--allow-insecure-auth", "--verbose", env={"PW": password},
        )  # fmt: skip
    everything = (result.stdout + result.stderr).lower()
    redacted = r"(&lt;|\\?<)redacted(&gt;|\\?>)"  # as html and markdown escape it
    echoes = 4 if protocol == "smtp" else 3
    assert re.search(rf"no such login: {redacted}( {redacted}){{{echoes - 1}}}", everything)
    token = base64.b64encode(f"\0alice\0{password}".encode()).decode()
    for form in (password, base64.b64encode(password.encode()).decode(), token):
        assert form.lower() not in everything
        assert form[:12].lower() not in everything
    assert result.returncode == 1
    if output == "json":
        assert ids(json.loads(result.stdout))[f"{check_id}.login"][0][0] == "fail"


# -- a certificate above the leaf out of its dates ----------------------------------------


def _chain_with_an_expired_intermediate(tmp_path: Any) -> tuple[Any, str]:
    """root (trusted) -> "Expired Intermediate" (notAfter 30 days ago) -> a valid leaf for
    mx.smtp-good.test: a server context presenting leaf + intermediate, and the CA file."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def issue(
        subject: str, issuer: str, key: int, signer: int, until: datetime.datetime, ca: bool
    ) -> x509.Certificate:
        public = keys[key].public_key()
        usage = dict.fromkeys(
            ["content_commitment", "data_encipherment", "key_agreement", "encipher_only"],
            False,
        )
        usage["decipher_only"] = False
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - 400 * day)
            .not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    key_encipherment=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    **usage,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(keys[signer].public_key()),
                critical=False,
            )
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("mx.smtp-good.test")]), critical=False
            ).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return builder.sign(keys[signer], hashes.SHA256())

    root = issue("Test Root", "Test Root", 0, 0, now + 400 * day, ca=True)
    middle = issue("Expired Intermediate", "Test Root", 1, 0, now - 30 * day, ca=True)
    leaf = issue("mx.smtp-good.test", "Expired Intermediate", 2, 1, now + 60 * day, ca=False)
    pem = serialization.Encoding.PEM
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        leaf.public_bytes(pem)
        + middle.public_bytes(pem)
        + keys[2].private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ca = tmp_path / "root.pem"
    ca.write_bytes(root.public_bytes(pem))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(chain))
    return context, str(ca)


def test_an_expired_intermediate_is_named(
    run_cli: CliRun, dns_server: DnsServer, recorder: Recorder, tmp_path: Any
) -> None:
    """It read 'not issued by a trusted authority (... cert is not valid at validation
    time)': which certificate had expired, and when, went unsaid."""
    import datetime
    import re

    context, ca = _chain_with_an_expired_intermediate(tmp_path)
    with _tls_server(context, recorder) as server:
        code, doc, _ = run(
            run_cli, dns_server, "trace", "mx.smtp-good.test", "--host",
            "--port", str(server.port), "--ca-file", ca, "--no-tls-grade",
        )  # fmt: skip
    [(status, summary)] = ids(doc)["tls.certificate"]
    expired = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    assert status == "fail" and re.match(
        r"certificate has expired: certificate 1 in the chain \(CN=Expired Intermediate\) "
        rf"expired on ({expired:%Y-%m-%d}|{expired - datetime.timedelta(days=1):%Y-%m-%d}) "
        r"\((29|30) days ago\): CN=mx\.smtp-good\.test, SAN mx\.smtp-good\.test, ",
        summary,
    ), summary
    assert "validation time" not in summary and code == 1
