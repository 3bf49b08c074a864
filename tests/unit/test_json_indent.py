"""JSON text (written by orjson) is exactly what json.dumps(ensure_ascii=False) writes, indented
or compact, for any value a report holds; then the terminal-unsafe characters are escaped."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailcheck.render.jsonfmt import _encoded, dumps


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
    # NaN and infinities are not JSON (json writes NaN, orjson null); no report holds them
    # no float keys: a report has none, and orjson spells some otherwise (1e-7 for 1e-07)
    | st.text()
    | st.sampled_from([Word.PASS, Level.HIGH, Text("sub\x1b"), "\u2028\x9b\ud800"])
)
keys = (
    st.text()
    | st.integers()
    # no float keys: a report has none, and orjson spells some otherwise (1e-7 for 1e-07)
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
    doc = {"v": value}
    pretty = json.dumps(doc, indent=2, ensure_ascii=False)
    compact = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # the same value; a float may be spelt otherwise (orjson 1e-7, json 1e-07)
    assert json.loads(_encoded(doc, pretty=True)) == json.loads(pretty)
    assert json.loads(_encoded(doc, pretty=False)) == json.loads(compact)
    if "e-0" not in pretty:
        assert _encoded(doc, pretty=True) == pretty
        assert _encoded(doc, pretty=False) == compact


def test_nested_text_gets_the_margin_and_unsafe_characters_are_escaped() -> None:
    doc = {"a": ["x\x1b\u202e", {}], "b": {"c": []}}
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    assert dumps(doc, margin=4) == text.replace("\n", "\n    ").replace("\u202e", "\\u202e")
    assert "\x1b" not in dumps(doc) and "\\u001b" in dumps(doc)


def test_special_values_and_empty_containers() -> None:
    doc: dict[Any, Any] = {
        "a": [],
        "b": {},
        "c": [1e16, -0.0, 1e-07, 2**70],
        1.5: (),
        "d": "\udcff",
    }
    assert _encoded(doc, pretty=True) == json.dumps(doc, indent=2, ensure_ascii=False)
    # a byte that was not UTF-8 is the text \xNN, not a lone surrogate strict parsers refuse
    assert '"d": "\\\\xff"' in dumps(doc)


def test_what_json_refuses_it_refuses_with_the_same_error() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        dumps({"a": {1}})
    with pytest.raises(TypeError, match="keys must be str"):
        dumps({(1, 2): 1})  # type: ignore[dict-item]
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps({"x": loop})
