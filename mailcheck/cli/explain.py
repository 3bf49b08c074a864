"""`mailcheck explain`: what a check id means, why it matters, how to fix it."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import boundary, complete_ids


@app.command(
    epilog="Examples:\n\n  mailcheck explain spf.lookup-limit\n\n"
    "  mailcheck explain --list\n\n  mailcheck explain dmarc\n\n  mailcheck explain --list dmarc"
)
def explain(
    check_id: Annotated[
        str | None,
        typer.Argument(
            metavar="ID|FAMILY", help="A check id or family.", autocompletion=complete_ids
        ),
    ] = None,
    list_all: Annotated[
        bool, typer.Option("--list", help="List every check id, or a family's (--list dmarc).")
    ] = False,
) -> None:
    """Explain a check id: what it means, why it matters, how to fix it."""
    with boundary():
        from mailcheck.cli.run_explain import run

        code = run(check_id, list_all)
    raise typer.Exit(code)
