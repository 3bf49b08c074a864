"""Command-line interface: thin Typer commands over the services."""

from __future__ import annotations

import sys

from mailcheck.cli import domain as _domain  # noqa: F401  (registers the command)
from mailcheck.cli import explain as _explain  # noqa: F401
from mailcheck.cli import report as _report  # noqa: F401
from mailcheck.cli import schema as _schema  # noqa: F401
from mailcheck.cli import send as _send  # noqa: F401
from mailcheck.cli import trace as _trace  # noqa: F401
from mailcheck.cli import verify as _verify  # noqa: F401
from mailcheck.cli.app import app
from mailcheck.model import ExitCode

__all__ = ["app", "main"]


def main() -> None:
    from mailcheck.cli import signals

    signals.install()
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
