"""`mailcheck schema`: print the JSON Schema of `--format json` output."""

from __future__ import annotations

import sys

from mailcheck.cli.app import app
from mailcheck.cli.common import boundary


@app.command(
    epilog="Examples:\n\n  mailcheck schema > mailcheck-report.schema.json\n\n"
    "  mailcheck domain example.com --format json | check-jsonschema "
    "--schemafile mailcheck-report.schema.json -"
)
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) that `--format json` output follows."""
    with boundary():
        from importlib import resources

        text = resources.files("mailcheck").joinpath("data/report.schema.json").read_text()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
