"""Files the user names (messages, keys, attachments, config, lists): read whole, or a
one-line InputError (exit 2) that says which file and why."""

from __future__ import annotations

from pathlib import Path

from mailcheck.errors import InputError

MB = 1024 * 1024


def read_file(path: str | Path, label: str, *, limit: int) -> bytes:
    """The bytes of `path`; `label` starts each error ("--attach x.pdf", or the path)."""
    file = Path(path)
    try:
        if file.is_dir():
            raise InputError(f"{label}: is a directory")
        size = file.stat().st_size
        if size > limit:
            raise InputError(
                f"{label}: {size} bytes is more than mailcheck reads ({limit // MB} MB)"
            )
        return file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except PermissionError:
        raise InputError(f"{label}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{label}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{label}: {exc.strerror or exc}") from None


def decode_text(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None


def read_text(path: str | Path, label: str, *, limit: int = 16 * MB) -> str:
    """A UTF-8 text file (configuration, lists, bodies)."""
    return decode_text(read_file(path, label, limit=limit), label)
