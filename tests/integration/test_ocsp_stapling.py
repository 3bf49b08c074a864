"""OCSP stapling in the TLS grade (`trace`), against a loopback STARTTLS server that staples
responses built from a trustme test CA: good, revoked, expired, signed by a stranger, signed
by a delegated responder, and none at all.

The server is pyOpenSSL on the OpenSSL cryptography bundles (4.0 here), which will not staple a
response whose CertID is not the served certificate's (nor bytes that are no OCSP response):
those two cases are judged in tests/unit/test_ocsp_staple.py from the same kind of responses."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import trustme
from cryptography.x509 import ocsp

from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_trace import findings, trace
from tests.ocspserver import NOW, StaplingServer, delegate, leaf_cert, response

pytestmark = pytest.mark.timeout(90)
NAME = "mx.smtp-good.test"  # smtp-good.test's MX, 127.0.0.1 in the test zone


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert(NAME)


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ocsp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def serve(leaf: trustme.LeafCert) -> Iterator[Any]:
    servers: list[StaplingServer] = []

    def start(staple: bytes) -> StaplingServer:
        server = StaplingServer(leaf, NAME, staple)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def stapling(run_cli: CliRun, dns: DnsServer, server: StaplingServer, ca_file: str) -> Any:
    code, doc, _ = trace(
        run_cli, dns, "smtp-good.test", "--port", str(server.port), "--ca-file", ca_file
    )
    jsonschema.validate(doc, schema())
    got = findings(doc)
    return code, got["tls.ocsp-stapling"][0], got["tls.grade"][0]


def test_good_staple_passes(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    server = serve(response(ca, leaf_cert(leaf)))
    code, (status, summary), grade = stapling(run_cli, dns_server, server, ca_file)
    until = NOW + datetime.timedelta(days=3)
    assert (status, summary) == (
        "pass",
        f"a valid OCSP response is stapled (good, produced "
        f"{NOW - datetime.timedelta(hours=1):%Y-%m-%d %H:%M} UTC, valid until "
        f"{until:%Y-%m-%d %H:%M} UTC)",
    )
    assert grade[0] == "pass"
    assert "a valid OCSP response is stapled" in grade[1]
    assert server.asked == 1  # only the dedicated probe asks
    assert code == 0


def test_delegated_responder_passes(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    server = serve(response(ca, leaf_cert(leaf), signer=delegate(ca)))
    _code, (status, summary), _grade = stapling(run_cli, dns_server, server, ca_file)
    assert status == "pass", summary


def test_no_staple_is_info(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca_file: str
) -> None:
    server = serve(b"")
    code, finding, grade = stapling(run_cli, dns_server, server, ca_file)
    assert finding == (
        "info",
        "no OCSP response stapled (optional: clients ask the CA themselves)",
    )
    assert grade[0] == "pass"
    assert code == 0


def test_revoked_staple_fails(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    server = serve(response(ca, leaf_cert(leaf), ocsp.OCSPCertStatus.REVOKED))
    code, finding, grade = stapling(run_cli, dns_server, server, ca_file)
    since = NOW - datetime.timedelta(days=2)
    assert finding == (
        "fail",
        "the stapled OCSP response says the certificate is REVOKED since "
        f"{since:%Y-%m-%d %H:%M} UTC (key_compromise)",
    )
    assert grade[0] == "fail"
    assert grade[1].startswith("Insufficient (NCSC-NL TLS guidelines 2.1): ")
    assert code == 1


def test_expired_staple_fails(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    produced = NOW - datetime.timedelta(days=10)
    until = NOW - datetime.timedelta(days=3)
    server = serve(response(ca, leaf_cert(leaf), this_update=produced, next_update=until))
    code, finding, _grade = stapling(run_cli, dns_server, server, ca_file)
    assert finding == (
        "fail",
        f"the stapled OCSP response is stale: valid until {until:%Y-%m-%d %H:%M} UTC "
        f"(produced {produced:%Y-%m-%d %H:%M} UTC); the server staples an old answer",
    )
    assert code == 1


def test_staple_signed_by_a_stranger_fails(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    """Right certificate, right issuer hashes, but the signature is another CA's."""
    stranger = trustme.CA()
    forged = response(ca, leaf_cert(leaf), signer=delegate(stranger))
    server = serve(forged)
    code, finding, _grade = stapling(run_cli, dns_server, server, ca_file)
    assert finding == (
        "fail",
        "the stapled OCSP response is not signed by the certificate's issuer or its "
        "delegated OCSP responder",
    )
    assert code == 1


def test_unknown_status_fails(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    server = serve(response(ca, leaf_cert(leaf), ocsp.OCSPCertStatus.UNKNOWN))
    code, finding, _grade = stapling(run_cli, dns_server, server, ca_file)
    assert finding == (
        "fail",
        "the stapled OCSP response says the responder does not know the certificate",
    )
    assert code == 1


def test_response_from_the_future_fails(
    run_cli: CliRun, dns_server: DnsServer, serve: Any, ca: trustme.CA, leaf: Any, ca_file: str
) -> None:
    """thisUpdate a day ahead (a responder with a wrong clock): not valid yet."""
    ahead = NOW + datetime.timedelta(days=1)
    server = serve(
        response(ca, leaf_cert(leaf), this_update=ahead, next_update=ahead + datetime.timedelta(1))
    )
    code, finding, _grade = stapling(run_cli, dns_server, server, ca_file)
    assert finding == (
        "fail",
        f"the stapled OCSP response is not valid before {ahead:%Y-%m-%d %H:%M} UTC",
    )
    assert code == 1
