"""`--no-tls-grade` (one connection per server, no grade) on `trace` and `domain --smtp`, and
grading with a login test (`trace --user`): the grading handshakes come first, on their own
connections, and never carry the credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_credentials import LOGIN, ids, run
from tests.integration.test_domain_smtp import by_id, domain
from tests.smtpfixtures import (
    PASSWORD,
    Certificates,
    MisbehavingServer,
    Recorder,
    certs_ca_file,
    recording_smtp,
    server_context,
)

pytestmark = pytest.mark.timeout(90)

ca_file = certs_ca_file
NAME = "mx.smtp-good.test"


def _server(certs: Certificates, recorder: Recorder) -> MisbehavingServer:
    return MisbehavingServer(recording_smtp(server_context(certs.good), recorder))


def test_trace_no_tls_grade_holds_one_conversation(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _server(certs, recorder) as server:
        code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            "smtp-good.test",
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
            "--no-tls-grade",
        )
    got = ids(doc)
    assert got["tls.starttls"][0][0] == "pass"
    assert not [key for key in got if key in ("tls.grade", "tls.protocols", "tls.ocsp-stapling")]
    assert "handshakes" not in doc["reports"][0]["sections"][0]["data"]["tls"]
    assert recorder.connections == 1
    assert code == 0


def test_trace_grades_by_default(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _server(certs, recorder) as server:
        _code, doc, _ = run(
            run_cli, dns_server, "trace", "smtp-good.test", "--port", str(server.port),
            "--ca-file", ca_file,
        )  # fmt: skip
    assert ids(doc)["tls.grade"][0][0] == "pass"
    # the conversation, three more versions, the weak-cipher and the OCSP probes
    assert recorder.connections == 6


def test_login_trace_is_graded_before_the_login_without_credentials(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _server(certs, recorder) as server:
        code, doc, _ = run(
            run_cli,
            dns_server,
            "trace",
            NAME,
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
            *LOGIN,
        )
    got = ids(doc)
    assert got["smtp.login"] == [("pass", "login accepted (AUTH PLAIN)")]
    assert got["tls.grade"][0][0] == "pass", got["tls.grade"]
    assert got["tls.protocols"] == [("pass", "offers TLSv1.2, TLSv1.3")]
    # four versions, weak ciphers, OCSP: six grading connections, then the login session
    assert recorder.connections == 7
    starttls = [i for i, line in enumerate(recorder.lines) if line == "STARTTLS"]
    auth = [i for i, line in enumerate(recorder.lines) if line.upper().startswith("AUTH")]
    assert len(auth) == 1 and recorder.logins == 1  # the credentials went out once
    assert len(starttls) == 7 and starttls[-1] < auth[0]  # on the last connection
    assert not any(PASSWORD in line for line in recorder.lines[: starttls[-1]])
    assert code == 0


def test_login_trace_no_tls_grade_is_one_connection(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    with _server(certs, recorder) as server:
        _code, doc, _ = run(
            run_cli, dns_server, "trace", NAME, "--port", str(server.port), "--ca-file", ca_file,
            "--no-tls-grade", *LOGIN,
        )  # fmt: skip
    assert "tls.grade" not in ids(doc)
    assert recorder.connections == 1 and recorder.logins == 1


def test_trace_that_stops_before_tls_makes_no_grading_connections(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, recorder: Recorder, ca_file: str
) -> None:
    """--quit-after ehlo never reaches TLS: nothing to grade, so no grading handshakes
    either (six of them used to be made first, and their results dropped). (With --user it
    is a usage error now: the login comes after TLS.)"""
    with _server(certs, recorder) as server:
        code, doc, _ = run(
            run_cli, dns_server, "trace", NAME, "--host", "--port", str(server.port),
            "--ca-file", ca_file, "--quit-after", "ehlo",
        )  # fmt: skip
    got = ids(doc)
    assert got["smtp.banner"][0][0] == "pass"
    assert got["tls.starttls"] == [
        ("info", "STARTTLS offered, not used (--tls none or --quit-after)")
    ]
    assert "tls.grade" not in got
    assert recorder.connections == 1 and recorder.logins == 0
    assert "STARTTLS" not in recorder.lines
    assert code == 0


def test_domain_smtp_no_tls_grade(
    run_cli: CliRun,
    dns_server: DnsServer,
    https_server: Any,
    test_ca: Any,
    recorder: Recorder,
    tmp_path: Path,
) -> None:
    https_ca = tmp_path / "ca.pem"  # the CA of the MTA-STS server, and here of the MX too
    test_ca.cert_pem.write_to_path(str(https_ca))
    handler = recording_smtp(server_context(test_ca.issue_cert(NAME)), recorder)
    with MisbehavingServer(handler) as server:
        args = ("sts-smtp.test", "--smtp", "--smtp-port", str(server.port))
        _code, graded = domain(run_cli, dns_server, https_server, str(https_ca), *args)
        assert by_id(graded)["tls.grade"][0][0] == "pass"
        assert recorder.connections == 6
        _code, doc = domain(
            run_cli, dns_server, https_server, str(https_ca), *args, "--no-tls-grade"
        )
    got = by_id(doc)
    assert got["tls.starttls"][0][0] == "pass"
    assert "tls.grade" not in got and "tls.protocols" not in got
    assert recorder.connections == 7  # one more: the conversation alone
