"""The integer conversions swapped into dkimpy behave exactly like its own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailcheck.checks.signatures import fast_int2str, fast_str2int, speed_up_dkimpy

original_int2str, original_str2int = speed_up_dkimpy()


@given(st.integers(min_value=0, max_value=1 << 4200), st.integers(min_value=-1, max_value=600))
def test_int2str_is_equivalent(n: int, length: int) -> None:
    if length == 0:
        length = -1
    assert fast_int2str(n, length) == original_int2str(n, length)


@given(st.binary(max_size=600))
def test_str2int_is_equivalent(data: bytes) -> None:
    assert fast_str2int(data) == original_str2int(data)
    assert fast_str2int(bytearray(data)) == original_str2int(bytearray(data))
