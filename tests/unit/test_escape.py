"""The one escaping function for untrusted text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailcheck.escape import printable


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
