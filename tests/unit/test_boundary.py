"""The one error boundary: one line, the right exit code, never a traceback or a secret."""

from __future__ import annotations

import pytest
import typer

from mailcheck.cli.common import boundary
from mailcheck.errors import InputError, NetworkError


def run(exc: BaseException, debug: bool = False) -> int:
    with pytest.raises(typer.Exit) as info, boundary(debug):
        raise exc
    return int(info.value.exit_code)


def test_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(InputError("bad thing", hint="do this")) == 2
    err = capsys.readouterr().err
    assert err == "mailcheck: error: bad thing\nmailcheck: hint: Do this\n"


def test_network_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(NetworkError("no route")) == 3


def test_internal_error_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "hunter2"  # a local that a traceback with locals would show

    def crash() -> None:
        raise ZeroDivisionError("boom")

    with pytest.raises(typer.Exit) as info, boundary(False):
        crash()
    assert info.value.exit_code == 4
    err = capsys.readouterr().err
    assert err.startswith("mailcheck: error: internal error: ZeroDivisionError: boom\n")
    assert "--debug" in err and "Traceback" not in err and secret not in err


def test_debug_shows_traceback_but_no_locals(capsys: pytest.CaptureFixture[str]) -> None:
    password = "hunter2"

    def crash(token: str) -> None:
        raise RuntimeError("boom")

    with pytest.raises(typer.Exit), boundary(True):
        crash(password)
    err = capsys.readouterr().err
    assert "Traceback" in err and "hunter2" not in err


def test_interrupt() -> None:
    assert run(KeyboardInterrupt()) == 130


def test_escape_in_messages(capsys: pytest.CaptureFixture[str]) -> None:
    run(InputError("bad \x1b[31mred"))
    assert "\x1b" not in capsys.readouterr().err
