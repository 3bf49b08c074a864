"""Heavy libraries, loaded only when a run needs them, and warmed while DNS answers travel."""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import threading
from types import ModuleType

_WARMING: set[str] = set()
_WARMING_LOCK = threading.Lock()


def warm(*modules: str) -> None:
    """Import `modules` in a background thread, so that an import the run will need overlaps
    with DNS round trips instead of following them. Call it only once the need is known (a key
    arrived, text output was asked for): warming never imports what the run would not.

    Safe to race: Python's import lock makes the thread that needs a module wait for the
    import in progress, and a failed import here is simply retried (and reported) there.
    Not a daemon thread: the interpreter waits for it at exit. A daemon thread still inside
    cryptography's Rust code when a short run ended aborted the process at shutdown ("FATAL:
    exception not rethrown", exit 134).
    """
    with _WARMING_LOCK:
        wanted = [m for m in modules if m not in sys.modules and m not in _WARMING]
        _WARMING.update(wanted)
    if wanted:
        threading.Thread(
            target=_import, args=(wanted,), name="mailcheck-warm", daemon=False
        ).start()


def _import(modules: list[str]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):  # the real import, later, reports any failure
            importlib.import_module(name)


_GRAMMAR_ERROR = re.compile(
    r"Error: Expected (?P<what>.+?) at position (?P<pos>\d+) "
    r"\(marked with (?P<mark>\S+)\) in: (?P<text>.*)",
    re.DOTALL,
)


def library_error(exc: Exception) -> str:
    """A parser library's error, worded the same on every run. checkdmarc's grammar errors
    list what the parser expected by the grammar's own names ("Regex or end_of_statement"),
    joined from a set: their order changed from run to run with the hash seed, so one record
    gave two texts (and a --baseline a changed finding). The position and the marked record
    are kept."""
    text = str(exc)
    match = _GRAMMAR_ERROR.fullmatch(text)
    if match is None:
        return text
    return f"syntax error at position {match['pos']} (marked with {match['mark']}): {match['text']}"


def load_checkdmarc() -> None:
    """Import the checkdmarc parsers we use; safe to call from a background thread."""
    import logging  # ~1.5 ms, only where checkdmarc (which logs) is used

    logging.getLogger("checkdmarc").addHandler(logging.NullHandler())
    import checkdmarc.bimi
    import checkdmarc.mta_sts
    import checkdmarc.smtp_tls_reporting  # noqa: F401


def mta_sts() -> ModuleType:
    load_checkdmarc()
    import checkdmarc.mta_sts

    module: ModuleType = checkdmarc.mta_sts
    return module


def tls_reporting() -> ModuleType:
    load_checkdmarc()
    import checkdmarc.smtp_tls_reporting

    module: ModuleType = checkdmarc.smtp_tls_reporting
    return module


def bimi() -> ModuleType:
    load_checkdmarc()
    import checkdmarc.bimi

    module: ModuleType = checkdmarc.bimi
    return module


# What the checkdmarc parsers raise on input they reject: a finding about the input. Any
# other exception is a bug (ours or the library's) and ends the run as one (exit 4).


def mta_sts_errors() -> tuple[type[Exception], ...]:
    return (mta_sts().MTASTSError,)


def tls_reporting_errors() -> tuple[type[Exception], ...]:
    return (tls_reporting().SMTPTLSReportingError,)


def bimi_errors() -> tuple[type[Exception], ...]:
    # the SVG and mark-certificate readers raise ValueError for what they cannot read
    return (bimi().BIMIError, ValueError)
