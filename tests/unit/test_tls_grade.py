"""The NCSC-NL ratings behind tls.grade, and how a DNSSEC-secure DANE result moves the grade
(the loopback tests cannot sign a zone for a live trace; the judgement is the same code)."""

from __future__ import annotations

import trustme

from mailcheck.checks.tls_grade import grade as grade_of
from mailcheck.checks.tls_grade import rate_cipher, rate_key
from mailcheck.model import Status
from mailcheck.net.probe import HostTrace, TlsState
from mailcheck.net.session import Transcript
from mailcheck.net.tlsprobe import Handshake


def test_cipher_categories() -> None:
    assert rate_cipher("ECDHE-RSA-AES256-GCM-SHA384")[1:] == ("good", "forward secrecy, AEAD")
    assert rate_cipher("ECDHE-ECDSA-AES128-SHA")[1] == "sufficient"
    assert rate_cipher("DHE-RSA-AES256-GCM-SHA384")[1] == "sufficient"
    assert rate_cipher("ECDHE-RSA-DES-CBC3-SHA")[1] == "phase-out"
    assert rate_cipher("AES256-GCM-SHA384")[:2] == ("RSA", "phase-out")
    assert rate_cipher("ADH-AES256-GCM-SHA384")[1] == "insufficient"
    assert rate_cipher("RC4-SHA")[1] == "insufficient"
    assert rate_cipher("TLS_CHACHA20_POLY1305_SHA256")[1] == "good"


def test_key_categories() -> None:
    assert rate_key("RSA 4096")[0] == "good"
    assert rate_key("RSA 2048")[0] == "sufficient"
    assert rate_key("RSA 1024")[0] == "insufficient"
    assert rate_key("EC secp384r1")[0] == "good"
    assert rate_key("EC brainpoolP256r1")[0] == "insufficient"
    assert rate_key("Ed25519")[0] == "good"


def _trace() -> HostTrace:
    cert = trustme.CA().issue_cert("mx.example.test")
    from cryptography import x509

    der = x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes()).public_bytes(
        __import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.DER
    )
    trace = HostTrace("mx.example.test", "127.0.0.1", 25, "smtp", Transcript())
    trace.tls = TlsState("starttls", "TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, [der])
    return trace


PROBES = [
    Handshake("TLSv1.3", "accepted", "TLSv1.3"),
    Handshake("TLSv1", "refused"),
    Handshake("TLSv1.1", "refused"),
    Handshake("TLSv1.2", "accepted", "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"),
    Handshake("weak ciphers", "refused"),
]


def test_secure_dane_mismatch_makes_the_grade_insufficient() -> None:
    found = {
        f.id: f
        for f in grade_of(_trace(), PROBES, Status.FAIL, "matches none of 1 TLSA records", True)
    }
    assert found["tls.grade"].status is Status.FAIL
    assert found["tls.grade"].summary.startswith("Insufficient (NCSC-NL TLS guidelines 2.1): ")
    assert "DANE: matches none of 1 TLSA records" in found["tls.grade"].summary


def test_secure_dane_match_keeps_it_good() -> None:
    found = {f.id: f for f in grade_of(_trace(), PROBES, Status.PASS, "matches TLSA 3 1 1", True)}
    assert found["tls.grade"].status is Status.PASS
    assert found["tls.grade"].summary.startswith("Good (NCSC-NL TLS guidelines 2.1): ")
    assert "DANE: matches TLSA 3 1 1" in found["tls.grade"].summary


def test_untestable_versions_are_said_not_graded() -> None:
    probes = [*PROBES[:1], Handshake("TLSv1", "untestable", detail="x"), *PROBES[2:]]
    found = {f.id: f for f in grade_of(_trace(), probes, None, "")}
    assert found["tls.protocols"].status is Status.PASS
    assert found["tls.protocols"].summary == (
        "offers TLSv1.2, TLSv1.3; not tested (the local OpenSSL cannot offer them): TLSv1"
    )
