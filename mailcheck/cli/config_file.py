"""Find and read the expectations file: --config FILE, else ./mailcheck.toml, else
[tool.mailcheck] in ./pyproject.toml; --no-config ignores them."""

from __future__ import annotations

import sys
from pathlib import Path

from mailcheck.config import Config, parse
from mailcheck.files import read_text


def load(path: str | None, disabled: bool) -> Config | None:
    if disabled:
        return None
    if path is not None:
        return _read(Path(path), pyproject=Path(path).name == "pyproject.toml", given=True)
    local = Path("mailcheck.toml")
    if local.is_file():
        return _read(local, pyproject=False, given=False)
    project = Path("pyproject.toml")
    if project.is_file():
        try:
            text = project.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if "[tool.mailcheck" in text:
            return _checked(parse(text, str(project), pyproject=True))
    return None


def _read(path: Path, *, pyproject: bool, given: bool) -> Config:
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
