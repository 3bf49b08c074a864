"""Regenerate man/mailcheck.1 from the program's own commands and help texts (the same source
as --help; a test fails when it drifts).

Run:  .venv/bin/python scripts/update_manpage.py
Read: man -l man/mailcheck.1
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "man" / "mailcheck.1"
sys.path.insert(0, str(ROOT))

ENVIRONMENT = [
    ("MAILCHECK_NAMESERVER", "Like --nameserver (space-separated for several)."),
    ("MAILCHECK_FORMAT", "Like --format."),
    ("MAILCHECK_COLOR", "Like --color."),
    ("NO_COLOR", "No colour unless --color always."),
    ("FORCE_COLOR", "Colour even when the output is not a terminal (NO_COLOR wins)."),
    ("COLUMNS", "Width of text output (default: the terminal's, or 100 in a pipe)."),
]
FILES = (
    "The expectations of mailcheck domain: mailcheck.toml, or [tool.mailcheck] in "
    "pyproject.toml, in the current folder or the nearest folder above it up to the "
    "repository root (or --config FILE; --no-config ignores them). -v names the file used."
)


def roff(text: str) -> str:
    """Text as roff: backslashes and dashes escaped, no line starting with a control dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = [("\\&" + line if line.startswith((".", "'")) else line) for line in text.split("\n")]
    return "\n".join(lines)


def _metavar(param: Any) -> str:
    if getattr(param, "is_flag", False):
        return ""
    if param.metavar:
        return str(param.metavar)
    choices = getattr(param.type, "choices", None)
    if choices:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    return str(param.type.name).upper()


def _option(param: Any) -> list[str]:
    names = ", ".join(f"\\fB{roff(o)}\\fR" for o in [*param.opts, *param.secondary_opts])
    metavar = _metavar(param)
    head = names + (f" \\fI{roff(metavar)}\\fR" if metavar else "")
    body = param.help or ""
    default = param.default
    if param.show_default is not False and default not in (None, False, (), []):
        value = getattr(default, "value", default)
        if not callable(value):
            body += f" [default: {value}]"
    if param.envvar:
        body += f" [env: {param.envvar}]"
    return [".TP", head, roff(body.strip())]


def _paragraphs(text: str) -> list[str]:
    """Help text as paragraphs; indented lines (examples) as literal lines."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.startswith("  "):
            out.extend([".RS", ".nf", *(roff(line.strip()) for line in block.split("\n"))])
            out.extend([".fi", ".RE"])
        else:
            out.extend([".PP", roff(" ".join(block.split()))])
    return out


def manpage() -> str:
    from typer.main import get_command

    from mailcheck import __version__
    from mailcheck.cli import register

    app = register()

    root: Any = get_command(app)
    lines = [
        f'.TH MAILCHECK 1 "" "mailcheck {__version__}" "User Commands"',
        ".SH NAME",
        "mailcheck \\- diagnose email: DNS records, message authentication and mail servers",
        ".SH SYNOPSIS",
        ".B mailcheck",
        "\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]...",
        ".br",
        ".B mailcheck",
        "[\\fB\\-V\\fR | \\fB\\-\\-version\\fR | \\fB\\-h\\fR | \\fB\\-\\-help\\fR]",
        ".SH DESCRIPTION",
        *_paragraphs(root.help or ""),
        ".SH COMMANDS",
    ]
    for name in sorted(root.commands):
        command = root.commands[name]
        if command.hidden:
            continue
        arguments = " ".join(
            str(p.metavar or p.name).upper()
            for p in command.params
            if p.param_type_name == "argument"
        )
        usage = f"mailcheck {name} [OPTIONS] {arguments}".strip()
        lines.append(f'.SS "{roff(usage)}"')
        lines.extend(_paragraphs(command.help or ""))
        arguments_help = [p for p in command.params if p.param_type_name == "argument"]
        for param in arguments_help:
            if getattr(param, "help", None):
                lines.extend([".TP", f"\\fI{roff(str(param.metavar or param.name))}\\fR"])
                lines.append(roff(param.help))
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                lines.extend(_option(param))
        if command.epilog:
            lines.extend(_paragraphs(command.epilog))
    lines.extend([".SH EXIT STATUS"])
    from mailcheck.cli.common import EXIT_CODES_HELP

    lines.extend(_paragraphs(EXIT_CODES_HELP))
    lines.append(".SH ENVIRONMENT")
    for variable, meaning in ENVIRONMENT:
        lines.extend([".TP", f"\\fB{roff(variable)}\\fR", roff(meaning)])
    lines.extend([".SH FILES", roff(FILES)])
    lines.extend(
        [
            ".SH SEE ALSO",
            "\\fBmailcheck explain \\-\\-list\\fR lists every check id; "
            "\\fBmailcheck explain\\fR \\fIID\\fR tells what it means and how to fix it.",
        ]
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(manpage())


if __name__ == "__main__":
    main()
