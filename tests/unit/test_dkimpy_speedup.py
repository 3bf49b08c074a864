"""The integer conversions swapped into dkimpy behave exactly like its own."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mailcheck.checks.signatures import (
    FAST_RE_BTAG,
    fast_compress_whitespace,
    fast_int2str,
    fast_rfc822_parse,
    fast_str2int,
    fast_strip_trailing_whitespace,
    fast_unfold_header_value,
    speed_up_dkimpy,
)

originals = speed_up_dkimpy()
original_int2str, original_str2int = originals["int2str"], originals["str2int"]


@given(st.integers(min_value=0, max_value=1 << 4200), st.integers(min_value=-1, max_value=600))
def test_int2str_is_equivalent(n: int, length: int) -> None:
    if length == 0:
        length = -1
    assert fast_int2str(n, length) == original_int2str(n, length)


@given(st.binary(max_size=600))
def test_str2int_is_equivalent(data: bytes) -> None:
    assert fast_str2int(data) == original_str2int(data)
    assert fast_str2int(bytearray(data)) == original_str2int(bytearray(data))


# header values and bodies made of the bytes that matter: spaces, tabs, CR, LF, and others
text = st.lists(st.sampled_from([b" ", b"\t", b"\r", b"\n", b"\r\n", b"a", b"\xff", b"  "])).map(
    b"".join
)


@given(text)
def test_canonicalization_helpers_are_equivalent(data: bytes) -> None:
    assert fast_compress_whitespace(data) == originals["compress_whitespace"](data)
    assert fast_unfold_header_value(data) == originals["unfold_header_value"](data)
    assert fast_strip_trailing_whitespace(data) == originals["strip_trailing_whitespace"](data)


# signature header values made of what the b= pattern cares about
btag_text = st.lists(
    st.sampled_from(
        [
            b" ",
            b"\t",
            b"\r",
            b"\n",
            b"\r\n",
            b";",
            b"b",
            b"=",
            b"A",
            b"z",
            b"0",
            b"+",
            b"/",
            b"-",
            b"\x0b",
            b"\x0c",
            b"\xc3",
            b" b=",
            b";b=",
            b"bh=",
            b"QUJD",
        ]
    ),
    max_size=60,
).map(b"".join)


@given(btag_text)
def test_b_tag_removal_is_equivalent(data: bytes) -> None:
    original = originals["RE_BTAG"]
    assert FAST_RE_BTAG.sub(b"\\1", data) == original.sub(b"\\1", data)
    assert [m.span() for m in FAST_RE_BTAG.finditer(data)] == [
        m.span() for m in original.finditer(data)
    ]


def _keys() -> list[tuple[object, dict[str, int]]]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    out = []
    for bits, exponent in ((1024, 65537), (2048, 65537), (1024, 3)):
        key = rsa.generate_private_key(exponent, bits)
        numbers = key.public_key().public_numbers()
        out.append((key, {"modulus": numbers.n, "publicExponent": numbers.e}))
    return out


KEYS = _keys()


@given(
    st.sampled_from(range(len(KEYS))),
    st.sampled_from(["sha256", "sha1"]),
    st.binary(max_size=64),
    st.sampled_from(["valid", "flip", "short", "long", "too-big", "other-data", "zero"]),
)
def test_rsa_verification_is_equivalent(index: int, algorithm: str, data: bytes, case: str) -> None:
    import hashlib

    import dkim
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key, public = KEYS[index]
    chosen = hashes.SHA256() if algorithm == "sha256" else hashes.SHA1()  # noqa: S303
    signature = key.sign(data, padding.PKCS1v15(), chosen)  # type: ignore[attr-defined]
    modlen = len(signature)
    leading_zero = signature[0] == 0
    if case == "flip":
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    elif case == "short":
        signature = signature[1:]
    elif case == "long":
        signature = b"\x00" + signature
    elif case == "too-big":
        signature = (public["modulus"] + 5).to_bytes(modlen, "big")
    elif case == "zero":
        signature = bytes(modlen)
    digest_data = data + b"x" if case == "other-data" else data
    expected = originals["rsa_verify"](hashlib.new(algorithm, digest_data), signature, public)
    assert (
        dkim.RSASSA_PKCS1_v1_5_verify(hashlib.new(algorithm, digest_data), signature, public)
        == expected
    )
    # dkimpy reads the signature as an integer: a leading zero byte changes nothing
    assert expected == (case in ("valid", "long") or (case == "short" and leading_zero))


# messages made of what the parser cares about: line ends of both kinds, folding, names
message_text = st.lists(
    st.sampled_from(
        [b"\r", b"\n", b"\r\n", b" ", b"\t", b"A", b":", b"From ", b"x: y", b"\x00", b"\xc3"]
    ),
    max_size=40,
).map(b"".join)


@given(message_text)
def test_message_parsing_is_equivalent(data: bytes) -> None:
    def parsed(parse: Any) -> object:
        try:
            return parse(data)
        except Exception as exc:  # the same error, with the same words
            return (type(exc), str(exc))

    assert parsed(fast_rfc822_parse(None)) == parsed(originals["rfc822_parse"])
