"""Renders the catalog for `mailcheck explain`."""

from __future__ import annotations

import difflib
import sys

from mailcheck.catalog import CHECKS, FAMILIES, CheckSpec
from mailcheck.errors import UsageError
from mailcheck.model import ExitCode


def _entry(spec: CheckSpec) -> str:
    lines = [f"{spec.id}: {spec.title}", "", spec.explain]
    if spec.hint:
        lines += ["", f"Fix: {spec.hint}"]
    if spec.refs:
        lines += ["", "References: " + ", ".join(spec.refs)]
    return "\n".join(lines)


def run(check_id: str | None, list_all: bool) -> ExitCode:
    if list_all or not check_id:
        width = max(len(i) for i in CHECKS)
        for spec in sorted(CHECKS.values(), key=lambda s: s.id):
            sys.stdout.write(f"{spec.id.ljust(width)}  {spec.title}\n")
        return ExitCode.OK
    key = check_id.strip().lower()
    if key in CHECKS:
        sys.stdout.write(_entry(CHECKS[key]) + "\n")
        return ExitCode.OK
    members = [s for s in CHECKS.values() if s.family == key]
    if members:
        title = FAMILIES.get(key, key)
        sys.stdout.write(f"{title}\n\n")
        sys.stdout.write("\n\n".join(_entry(s) for s in sorted(members, key=lambda s: s.id)))
        sys.stdout.write("\n")
        return ExitCode.OK
    close = difflib.get_close_matches(key, sorted(CHECKS) + sorted(FAMILIES), n=1)
    raise UsageError(
        f"no such check id or family: {check_id!r}",
        hint=f"did you mean {close[0]!r}?" if close else "mailcheck explain --list shows every id",
    )
