"""Messages to verify, read (never written) from files, stdin, Maildirs and mbox files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailcheck.errors import InputError
from mailcheck.files import read_file

MAX_MESSAGE = 256 * 1024 * 1024


@dataclass(frozen=True)
class RawMessage:
    source: str
    data: bytes
    note: str = ""
    kind: str = "file"  # file | stdin | folder | mbox


def _read(path: Path) -> bytes:
    return read_file(path, str(path), limit=MAX_MESSAGE)


def is_mbox(head: bytes) -> bool:
    return head.startswith(b"From ") and b"\n" in head[:1024]


def split_mbox(data: bytes, label: str) -> Iterator[RawMessage]:
    """mboxrd: a message starts at a "From " line after a blank line (or at the start);
    ">From " lines in bodies lose one ">". A broken separator just joins two messages."""
    number = 0
    lines: list[bytes] = []

    def finish(chunk: list[bytes]) -> RawMessage | None:
        nonlocal number
        if not chunk:
            return None
        number += 1
        body = b"".join(
            line[1:] if line.startswith(b">") and line.lstrip(b">").startswith(b"From ") else line
            for line in chunk[1:]
        )
        return RawMessage(f"{label} #{number}", body, "from an mbox (>From unescaped)", "mbox")

    previous_blank = True
    for line in data.splitlines(keepends=True):
        if line.startswith(b"From ") and previous_blank and lines:
            message = finish(lines)
            if message is not None:
                yield message
            lines = []
        lines.append(line)
        previous_blank = line in (b"\n", b"\r\n")
    message = finish(lines)
    if message is not None:
        yield message


def _maildir_files(path: Path) -> list[Path]:
    subdirs = [path / "cur", path / "new"]
    if any(d.is_dir() for d in subdirs):
        files = [f for d in subdirs if d.is_dir() for f in d.iterdir() if f.is_file()]
    else:
        files = [f for f in path.iterdir() if f.is_file() and not f.name.startswith(".")]
    return sorted(files)


def read_messages(inputs: list[str]) -> Iterator[RawMessage]:
    """Each input: a message file, '-' (stdin), a Maildir or folder of files, an mbox file."""
    for item in inputs:
        if item == "-":
            yield RawMessage("<stdin>", sys.stdin.buffer.read(MAX_MESSAGE), kind="stdin")
            continue
        path = Path(item)
        if path.is_dir():
            files = _maildir_files(path)
            if not files:
                raise InputError(f"{path}: no messages (an empty Maildir or folder)")
            for file in files:
                yield RawMessage(str(file), _read(file), kind="folder")
            continue
        data = _read(path)
        if is_mbox(data[:1024]):
            yield from split_mbox(data, str(path))
        else:
            yield RawMessage(str(path), data)


def count_hint(inputs: list[str]) -> int | None:
    """How many messages to expect, when that is cheap to know (for a progress bar)."""
    total = 0
    for item in inputs:
        path = Path(item)
        if item == "-" or not path.exists():
            return None
        if path.is_dir():
            total += len(_maildir_files(path))
        else:
            with path.open("rb") as handle:
                if is_mbox(handle.read(1024)):
                    return None
            total += 1
    return total
