"""Renders the catalog for `mailcheck explain`."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from mailcheck.catalog import CHECKS, FAMILIES, CheckSpec
from mailcheck.errors import UsageError
from mailcheck.model import ExitCode

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def _entry(spec: CheckSpec, width: int) -> list[Text]:
    from rich.text import Text

    from mailcheck.render.text import hanging, wrap

    lines = [*wrap(Text(f"{spec.id}: {spec.title}"), width), Text("")]
    lines += wrap(Text(spec.explain), width)
    if spec.hint:
        lines += [Text(""), *hanging(Text("Fix: "), Text(spec.hint), width)]
    if spec.refs:
        lines += [Text(""), *hanging(Text("References: "), Text(", ".join(spec.refs)), width)]
    return lines


def _listing(width: int, specs: list[CheckSpec]) -> list[Text]:
    from rich.text import Text

    from mailcheck.render.text import hanging

    column = max(len(s.id) for s in specs)
    lines: list[Text] = []
    for spec in sorted(specs, key=lambda s: s.id):
        lines += hanging(Text(f"{spec.id.ljust(column)}  "), Text(spec.title), width)
    return lines


def run(check_id: str | None, list_all: bool, console: Console | None = None) -> ExitCode:
    """Print an id's story, a family's, or the list; `console` is the run's (COLUMNS, colour)."""
    from mailcheck.cli.common import OutputOptions
    from mailcheck.render.text import emit

    if check_id is not None and not check_id.strip():
        raise UsageError("an empty check id", hint="mailcheck explain --list shows every id")
    out = console or OutputOptions().console()
    if check_id is None:
        emit(out, _listing(out.width, list(CHECKS.values())))
        return ExitCode.OK
    key = check_id.strip().lower()
    if list_all:  # `--list dmarc`: the family's ids, one line each
        chosen = [s for s in CHECKS.values() if key in (s.id, s.family)]
        if chosen:
            emit(out, _listing(out.width, chosen))
            return ExitCode.OK
    if key in CHECKS:
        emit(out, _entry(CHECKS[key], out.width))
        return ExitCode.OK
    members = [s for s in CHECKS.values() if s.family == key]
    if members:
        from rich.text import Text

        from mailcheck.render.text import wrap

        lines = [*wrap(Text(FAMILIES.get(key, key)), out.width)]
        for spec in sorted(members, key=lambda s: s.id):
            lines += [Text(""), *_entry(spec, out.width)]
        emit(out, lines)
        return ExitCode.OK
    close = difflib.get_close_matches(key, sorted(CHECKS) + sorted(FAMILIES), n=1)
    raise UsageError(
        f"no such check id or family: {check_id!r}",
        hint=f"did you mean {close[0]!r}?" if close else "mailcheck explain --list shows every id",
    )
