"""`mailcheck trace` against real SMTP servers on loopback (aiosmtpd with STARTTLS, implicit
TLS and AUTH, certificates from a test CA) and against servers that misbehave on purpose."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import (
    Certificates,
    MisbehavingServer,
    certs_ca_file,
    close_in_tls,
    close_mid_reply,
    endless_reply,
    free_port,
    garbage,
    greeting_421,
    greylisting,
    long_line,
    plain_smtp,
    self_signed_context,
    server_context,
    silent,
    slow_banner,
    start_smtp,
    starttls_injection,
)

ca_file = certs_ca_file  # this module's ca_file fixture: the CA of `certs`


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return Certificates()


def trace(run_cli: CliRun, dns: DnsServer, *args: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli(
        "trace",
        "--nameserver",
        dns.address,
        "--format",
        "json",
        "--step-timeout",
        "2",
        "--timeout",
        "20",
        *args,
    )
    assert "Traceback" not in result.stderr, result.stderr
    if not result.stdout and result.returncode != 2:
        # seen under CI load: no output at all from a run that is not a usage error; say
        # how it ended
        raise AssertionError(f"no output: exit {result.returncode}, stderr {result.stderr!r}")
    doc = json.loads(result.stdout) if result.stdout else {}
    return result.returncode, doc, result.stderr


def findings(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for report in doc["reports"]:
        for section in report["sections"]:
            for item in section["findings"]:
                out.setdefault(item["id"], []).append((item["status"], item["summary"]))
    return out


def transcript(doc: dict[str, Any]) -> list[str]:
    return [
        f"{line['who']}: {line['text']}"
        for report in doc["reports"]
        for section in report["sections"]
        for line in section["data"].get("transcript", [])
    ]


@pytest.fixture
def good_server(certs: Certificates) -> Iterator[Any]:
    server = start_smtp(starttls=server_context(certs.good), auth=True, name="mx.smtp-good.test")
    yield server
    server.stop()


def test_domain_trace_with_starttls(
    run_cli: CliRun, dns_server: DnsServer, good_server: Any, ca_file: str
) -> None:
    code, doc, _ = trace(
        run_cli, dns_server, "smtp-good.test", "--port", str(good_server.port), "--ca-file", ca_file
    )
    assert code == 0, json.dumps(findings(doc), indent=1)
    got = findings(doc)
    assert got["tls.starttls"][0][0] == "pass" and "TLSv1.3" in got["tls.starttls"][0][1]
    assert got["tls.certificate"][0][0] == "pass"
    assert "tls.hostname" not in got
    lines = transcript(doc)
    assert "C: STARTTLS" in lines and "S: 220 Ready to start TLS" in lines
    assert any(line.startswith("S: 250-AUTH") for line in lines)  # offered after TLS only
    section = doc["reports"][0]["sections"][0]["data"]
    assert section["tls"]["certificates"][0]["dns_names"][0] == "mx.smtp-good.test"
    assert doc["reports"][0]["data"]["mx"][0]["host"] == "mx.smtp-good.test"


def test_commands_are_upper_case_and_timed(
    run_cli: CliRun, dns_server: DnsServer, good_server: Any, ca_file: str
) -> None:
    _code, doc, _ = trace(
        run_cli,
        dns_server,
        "mx.smtp-good.test",
        "--host",
        "--port",
        str(good_server.port),
        "--ehlo",
        "client.test",
        "--mail-from",
        "a@smtp-good.test",
        "--rcpt",
        "b@smtp-good.test",
    )
    sent = [line for line in transcript(doc) if line.startswith("C: ")]
    assert sent == [
        "C: EHLO client.test",
        "C: STARTTLS",
        "C: EHLO client.test",
        "C: MAIL FROM:<a@smtp-good.test>",
        "C: RCPT TO:<b@smtp-good.test>",
        "C: RSET",
        "C: QUIT",
    ]
    times = [line["ms"] for line in doc["reports"][0]["sections"][0]["data"]["transcript"]]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("cert_name", "host", "check_id", "text"),
    [
        ("expired", "mx.smtp-expired.test", "tls.expiry", "certificate expired on"),
        ("expiring", "mx.smtp-expiring.test", "tls.expiry", "certificate expires in"),
        (
            "wrong_name",
            "mx.smtp-good.test",
            "tls.hostname",
            "does not name mx.smtp-good.test (it names somewhere-else.test)",
        ),
    ],
)
def test_certificate_problems(
    run_cli: CliRun,
    dns_server: DnsServer,
    certs: Certificates,
    ca_file: str,
    cert_name: str,
    host: str,
    check_id: str,
    text: str,
) -> None:
    server = start_smtp(starttls=server_context(getattr(certs, cert_name)), name=host)
    try:
        code, doc, _ = trace(
            run_cli, dns_server, host, "--host", "--port", str(server.port), "--ca-file", ca_file
        )
    finally:
        server.stop()
    got = findings(doc)
    assert any(text in summary for _s, summary in got[check_id]), got
    assert code == (0 if cert_name == "expiring" else 1)


def test_self_signed_and_untrusted(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates
) -> None:
    server = start_smtp(starttls=self_signed_context("mx.smtp-good.test"))
    try:
        _code, doc, _ = trace(
            run_cli, dns_server, "mx.smtp-good.test", "--host", "--port", str(server.port)
        )
    finally:
        server.stop()
    assert findings(doc)["tls.certificate"][0][1].startswith("self-signed certificate")
    server = start_smtp(starttls=server_context(certs.good))
    try:
        _code, doc, _ = trace(
            run_cli, dns_server, "mx.smtp-good.test", "--host", "--port", str(server.port)
        )  # no --ca-file: the system store
    finally:
        server.stop()
    status, summary = findings(doc)["tls.certificate"][0]
    assert status == "fail" and "is not in the trust store" in summary


def test_intermediate_chain(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, ca_file: str
) -> None:
    server = start_smtp(starttls=server_context(certs.intermediate))
    try:
        _code, doc, _ = trace(
            run_cli,
            dns_server,
            "mx.smtp-chain.test",
            "--host",
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
        )
    finally:
        server.stop()
    assert findings(doc)["tls.certificate"][0][0] == "pass"
    chain = doc["reports"][0]["sections"][0]["data"]["tls"]["certificates"]
    assert len(chain) == 2


def test_implicit_tls(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, ca_file: str
) -> None:
    server = start_smtp(implicit=server_context(certs.good))
    try:
        code, doc, _ = trace(
            run_cli,
            dns_server,
            "mx.smtp-good.test",
            "--host",
            "--port",
            str(server.port),
            "--tls",
            "implicit",
            "--ca-file",
            ca_file,
        )
    finally:
        server.stop()
    assert code == 0
    assert "implicit TLS" in findings(doc)["tls.starttls"][0][1]
    assert transcript(doc)[1].startswith("*: TLS handshake")


def test_auth_before_tls_and_no_starttls(run_cli: CliRun, dns_server: DnsServer) -> None:
    server = start_smtp(auth=True, auth_require_tls=False)
    try:
        code, doc, _ = trace(run_cli, dns_server, "127.0.0.1", "--port", str(server.port))
    finally:
        server.stop()
    got = findings(doc)
    # a port that is neither 25 nor a submission or mailbox port: a warning, not a failure
    assert got["tls.starttls"][0] == (
        "warn",
        f"no STARTTLS on port {server.port}: everything travels in clear",
    )
    assert got["smtp.auth-plaintext"][0][0] == "fail"
    assert code == 1


def _offers_auth(mechanisms: bytes) -> Any:
    """A server with no STARTTLS whose EHLO offers AUTH with these mechanisms."""
    return plain_smtp(b"mx.bad.test", b"AUTH " + mechanisms)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("mechanisms", "status", "summary"),
    [
        (
            b"CRAM-MD5 SCRAM-SHA-256",
            "warn",
            "AUTH CRAM-MD5 SCRAM-SHA-256 is offered before TLS: the password is not sent, "
            "but the user name and the mail after the login are, and the exchange can be "
            "guessed offline",
        ),
        (
            b"XOAUTH2 CRAM-MD5",
            "fail",
            "AUTH XOAUTH2 is offered before TLS: access tokens can be sent in clear",
        ),
        (
            b"login cram-md5",
            "fail",
            "AUTH LOGIN is offered before TLS: passwords can be sent in clear",
        ),
    ],
)
def test_any_auth_before_tls_is_a_finding(
    run_cli: CliRun, dns_server: DnsServer, mechanisms: bytes, status: str, summary: str
) -> None:
    # AUTH without TLS used to be named only when PLAIN or LOGIN was offered: a server
    # offering CRAM-MD5 in clear got a tls.starttls WARN and nothing about AUTH
    with MisbehavingServer(_offers_auth(mechanisms)) as server:
        code, doc, _ = trace(run_cli, dns_server, "127.0.0.1", "--port", str(server.port))
    assert findings(doc)["smtp.auth-plaintext"] == [(status, summary)]
    assert code == (1 if status == "fail" else 0)


def test_require_tls(run_cli: CliRun, dns_server: DnsServer) -> None:
    server = start_smtp()
    try:
        code, doc, _ = trace(
            run_cli, dns_server, "127.0.0.1", "--port", str(server.port), "--require-tls"
        )
    finally:
        server.stop()
    assert findings(doc)["tls.required"][0][0] == "fail" and code == 1


def test_all_mx_in_parallel(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, ca_file: str
) -> None:
    port = free_port("127.0.0.2")
    first = start_smtp(
        "127.0.0.2", port, starttls=server_context(certs.good), name="mx1.smtp-all.test"
    )
    second = start_smtp(
        "127.0.0.3", port, starttls=server_context(certs.good), name="mx2.smtp-all.test"
    )
    try:
        code, doc, _ = trace(
            run_cli,
            dns_server,
            "smtp-all.test",
            "--port",
            str(port),
            "--all-mx",
            "--ca-file",
            ca_file,
        )
    finally:
        first.stop()
        second.stop()
    hosts = [s["data"]["host"] for s in doc["reports"][0]["sections"]]
    assert hosts == ["mx1.smtp-all.test", "mx2.smtp-all.test"] and code == 0


def test_next_mx_when_the_first_is_down(run_cli: CliRun, dns_server: DnsServer) -> None:
    port = free_port("127.0.0.5")
    server = start_smtp("127.0.0.5", port)
    try:
        _code, doc, _ = trace(
            run_cli, dns_server, "smtp-next.test", "--port", str(port), "--tls", "none"
        )
    finally:
        server.stop()
    sections = doc["reports"][0]["sections"]
    assert [s["data"]["host"] for s in sections] == ["down.smtp-next.test", "mx.smtp-next.test"]
    got = findings(doc)
    assert got["smtp.connect"][0][0] == "error" and got["smtp.connect"][1][0] == "pass"


@pytest.mark.parametrize(
    ("name", "status", "said"),
    [
        # the domain says it takes no mail: as it should be
        (
            "smtp-nullmx.test",
            "skip",
            "smtp-nullmx.test publishes a null MX: no MX host to contact",
        ),
        # a misspelt or vanished name is a known answer: FAIL, not an OK trace of nothing
        ("nothing-here.test", "fail", "nothing-here.test does not exist: nothing to contact"),
        (
            "_mta-sts.sts-smtp.test",
            "fail",
            "_mta-sts.sts-smtp.test has no MX records and no address (A/AAAA): nothing to contact",
        ),
    ],
)
def test_nothing_to_contact(
    run_cli: CliRun, dns_server: DnsServer, name: str, status: str, said: str
) -> None:
    """RFC 5321 section 5.1 (and RFC 7505): `trace` says why it contacted nothing, in the
    words of `domain --smtp` (tests/integration/test_domain_smtp.py)."""
    code, doc, _ = trace(run_cli, dns_server, name)
    assert findings(doc) == {"smtp.connect": [(status, said)]}
    assert code == (1 if status == "fail" else 0)


@pytest.mark.parametrize(
    ("args", "check_id"),
    [
        (("--host",), "smtp.connect"),
        (("--port", "993"), "mailbox.connect"),
        (("--protocol", "pop3"), "mailbox.connect"),
    ],
)
def test_a_host_that_does_not_exist_fails_in_every_protocol(
    run_cli: CliRun, dns_server: DnsServer, args: tuple[str, ...], check_id: str
) -> None:
    # it was ERROR "has no A or AAAA record" (exit 3, "could not determine") here, and SKIP
    # with exit 0 for the same name traced as a mail domain: DNS answered, so FAIL (exit 1)
    code, doc, _ = trace(run_cli, dns_server, "nothing-here.test", *args)
    assert findings(doc) == {check_id: [("fail", "nothing-here.test does not exist (NXDOMAIN)")]}
    [said] = [f for s in doc["reports"][0]["sections"] for f in s["findings"]]
    assert said["hint"] == (
        "Check the spelling of the name, and that its MX or A/AAAA records are published."
    )
    assert code == 1


def test_localhost_is_the_loopback_host_whatever_the_resolver_says(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    # the test resolver (like the one on these machines) answers NXDOMAIN for localhost: it
    # is not asked (RFC 6761 6.3), so the trace reaches the loopback address, here a closed
    # port (ERROR, exit 3), instead of failing with "localhost does not exist"
    port = free_port()
    code, doc, _ = trace(run_cli, dns_server, "localhost", "--host", "--port", str(port))
    [(status, summary)] = findings(doc)["smtp.connect"][:1]
    assert status == "error" and f"127.0.0.1]:{port}" in summary
    assert code == 3


def test_unreachable_exits_3(run_cli: CliRun, dns_server: DnsServer) -> None:
    port = free_port()
    started = time.monotonic()
    code, doc, _ = trace(run_cli, dns_server, "127.0.0.1", "--port", str(port))
    assert code == 3 and findings(doc)["smtp.connect"][0][0] == "error"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("handler", "check_id", "status", "text"),
    [
        (greeting_421, "smtp.banner", "fail", "refused the session at connect: 421"),
        (endless_reply, "smtp.protocol", "fail", "more than 200 lines"),
        (long_line, "smtp.protocol", "fail", "longer than 8192 bytes"),
        (garbage, "smtp.protocol", "fail", "not an SMTP reply"),
        # a lost connection is network trouble, not a verdict on the server (never FAIL)
        (close_mid_reply, "smtp.protocol", "error", "closed the connection"),
        (close_in_tls, "tls.handshake", "error", "TLS handshake failed"),
        (silent, "smtp.banner", "error", "said nothing"),
    ],
)
def test_misbehaving_servers(
    run_cli: CliRun, dns_server: DnsServer, handler: Any, check_id: str, status: str, text: str
) -> None:
    with MisbehavingServer(handler) as server:
        started = time.monotonic()
        code, doc, _ = trace(run_cli, dns_server, "127.0.0.1", "--port", str(server.port))
        elapsed = time.monotonic() - started
    got = findings(doc)
    assert any(s == status and text in summary for s, summary in got.get(check_id, [])), got
    assert code == (3 if status == "error" else 1)
    assert elapsed < 15


def test_greylisting(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(greylisting) as server:
        _code, doc, _ = trace(
            run_cli,
            dns_server,
            "127.0.0.1",
            "--port",
            str(server.port),
            "--tls",
            "none",
            "--mail-from",
            "a@x.test",
            "--rcpt",
            "b@y.test",
        )
    status, summary = findings(doc)["smtp.rcpt"][0]
    assert status == "warn" and "greylisted" in summary and "4.7.1" in summary


def test_starttls_injection(
    run_cli: CliRun, dns_server: DnsServer, certs: Certificates, ca_file: str
) -> None:
    with MisbehavingServer(starttls_injection(server_context(certs.good))) as server:
        code, doc, _ = trace(
            run_cli,
            dns_server,
            "mx.smtp-good.test",
            "--host",
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
        )
    status, summary = findings(doc)["tls.injection"][0]
    assert status == "fail" and "bytes arrived before the TLS handshake" in summary
    assert code == 1
    assert "S: 250 injected reply" not in transcript(doc)


def test_slow_banner(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(slow_banner(3.3)) as server:
        _code, doc, _ = trace(
            run_cli,
            dns_server,
            "127.0.0.1",
            "--port",
            str(server.port),
            "--step-timeout",
            "5",
            "--tls",
            "none",
        )
    status, summary = findings(doc)["smtp.slow"][0]
    assert status == "warn" and "the banner took 3." in summary


def test_quit_after_and_hostile_text(run_cli: CliRun, dns_server: DnsServer) -> None:
    server = start_smtp(name="mx[bold red]\x1b[31m.test")
    try:
        result = run_cli(
            "trace",
            "127.0.0.1",
            "--port",
            str(server.port),
            "--quit-after",
            "banner",
            "--nameserver",
            dns_server.address,
            "--color",
            "always",
        )
    finally:
        server.stop()
    assert "EHLO" not in result.stdout
    assert "[bold red]" in result.stdout and "\\x1b[31m" in result.stdout


def test_banner_name_vs_ptr(run_cli: CliRun, dns_server: DnsServer) -> None:
    server = start_smtp(name="mail.elsewhere.test")
    try:
        _code, doc, _ = trace(
            run_cli, dns_server, "127.0.0.1", "--port", str(server.port), "--tls", "none"
        )
    finally:
        server.stop()
    status, summary = findings(doc)["smtp.banner-name"][0]
    assert status == "warn"
    assert "banner says mail.elsewhere.test, PTR of 127.0.0.1 is mx.smtp-good.test" in summary


def test_dane_against_the_certificate(
    run_cli: CliRun, certs: Certificates, ca_file: str, tmp_path: Path
) -> None:
    import hashlib

    from mailcheck.net.tlsinfo import spki

    server = start_smtp(starttls=server_context(certs.good), name="mx.smtp-good.test")
    leaf = certs.good.cert_chain_pems[0].bytes()
    from cryptography import x509

    der = x509.load_pem_x509_certificate(leaf).public_bytes(
        __import__(
            "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]
        ).Encoding.DER
    )
    digest = hashlib.sha256(spki(der)).hexdigest()
    zone = tmp_path / "dane-trace.test.zone"
    zone.write_text(
        f"$ORIGIN dane-trace.test.\n$TTL 300\n@ SOA ns h 1 1 1 1 1\n"
        f"@ MX 10 mx.smtp-good.test.\n"
        f"_{server.port}._tcp.mx TLSA 3 1 1 {digest}\n"
        f"bad MX 10 mx.dane-trace.test.\nmx A 127.0.0.1\n"
    )
    good_zone = tmp_path / "smtp-good.zone"
    good_zone.write_text(
        f"$ORIGIN smtp-good.test.\n$TTL 300\n@ SOA ns h 1 1 1 1 1\n"
        f"mx A 127.0.0.1\n_{server.port}._tcp.mx TLSA 3 1 1 {digest}\n"
    )
    try:
        result = run_cli(
            "trace",
            "mx.smtp-good.test",
            "--host",
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
            "--zone",
            str(good_zone),
            "--offline",
            "--format",
            "json",
        )
        wrong = tmp_path / "wrong.zone"
        wrong.write_text(
            f"$ORIGIN smtp-good.test.\n$TTL 300\n@ SOA ns h 1 1 1 1 1\n"
            f"mx A 127.0.0.1\n_{server.port}._tcp.mx TLSA 3 1 1 {'00' * 32}\n"
        )
        bad = run_cli(
            "trace",
            "mx.smtp-good.test",
            "--host",
            "--port",
            str(server.port),
            "--ca-file",
            ca_file,
            "--zone",
            str(wrong),
            "--offline",
            "--format",
            "json",
        )
    finally:
        server.stop()
    good = findings(json.loads(result.stdout))["dane.match"][0]
    assert good[0] == "pass" and "not DNSSEC-secure" in good[1]
    assert findings(json.loads(bad.stdout))["dane.match"][0][0] == "fail"
    # unsigned TLSA records count for no sender: the grade says so, match or not
    ignored = "TLSA records that are not DNSSEC-secure: senders ignore them (DANE not graded)"
    for run in (result, bad):
        status, summary = findings(json.loads(run.stdout))["tls.grade"][0]
        assert status == "pass" and ignored in summary and "DANE:" not in summary


def test_unreachable_mailbox_server_exits_3(run_cli: CliRun, dns_server: DnsServer) -> None:
    code, doc, _ = trace(
        run_cli, dns_server, "127.0.0.1", "--port", str(free_port()), "--protocol", "imap"
    )
    got = findings(doc)
    assert code == 3 and got["mailbox.connect"][0][0] == "error" and "smtp.connect" not in got
