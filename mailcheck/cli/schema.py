"""`mailcheck schema`: print the JSON Schema of `--format json` output."""

from __future__ import annotations

import enum
import sys
from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import boundary


class SchemaFormat(str, enum.Enum):
    """The schema is a JSON document: json is its only format (accepted like everywhere)."""

    JSON = "json"


@app.command(
    epilog="Examples:\n\n  mailcheck schema > mailcheck-report.schema.json\n\n"
    "  mailcheck domain example.com --format json | check-jsonschema "
    "--schemafile mailcheck-report.schema.json -"
)
def schema(
    format: Annotated[
        SchemaFormat,
        typer.Option(
            "--format",
            "-f",
            case_sensitive=False,
            help="Output format on stdout: json (the schema is a JSON document).",
        ),
    ] = SchemaFormat.JSON,
) -> None:
    """Print the JSON Schema (draft 2020-12) that `--format json` output follows."""
    with boundary():
        from importlib import resources

        text = resources.files("mailcheck").joinpath("data/report.schema.json").read_text()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
