"""The Typer application object every command module registers with."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck import __version__
from mailcheck.cli.common import EXIT_CODES_HELP

app = typer.Typer(
    name="mailcheck",
    help="Diagnose email: DNS records, message authentication, and mail servers.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mailcheck {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Diagnose email: DNS records, message authentication, and mail servers."""
