"""Files the user names (messages, keys, attachments, config, lists, zones): read whole, or a
one-line InputError (exit 2) that says which file and why."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from mailcheck.errors import InputError

MB = 1024 * 1024


def read_file(path: str | Path, label: str, *, limit: int) -> bytes:
    """The bytes of `path`; `label` starts each error ("--attach x.pdf", or the path).

    The type and size are checked before anything is read: a device (/dev/zero) or a FIFO
    would otherwise be read until memory runs out, or block forever on open.
    """
    file = Path(path)
    try:
        info = file.stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{label}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            if _is_devnull(info):
                return b""  # an empty input on purpose (--password-file /dev/null)
            raise InputError(f"{label}: not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise InputError(_too_large(label, info.st_size, limit))
        with open(file, "rb") as handle:
            return read_limited(handle, label, limit)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except PermissionError:
        raise InputError(f"{label}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{label}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{label}: {exc.strerror or exc}") from None


def _is_devnull(info: os.stat_result) -> bool:
    try:
        return os.path.samestat(info, os.stat(os.devnull))
    except OSError:
        return False


def read_limited(handle: BinaryIO, label: str, limit: int) -> bytes:
    """At most `limit` bytes from an open file or stdin (which may grow, or never end)."""
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(_too_large(label, None, limit))
    return data


def read_stdin(label: str, *, limit: int = 16 * MB) -> str:
    """Standard input as UTF-8 text, bounded like a file."""
    import sys

    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text-only stdin (embedded): still bounded
        text = sys.stdin.read(limit + 1)
        if len(text) > limit:
            raise InputError(_too_large(label, None, limit))
        return text
    return decode_text(read_limited(buffer, label, limit), label)


def _too_large(label: str, size: int | None, limit: int) -> str:
    shown = f"{size} bytes is" if size is not None else "the input is"
    return f"{label}: {shown} more than mailcheck reads ({_size(limit)})"


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit} bytes"


def decode_text(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None


def read_text(path: str | Path, label: str, *, limit: int = 16 * MB) -> str:
    """A UTF-8 text file (configuration, lists, bodies)."""
    return decode_text(read_file(path, label, limit=limit), label)


def find_config(start: Path) -> tuple[Path, bool] | None:
    """(file, is_pyproject): the nearest expectations file (mailcheck.toml, or pyproject.toml
    with [tool.mailcheck]) at or above `start`.

    The search stops at the root of the repository `start` is in (a folder holding .git),
    so a file outside the project is never picked up by accident."""
    for folder in (start, *start.parents):
        local = folder / "mailcheck.toml"
        if local.is_file():
            return local, False
        project = folder / "pyproject.toml"
        if project.is_file() and _has_config_table(project):
            return project, True
        if (folder / ".git").exists():
            return None
    return None


def _has_config_table(project: Path) -> bool:
    try:
        text = project.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.mailcheck" in text
