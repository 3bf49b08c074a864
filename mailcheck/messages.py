"""Messages to verify, read (never written) from files, stdin, Maildirs and mbox files."""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from mailcheck.errors import InputError

MAX_MESSAGE = 256 * 1024 * 1024
MBOX_FORMATS = ("auto", "mboxo", "mboxrd")


@dataclass(frozen=True)
class RawMessage:
    """A message as read from a file, folder or mbox, or why it could not be read."""

    source: str
    data: bytes
    note: str = ""
    kind: str = "file"  # file | stdin | folder | mbox
    # why the message could not be read ("" when it was): data is then empty
    error: str = ""
    too_large: bool = False


UTF8_BOM = b"\xef\xbb\xbf"
BOM_NOTE = (
    "a UTF-8 byte order mark before the first header field was skipped (an editor adds it; "
    "it is no part of a message)"
)


def without_bom(message: RawMessage) -> RawMessage:
    """The message without a UTF-8 byte order mark at its start: an editor's addition that
    made its first header field unreadable ("no header fields") and broke DKIM's view of it."""
    if not message.data.startswith(UTF8_BOM):
        return message
    note = f"{message.note}; {BOM_NOTE}" if message.note else BOM_NOTE
    return replace(message, data=message.data[len(UTF8_BOM) :], note=note)


class _Unreadable(Exception):
    def __init__(self, reason: str, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory, not a message file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a message file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a message file"
    return "a device, not a message file"


def _read(
    path: Path, limit: int = MAX_MESSAGE, stream: bool = False, until: float | None = None
) -> bytes:
    """The whole file, or _Unreadable with a one-line reason. Opened without blocking and
    checked with fstat on the open file: a FIFO inside a folder never hangs the run, and a
    file swapped for something else between listing and reading is caught. `stream`: a
    pipe the user named (`verify <(command)`, a FIFO) is read like stdin, until `until`."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if path.is_symlink():
            raise _Unreadable(f"dangling symbolic link (to {os.readlink(path)})") from None
        raise _Unreadable("no such file (removed before it could be read?)") from None
    except PermissionError:
        raise _Unreadable("permission denied") from None
    except OSError as exc:
        raise _Unreadable(exc.strerror or str(exc)) from None
    info = os.fstat(fd)
    if stream and (stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
        try:
            return _read_pipe(fd, limit, until)
        finally:
            os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _Unreadable(_kind(info.st_mode))
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise _Unreadable(
                f"{info.st_size} bytes is more than mailcheck reads ({limit // 2**20} MB)", True
            )
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _Unreadable(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise _Unreadable(f"more than mailcheck reads ({limit // 2**20} MB)", True)
    return data


def _read_pipe(fd: int, limit: int, until: float | None) -> bytes:
    """A pipe, FIFO or terminal to its end, as cat reads it, but never past `until` (the
    run's --deadline): a writer that never comes, or never closes, ends in _Unreadable.
    Each read waits in poll(), so the descriptor's blocking mode (stdin's is shared with
    the shell) is left as it is."""
    import select
    import time

    poller = select.poll() if hasattr(select, "poll") else None  # not on Windows: no limit
    if poller is not None:
        poller.register(fd, select.POLLIN | select.POLLPRI)
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        if poller is not None and until is not None:
            left = until - time.monotonic()
            if left <= 0 or not poller.poll(max(1, int(left * 1000) + 1)):
                raise _Unreadable(
                    f"still open when --deadline ran out ({size} bytes read; "
                    "part of an input is never judged)"
                )
        try:
            chunk = os.read(fd, min(2**20, limit + 1 - size))
        except BlockingIOError:  # woken without data (another reader took it)
            continue
        except OSError as exc:
            raise _Unreadable(exc.strerror or str(exc)) from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise _Unreadable(f"more than mailcheck reads ({limit // 2**20} MB)", True)
    return b"".join(chunks)


def is_mbox(head: bytes) -> bool:
    """Whether the bytes are an mbox file: its first line a "From " separator, read past a
    UTF-8 byte order mark (an editor's addition, as before a single message's headers)."""
    head = head.removeprefix(UTF8_BOM)
    return head.startswith(b"From ") and b"\n" in head[:1024]


_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_ONE_QUOTED_FROM = re.compile(rb"^>(From )", re.MULTILINE)
_RD_MARK = re.compile(rb"^>>+From ", re.MULTILINE)


def mbox_format(data: bytes, wanted: str = "auto") -> str:
    """mboxo escapes only "From " lines; mboxrd also ">From " ones (so ">>From " only comes
    from mboxrd). They read the same when no ">>From " line exists."""
    if wanted != "auto":
        return wanted
    return "mboxrd" if _RD_MARK.search(data) else "mboxo"


def split_mbox(data: bytes, label: str, fmt: str = "auto") -> Iterator[RawMessage]:
    """A message starts at a "From " line after a blank line (or at the start); quoted
    ">From " lines lose one ">" as the format says. A broken separator joins two messages."""
    # a byte order mark before the first separator goes with that line, which is no part of
    # a message (not copied away: an mbox may be 256 MB)
    fmt = mbox_format(data, fmt)
    unquote = _QUOTED_FROM if fmt == "mboxrd" else _ONE_QUOTED_FROM
    number = 0
    lines: list[bytes] = []

    def finish(chunk: list[bytes]) -> RawMessage | None:
        nonlocal number
        if not chunk:
            return None
        number += 1
        body = b"".join(chunk[1:])
        body, count = unquote.subn(rb"\1", body)
        note = f"from an {fmt} mbox" + (f" ({count} '>From ' line(s) unquoted)" if count else "")
        return RawMessage(f"{label} #{number}", body, note, "mbox")

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


def _folder_entries(path: Path) -> list[Path]:
    """Every entry where messages live (cur/ and new/ of a Maildir, or the folder itself),
    readable or not: what cannot be read is reported, not skipped."""
    subdirs = [path / "cur", path / "new"]
    if any(d.is_dir() for d in subdirs):
        entries = [f for d in subdirs if d.is_dir() for f in d.iterdir()]
    else:
        # a plain folder: its subfolders are not messages (a Maildir's cur/ holds only files)
        entries = [f for f in path.iterdir() if f.is_symlink() or not f.is_dir()]
    # Path's own order (its parts compared in turn), by a key: comparing 10,000 Path objects
    # pairwise took longer than reading the files; Windows compares parts case-folded
    key = (lambda f: f.parts) if os.name == "posix" else None
    return sorted((f for f in entries if not f.name.startswith(".")), key=key)


def _message(path: Path, kind: str, fmt: str, until: float | None) -> Iterator[RawMessage]:
    label = str(path)
    try:
        data = _read(path, stream=kind == "file", until=until)
    except _Unreadable as exc:
        yield RawMessage(label, b"", kind=kind, error=str(exc), too_large=exc.too_large)
        return
    if kind == "file" and is_mbox(data[:1024]):
        yield from split_mbox(data, label, fmt)
    else:
        yield RawMessage(label, data, kind=kind)


NOT_A_MESSAGE_HINT = (
    "give the raw message as received, with all its headers (.eml), a Maildir or an mbox file"
)


def not_a_message(data: bytes) -> str:
    """Why `data` cannot be an email message at all ("" when it may be one): it is empty,
    or its first line is not a header field (binary data, plain text, a report). An mbox is
    judged message by message; a UTF-8 byte order mark at the start is read past."""
    data = data.removeprefix(UTF8_BOM)
    if not data:
        return "it is empty"
    if is_mbox(data[:1024]):
        return ""
    from mailcheck.message.headers import split_headers

    end = data.find(b"\n", 0, 65536)
    first = data[: end if end >= 0 else 65536].rstrip(b"\r")
    headers = split_headers(first + b"\r\n")
    if headers.fields:
        return ""
    if headers.problems:
        return headers.problems[-1]
    return "no header fields (it starts with an empty line)"


def refuse_non_messages(inputs: list[str]) -> None:
    """A message file named on the command line that is empty or no message at all is an
    input error (exit 2) before the run starts, as a missing one is; inside a folder or an
    mbox such an entry is that message's finding, and the run goes on."""
    for item in inputs:
        if item == "-" or not os.path.isfile(item):
            continue
        try:
            with open(item, "rb") as handle:
                head = handle.read(65536)
        except OSError:
            continue  # unreadable: that input's ERROR, in the run
        refuse_if_not_a_message(item, head)


def refuse_if_not_a_message(label: str, data: bytes) -> None:
    reason = not_a_message(data)
    if reason:
        raise InputError(f"{label}: not an email message: {reason}", hint=NOT_A_MESSAGE_HINT)


def check_inputs(inputs: list[str]) -> None:
    """A name that does not exist at all is a typo: say so before the run starts (exit 2).
    Anything that exists but cannot be read is that message's ERROR, later."""
    for item in inputs:
        if item != "-" and not os.path.lexists(item):
            raise InputError(f"{item}: no such file or folder")
        if item != "-" and Path(item).is_dir() and not _folder_entries(Path(item)):
            raise InputError(f"{item}: no messages (an empty Maildir or folder)")


def read_messages(
    inputs: list[str], mbox: str = "auto", deadline: float | None = None
) -> Iterator[RawMessage]:
    """Each input: a message file, '-' (stdin), a Maildir or folder of files, an mbox file.

    `deadline`: the seconds (from the first read) within which stdin and named pipes must
    reach their end; one still open then is that input's error, not a hang."""
    import time

    until = None if deadline is None else time.monotonic() + deadline
    for item in inputs:
        if item == "-":
            yield from _stdin(mbox, until)
            continue
        path = Path(item)
        if path.is_dir():
            for file in _folder_entries(path):
                yield from _message(file, "folder", mbox, until)
            continue
        yield from _message(path, "file", mbox, until)


def _stdin(mbox: str, until: float | None) -> Iterator[RawMessage]:
    try:
        if sys.stdin is None:  # started with stdin closed
            raise _Unreadable("stdin is closed")
        try:
            fd: int | None = sys.stdin.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (embedded, captured)
            fd = None
        if fd is None:
            data = sys.stdin.buffer.read(MAX_MESSAGE + 1)
            if len(data) > MAX_MESSAGE:
                raise _Unreadable(f"more than mailcheck reads ({MAX_MESSAGE // 2**20} MB)", True)
        else:
            data = _read_pipe(fd, MAX_MESSAGE, until)
    except _Unreadable as exc:
        yield RawMessage("<stdin>", b"", kind="stdin", error=str(exc), too_large=exc.too_large)
        return
    if is_mbox(data[:1024]):
        yield from split_mbox(data, "<stdin>", mbox)
    else:
        yield RawMessage("<stdin>", data, kind="stdin")


def count_hint(inputs: list[str]) -> int | None:
    """How many messages to expect, when that is cheap to know (for a progress bar)."""
    total = 0
    for item in inputs:
        path = Path(item)
        if item == "-" or not path.exists():
            return None
        if path.is_dir():
            total += len(_folder_entries(path))
        elif not path.is_file():
            total += 1
        else:
            try:
                with path.open("rb") as handle:
                    if is_mbox(handle.read(1024)):
                        return None
            except OSError:
                pass
            total += 1
    return total
