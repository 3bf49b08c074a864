"""Indented JSON is exactly what json.dumps(indent=2, ensure_ascii=False) writes, for any value."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.render.json_indent import indented


class Word(str, enum.Enum):
    PASS = "pass"


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**64, max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from([Word.PASS, Level.HIGH, Text("sub\x1b"), "\u2028\x9b\ud800"])
)
keys = (
    st.text()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.none()
    | st.just(Text("k"))
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=30,
)


@given(values)
@settings(max_examples=400)
def test_the_same_text_as_json(value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    assert indented(value) == text
    # nested in a document: every line break followed by the margin (no string holds one)
    assert indented(value, 4) == text.replace("\n", "\n    ")


def test_special_floats_and_empty_containers() -> None:
    value = {"a": [], "b": {}, "c": [math.nan, math.inf, -math.inf, 1e16, -0.0], 1.5: ()}
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_refuses_it_refuses_with_the_same_error() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        indented({"a": {1}})
    with pytest.raises(TypeError, match="keys must be str"):
        indented({(1, 2): 1})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        indented({"x": loop})
