"""Domain names as users type them."""

from __future__ import annotations

import pytest

from mailcheck.errors import InputError
from mailcheck.records.domain_name import parse_domain


@pytest.mark.parametrize(
    ("text", "ascii", "unicode"),
    [
        ("Example.COM.", "example.com", "example.com"),
        ("bücher.example", "xn--bcher-kva.example", "bücher.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"),
        ("_dmarc.example.com", "_dmarc.example.com", "_dmarc.example.com"),
    ],
)
def test_valid(text: str, ascii: str, unicode: str) -> None:
    name = parse_domain(text)
    assert (name.ascii, name.unicode) == (ascii, unicode)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("localhost", "not a fully qualified"),
        ("alice@example.com", "not an address"),
        ("https://example.com/", "not a URL"),
        ("192.0.2.1", "IP address"),
        ("a..example", "empty label"),
        ("-bad.example", "may only hold"),
        ("x" * 64 + ".example", "over 63"),
        ("a b.example", "invalid character ' ' in label 'a b'"),
        ("example.com/path", "not a URL"),
        ("foo/bar.example", "invalid character '/' in label 'foo/bar'"),
        ("example.123", "numeric"),
        ("xn--zz.example", "punycode"),
        ("exa\x1bmple.com", "invalid character '\\x1b'"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_domain(text)
    assert message in info.value.message
    assert "\x1b" not in info.value.message
