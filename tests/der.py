"""DER by hand, for public keys as a publisher might encode them (well, or not): the key-size
reader's property test and the test zones' keys of sizes too large to generate."""

from __future__ import annotations

RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1


def length(n: int, padded: bool = False) -> bytes:
    """A DER length; `padded` spells it longer than DER allows: in the long form where the
    short one was due, or with a needless leading zero byte."""
    if n < 0x80 and not padded:
        return bytes([n])
    body = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    if padded and n >= 0x80:
        body = b"\x00" + body
    return bytes([0x80 | len(body)]) + body


def element(tag: int, body: bytes, padded: bool = False) -> bytes:
    return bytes([tag]) + length(len(body), padded) + body


def integer(value: int, padded: bool = False) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return element(0x02, (b"\x00" + body) if padded else body)


def rsa_public_key(modulus: int, exponent: int) -> bytes:
    """PKCS#1 RSAPublicKey."""
    return element(0x30, integer(modulus) + integer(exponent))


def spki(pkcs1: bytes) -> bytes:
    """SubjectPublicKeyInfo of rsaEncryption (with its NULL parameters) around `pkcs1`."""
    algorithm = element(0x30, element(0x06, RSA_ENCRYPTION) + b"\x05\x00")
    return element(0x30, algorithm + element(0x03, b"\x00" + pkcs1))
