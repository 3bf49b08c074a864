"""Errors that end a run before it can produce a report; the CLI turns them into one line."""

from __future__ import annotations

from mailcheck.model import ExitCode


class MailcheckError(Exception):
    """Base class: carries a one-line message and an optional hint."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(MailcheckError):
    """The command line does not make sense (exit 2)."""


class InputError(MailcheckError):
    """A file or value the user gave us is unusable (exit 2)."""


class NetworkError(MailcheckError):
    """Nothing could be determined because the network failed (exit 3)."""

    exit_code = ExitCode.INCONCLUSIVE


class OutputError(MailcheckError):
    """stdout could not be written (a full disk, an I/O error): exit 2, like an input that
    cannot be read. A reader that went away (EPIPE, `| head`) is not one: that run ends
    quietly with its own exit code."""


def require_seconds(value: object, name: str) -> float:
    """A time limit as a caller gave it: a finite number of seconds above 0 (NaN, infinity,
    0 and negatives raised deep inside the socket layer, or were a limit that never ends)."""
    import math

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{name} {value!r}: give a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name} {value!r}: give a finite number of seconds above 0")
    return float(value)


def require_port(value: object, name: str) -> int:
    """A TCP port as a caller gave it: a whole number from 1 to 65535."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise UsageError(f"{name} {value!r}: give a port number from 1 to 65535")
    return value
