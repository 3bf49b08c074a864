"""The library API's argument checks: a wrong type is a TypeError naming the keyword."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from typing import Any


def _kind(value: object) -> str:
    # the type, never the value: a password must not reach an error message
    return "None" if value is None else type(value).__name__


def need(where: str, name: str, value: Any, kinds: type | tuple[type, ...], what: str) -> Any:
    """`value` if it is one of `kinds` (bool is no number here), else a TypeError."""
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in _tuple(kinds)):
        return value
    raise TypeError(f"{where}: {name} must be {what}, not {_kind(value)}")


def optional(where: str, name: str, value: Any, kinds: type | tuple[type, ...], what: str) -> Any:
    return None if value is None else need(where, name, value, kinds, f"{what} or None")


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def strings(where: str, name: str, value: Any, *, paths: bool = False) -> tuple[str, ...]:
    """A list of str (of paths too when `paths`): a bare str would be split into its
    characters, so it is refused."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{where}: {name} must be a list of str, not {_kind(value)}: give a list")
    items = tuple(value)
    kinds: tuple[type, ...] = (str, os.PathLike) if paths else (str,)
    for item in items:
        need(where, f"each item of {name}", item, kinds, "a str")
    return tuple(os.fspath(item) for item in items)


def raw_bytes(where: str, name: str, value: Any, hint: str) -> bytes:
    """bytes, bytearray or memoryview as bytes; anything else a TypeError with `hint`."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{where}: give {name} as bytes ({hint}), not {_kind(value)}")


def attachments(where: str, value: Any) -> list[tuple[str, bytes]]:
    pairs = []
    for item in strings_or_items(where, "attachments", value):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise TypeError(
                f"{where}: each item of attachments must be a (file name, bytes) pair, "
                f"not {_kind(item)}"
            )
        name, data = item
        need(where, "an attachment's file name", name, str, "a str")
        hint = "Path(file).read_bytes()"
        pairs.append((name, raw_bytes(where, "an attachment's content", data, hint)))
    return pairs


def strings_or_items(where: str, name: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{where}: {name} must be a list, not {_kind(value)}: give a list")
    return tuple(value)


def headers(where: str, value: Any) -> tuple[str, ...]:
    """'Name: value' items, or a mapping of names to values."""
    if isinstance(value, Mapping):
        for key, text in value.items():
            need(where, "a header name", key, str, "a str")
            need(where, f"header {key!r}", text, str, "a str")
        return tuple(f"{key}: {text}" for key, text in value.items())
    return strings(where, "headers", value)


def seconds(where: str, value: Any) -> float:
    """A time limit: a finite number above 0 (TypeError or ValueError naming `where`)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where} must be a number of seconds, not {_kind(value)}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where} {value!r}: give a finite number of seconds above 0")
    return float(value)
