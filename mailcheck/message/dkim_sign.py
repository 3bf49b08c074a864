"""DKIM signing for `mailcheck send`: load a private key (PEM, DER, or dkimpy's base64
Ed25519 seed) and sign with dkimpy. Pure: the caller reads the key file."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from mailcheck.errors import InputError

ALGORITHMS = ("rsa-sha256", "ed25519-sha256")
# Signed when present, From twice so that a second From cannot be added (RFC 6376 §8.15).
SIGNED = (
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "x-mailcheck-token",
)


@dataclass(frozen=True)
class SigningKey:
    """A DKIM private key loaded for signing, with its algorithm and size."""

    algorithm: str  # rsa-sha256 | ed25519-sha256
    bits: int | None  # RSA modulus size
    private: bytes  # in the form dkimpy wants: PKCS#1 PEM (RSA), base64 seed (Ed25519)
    public_der: bytes  # SubjectPublicKeyInfo DER (RSA) or the raw 32 bytes (Ed25519)

    @property
    def description(self) -> str:
        return f"RSA {self.bits}" if self.bits else "Ed25519"


def load_key(data: bytes, where: str) -> SigningKey:
    """A private key from a file's bytes; InputError names the file and what is wrong."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key: Any = None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except TypeError:
        raise InputError(f"{where}: the key is encrypted; give an unencrypted key") from None
    except (ValueError, binascii.Error):
        key = _ed25519_seed(data)
        if key is None:
            raise InputError(
                f"{where}: not a private key (PEM, DER, or a base64 Ed25519 seed)"
            ) from None
    except Exception as exc:  # cryptography's UnsupportedAlgorithm and friends
        raise InputError(f"{where}: unusable key ({exc})") from None
    if isinstance(key, rsa.RSAPrivateKey):
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return SigningKey("rsa-sha256", key.key_size, pem, public)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        seed = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return SigningKey("ed25519-sha256", None, base64.b64encode(seed), public)
    raise InputError(f"{where}: a {type(key).__name__} key; DKIM signs with RSA or Ed25519")


def _ed25519_seed(data: bytes) -> Any:
    """dkimpy's dknewkey writes an Ed25519 private key as the base64 of its 32-byte seed."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 32:
        return None
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


def sign(message: bytes, key: SigningKey, selector: str, domain: str) -> bytes:
    """The message with a DKIM-Signature header added on top (relaxed/relaxed)."""
    import dkim

    from mailcheck.message.headers import split_headers

    present = {name.decode("ascii").lower() for name, _value in split_headers(message).fields}
    include = [h for h in SIGNED if h in present]
    if "from" not in present:
        raise InputError("the message has no From: header; DKIM must sign it (RFC 6376 §5.4)")
    include.append("from")
    try:
        header = dkim.sign(
            message,
            selector.encode(),
            domain.encode(),
            key.private,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h.encode() for h in include],
            signature_algorithm=key.algorithm.encode(),
            linesep=b"\r\n",
        )
    except dkim.DKIMException as exc:
        raise InputError(f"DKIM signing failed: {exc}") from None
    return bytes(header) + message
