"""Find and read the expectations file: --config FILE, else the nearest mailcheck.toml or
pyproject.toml with [tool.mailcheck], from the current directory up to the repository root
(as ruff and pre-commit look); --no-config ignores them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mailcheck.cli.common import note
from mailcheck.files import find_config, read_text

if TYPE_CHECKING:
    from mailcheck.gating.expectations import Config


def load(path: str | None, disabled: bool) -> Config | None:
    if disabled:
        note("expectations: none (--no-config)")
        return None
    if path is not None:
        note(f"expectations: {path} (--config)")
        return _read(Path(path), pyproject=Path(path).name == "pyproject.toml", given=True)
    found = find_config(Path.cwd())
    if found is None:
        note("expectations: none found (mailcheck.toml or [tool.mailcheck] in pyproject.toml)")
        return None
    file, pyproject = found
    shown = _relative(file)
    note(f"expectations: {shown}")
    return _read(Path(shown), pyproject=pyproject, given=False)


def _relative(file: Path) -> str:
    """The path as the user would type it from here (FILE:LINE in messages stays short)."""
    import os

    try:
        return os.path.relpath(file)
    except ValueError:  # another drive (Windows)
        return str(file)


def _read(path: Path, *, pyproject: bool, given: bool) -> Config:
    # the rules and their TOML reader are imported only when there is a file to read
    from mailcheck.gating.expectations import parse

    text = read_text(path, f"--config {path}" if given else str(path))
    return _checked(parse(text, str(path), pyproject=pyproject))


def _checked(config: Config) -> Config:
    """Waivers for ids mailcheck does not know are warned about (a typo waives nothing)."""
    from mailcheck.catalog import CHECKS

    for waiver in config.waivers:
        if waiver.id not in CHECKS:
            where = f"{config.path}:{waiver.line}" if waiver.line else config.path
            sys.stderr.write(
                f"mailcheck: warning: {where}: waiver for {waiver.id!r}, which is not a check id "
                "(see mailcheck explain --list)\n"
            )
    return config
