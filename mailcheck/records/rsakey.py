"""The size of an RSA public key read from its DER bytes without importing cryptography (pure).

Importing cryptography costs ~30 ms of CPU, which in a one-domain run falls while the DNS
answers are due. Nearly every DKIM key is a well-formed RSA key, and its size is all that a
domain check needs; so `rsa_bits` reads exactly the two strict DER layouts that verifiers
accept, SubjectPublicKeyInfo with rsaEncryption (RFC 3279 2.3.1, RFC 8017 A.1.1) and the bare
PKCS#1 RSAPublicKey some publish, and answers None for anything else: odd encodings, other
algorithms, damaged keys are left to cryptography, whose verdict and wording stay the only
ones. Whatever this accepts, cryptography accepts with the same key_size (a property test
compares the two on generated and mangled keys).

`rsa_defect` names what is wrong with a key that verifiers disagree on, which cryptography
would read (rsaEncryption without its NULL parameters, an RSASSA-PSS key) or call damaged
(a needless leading zero byte in an integer): a verdict of "cut short" would be wrong advice.
"""

from __future__ import annotations

_SEQUENCE, _INTEGER, _BIT_STRING, _NULL, _OID = 0x30, 0x02, 0x03, 0x05, 0x06
_RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1
_RSASSA_PSS = bytes.fromhex("2a864886f70d01010a")  # 1.2.840.113549.1.1.10
_NULL_PARAMETERS = bytes([_NULL, 0])
_MAX_LENGTH_BYTES = 4  # a DKIM key is at most a few kilobytes


class _NotStrict(Exception):
    """The bytes are not the strict DER this reader accepts."""


def _element(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    """(start, end) of the contents of the element of `tag` at `pos` (definite, minimal length)."""
    if pos + 2 > len(data) or data[pos] != tag:
        raise _NotStrict
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 0 < count <= _MAX_LENGTH_BYTES or pos + count > len(data) or data[pos] == 0:
            raise _NotStrict  # indefinite, oversized, or not the shortest form
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80:
            raise _NotStrict  # the short form was due
        pos += count
    if pos + length > len(data):
        raise _NotStrict
    return pos, pos + length


def _positive_integer(data: bytes, pos: int, padded: list[bool] | None = None) -> tuple[int, int]:
    """(value, end) of a minimally encoded positive INTEGER at `pos`; with `padded`, a
    needless leading zero byte is allowed, and said there."""
    start, end = _element(data, pos, _INTEGER)
    body = data[start:end]
    if not body or body[0] & 0x80:
        raise _NotStrict  # empty, or negative
    if body[0] == 0 and (len(body) == 1 or not body[1] & 0x80):
        if padded is None or len(body) == 1:
            raise _NotStrict  # zero, or a needless leading zero byte
        padded.append(True)
    return int.from_bytes(body, "big"), end


def _pkcs1_bits(data: bytes, padded: list[bool] | None = None) -> int:
    """Bits of RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }."""
    start, end = _element(data, 0, _SEQUENCE)
    if end != len(data):
        raise _NotStrict
    modulus, pos = _positive_integer(data, start, padded)
    exponent, pos = _positive_integer(data, pos, padded)
    if pos != end or not 3 <= exponent < modulus or not exponent & 1 or not modulus & 1:
        raise _NotStrict  # left to cryptography, which judges such numbers itself
    return modulus.bit_length()


def _spki_parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(algorithm OID, parameters, subjectPublicKey) of a SubjectPublicKeyInfo."""
    start, end = _element(data, 0, _SEQUENCE)
    if end != len(data):
        raise _NotStrict
    alg_start, alg_end = _element(data, start, _SEQUENCE)
    oid_start, oid_end = _element(data, alg_start, _OID)
    bits_start, bits_end = _element(data, alg_end, _BIT_STRING)
    if bits_end != end or bits_start == bits_end or data[bits_start] != 0:
        raise _NotStrict  # trailing data, or a key that is not whole bytes
    return data[oid_start:oid_end], data[oid_end:alg_end], data[bits_start + 1 : bits_end]


def _spki_bits(data: bytes) -> int:
    """Bits of SubjectPublicKeyInfo { AlgorithmIdentifier rsaEncryption, BIT STRING key }."""
    oid, parameters, key = _spki_parts(data)
    if oid != _RSA_ENCRYPTION or parameters != _NULL_PARAMETERS:  # NULL: RFC 3279 2.3.1
        raise _NotStrict
    return _pkcs1_bits(key)


# What `rsa_defect` says, for keys read whole whose encoding some verifiers refuse
NO_NULL = (
    "p= is not the DER RFC 3279 requires: rsaEncryption without NULL parameters; "
    "dkimpy- and Go-based verifiers cannot read it"
)
PSS = "p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) signatures cannot use"
PADDED = (
    "p= is not DER: an integer of the key has a needless leading zero byte; "
    "strict verifiers (Go, Rust, cryptography) cannot read it"
)


def _pkcs1_defect(data: bytes) -> str:
    padded: list[bool] = []
    _pkcs1_bits(data, padded)
    return PADDED if padded else ""


def _spki_defect(data: bytes) -> str:
    oid, parameters, key = _spki_parts(data)
    defect = _pkcs1_defect(key)  # raises for anything but an RSA key, padded or not
    if oid == _RSASSA_PSS:
        return PSS  # its parameters, if any, restrict it to PSS (RFC 4055 1.2)
    if oid != _RSA_ENCRYPTION:
        raise _NotStrict
    if not parameters:
        return NO_NULL
    if parameters != _NULL_PARAMETERS:
        raise _NotStrict
    return defect


def rsa_bits(data: bytes) -> int | None:
    """The modulus size of the RSA key `data` holds, or None to let cryptography decide."""
    for reader in (_spki_bits, _pkcs1_bits):
        try:
            return reader(data)
        except _NotStrict:
            continue
    return None


def rsa_defect(data: bytes) -> str:
    """Why verifiers disagree on the RSA key `data` holds, which `rsa_bits` declined: the key
    is read whole (an odd modulus, an exponent below it), but dkimpy cannot parse it
    (rsaEncryption without parameters: OpenSSL and cryptography accept it, Go's x509 does
    not), strict DER readers refuse it (a padded integer: Go, Rust's der, cryptography;
    dkimpy and OpenSSL read it), or it is no key for k=rsa at all (RSASSA-PSS, which
    dkimpy reads when given NULL parameters, OpenSSL and cryptography without).
    "" when none of these: cryptography judges the key."""
    for reader in (_spki_defect, _pkcs1_defect):
        try:
            return reader(data)
        except _NotStrict:
            continue
    return ""
