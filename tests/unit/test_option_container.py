"""groups.container: a command's parameters become its options dataclass by name, and a
field no parameter names (one side renamed) is a loud error, not a silent default."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import pytest

from mailcheck.cli.groups import container


class Mode(str, enum.Enum):
    FAST = "fast"


@dataclass(frozen=True)
class Opts:
    name: str | None = None
    many: tuple[str, ...] = ()
    mode: str = "slow"
    flag: bool = False


def test_values_by_name_lists_as_tuples_choices_as_values() -> None:
    made = container(Opts, {"name": "x", "many": ["a", "b"], "mode": Mode.FAST, "flag": True})
    assert made == Opts("x", ("a", "b"), "fast", True)
    # a repeatable option given no value is an empty tuple, not None
    assert container(Opts, {"name": None, "many": None, "mode": "m", "flag": False}).many == ()


def test_a_field_no_parameter_names_is_refused_unless_partial() -> None:
    with pytest.raises(TypeError, match=r"^Opts\.flag: no parameter of that name$"):
        container(Opts, {"name": "x", "many": [], "mode": "m", "flg": True})
    assert container(Opts, {"name": "x"}, partial=True, flag=True) == Opts("x", flag=True)
