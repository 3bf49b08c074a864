"""DKIM, MTA-STS, TLS-RPT, BIMI, DNSSEC/DANE and the no-mail profile against real servers on
loopback: the DNS server (zones with keys and signatures made at test time) and an HTTPS
server with a test CA serving policies, logos and certificates."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailcheck.checks.mta_sts import FetchOptions
from mailcheck.model import Report, Status
from mailcheck.net.dns import DnsEngine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.checks.cases import case_table, describe, has
from tests.zonegen import Generated

S = Status


@pytest.fixture
def fetch(https_server: Any, ca_file: str) -> FetchOptions:
    # the test HTTPS server is on loopback: fetching from it must be allowed explicitly
    return FetchOptions(ca_file=ca_file, timeout=1.0, port=https_server.port, allow_private=True)


@pytest.fixture(params=["server", "zone"])
def online_engine(
    request: pytest.FixtureRequest,
    make_engine: Callable[..., DnsEngine],
    zone_dir: Path,
    dns_server: Any,
) -> DnsEngine:
    """HTTPS fetches need a run that is not --offline: zone files over the loopback server."""
    if request.param == "server":
        return make_engine()
    return make_engine(zones=(str(zone_dir),))


def run(engine: DnsEngine, domain: str, fetch: FetchOptions | None = None, **kw: Any) -> Report:
    request = DomainRequest(fetch=fetch or FetchOptions(), **kw)
    return check_domain(parse_domain(domain), engine, request)


# -- DKIM ------------------------------------------------------------------------------

DKIM_CASES = [
    ("rsa2048", "dkim.key", S.PASS, "rsa2048: RSA 2048-bit key"),
    ("rsa1024", "dkim.key-weak", S.WARN, "RSA 1024-bit key: use 2048 bits"),
    ("rsa512", "dkim.key-weak", S.FAIL, "RSA 512-bit key"),
    ("ed", "dkim.key", S.PASS, "Ed25519 key (RFC 8463)"),
    ("truncated", "dkim.key-invalid", S.FAIL, "not valid base64"),
    ("testing", "dkim.testing", S.WARN, "t=y"),
    ("revoked", "dkim.revoked", S.INFO, "revoked"),
    ("sha1only", "dkim.hash-sha1", S.FAIL, "only SHA-1"),
    ("badbase64", "dkim.key-invalid", S.FAIL, "not valid base64"),
    ("service", "dkim.service", S.FAIL, "s=tlsrpt excludes email"),
    ("dsa", "dkim.key-invalid", S.FAIL, "k=dsa is not a known key type"),
    ("pkcs1", "dkim.key", S.PASS, "pkcs1: RSA 2048-bit key"),
    ("ec", "dkim.key-invalid", S.FAIL, "p= holds a public key that is not RSA"),
    ("eccurve", "dkim.key-invalid", S.FAIL, "p= holds a public key that is not RSA"),
    (
        "rsa8192",
        "dkim.key-large",
        S.WARN,
        "rsa8192: RSA 8192-bit key: verifiers need only support up to 4096 bits",
    ),
    ("rsa16392", "dkim.key-large", S.FAIL, "OpenSSL refuses keys over 16384 bits"),
    # keys read whole, in encodings some verifiers refuse: named for their defect (never
    # "cut short", whose hint is about 255-byte strings)
    (
        "nonull",
        "dkim.key-invalid",
        S.FAIL,
        "nonull: p= is not the DER RFC 3279 requires: rsaEncryption without NULL "
        "parameters; dkimpy- and Go-based verifiers cannot read it",
    ),
    (
        "pss",
        "dkim.key-invalid",
        S.FAIL,
        "pss: p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) signatures cannot use",
    ),
    (
        "pssnull",
        "dkim.key-invalid",
        S.FAIL,
        "pssnull: p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) signatures "
        "cannot use",
    ),
    (
        "padded",
        "dkim.key-invalid",
        S.FAIL,
        "padded: p= is not DER: an integer of the key has a needless leading zero byte; "
        "strict verifiers (Go, Rust, cryptography) cannot read it",
    ),
    (
        "delegated",
        "dkim.cname",
        S.INFO,
        "delegated._domainkey.dkim.test → rsa2048._domainkey.dkim.test",
    ),
    ("delegated", "dkim.key", S.PASS, "RSA 2048-bit"),
    ("multi", "dkim.multiple", S.FAIL, "2 key records"),
    ("nothere", "dkim.key-missing", S.FAIL, "no key at selector nothere"),
]


@case_table(DKIM_CASES, ("selector", "check_id", "status", "text"))
def test_dkim_selector(
    engine: DnsEngine, selector: str, check_id: str, status: Status, text: str
) -> None:
    report = run(engine, "dkim.test", selectors=(selector,), families=("dkim",))
    assert has(report, check_id, status, text), describe(report)


def test_dkim_record_split_over_strings_is_joined(engine: DnsEngine) -> None:
    report = run(engine, "dkim.test", selectors=("rsa2048",), families=("dkim",))
    dkim = next(s for s in report.sections if s.family == "dkim")
    [key] = dkim.data["keys"]
    assert key["bits"] == 2048 and key["type"] == "rsa"


def test_truncated_record_hint(engine: DnsEngine) -> None:
    report = run(engine, "dkim.test", selectors=("truncated",), families=("dkim",))
    [item] = [f for f in report.findings() if f.id == "dkim.key-invalid"]
    assert "cut at 255 bytes" in item.hint


def test_real_key_over_openssl_limit(engine: DnsEngine, generated: Generated) -> None:
    """The key tests/checks/test_verify.py signs with (17,400 bits or so: its size varies)."""
    bits = math.prod(generated.huge_primes).bit_length()
    report = run(engine, "dkim.test", selectors=("huge",), families=("dkim",))
    assert [(f.id, f.status, f.summary) for f in report.findings()] == [
        (
            "dkim.key-large",
            S.FAIL,
            f"huge: RSA {bits}-bit key: OpenSSL refuses keys over 16384 bits, so most "
            "verifiers cannot check its signatures",
        )
    ]


@pytest.mark.parametrize(
    ("selector", "hint"),
    [
        (
            "nonull",
            "Publish the public key as OpenSSL writes it: openssl pkey -in private.pem -pubout",
        ),
        (
            "padded",
            "Publish the public key as OpenSSL writes it: openssl pkey -in private.pem -pubout",
        ),
        ("pss", "Sign with an RSA key (openssl genpkey -algorithm RSA), not RSA-PSS"),
        ("pssnull", "Sign with an RSA key (openssl genpkey -algorithm RSA), not RSA-PSS"),
    ],
)
def test_misencoded_key_hint(engine: DnsEngine, selector: str, hint: str) -> None:
    report = run(engine, "dkim.test", selectors=(selector,), families=("dkim",))
    [item] = [f for f in report.findings() if f.id == "dkim.key-invalid"]
    assert item.hint == hint
    assert [f.status for f in report.findings()] == [S.FAIL]


def test_dkim_discovery(engine: DnsEngine) -> None:
    report = run(engine, "dkim.test", families=("dkim",))
    assert has(report, "dkim.selectors", S.INFO, "found 1 of"), describe(report)
    assert has(report, "dkim.selectors", S.INFO, "google (RSA 2048-bit)")
    assert has(report, "dkim.selectors", S.INFO, "cannot prove there are no others")
    # _domainkey exists (a key lives at a custom selector) but no common selector has a key
    hidden = run(engine, "customsel.test", families=("dkim",))
    assert has(hidden, "dkim.selectors", S.INFO, "cannot prove absence"), describe(hidden)
    # _domainkey itself does not exist: no selector can exist below it (RFC 8020)
    nothing = run(engine, "clean.test", families=("dkim",))
    assert has(nothing, "dkim.selectors", S.INFO, "no selector exists below it (RFC 8020)"), (
        describe(nothing)
    )
    queries = [q for q in nothing.queries if "._domainkey." in q.name]
    assert len(queries) <= 6  # only the first wave was asked


def test_a_domainkey_wildcard_is_one_key_not_every_selector(engine: DnsEngine) -> None:
    """*._domainkey answers every name discovery asks: it was 'found 44 of 45 common
    selectors', each with the same key and its own dkim.key-weak. The wildcard is said once,
    its key judged once as '*'; a selector with a key of its own is still listed."""
    report = run(engine, "dkwild.test", families=("dkim",))
    [selectors] = [f for f in report.findings() if f.id == "dkim.selectors"]
    assert selectors.status is S.INFO
    assert selectors.summary == (
        "a wildcard, *._domainkey.dkwild.test, answers every selector name with the same key "
        "(RSA 1024-bit); besides it, s1 (revoked key (empty p=)): discovery cannot tell which "
        "selectors are used; name yours with --selector"
    )
    weak = [f.summary for f in report.findings() if f.id == "dkim.key-weak"]
    assert weak == ["*: RSA 1024-bit key: use 2048 bits"]
    # a selector named with --selector is asked and judged as itself
    named = run(engine, "dkwild.test", selectors=("google",), families=("dkim",))
    weak = [f.summary for f in named.findings() if f.id == "dkim.key-weak"]
    assert weak == ["google: RSA 1024-bit key: use 2048 bits"]


def test_ed25519_only(engine: DnsEngine) -> None:
    report = run(engine, "dkim.test", selectors=("ed",), families=("dkim",))
    assert has(report, "dkim.ed25519-only", S.INFO, "sign with RSA as well")


# -- MTA-STS and TLS-RPT ---------------------------------------------------------------

STS_CASES = [
    ("sts-good.test", "mta-sts.mode", S.PASS, "mode enforce"),
    ("sts-good.test", "mta-sts.mx-coverage", S.PASS, "every MX host matches"),
    ("sts-good.test", "mta-sts.policy-fetch", S.PASS, "policy fetched from 127.0.0.1"),
    ("sts-good.test", "mta-sts.record", S.PASS, "id=20261128T000000"),
    ("sts-good.test", "tls-rpt.record", S.PASS, "mailto:tls@sts-good.test"),
    ("sts-testing.test", "mta-sts.mode", S.INFO, "mode testing"),
    ("sts-testing.test", "tls-rpt.missing", S.WARN, "MTA-STS deployed without TLS reporting"),
    (
        "sts-nocover.test",
        "mta-sts.mx-coverage",
        S.FAIL,
        "not covered by the policy's mx patterns (mail.other.test): mx1.clean.test, mx2.clean.test",
    ),
    ("sts-ctype.test", "mta-sts.content-type", S.FAIL, "text/html"),
    ("sts-slow.test", "mta-sts.policy-fetch", S.ERROR, "could not determine: https://"),
    ("sts-redirect.test", "mta-sts.policy-fetch", S.FAIL, "HTTP 301 redirect"),
    ("sts-big.test", "mta-sts.policy-fetch", S.FAIL, "larger than 64 KB"),
    ("sts-garbage.test", "mta-sts.policy-syntax", S.FAIL, "policy is invalid"),
    ("sts-badcert.test", "mta-sts.policy-fetch", S.FAIL, "TLS certificate not valid"),
    ("sts-404.test", "mta-sts.policy-fetch", S.FAIL, "HTTP 404"),
    ("sts-shortage.test", "mta-sts.max-age", S.WARN, "max_age 3600"),
    ("sts-none.test", "mta-sts.mode", S.WARN, "mode none"),
    ("sts-unresolved.test", "mta-sts.policy-fetch", S.FAIL, "has no A or AAAA record"),
    ("sts-multi.test", "mta-sts.record", S.FAIL, "2 MTA-STS records"),
    ("sts-badid.test", "mta-sts.record", S.FAIL, "1-32 letters or digits"),
    # the parser's "Expected Regex or end_of_statement" came in either order, run to run
    (
        "sts-grammar.test",
        "mta-sts.record",
        S.FAIL,
        "invalid record: syntax error at position 13 (marked with ➞): v=STSv1; id=x➞\x1b[31m",
    ),
    ("clean.test", "mta-sts.record", S.INFO, "no MTA-STS record"),
    ("tlsrpt-bad.test", "tls-rpt.record", S.FAIL, "ftp://reports.test/x"),
    ("tlsrpt-multi.test", "tls-rpt.record", S.FAIL, "2 TLS-RPT records"),
    ("clean.test", "tls-rpt.missing", S.INFO, "no TLS reporting record"),
]


@case_table(STS_CASES)
def test_mta_sts_and_tls_rpt(
    online_engine: DnsEngine,
    fetch: FetchOptions,
    domain: str,
    check_id: str,
    status: Status,
    text: str,
) -> None:
    report = run(online_engine, domain, fetch, families=("mx", "mta-sts", "tls-rpt"))
    assert has(report, check_id, status, text), describe(report)


def test_policy_fetch_resolves_through_the_engine(
    https_server: Any, ca_file: str, zone_dir: Path, make_engine: Callable[..., DnsEngine]
) -> None:
    """mta-sts.* resolves from the zone files (our engine, not the system resolver)."""
    engine = make_engine(zones=(str(zone_dir),))
    fetch = FetchOptions(ca_file=ca_file, timeout=2.0, port=https_server.port, allow_private=True)
    report = run(engine, "sts-good.test", fetch, families=("mx", "mta-sts"))
    [line] = [q for q in engine.log() if q.name == "mta-sts.sts-good.test" and q.rdtype == "A"]
    assert line.source.endswith(".zone")
    assert has(report, "mta-sts.policy-fetch", S.PASS, "fetched"), describe(report)


def test_untrusted_ca_is_refused(online_engine: DnsEngine, https_server: Any) -> None:
    fetch = FetchOptions(ca_file=None, timeout=2.0, port=https_server.port, allow_private=True)
    report = run(online_engine, "sts-good.test", fetch, families=("mx", "mta-sts"))
    assert has(report, "mta-sts.policy-fetch", S.FAIL, "certificate"), describe(report)


# -- BIMI ------------------------------------------------------------------------------

BIMI_CASES = [
    ("bimi-good.test", "bimi.record", S.PASS, "l=https://bimi.test/logo.svg"),
    ("bimi-good.test", "bimi.eligible", S.PASS, "p=reject"),
    ("bimi-good.test", "bimi.logo", S.PASS, "SVG Tiny PS logo"),
    ("bimi-good.test", "bimi.evidence", S.FAIL, "Mark Verifying Authority"),
    ("bimi-nodmarc.test", "bimi.eligible", S.FAIL, "not BIMI-eligible: the DMARC policy is none"),
    ("bimi-nodmarc.test", "bimi.evidence", S.INFO, "no a= mark certificate"),
    ("bimi-badsvg.test", "bimi.logo", S.FAIL, "logo:"),
    ("bimi-http.test", "bimi.record", S.FAIL, "not an https: URL"),
    ("bimi-declined.test", "bimi.record", S.INFO, "declination record"),
    ("clean.test", "bimi.record", S.INFO, "no BIMI record"),
]


@case_table(BIMI_CASES)
def test_bimi(
    online_engine: DnsEngine,
    fetch: FetchOptions,
    domain: str,
    check_id: str,
    status: Status,
    text: str,
) -> None:
    report = run(online_engine, domain, fetch, families=("dmarc", "bimi"))
    assert has(report, check_id, status, text), describe(report)


# -- DNSSEC and DANE -------------------------------------------------------------------

DNSSEC_CASES = [
    (
        "signed.test",
        "dnssec.zone",
        S.PASS,
        "zone signed.test is signed: DS at the parent → DNSKEY → RRSIG over signed.test MX",
    ),
    ("signed.test", "dnssec.mx-zone", S.PASS, "mx.signed.test: zone signed.test is signed"),
    ("signed.test", "dane.tlsa", S.PASS, "TLSA 3 1 1 (DANE-EE, SubjectPublicKeyInfo, SHA-256)"),
    ("badsig.test", "dnssec.zone", S.FAIL, "signature over badsig.test MX does not verify"),
    ("expired.test", "dnssec.zone", S.FAIL, "the signature expired on"),
    ("island.test", "dnssec.zone", S.WARN, "its parent has no DS"),
    ("clean.test", "dnssec.zone", S.INFO, "not DNSSEC-signed"),
    ("dane-unsigned.test", "dane.no-dnssec", S.WARN, "senders ignore them"),
    ("dane-pkix.test", "dane.usage", S.WARN, "PKIX usages as unusable"),
    ("dane-pkix.test", "dane.usage", S.FAIL, "no usable TLSA record"),
    ("dane-full.test", "dane.tlsa", S.WARN, "full data breaks at every renewal"),
    ("clean.test", "dane.tlsa", S.INFO, "DANE not deployed"),
]


@case_table(DNSSEC_CASES)
def test_dnssec_and_dane(
    engine: DnsEngine, domain: str, check_id: str, status: Status, text: str
) -> None:
    report = run(engine, domain, families=("dnssec", "dane"))
    assert has(report, check_id, status, text), describe(report)


def test_resolver_ad_flag_is_reported(make_engine: Callable[..., DnsEngine]) -> None:
    report = run(make_engine(), "signed.test", families=("dnssec",))
    [zone] = [f for f in report.findings() if f.id == "dnssec.zone"]
    assert "did not set the AD flag" in zone.summary  # the test server does not validate


# -- no-mail profile -------------------------------------------------------------------


def test_parked_domain_passes(engine: DnsEngine) -> None:
    report = run(engine, "parked.test", no_mail=True)
    statuses = {f.id: f.status for f in report.findings() if f.family == "no-mail"}
    assert statuses == {"no-mail.mx": S.PASS, "no-mail.spf": S.PASS, "no-mail.dmarc": S.PASS}
    assert not [f for f in report.findings() if f.status in (S.FAIL, S.WARN)], describe(report)
    assert not any(s.family in ("mta-sts", "bimi", "dkim") for s in report.sections)


def test_parked_profile_fails_a_mail_domain(engine: DnsEngine) -> None:
    report = run(engine, "badparked.test", no_mail=True)
    assert has(report, "no-mail.mx", S.FAIL, "accepts mail at mx1.clean.test")
    assert has(report, "no-mail.spf", S.FAIL, "authorises senders (mx ~all)")
    assert has(report, "no-mail.dmarc", S.FAIL, "p=none")
