"""TLS grading of an MX (`trace`, `domain --smtp`) against loopback STARTTLS servers that
offer old protocol versions, weak ciphers and short keys, and one that vanishes between the
probes (ERROR, never a low grade).

The local OpenSSL (3.0 here) still speaks TLS 1.0 and 1.1 and RSA key exchange at
security level 0 (`@SECLEVEL=0`), so the servers below really offer them; RC4, single DES
and export ciphers are gone from OpenSSL 3's default provider, so the weak-cipher probe is
tested with what it allows (RSA key exchange with AES-CBC).
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import tempfile
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_trace import findings, trace
from tests.smtpfixtures import MisbehavingServer, _close, server_context, start_smtp

pytestmark = pytest.mark.timeout(90)
NAME = "mx.smtp-good.test"  # smtp-good.test's MX, 127.0.0.1 in the test zone


@pytest.fixture(scope="module")
def rsa_ca() -> trustme.CA:
    return trustme.CA(key_type=trustme.KeyType.RSA)


@pytest.fixture(scope="module")
def rsa_ca_file(rsa_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("rsa-ca") / "ca.pem"
    rsa_ca.cert_pem.write_to_path(str(path))
    return str(path)


def legacy_context(rsa_ca: trustme.CA, ciphers: str = "DEFAULT") -> ssl.SSLContext:
    """A server context that accepts TLS 1.0 to 1.2 at security level 0."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    rsa_ca.issue_cert(NAME, key_type=trustme.KeyType.RSA).configure_cert(context)
    return context


def short_key_context() -> ssl.SSLContext:
    """Self-signed RSA-1024 (loadable only at security level 0)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (on purpose)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    context.load_cert_chain(handle.name)
    return context


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[Any] = []

    def start(context: ssl.SSLContext) -> Any:
        server = start_smtp(starttls=context, name=NAME)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def grade_of(doc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {key: values[0] for key, values in findings(doc).items() if key.startswith("tls.")}


def test_modern_server_is_good(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, rsa_ca: trustme.CA, rsa_ca_file: str
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # Python's defaults: TLS 1.2 and 1.3
    rsa_ca.issue_cert(NAME, key_type=trustme.KeyType.RSA).configure_cert(context)
    server = serve(context)
    code, doc, _ = trace(
        run_cli, dns_server, "smtp-good.test", "--port", str(server.port), "--ca-file", rsa_ca_file
    )
    jsonschema.validate(doc, schema())
    got = grade_of(doc)
    assert code == 0, got
    assert got["tls.protocols"] == ("pass", "offers TLSv1.2, TLSv1.3")
    assert got["tls.cipher"][0] == "pass"
    assert got["tls.cipher"][1].startswith("negotiated TLS_AES_256_GCM_SHA384 (TLS 1.3 suite")
    assert "refuses weak ciphers" in got["tls.cipher"][1]
    assert got["tls.key-size"] == (
        "pass",
        "certificate key RSA 2048: sufficient (RSA of 2048 to 3071 bits)",
    )
    status, summary = got["tls.grade"]
    assert status == "pass"
    assert summary.startswith("Sufficient (NCSC-NL TLS guidelines 2.1): offers TLSv1.2, TLSv1.3")
    assert "no TLSA records (DANE not in use, not graded)" in summary
    handshakes = doc["reports"][0]["sections"][0]["data"]["tls"]["handshakes"]
    assert {h["probe"]: h["outcome"] for h in handshakes} == {
        "TLSv1.3": "accepted",
        "TLSv1": "refused",
        "TLSv1.1": "refused",
        "TLSv1.2": "accepted",
        "weak ciphers": "refused",
        "OCSP stapling": "not stapled",  # Python's ssl servers cannot staple
    }


def test_old_versions_are_phase_out(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, rsa_ca: trustme.CA, rsa_ca_file: str
) -> None:
    server = serve(legacy_context(rsa_ca))
    code, doc, _ = trace(
        run_cli, dns_server, "smtp-good.test", "--port", str(server.port), "--ca-file", rsa_ca_file
    )
    got = grade_of(doc)
    assert got["tls.protocols"] == (
        "warn",
        "offers TLSv1, TLSv1.1, TLSv1.2 (TLSv1, TLSv1.1: phase-out)",
    )
    # and the RSA key exchange it accepts when a client offers nothing better
    assert got["tls.cipher"][0] == "warn"
    assert (
        "also accepts AES256-GCM-SHA384 (RSA key exchange: no forward secrecy): phase-out"
        in (got["tls.cipher"][1])
    )
    assert got["tls.grade"][0] == "warn"
    assert got["tls.grade"][1].startswith("Phase-out (NCSC-NL TLS guidelines 2.1): ")
    assert code == 0  # warnings only (exit 1 with --fail-on warn)


def test_weak_only_cipher_and_short_key_fail(
    run_cli: CliRun, dns_server: DnsServer, serve: Any
) -> None:
    server = serve(short_key_context())
    code, doc, _ = trace(run_cli, dns_server, "smtp-good.test", "--port", str(server.port))
    got = grade_of(doc)
    assert got["tls.key-size"] == (
        "fail",
        "certificate key RSA 1024: insufficient (RSA shorter than 2048 bits)",
    )
    assert got["tls.grade"][0] == "fail"
    assert got["tls.grade"][1].startswith("Insufficient (NCSC-NL TLS guidelines 2.1): ")
    assert "certificate key RSA 1024 (RSA shorter than 2048 bits)" in got["tls.grade"][1]
    assert code == 1


def test_cbc_only_rsa_kx_server(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, rsa_ca: trustme.CA, rsa_ca_file: str
) -> None:
    server = serve(legacy_context(rsa_ca, "AES128-SHA"))
    _code, doc, _ = trace(
        run_cli, dns_server, "smtp-good.test", "--port", str(server.port), "--ca-file", rsa_ca_file
    )
    got = grade_of(doc)
    assert got["tls.cipher"] == (
        "warn",
        "negotiated AES128-SHA (RSA key exchange: no forward secrecy; key exchange RSA): "
        "phase-out; also accepts AES128-SHA (RSA key exchange: no forward secrecy): phase-out",
    )
    assert got["tls.grade"][0] == "warn"


def vanishing(context: ssl.SSLContext) -> Any:
    """A full STARTTLS conversation for the first client; every later one is closed before
    the banner (a server that went away between the probes)."""
    seen = {"count": 0}

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["count"] += 1
        if seen["count"] > 1:
            await _close(writer)
            return
        writer.write(f"220 {NAME} ESMTP\r\n".encode())
        await reader.readline()
        writer.write(f"250-{NAME}\r\n250 STARTTLS\r\n".encode())
        await reader.readline()
        writer.write(b"220 Ready to start TLS\r\n")
        await writer.drain()
        try:
            await writer.start_tls(context)
            while line := (await reader.readline()).decode().strip().upper():
                writer.write(
                    f"250 {NAME}\r\n".encode() if line.startswith("EHLO") else b"221 Bye\r\n"
                )
                await writer.drain()
                if line.startswith("QUIT"):
                    break
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        await _close(writer)

    return handler


def test_network_failure_is_error_not_a_grade(
    run_cli: CliRun, dns_server: DnsServer, rsa_ca: trustme.CA, rsa_ca_file: str
) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    rsa_ca.issue_cert(NAME, key_type=trustme.KeyType.RSA).configure_cert(context)
    with MisbehavingServer(vanishing(context)) as server:
        code, doc, _ = trace(
            run_cli,
            dns_server,
            "smtp-good.test",
            "--port",
            str(server.port),
            "--ca-file",
            rsa_ca_file,
        )
    got = grade_of(doc)
    assert got["tls.starttls"][0] == "pass"
    assert got["tls.protocols"][0] == "error"
    assert got["tls.protocols"][1].startswith(
        "could not determine every version offered: TLSv1: banner: the server closed the connection"
    )
    assert got["tls.grade"][0] == "error"
    assert got["tls.grade"][1].startswith("could not determine the grade: protocol versions (")
    assert code == 3


def test_server_context_helper_still_grades(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, certs: Any
) -> None:
    """The shared fixture certificate (trustme's default ECDSA P-256 key) rates good."""
    server = serve(server_context(certs.good))
    _code, doc, _ = trace(run_cli, dns_server, "smtp-good.test", "--port", str(server.port))
    got = grade_of(doc)
    assert got["tls.key-size"] == (
        "pass",
        "certificate key EC secp256r1: good (a recommended curve)",
    )
    assert got["tls.grade"] == (
        "pass",
        "Good (NCSC-NL TLS guidelines 2.1): offers TLSv1.2, TLSv1.3; TLS_AES_256_GCM_SHA384 "
        "(TLS 1.3 suite; key exchange ephemeral (EC)DHE (TLS 1.3)): good; refuses weak ciphers "
        "(RSA key exchange, 3DES, RC4, NULL); certificate key EC secp256r1 (a recommended "
        "curve); no TLSA records (DANE not in use, not graded); no OCSP response stapled "
        "(optional: clients ask the CA themselves), not graded",
    )


def counting(context: ssl.SSLContext, banner: str = "220") -> tuple[Any, dict[str, int]]:
    """Every connection served alike (STARTTLS, EHLO, MAIL, RCPT, QUIT), counted; the first
    one's MAIL FROM is answered only once a second connection (a grading probe) has come,
    250 then, 451 after 10 s without one. `banner` "554": every session refused."""
    seen = {"count": 0}
    probe_came = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["count"] += 1
        first = seen["count"] == 1
        if not first:
            probe_came.set()
        try:
            writer.write(f"{banner} {NAME} ESMTP\r\n".encode())
            while line := (await reader.readline()).decode().strip().upper():
                if line.startswith("EHLO"):
                    writer.write(f"250-{NAME}\r\n250 STARTTLS\r\n".encode())
                elif line == "STARTTLS":
                    writer.write(b"220 Ready to start TLS\r\n")
                    await writer.drain()
                    await writer.start_tls(context)
                    continue
                elif line.startswith("MAIL") and first:
                    try:
                        await asyncio.wait_for(probe_came.wait(), 10)
                        writer.write(b"250 2.1.0 a probe came meanwhile\r\n")
                    except TimeoutError:
                        writer.write(b"451 4.3.0 no probe during the conversation\r\n")
                elif line.startswith("QUIT"):
                    writer.write(b"221 Bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 2.0.0 Ok\r\n")
                await writer.drain()
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        await _close(writer)

    return handler, seen


def test_grading_runs_alongside_the_conversation(
    run_cli: CliRun, dns_server: DnsServer, rsa_ca: trustme.CA, rsa_ca_file: str
) -> None:
    """The grading handshakes start once the server has greeted, not after the whole
    conversation (which took as long again): the MAIL FROM reply waits for one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    rsa_ca.issue_cert(NAME, key_type=trustme.KeyType.RSA).configure_cert(context)
    handler, seen = counting(context)
    with MisbehavingServer(handler) as server:
        code, doc, _ = trace(
            run_cli,
            dns_server,
            "smtp-good.test",
            "--port",
            str(server.port),
            "--ca-file",
            rsa_ca_file,
            "--mail-from",
            "a@example.com",
            "--rcpt",
            "b@smtp-good.test",
        )
    got = findings(doc)
    assert got["smtp.mail"][0] == (
        "pass",
        "MAIL FROM: 250 2.1.0 a probe came meanwhile (requested action completed; 2.1.0 other "
        "address status)",
    )
    assert grade_of(doc)["tls.protocols"][0] == "pass"
    # the main conversation and one probe per version it did not negotiate (TLSv1 to 1.2),
    # the weak-cipher one and the OCSP one: the negotiated version is not probed again
    assert seen["count"] == 6
    assert code == 0


def test_no_grading_probe_when_the_server_refuses_the_session(
    run_cli: CliRun, dns_server: DnsServer, rsa_ca: trustme.CA, rsa_ca_file: str
) -> None:
    """A 554 greeting: the conversation ends there, and no probe connects after it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    rsa_ca.issue_cert(NAME, key_type=trustme.KeyType.RSA).configure_cert(context)
    handler, seen = counting(context, banner="554")
    with MisbehavingServer(handler) as server:
        code, doc, _ = trace(
            run_cli,
            dns_server,
            "smtp-good.test",
            "--port",
            str(server.port),
            "--ca-file",
            rsa_ca_file,
        )
    got = findings(doc)
    assert got["smtp.banner"][0][0] == "fail", got
    assert not grade_of(doc)
    assert seen["count"] == 1
    assert code == 1
