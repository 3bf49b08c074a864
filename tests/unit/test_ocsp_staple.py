"""The stapled-OCSP judgement for responses a loopback OpenSSL 4 server refuses to staple (for
another certificate, not an OCSP response at all), and for a probe that failed on the network;
the other cases run end to end in tests/integration/test_ocsp_stapling.py."""

from __future__ import annotations

import trustme
from cryptography.hazmat.primitives.serialization import Encoding

from mailcheck.checks.ocsp import judge_staple
from mailcheck.model import Status
from mailcheck.net.tlsprobe import OCSP, Handshake
from tests.ocspserver import leaf_cert, response


def _served(ca: trustme.CA, staple: bytes) -> Handshake:
    leaf = leaf_cert(ca.issue_cert("mx.example.test"))
    return Handshake(OCSP, "stapled", staple=staple, chain=(leaf.public_bytes(Encoding.DER),))


def test_response_for_another_certificate_fails() -> None:
    ca = trustme.CA()
    other = leaf_cert(ca.issue_cert("other.example.test"))
    probe = _served(ca, response(ca, other))
    judged = judge_staple(probe, None)
    assert judged.status is Status.FAIL
    assert judged.text.startswith(
        f"the stapled OCSP response is for another certificate (serial {other.serial_number:x}; "
    )


def test_not_an_ocsp_response_fails() -> None:
    judged = judge_staple(_served(trustme.CA(), b"\x30\x03\x0a\x01\x07"), None)
    assert judged.status is Status.FAIL
    assert judged.text.startswith("the stapled OCSP response is not a valid OCSP response")


def test_issuer_nowhere_to_be_found_is_error() -> None:
    """The served chain is the leaf alone and the trust store lacks its CA: unknown, not PASS."""
    ca = trustme.CA()
    leaf = leaf_cert(ca.issue_cert("mx.example.test"))
    probe = Handshake(
        OCSP, "stapled", staple=response(ca, leaf), chain=(leaf.public_bytes(Encoding.DER),)
    )
    judged = judge_staple(probe, None)  # the system store: no trustme CA in it
    assert judged.status is Status.ERROR
    assert judged.text == (
        "could not check the stapled OCSP response: the certificate's issuer is neither in the "
        "chain served nor in the trust store (give --ca-file)"
    )


def test_probe_lost_on_the_network_is_error() -> None:
    judged = judge_staple(
        Handshake(OCSP, "error", detail="banner: the server closed the connection"), None
    )
    assert judged.status is Status.ERROR
    assert judged.category == "unknown"
    assert judged.text == (
        "could not determine whether an OCSP response is stapled: banner: the server closed "
        "the connection"
    )
