"""DKIM key records (RFC 6376 3.6.1, RFC 8463) -> tags and the decoded public key (pure)."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass, field

from mailcheck.records.rsakey import rsa_bits, rsa_defect

KEY_TYPES = ("rsa", "ed25519")
KEY_TAGS = ("v", "g", "h", "k", "n", "p", "s", "t")  # RFC 6376 3.6.1 (g=: RFC 4871)
HASHES = ("sha1", "sha256")
RSA_OPENSSL_LIMIT = 16384  # OPENSSL_RSA_MAX_MODULUS_BITS: OpenSSL refuses to verify past it

_TAG = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)


@dataclass(frozen=True)
class DkimKey:
    """A parsed key record; `error` says why the key cannot be used, if it cannot."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    syntax: tuple[str, ...] = ()
    key_type: str = "rsa"
    bits: int | None = None
    revoked: bool = False
    error: str = ""

    @property
    def testing(self) -> bool:
        return "y" in self.flags

    @property
    def flags(self) -> list[str]:
        return [f.strip().lower() for f in self.tags.get("t", "").split(":") if f.strip()]

    @property
    def hashes(self) -> list[str]:
        value = self.tags.get("h")
        if value is None:
            return list(HASHES)
        return [h.strip().lower() for h in value.split(":") if h.strip()]

    @property
    def services(self) -> list[str]:
        value = self.tags.get("s")
        if value is None:
            return ["*"]
        return [s.strip().lower() for s in value.split(":") if s.strip()]

    @property
    def describe(self) -> str:
        if self.revoked:
            return "revoked key (empty p=)"
        if self.error:
            return f"{self.key_type} key that cannot be used"
        if self.key_type == "rsa" and self.bits:
            return f"RSA {self.bits}-bit"
        return "Ed25519" if self.key_type == "ed25519" else self.key_type


def looks_like_dkim(text: str) -> bool:
    """A TXT record that is meant as a DKIM key: v=DKIM1 first, or a p= tag."""
    return bool(re.match(r"^\s*v\s*=\s*DKIM1", text)) or bool(re.search(r"(^|;)\s*p\s*=", text))


def _decode_key(key_type: str, data: str) -> tuple[int | None, str]:
    """(bits, error) for the base64 key data of p=."""
    compact = re.sub(r"\s+", "", data)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None, "p= is not valid base64"
    if key_type == "ed25519":
        if len(raw) != 32:
            return None, f"an Ed25519 key is 32 bytes, p= holds {len(raw)}"
        return 256, ""
    bits = rsa_bits(raw)
    if bits is not None:
        return bits, ""
    defect = rsa_defect(raw)
    if defect:
        return None, defect
    return cryptography_rsa_bits(raw)


def cryptography_rsa_bits(raw: bytes) -> tuple[int | None, str]:
    """(bits, error) for DER key bytes as cryptography reads them: every key that `rsa_bits`
    leaves undecided (damaged, another algorithm, an unusual encoding) is judged here."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import (
        load_der_public_key,
        load_pem_public_key,
    )

    try:
        key = load_der_public_key(raw)
    except UnsupportedAlgorithm:  # e.g. an EC key on a curve of its own
        return None, "p= holds a public key that is not RSA"
    except (ValueError, TypeError) as exc:
        # Some publish a bare PKCS#1 RSAPublicKey instead of SubjectPublicKeyInfo; verifiers
        # (dkimpy among them) accept it.
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(raw)
        pem += b"-----END RSA PUBLIC KEY-----\n"
        try:
            key = load_pem_public_key(pem)
        except (ValueError, TypeError) as second:
            if any(str(e).startswith(("e must be", "n must be")) for e in (exc, second)):
                # an RSA key, read whole, whose numbers no RSA key has: not a cut record
                return None, "p= holds an RSA key whose exponent or modulus is out of range"
            return None, "p= does not hold an RSA public key (cut short, or not a key)"
    if not isinstance(key, rsa.RSAPublicKey):
        return None, "p= holds a public key that is not RSA"
    if not key.public_numbers().n & 1:
        # the product of two odd primes is odd: nobody holds the private half of this one
        return None, "p= holds an RSA key with an even modulus, which no real key has"
    return key.key_size, ""


@functools.lru_cache(maxsize=4096)
def parse_dkim_key(text: str) -> DkimKey:
    """Parse a key record (cached: bulk verification sees the same few keys again and again)."""
    tags: dict[str, str] = {}
    syntax: list[str] = []
    order: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        match = _TAG.match(part)
        if not match:
            syntax.append(f"'{part.strip()}' is not a tag=value pair")
            continue
        name, value = match.group(1), match.group(2).strip()
        if name != name.lower() and name.lower() in KEY_TAGS:
            # tags are case-sensitive (RFC 6376 3.2): verifiers read P= as an unknown tag
            syntax.append(
                f"tag {name}= is not {name.lower()}=: tag names are case-sensitive, and "
                "verifiers ignore it"
            )
        if name in tags:
            syntax.append(f"tag {name}= appears more than once")
            continue
        tags[name] = value
        order.append(name)
    if "v" in tags:
        if order[0] != "v":
            syntax.append("v= must be the first tag")
        if tags["v"] != "DKIM1":
            syntax.append(f"v={tags['v']} is not DKIM1")
    key_type = tags.get("k", "rsa").strip() or "rsa"
    if "p" not in tags:
        return DkimKey(
            text, tags, (*syntax, "the p= tag (the key) is missing"), key_type, error="no p= tag"
        )
    if key_type not in KEY_TYPES:
        error = f"k={key_type} is not a known key type"
        if key_type.lower() in KEY_TYPES:  # values are case-sensitive too (RFC 6376 3.2)
            error += f" (key types are case-sensitive: k={key_type.lower()})"
        return DkimKey(text, tags, tuple(syntax), key_type, error=error)
    if not tags["p"].strip():
        return DkimKey(text, tags, tuple(syntax), key_type, revoked=True)
    bits, error = _decode_key(key_type, tags["p"])
    return DkimKey(text, tags, tuple(syntax), key_type, bits, error=error)
