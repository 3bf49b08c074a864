"""The stapled OCSP response (RFC 6960, RFC 6066 §8): is it for the certificate served with
it, signed by its issuer or the issuer's delegated responder, "good", and fresh?

NCSC-NL treats stapling as optional: no response is INFO and does not move the grade (mail
servers such as Postfix cannot staple), a response that a client would reject is FAIL, a probe
that failed for network reasons is ERROR.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from mailcheck.model import Status
from mailcheck.net.tlsprobe import Handshake

# clocks differ: a response "from the future" by less than this is not held against it
SKEW = datetime.timedelta(minutes=5)
# a response without nextUpdate (RFC 6960 §4.2.2.1) is taken as fresh this long
NO_NEXT_UPDATE = datetime.timedelta(days=4)


@dataclass(frozen=True)
class Stapling:
    """The judgement of a stapled OCSP response (or of its absence)."""

    status: Status
    category: str  # good | insufficient | unknown, or "" when not graded (none stapled)
    text: str
    data: dict[str, Any]


def judge_staple(
    probe: Handshake, ca_file: str | None, now: datetime.datetime | None = None
) -> Stapling:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if probe.outcome == "not stapled":
        return Stapling(
            Status.INFO,
            "",  # optional: absence does not move the grade
            "no OCSP response stapled (optional: clients ask the CA themselves)",
            {"outcome": "not stapled"},
        )
    if probe.outcome != "stapled":
        why = probe.detail or probe.outcome
        return Stapling(
            Status.ERROR,
            "unknown",
            f"could not determine whether an OCSP response is stapled: {why}",
            {"outcome": probe.outcome, "detail": why},
        )
    problem, data = _check(probe, ca_file, now)
    data["outcome"] = "stapled"
    if problem is None:
        return Stapling(
            Status.PASS, "good", f"a valid OCSP response is stapled ({data['summary']})", data
        )
    status, text = problem
    category = "unknown" if status is Status.ERROR else "insufficient"
    return Stapling(status, category, text, data)


def _check(
    probe: Handshake, ca_file: str | None, now: datetime.datetime
) -> tuple[tuple[Status, str] | None, dict[str, Any]]:
    from cryptography import x509
    from cryptography.x509 import ocsp

    data: dict[str, Any] = {}
    bad = "the stapled OCSP response "
    try:
        response = ocsp.load_der_ocsp_response(probe.staple)
    except ValueError as exc:
        return (Status.FAIL, f"{bad}is not a valid OCSP response ({exc})"), data
    data["response_status"] = response.response_status.name.lower()
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        name = response.response_status.name.lower()
        return (Status.FAIL, f"{bad}is an error from the responder: {name}"), data
    if not probe.chain:
        return (Status.ERROR, "an OCSP response was stapled without a certificate"), data
    leaf = x509.load_der_x509_certificate(probe.chain[0])
    issuer = _issuer(leaf, probe.chain[1:], ca_file)
    single = next((r for r in response.responses if r.serial_number == leaf.serial_number), None)
    if single is None:
        serials = ", ".join(f"{r.serial_number:x}" for r in response.responses)
        return (
            Status.FAIL,
            f"{bad}is for another certificate (serial {serials}; the certificate served "
            f"has serial {leaf.serial_number:x})",
        ), data
    if issuer is None:
        return (
            Status.ERROR,
            "could not check the stapled OCSP response: the certificate's issuer is neither "
            "in the chain served nor in the trust store (give --ca-file)",
        ), data
    if not _same_issuer(single, leaf, issuer):
        return (Status.FAIL, f"{bad}is for a certificate of another issuer"), data
    signer = _signer(response, issuer)
    if signer is None or not _signed_by(response, signer):
        return (
            Status.FAIL,
            f"{bad}is not signed by the certificate's issuer or its delegated OCSP responder",
        ), data
    this_update = single.this_update_utc
    next_update = single.next_update_utc
    data.update(
        {
            "certificate_status": single.certificate_status.name.lower(),
            "this_update": this_update.isoformat(),
            "next_update": next_update.isoformat() if next_update else None,
        }
    )
    if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        when = single.revocation_time_utc
        reason = single.revocation_reason.name if single.revocation_reason else "no reason given"
        return (
            Status.FAIL,
            f"{bad}says the certificate is REVOKED"
            + (f" since {when:%Y-%m-%d %H:%M} UTC" if when else "")
            + f" ({reason})",
        ), data
    if single.certificate_status is ocsp.OCSPCertStatus.UNKNOWN:
        return (Status.FAIL, f"{bad}says the responder does not know the certificate"), data
    if this_update > now + SKEW:
        return (Status.FAIL, f"{bad}is not valid before {this_update:%Y-%m-%d %H:%M} UTC"), data
    expires = next_update or this_update + NO_NEXT_UPDATE
    if expires < now - SKEW:
        return (
            Status.FAIL,
            f"{bad}is stale: valid until {expires:%Y-%m-%d %H:%M} UTC "
            f"(produced {this_update:%Y-%m-%d %H:%M} UTC); the server staples an old answer",
        ), data
    data["summary"] = f"good, produced {this_update:%Y-%m-%d %H:%M} UTC, valid until " + (
        f"{expires:%Y-%m-%d %H:%M} UTC"
    )
    return None, data


def _issuer(leaf: Any, served: tuple[bytes, ...], ca_file: str | None) -> Any:
    """The certificate that signed `leaf`: from the chain served, else the trust store."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    from mailcheck.net.tlsinfo import trust_store

    candidates = [x509.load_der_x509_certificate(der) for der in served]
    candidates += list(trust_store(ca_file))
    for cert in candidates:
        if cert.subject != leaf.issuer:
            continue
        if _issued(leaf, cert, InvalidSignature):
            return cert
    return None


def _issued(cert: Any, issuer: Any, invalid: type[Exception]) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (invalid, ValueError, TypeError):  # a bad signature, a name or key type mismatch
        return False
    return True


def _same_issuer(single: Any, leaf: Any, issuer: Any) -> bool:
    """The CertID's issuer hashes, recomputed for the issuer we know (RFC 6960 §4.1.1)."""
    from cryptography.x509 import ocsp

    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, single.hash_algorithm).build()
    return bool(
        request.issuer_name_hash == single.issuer_name_hash
        and request.issuer_key_hash == single.issuer_key_hash
    )


def _signer(response: Any, issuer: Any) -> Any:
    """The issuer itself, or a certificate it issued for OCSP signing (RFC 6960 §4.2.2.2)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.x509.oid import ExtendedKeyUsageOID

    def named(cert: Any) -> bool:
        if response.responder_name is not None:
            return bool(cert.subject == response.responder_name)
        key_id = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
        return bool(key_id == response.responder_key_hash)

    if named(issuer):
        return issuer
    for cert in response.certificates:
        if not named(cert):
            continue
        if not _issued(cert, issuer, InvalidSignature):
            continue
        try:
            usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue  # no OCSPSigning usage: not a delegate
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage:
            return cert
    return None


def _signed_by(response: Any, signer: Any) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(response.signature, response.tbs_response_bytes)
        else:
            return False
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True
