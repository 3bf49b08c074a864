"""The program's entry: -V/--version on every command, Ctrl-C at any moment of the start."""

from __future__ import annotations

import pytest

from mailcheck import __version__
from tests.conftest import CliRun

COMMANDS = ("domain", "verify", "trace", "send", "report", "explain", "schema")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_on_every_command(run_cli: CliRun, command: str, flag: str) -> None:
    """People add -V to the command line they just ran: it was 'no such option: -V'."""
    result = run_cli(command, flag)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"mailcheck {__version__}\n",
        "",
    )


def test_version_after_other_arguments(run_cli: CliRun) -> None:
    """Eager: printed before the run and before any check of the other arguments."""
    result = run_cli("trace", "--port", "abc", "-V")
    assert (result.returncode, result.stdout) == (0, f"mailcheck {__version__}\n")
    result = run_cli("domain", "example.com", "--offline", "--version")
    assert (result.returncode, result.stdout) == (0, f"mailcheck {__version__}\n")
