"""What a TLS server presented: protocol, cipher, the certificate chain, and how it verifies.

The handshake never verifies (so a bad certificate is read and explained, not just refused);
the chain is verified here with cryptography against the system store or --ca-file, and
host names are matched separately (RFC 6125).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import ipaddress
import os
import ssl
import warnings
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

# in session.py so that the conversation reads the chain without importing cryptography
from mailcheck.net.session import presented_chain as presented_chain


@dataclass(frozen=True)
class CertInfo:
    """What a certificate says: names, issuer, validity, key."""

    subject: str
    issuer: str
    common_name: str
    dns_names: tuple[str, ...]
    ip_names: tuple[str, ...]
    not_before: datetime.datetime
    not_after: datetime.datetime
    key: str
    signature: str
    self_signed: bool
    sha256: str
    der: bytes

    @property
    def no_alt_names(self) -> bool:
        """No subjectAltName names: a host name can only be in the CN (OpenSSL accepts it
        there, clients that follow RFC 9525 do not)."""
        return not (self.dns_names or self.ip_names)

    def days_left(self, now: datetime.datetime) -> int:
        return (self.not_after - now).days

    def to_dict(self, now: datetime.datetime) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "dns_names": list(self.dns_names),
            "ip_names": list(self.ip_names),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left(now),
            "key": self.key,
            "signature": self.signature,
            "self_signed": self.self_signed,
            "sha256": self.sha256,
        }


def _key_text(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    return type(key).__name__


def describe(der: bytes) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
        ip_names = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns_names, ip_names = (), ()
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(cns[0].value) if cns else ""
    try:
        signature = cert.signature_algorithm_oid._name
    except AttributeError:
        signature = cert.signature_algorithm_oid.dotted_string
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=common_name,
        dns_names=dns_names,
        ip_names=ip_names,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key=_key_text(cert),
        signature=str(signature),
        self_signed=cert.issuer == cert.subject,
        sha256=hashlib.sha256(der).hexdigest(),
        der=der,
    )


def name_matches(cert: CertInfo, name: str) -> bool:
    """RFC 6125: DNS names in the SAN (the CN only when there is no SAN); a wildcard stands
    for exactly one whole left-most label."""
    target = name.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(target)
        return str(address) in cert.ip_names
    except ValueError:
        pass
    candidates = cert.dns_names or ((cert.common_name,) if cert.common_name else ())
    for pattern in candidates:
        pattern = pattern.lower().rstrip(".")
        if pattern == target:
            return True
        if pattern.startswith("*.") and "." in target:
            head, rest = target.split(".", 1)
            if head and rest == pattern[2:] and "." in rest:
                return True
    return False


@functools.lru_cache(maxsize=4)
def trust_store(ca_file: str | None) -> tuple[x509.Certificate, ...]:
    """Trust anchors: --ca-file, or the system store (as OpenSSL's defaults name it)."""
    paths = ssl.get_default_verify_paths()
    candidates = (
        [ca_file]
        if ca_file
        else [os.environ.get(paths.openssl_cafile_env), paths.cafile, paths.openssl_cafile]
    )
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            with open(candidate, "rb") as handle, warnings.catch_warnings():
                # system bundles hold a few old roots cryptography warns about
                warnings.simplefilter("ignore")
                try:
                    return tuple(x509.load_pem_x509_certificates(handle.read()))
                except ValueError:
                    return ()  # --ca-file is checked up front; an odd system bundle trusts none
    return ()


@dataclass(frozen=True)
class Trust:
    """Whether a certificate chain verified, and why not."""

    trusted: bool
    detail: str


def verify_chain(
    chain: list[bytes],
    ca_file: str | None,
    now: datetime.datetime | None = None,
    name: str | None = None,
) -> Trust:
    """Does the presented chain lead to a trusted root? (Names and dates are judged apart:
    the chain is verified for `name` when the certificate holds it, else for a name it
    holds, a wildcard's included.) Failures are worded as openssl words them."""
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    if not chain:
        return Trust(False, "the server presented no certificate")
    store_certs = trust_store(ca_file)
    if not store_certs:
        return Trust(False, "no trust store found (give --ca-file)")
    leaf = x509.load_der_x509_certificate(chain[0])
    intermediates = [x509.load_der_x509_certificate(c) for c in chain[1:]]
    info = describe(chain[0])
    # Verify at a moment the certificate is valid and for a name it holds: expiry and name
    # mismatches are separate findings, this answers only "who vouches for it".
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    if not info.not_before <= moment <= info.not_after:
        moment = info.not_before + (info.not_after - info.not_before) / 2
    subject: Any
    if info.no_alt_names and info.common_name:
        # no subjectAltName, a host name in the CN: OpenSSL (Postfix, Python's ssl) accepts
        # that name, cryptography's server verifier never does, and its refusal read as
        # "not issued by a trusted authority". Who vouches for it is asked apart from names.
        subject = None
    elif name and name_matches(info, name):
        target = name.lower().rstrip(".")
        subject = (
            x509.IPAddress(ipaddress.ip_address(target)) if _is_ip(target) else x509.DNSName(target)
        )
    elif info.dns_names:
        # a wildcard stands for one whole label (RFC 6125 6.4.3): verify for such a name
        first = info.dns_names[0]
        subject = x509.DNSName(
            "mailcheck-wildcard" + first[1:] if first.startswith("*.") else first
        )
    elif info.ip_names:
        subject = x509.IPAddress(ipaddress.ip_address(info.ip_names[0]))
    else:
        return Trust(False, "the certificate names no host (no subjectAltName)")
    try:
        # The Web PKI profile for CAs, but any extensions on the leaf: mail servers (OpenSSL)
        # accept leaves that the browser profile rejects, e.g. a critical subjectAltName.
        builder = PolicyBuilder().store(Store(list(store_certs))).time(moment)
        leaf_policy = ExtensionPolicy.permit_all()
        if subject is not None:
            leaf_policy = leaf_policy.require_present(
                x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
            )
        builder = builder.extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf_policy
        )
        if subject is None:  # the chain alone: the client verifier matches no name
            builder.build_client_verifier().verify(leaf, intermediates)
        else:
            builder.build_server_verifier(subject).verify(leaf, intermediates)
    except VerificationError as exc:
        detail = str(exc)
        dated = _out_of_date(leaf, intermediates, store_certs, moment, now, detail)
        return Trust(False, dated or _untrusted(info, intermediates, store_certs, detail))
    except ValueError as exc:
        return Trust(False, f"cannot verify: {exc}")
    return Trust(True, "issued by a trusted authority")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _out_of_date(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    store: tuple[x509.Certificate, ...],
    moment: datetime.datetime,
    now: datetime.datetime | None,
    detail: str,
) -> str:
    """When the chain failed on a date ("not valid at validation time") though the leaf is
    judged apart: the certificate above it that is out of its dates, named as it appears in
    the chain (1 is the first above the leaf, as `openssl s_client -showcerts` counts), with
    its notAfter (or notBefore). "" when no such certificate is found."""
    if "validation time" not in detail:
        return ""
    at = now or datetime.datetime.now(datetime.timezone.utc)
    issuers = {cert.issuer for cert in [leaf, *intermediates]}
    roots = [cert for cert in store if cert.subject in issuers]
    candidates = [(f"certificate {i} in the chain", c) for i, c in enumerate(intermediates, 1)]
    candidates += [("the trusted root", cert) for cert in roots]
    for where, cert in candidates:
        subject = cert.subject.rfc4514_string()
        after, before = cert.not_valid_after_utc, cert.not_valid_before_utc
        if after < moment:
            ago = f" ({(at - after).days} days ago)" if after < at else ""
            return f"certificate has expired: {where} ({subject}) expired on {after:%Y-%m-%d}{ago}"
        if moment < before:
            return (
                f"certificate is not yet valid: {where} ({subject}) is not valid before "
                f"{before:%Y-%m-%d}"
            )
    return ""


def _untrusted(
    leaf: CertInfo,
    intermediates: list[x509.Certificate],
    store: tuple[x509.Certificate, ...],
    detail: str,
) -> str:
    """Why the chain does not verify, in openssl's words where they apply."""
    if leaf.self_signed:
        return "self-signed certificate"
    anchors = {cert.subject for cert in store}
    for cert in intermediates:
        if cert.issuer == cert.subject and cert.subject not in anchors:
            return (
                f"self-signed certificate in certificate chain: {cert.subject.rfc4514_string()} "
                "is not in the trust store"
            )
    top_issuer = intermediates[-1].issuer if intermediates else None
    issuer = top_issuer.rfc4514_string() if top_issuer is not None else leaf.issuer
    if (top_issuer if top_issuer is not None else _name(leaf)) not in anchors:
        return (
            f"unknown issuer: {issuer} is not in the trust store "
            "(unable to get local issuer certificate)"
        )
    return f"not issued by a trusted authority ({detail})"


def _name(info: CertInfo) -> x509.Name:
    return x509.load_der_x509_certificate(info.der).issuer


def spki(der: bytes) -> bytes:
    # here, not at the top: serialization (its SSH key code, ciphers and their decrepit
    # variants) is needed only for a TLSA record with selector 1, and costs every trace
    # about 3 ms of CPU while the conversation waits for this module
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_der_x509_certificate(der)
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def tlsa_matches(usage: int, selector: int, mtype: int, data: bytes, chain: list[bytes]) -> bool:
    """RFC 6698/7671: DANE-EE (3) matches the leaf; DANE-TA (2) any certificate above it."""
    candidates = chain[:1] if usage in (1, 3) else chain[1:] if usage in (0, 2) else []
    for der in candidates:
        content = der if selector == 0 else spki(der)
        if mtype == 1:
            content = hashlib.sha256(content).digest()
        elif mtype == 2:
            content = hashlib.sha512(content).digest()
        if content == data:
            return True
    return False
