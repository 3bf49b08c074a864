"""The DKIM key size read without cryptography agrees with cryptography on every key it reads.

`rsa_bits` is a shortcut: a key it accepts must be one cryptography accepts, with the same
size; a key it declines goes to cryptography (`cryptography_rsa_bits`), so declining is always
safe. The strategies below build keys the way a careless or hostile publisher might encode
them (long-form and padded lengths, padded or negative integers, other algorithms, odd
parameters, trailing bytes, cut or flipped bytes) and compare the two readers on each.
"""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.records.dkim import cryptography_rsa_bits, parse_dkim_key
from mailcheck.records.rsakey import NO_NULL, PADDED, PSS, rsa_bits, rsa_defect
from tests.der import RSA_ENCRYPTION, element, integer, rsa_public_key, spki

RSASSA_PSS = bytes.fromhex("2a864886f70d01010a")
CUT = "p= does not hold an RSA public key (cut short, or not a key)"
EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")


@st.composite
def rsa_numbers(draw: st.DrawFn) -> tuple[int, int]:
    """Mostly numbers a key could hold; sometimes ones cryptography refuses (n < 3, e < 3,
    e >= n, even numbers, negative numbers)."""
    if draw(st.integers(0, 3)):
        modulus = draw(st.integers(min_value=2**511, max_value=2**4096)) | 1
        return modulus, draw(st.sampled_from([3, 17, 65537, 2**32 + 1]))
    modulus = draw(
        st.one_of(
            st.integers(min_value=-5, max_value=70_000),
            st.integers(min_value=1, max_value=4200).map(lambda b: (1 << b) + 1),
        )
    )
    exponent = draw(
        st.one_of(
            st.sampled_from([-3, 0, 1, 2, 3, 4, 17, 65537]),
            st.integers(min_value=-(2**20), max_value=2**40),
            st.just(modulus),
            st.just(modulus + 2),
        )
    )
    return modulus, exponent


DEFECTS = (
    "padded modulus",
    "padded exponent",
    "padded RSAPublicKey length",
    "padded algorithm length",
    "padded BIT STRING length",
    "padded outer length",
    "a third integer",
    "trailing byte in RSAPublicKey",
    "trailing byte in the outer SEQUENCE",
    "RSASSA-PSS",
    "ecPublicKey",
    "NULL with a body",
    "NULL in the long form",
    "an OID for parameters",
    "two NULLs",
    "unused bits",
    "no unused-bits byte",
    "cut",
    "flip",
    "append",
)


@st.composite
def keys(draw: st.DrawFn) -> bytes:
    """DER bytes meant as an RSA public key, SubjectPublicKeyInfo or bare PKCS#1, well formed
    half of the time and otherwise with one defect."""
    modulus, exponent = draw(rsa_numbers())
    defect = draw(st.one_of(st.just(""), st.sampled_from(DEFECTS)))
    pkcs1 = element(
        0x30,
        integer(modulus, defect == "padded modulus")
        + integer(exponent, defect == "padded exponent")
        + (b"\x02\x01\x03" if defect == "a third integer" else b"")
        + (b"\x00" if defect == "trailing byte in RSAPublicKey" else b""),
        defect == "padded RSAPublicKey length",
    )
    if draw(st.booleans()):
        data = pkcs1
    else:
        oid = {"RSASSA-PSS": RSASSA_PSS, "ecPublicKey": EC_PUBLIC_KEY}.get(defect, RSA_ENCRYPTION)
        params = {
            "NULL with a body": b"\x05\x01\x00",
            "NULL in the long form": b"\x05\x81\x00",
            "an OID for parameters": b"\x06\x01\x00",
            "two NULLs": b"\x05\x00\x05\x00",
        }.get(defect, draw(st.sampled_from([b"\x05\x00", b""])))
        algorithm = element(0x30, element(0x06, oid) + params, defect == "padded algorithm length")
        unused = {"unused bits": b"\x01", "no unused-bits byte": b""}.get(defect, b"\x00")
        bit_string = element(0x03, unused + pkcs1, defect == "padded BIT STRING length")
        trailing = b"\x00" if defect == "trailing byte in the outer SEQUENCE" else b""
        data = element(0x30, algorithm + bit_string + trailing, defect == "padded outer length")
    if defect == "cut":
        data = data[: draw(st.integers(min_value=0, max_value=len(data) - 1))]
    elif defect == "flip":
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    elif defect == "append":
        data += draw(st.binary(min_size=1, max_size=3))
    return data


@settings(max_examples=3000, deadline=None)
@given(keys())
def test_whatever_is_read_without_cryptography_cryptography_reads_alike(data: bytes) -> None:
    bits = rsa_bits(data)
    judged = cryptography_rsa_bits(data)  # never raises: a key it cannot read is an error
    defect = rsa_defect(data)
    if bits is not None:
        assert judged == (bits, "")
        assert defect == ""  # a strict key has none of the defects verifiers disagree on
    elif judged[0] is None:
        assert judged[1] in (
            "p= does not hold an RSA public key (cut short, or not a key)",
            "p= holds a public key that is not RSA",
            "p= holds an RSA key whose exponent or modulus is out of range",
            "p= holds an RSA key with an even modulus, which no real key has",
        )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    bits = rsa_bits(data)
    if bits is not None:
        assert cryptography_rsa_bits(data) == (bits, "")


def test_real_keys_are_read_without_cryptography() -> None:
    """Keys as OpenSSL writes them, both layouts: the shortcut reads them (so a one-domain run
    need not import cryptography), with cryptography's size."""
    for size in (1024, 2048, 3072):
        public = rsa.generate_private_key(public_exponent=65537, key_size=size).public_key()
        for layout in (
            serialization.PublicFormat.SubjectPublicKeyInfo,
            serialization.PublicFormat.PKCS1,
        ):
            der = public.public_bytes(serialization.Encoding.DER, layout)
            assert rsa_bits(der) == size == cryptography_rsa_bits(der)[0]
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = other.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert rsa_bits(der) is None
    assert cryptography_rsa_bits(der) == (None, "p= holds a public key that is not RSA")


def _key(n: int, e: int, oid: bytes, params: bytes, pad: bool = False) -> bytes:
    pkcs1 = element(0x30, integer(n, pad) + integer(e)) if pad else rsa_public_key(n, e)
    return element(
        0x30, element(0x30, element(0x06, oid) + params) + element(0x03, b"\x00" + pkcs1)
    )


@pytest.mark.parametrize(
    ("oid", "params", "pad", "defect"),
    [
        (RSA_ENCRYPTION, b"", False, NO_NULL),
        (RSASSA_PSS, b"", False, PSS),
        (RSASSA_PSS, b"\x05\x00", False, PSS),
        (RSASSA_PSS, b"\x30\x00", False, PSS),
        (RSA_ENCRYPTION, b"\x05\x00", True, PADDED),
        (RSA_ENCRYPTION, b"", True, NO_NULL),
        (RSA_ENCRYPTION, b"\x05\x00", False, ""),
        (EC_PUBLIC_KEY, b"\x05\x00", False, ""),
    ],
)
def test_keys_verifiers_disagree_on_are_named_for_their_defect(
    oid: bytes, params: bytes, pad: bool, defect: str
) -> None:
    """Read whole, but refused by some verifiers (cryptography reads the first two, dkimpy
    the PSS key with NULL parameters and the padded one): never a key of some size, never
    "cut short"."""
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    numbers = public.public_numbers()
    der = _key(numbers.n, numbers.e, oid, params, pad)
    assert rsa_defect(der) == defect
    key = parse_dkim_key("v=DKIM1; p=" + base64.b64encode(der).decode())
    if defect:
        assert rsa_bits(der) is None
        assert (key.bits, key.error) == (None, defect)
        # cryptography alone would have called these 2048-bit keys, or damaged ones
        read = cryptography_rsa_bits(der)
        assert read == ((2048, "") if not pad and params != b"\x05\x00" else (None, CUT))
    elif oid == RSA_ENCRYPTION:
        assert (key.bits, key.error) == (2048, "")
    else:  # an RSA key under an EC OID: cryptography's verdict
        assert key.bits is None and key.error
    # a bare PKCS#1 key with a padded modulus
    padded = element(0x30, integer(numbers.n, True) + integer(numbers.e))
    assert rsa_defect(padded) == PADDED


def test_a_domain_key_is_sized_without_importing_cryptography() -> None:
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    code = (
        "import sys\nfrom mailcheck.records.dkim import parse_dkim_key\n"
        f"key = parse_dkim_key({record!r})\n"
        "print(key.describe, 'cryptography' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["RSA", "2048-bit", "False"]
    # a damaged key still gets cryptography's verdict, in a run that imports it only then
    damaged = parse_dkim_key("v=DKIM1; p=" + base64.b64encode(der[:-9]).decode())
    assert damaged.error == "p= does not hold an RSA public key (cut short, or not a key)"


@pytest.mark.parametrize(
    ("modulus", "exponent", "error"),
    [
        ((1 << 2047) | 12345, 1, "p= holds an RSA key whose exponent or modulus is out of range"),
        (
            (1 << 2047) | 12345,
            (1 << 2047) | 12347,
            "p= holds an RSA key whose exponent or modulus is out of range",
        ),
        (1 << 2047, 65537, "p= holds an RSA key with an even modulus, which no real key has"),
    ],
)
@pytest.mark.parametrize("layout", ["spki", "pkcs1"])
def test_keys_with_numbers_no_rsa_key_has_are_named_for_what_is_wrong(
    modulus: int, exponent: int, error: str, layout: str
) -> None:
    """Read whole, but with numbers no RSA key has: not "cut short" (whose hint is about
    records split at 255 bytes), and never a key of some size."""
    numbers = rsa_public_key(modulus, exponent)
    der = numbers if layout == "pkcs1" else spki(numbers)
    assert rsa_bits(der) is None
    key = parse_dkim_key("v=DKIM1; p=" + base64.b64encode(der).decode())
    assert (key.bits, key.error) == (None, error)
