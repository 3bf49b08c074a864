"""Command-line interface: thin Typer commands over the services."""

from __future__ import annotations

import importlib
import os
import sys

import typer

from mailcheck.cli.app import app
from mailcheck.model import ExitCode

__all__ = ["COMMANDS", "app", "main", "register"]

# Each command's module registers it with the Typer app when imported.
COMMANDS = ("domain", "explain", "report", "schema", "send", "trace", "verify")


def register(names: tuple[str, ...] = COMMANDS) -> typer.Typer:
    """`app` with the commands `names` registered (all of them by default): a command is
    registered when its module is imported."""
    for name in names:
        importlib.import_module(f"mailcheck.cli.{name}")
    return app


def _wanted(argv: list[str]) -> tuple[str, ...]:
    """The commands this run needs: only the one named first (each command's module and its
    Typer command cost a few ms to build), every one for the help, completion of the command
    word itself or an unknown word (whose error lists them)."""
    if "_MAILCHECK_COMPLETE" in os.environ:
        argv = _completed_words()
    if len(argv) > 1 and argv[1] in COMMANDS:
        return (argv[1],)
    return COMMANDS


def _completed_words() -> list[str]:
    """The words before the one being completed, as the shell's completion script passes
    them (bash: COMP_WORDS and COMP_CWORD; zsh, fish and PowerShell: _TYPER_COMPLETE_ARGS):
    only as far as a command name needs, so a plain split is enough."""
    if "COMP_WORDS" in os.environ:
        words = os.environ["COMP_WORDS"].split()
        cword = os.environ.get("COMP_CWORD", "")
        return words[: int(cword)] if cword.isdigit() else []
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    words = line.split()
    if os.environ.get("_TYPER_COMPLETE_WORD_TO_COMPLETE") or not line.endswith(" "):
        words = words[:-1]  # the last word is still being typed
    return words


def main() -> None:
    from mailcheck.cli import signals

    signals.install()
    register(_wanted(sys.argv))
    from mailcheck.cli.app import main as run
    from mailcheck.errors import OutputError

    try:
        code = run()
        sys.stdout.flush()  # what is still buffered: failing to write it fails the run
    except KeyboardInterrupt:
        sys.stderr.write("\nmailcheck: interrupted\n")
        code = ExitCode.INTERRUPTED
    except OutputError as exc:  # outside a command's boundary (--help, --version)
        from mailcheck.cli.common import error_line

        error_line(exc.message)
        code = ExitCode(exc.exit_code)
    except Exception as exc:  # outside every command's boundary: still one line, exit 4
        from mailcheck.cli.common import error_line
        from mailcheck.outcome import error_exit_code

        error_line(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in mailcheck; please report it",
        )
        code = error_exit_code(exc)
    sys.exit(code)
