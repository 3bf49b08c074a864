"""The catalogue's registry: CheckSpec, and `entry` that the family data modules call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckSpec:
    """A check id's catalogue entry: its title, explanation, hint and references."""

    id: str
    title: str
    explain: str
    hint: str = ""
    refs: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


CHECKS: dict[str, CheckSpec] = {}


def entry(id: str, title: str, explain: str, hint: str = "", *refs: str) -> str:
    """Register one check id (once) and return it, so a family module names it as a constant."""
    assert id not in CHECKS, id
    CHECKS[id] = CheckSpec(id, title, explain, hint, refs)
    return id
