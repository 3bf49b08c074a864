"""The checks on values that go into protocol commands (argv cannot carry a NUL byte)."""

from __future__ import annotations

import pytest

from mailcheck.errors import UsageError
from mailcheck.services.connecting import refuse_control_characters


@pytest.mark.parametrize("value", ["a\0b", "a\rb", "a\nb", "a\x1bb", "a\x7fb"])
def test_control_characters_are_refused(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        refuse_control_characters(value, "--ehlo")
    assert caught.value.message.startswith("--ehlo 'a\\")
    assert "control characters (CR, LF, NUL ...) are not allowed" in caught.value.message


def test_ordinary_values_pass() -> None:
    refuse_control_characters("client.example.org", "--ehlo")
    refuse_control_characters("Ålice@例え.jp", "--mail-from")
    refuse_control_characters(None, "--user")
