"""DANE end to end with a DNSSEC-secure chain: signed loopback zones (tests/zonegen.py,
dane-*.test, their DS in the test. zone) whose MX is a loopback STARTTLS server, through
`trace` and `domain --smtp`: TLSA that matches (PASS, graded good), that does not (FAIL,
insufficient), and TLSA whose signatures expired or were forged: DNSSEC-bogus, which RFC 7672
§2.2 makes a reason not to deliver at all (FAIL), unlike insecure TLSA, which senders ignore.

mailcheck anchors the chain at the DS the parent zone serves (dnssec.zone's details say so):
here the test. zone of the loopback DNS server."""

from __future__ import annotations

import datetime
import ssl
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_domain_smtp import by_id, domain
from tests.integration.test_trace import findings, trace
from tests.ocspserver import ca_cert, ca_key
from tests.smtpfixtures import start_smtp
from tests.zonegen import Generated

pytestmark = pytest.mark.timeout(90)
HOSTS = [f"mx.dane-{z}.test" for z in ("ok", "other", "expired", "forged")]


def _context(ca: trustme.CA, generated: Generated) -> ssl.SSLContext:
    """A certificate for every dane-*.test MX, on the key their TLSA records name."""
    key = serialization.load_pem_private_key(generated.dane_key, None)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])]))
        .issuer_name(ca_cert(ca).subject)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False
        )
        .sign(ca_key(ca), hashes.SHA256())
    )
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM) + generated.dane_key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(handle.name)
    return context


@pytest.fixture(scope="module")
def mx(test_ca: Any, generated: Generated) -> Iterator[Any]:
    context = _context(test_ca, generated)
    server = start_smtp(port=generated.dane_port, starttls=context, name=HOSTS[0])
    yield server
    server.stop()


def traced(run_cli: CliRun, dns: DnsServer, zone: str, mx: Any, ca_file: str) -> Any:
    code, doc, _ = trace(run_cli, dns, zone, "--port", str(mx.port), "--ca-file", ca_file)
    got = {key: values[0] for key, values in findings(doc).items()}
    return code, got


def lab_port(mx: Any) -> str:
    """An MX is judged by its TLSA records at _25._tcp (RFC 7672), whatever port the lab
    server listens on, and the finding says so."""
    return (
        " (looked up for port 25, where senders deliver (RFC 7672); this server was reached "
        f"on port {mx.port})"
    )


def test_matching_tlsa_in_a_signed_zone_passes_and_grades_good(
    run_cli: CliRun, dns_server: DnsServer, mx: Any, ca_file: str
) -> None:
    code, got = traced(run_cli, dns_server, "dane-ok.test", mx, ca_file)
    assert got["tls.certificate"][0] == "pass"
    assert got["dane.match"][0] == "pass"
    assert got["dane.match"][1].startswith("the certificate matches TLSA 3 1 1 ")
    assert "not DNSSEC-secure" not in got["dane.match"][1]
    assert "DANE: the certificate matches TLSA 3 1 1 " in got["tls.grade"][1]
    assert got["tls.grade"][0] == "pass"
    assert code == 0


def test_tlsa_for_another_key_fails(
    run_cli: CliRun, dns_server: DnsServer, mx: Any, ca_file: str
) -> None:
    code, got = traced(run_cli, dns_server, "dane-other.test", mx, ca_file)
    assert got["dane.match"] == (
        "fail",
        "the certificate matches none of the 1 TLSA records at _25._tcp.mx.dane-other.test"
        + lab_port(mx),
    )
    assert got["tls.grade"][0] == "fail"
    assert got["tls.grade"][1].startswith("Insufficient (NCSC-NL TLS guidelines 2.1): ")
    assert code == 1


def test_expired_signatures_make_dane_bogus(
    run_cli: CliRun, dns_server: DnsServer, mx: Any, ca_file: str
) -> None:
    """The TLSA names the server's key, but the zone's signatures have expired."""
    code, got = traced(run_cli, dns_server, "dane-expired.test", mx, ca_file)
    status, summary = got["dane.match"]
    assert status == "fail"
    assert summary.startswith(
        "the TLSA records at _25._tcp.mx.dane-expired.test fail DNSSEC validation (the "
        "DNSKEY signature of dane-expired.test does not verify: the signature expired on "
    )
    assert summary.endswith(
        "DANE senders must not deliver to this server and defer the mail (RFC 7672 §2.2)"
        + lab_port(mx)
    )
    assert got["tls.grade"][0] == "fail"
    assert code == 1


def test_forged_tlsa_is_bogus_not_a_match(
    run_cli: CliRun, dns_server: DnsServer, mx: Any, ca_file: str
) -> None:
    """A TLSA record that names the server's key, changed after signing: it would "match",
    but its signature fails, so it is no evidence at all."""
    code, got = traced(run_cli, dns_server, "dane-forged.test", mx, ca_file)
    assert got["dane.match"] == (
        "fail",
        "the TLSA records at _25._tcp.mx.dane-forged.test fail DNSSEC validation (the "
        "signature over _25._tcp.mx.dane-forged.test TLSA does not verify: it does "
        "not match the records (changed after signing?)): DANE senders must not deliver to "
        "this server and defer the mail (RFC 7672 §2.2)" + lab_port(mx),
    )
    assert code == 1


def test_domain_smtp_with_signed_dane(
    run_cli: CliRun, dns_server: DnsServer, https_server: Any, ca_file: str, mx: Any
) -> None:
    _code, doc = domain(
        run_cli,
        dns_server,
        https_server,
        ca_file,
        "dane-ok.test",
        "--smtp",
        "--smtp-port",
        str(mx.port),
    )
    got = by_id(doc)
    assert got["dnssec.zone"][0][0] == "pass"
    assert got["dnssec.mx-zone"][0] == (
        "pass",
        "mx.dane-ok.test: zone dane-ok.test is signed: DS at the parent → DNSKEY → RRSIG "
        "over mx.dane-ok.test A verified here with dnspython; the resolver did not set the AD "
        "flag (it does not validate)",
    )
    # the records at _25._tcp, as the DNSSEC family reads them, not at the lab port
    [(status, summary)] = got["dane.match"]
    assert status == "pass" and summary.endswith(" at _25._tcp.mx.dane-ok.test" + lab_port(mx))
    assert got["tls.grade"][0][0] == "pass"
    assert "dane.no-dnssec" not in got
    _code, bad = domain(
        run_cli, dns_server, https_server, ca_file, "dane-expired.test", "--smtp",
        "--smtp-port", str(mx.port),
    )  # fmt: skip
    bogus = by_id(bad)
    assert bogus["dnssec.mx-zone"][0][0] == "fail"
    assert bogus["dane.match"][0][0] == "fail"
    assert "fail DNSSEC validation" in bogus["dane.match"][0][1]
    # the DNSSEC family says the same of the TLSA records: not ignored, a reason to defer
    status, summary = bogus["dane.no-dnssec"][0]
    assert status == "fail"
    assert summary.startswith(
        "_25._tcp.mx.dane-expired.test has TLSA records but mx.dane-expired.test's zone fails "
        "DNSSEC validation (the DNSKEY signature of dane-expired.test does not verify: the "
        "signature expired on "
    )
    assert summary.endswith(
        "DANE senders must not deliver to mx.dane-expired.test and defer the mail (RFC 7672 §2.2)"
    )


@pytest.fixture(scope="module")
def tlsa_servfail(zone_dir: Any) -> Iterator[DnsServer]:
    """The test zones, but the TLSA name of mx.dane-ok.test (a signed zone) answers
    SERVFAIL, as a broken signer or a resolver that cannot validate it does."""
    from tests.conftest import BEHAVIOURS

    behaviours = {**BEHAVIOURS, "_25._tcp.mx.dane-ok.test.": "SERVFAIL"}
    with DnsServer(sorted(zone_dir.glob("*.zone")), behaviours=behaviours) as server:
        yield server


def test_failed_tlsa_lookup_in_a_signed_zone_is_an_error(
    run_cli: CliRun, tlsa_servfail: DnsServer, https_server: Any, ca_file: str, mx: Any
) -> None:
    """RFC 7672 §2.2: a DANE sender defers the mail when the TLSA lookup of a host in a
    signed zone fails; `trace` and `domain --smtp` say so (ERROR, exit 3), not nothing."""
    start = (
        "could not determine the TLSA records at _25._tcp.mx.dane-ok.test: SERVFAIL from "
        f"{tlsa_servfail.address}"
    )
    end = "; DANE senders defer mail to this host (RFC 7672 §2.2)"
    code, got = traced(run_cli, tlsa_servfail, "dane-ok.test", mx, ca_file)
    status, summary = got["dane.match"]
    assert status == "error" and summary.startswith(start), summary
    assert summary.endswith(end + lab_port(mx)), summary
    assert got["tls.certificate"][0] == "pass"
    assert code == 3
    code, doc = domain(
        run_cli, tlsa_servfail, https_server, ca_file, "dane-ok.test", "--smtp",
        "--smtp-port", str(mx.port), "--only", "dane",
    )  # fmt: skip
    got_domain = by_id(doc)
    # the DNSSEC family and the conversation say the same
    [(status, tlsa_summary)] = got_domain["dane.tlsa"]
    assert status == "error" and tlsa_summary.startswith(start) and tlsa_summary.endswith(end)
    assert got_domain["dane.match"] == [("error", tlsa_summary + lab_port(mx))]
    assert code == 3
