"""How the program ends from outside: Ctrl-C (exit 130), SIGTERM (exit 143), a closed pipe."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from types import FrameType
from typing import TextIO

_ENDINGS = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}


def install() -> None:
    """For the real program only (main()): library callers keep Python's defaults."""
    for signum in _ENDINGS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal
            signal.signal(signum, _end)
    if hasattr(signal, "pthread_sigmask"):
        # the entry point held these during its imports: one that came meanwhile ends here
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(_ENDINGS))
    sys.stdout = _pipe_safe(sys.stdout, output=True) if sys.stdout else _closed(1)
    sys.stderr = _pipe_safe(sys.stderr) if sys.stderr else _closed(2)


def _end(signum: int, frame: FrameType | None) -> None:
    """Stop at once: lookups in flight, worker threads and open connections are abandoned.

    Unwinding would wait for every worker (each up to its deadline) and a second Ctrl-C
    during that wait printed a traceback; a report half-made is worth nothing, so the
    process ends here, after handing over what was already written.
    """
    code, word = _ENDINGS.get(signal.Signals(signum), (130, "interrupted"))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a write interrupted mid-way: skip the flush
            stream.flush()
    tty = False
    with contextlib.suppress(OSError):
        tty = os.isatty(2)
    # On a terminal: a fresh line after "^C", and the cursor a spinner may have hidden.
    prefix = b"\x1b[?25h\n" if tty else b""
    with contextlib.suppress(OSError):
        os.write(2, prefix + f"mailcheck: {word}\n".encode())
    os._exit(code)


class _DiscardOnEpipe(io.RawIOBase):
    """A file descriptor whose reader may go away (`| head -1`): from then on, output goes
    nowhere and the run ends with the exit code it would have had if it had been read.

    Any other failure of stdout (`output`: a full disk, an I/O error) raises OutputError
    once, for the command's error boundary to make one line of it (exit 2); what is
    written after that, the interpreter's last flush included, is discarded, so no
    "Exception ignored" traceback follows. On stderr there is nowhere left to say it."""

    def __init__(self, fd: int, output: bool = False, problem: str = "") -> None:
        super().__init__()
        self._fd = fd
        self._output = output
        self._failed = False
        self._problem = problem  # known before the first write (stdout was closed)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        if self._failed:
            return len(view)
        try:
            if self._problem:
                raise OSError(self._problem)
            return os.write(self._fd, view)
        except BrokenPipeError:
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self._fd)
                os.close(devnull)
            return len(view)
        except OSError as exc:
            self._failed = True
            if not self._output:
                return len(view)
            from mailcheck.errors import OutputError

            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None


def _closed(fd: int) -> TextIO:
    """Started with stdout or stderr closed (`>&-`): /dev/null takes the descriptor, or the
    first socket opened would, and the report would go to a DNS server. Writing to it is
    the OutputError of stdout (or nothing, on stderr)."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    name = "stdout" if fd == 1 else "stderr"
    raw = _DiscardOnEpipe(fd, output=fd == 1, problem=f"{name} is closed")
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="backslashreplace")


def _pipe_safe(stream: TextIO, output: bool = False) -> TextIO:
    """The same text stream (encoding, error handler, buffering) over a _DiscardOnEpipe."""
    try:
        fd = stream.fileno()
        encoding = stream.encoding
        errors = stream.errors
        line_buffering = bool(getattr(stream, "line_buffering", False))
    except (AttributeError, OSError, ValueError):
        return stream  # not a real file (embedded, captured): leave it alone
    with contextlib.suppress(Exception):
        stream.flush()
    raw = _DiscardOnEpipe(fd, output)
    buffered = io.BufferedWriter(raw)
    return io.TextIOWrapper(
        buffered,
        encoding=encoding,
        errors=errors,
        line_buffering=line_buffering,
        write_through=False,
    )
