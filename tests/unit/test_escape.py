"""The one escaping function for untrusted text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailcheck.escape import clip_words, decode_words, from_presentation, printable


def test_controls_are_escaped() -> None:
    assert printable("a\x1b[31mb\r\n\x07") == "a\\x1b[31mb\\r\\n\\x07"
    assert printable(b"caf\xc3\xa9 \xff") == "café \\xff"
    assert printable("evil\u202etxt") == "evil\\u202etxt"
    assert printable("[bold]x[/bold]") == "[bold]x[/bold]"  # markup stays literal text


def test_limit() -> None:
    assert printable("abcdef", limit=4) == "abc…"


@given(st.one_of(st.text(), st.binary()))
def test_no_terminal_control_survives(value: str | bytes) -> None:
    out = printable(value)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)


@pytest.mark.parametrize(
    ("presented", "shown"),
    [
        (r'"v=spf1 \027[31mred -all"', r'"v=spf1 \x1b[31mred -all"'),
        (r'"caf\195\169"', '"café"'),  # UTF-8 bytes become the text they spell
        (r'"\255\254"', r'"\xff\xfe"'),  # bytes that are not UTF-8 stay bytes
        (r'"a \\027 b"', r'"a \\027 b"'),  # an escaped backslash, then digits: not an escape
        (r'"say \"hi\" \065"', r'"say \"hi\" \065"'),  # escapes of printable text stay
        (r"host\.name.example.", r"host\.name.example."),
    ],
)
def test_presentation_escapes_become_the_one_escaping(presented: str, shown: str) -> None:
    assert printable(from_presentation(presented)) == shown


def test_clip_words_ends_on_a_whole_word() -> None:
    text = "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
    assert (
        clip_words(text, 80)
        == "maximum recursion depth exceeded while decoding a JSON array from a unicode…"
    )
    assert clip_words(text, 200) == text
    assert clip_words("x" * 100, 10) == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("=?UTF-8?B?w6l0w6k=?= =?UTF-8?Q?_caf=C3=A9?= x", "été café x"),
        ("a =?utf-8?q?=C3=A9?= b", "a é b"),
        ("=?ISO-8859-1*fr?Q?caf=E9?=", "café"),
        # broken: bad base64, unknown or non-text charset, bytes not of the charset
        ("=?UTF-8?B?!!!?= =?nope?Q?a?=", "=?UTF-8?B?!!!?= =?nope?Q?a?="),
        ("=?rot13?Q?a?= =?hex?Q?41?=", "=?rot13?Q?a?= =?hex?Q?41?="),
        ("=?UTF-8?B?G+w=?=", "=?UTF-8?B?G+w=?="),
        ("plain =? text", "plain =? text"),
    ],
)
def test_decode_words(raw: str, shown: str) -> None:
    assert decode_words(raw) == shown


def test_decode_words_is_bounded() -> None:
    word = "=?UTF-8?Q?a?="
    text = word * 1000
    decoded = decode_words(text)
    assert decoded.startswith("a" * 100) and decoded.endswith(word)
