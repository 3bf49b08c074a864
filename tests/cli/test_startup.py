"""Start-up stays light: `import mailcheck` and `--help` import no heavy library."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = (
    "dns",
    "dkim",
    "spf",
    "checkdmarc",
    "cryptography",
    "ssl",
    "smtplib",
    "nacl",
    "publicsuffixlist",
    "requests",
    "authres",
)

PROBE = """
import contextlib, io, sys
{body}
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print(",".join(heavy))
"""


@pytest.mark.parametrize(
    "body",
    [
        "import mailcheck",
        "from mailcheck.cli import main\nsys.argv = ['mailcheck', '--help']\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()): main()",
        "from mailcheck.cli import main\nsys.argv = ['mailcheck', 'domain', '--help']\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()): main()",
    ],
)
def test_no_heavy_imports(body: str) -> None:
    code = PROBE.format(body=body, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


HELP_PROBE = """
import contextlib, io, sys
sys.argv = {argv!r}
from mailcheck.cli import main
out = io.StringIO()
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out): main()
unused = sorted({{m.split('.')[0] for m in sys.modules}} & {{'markdown_it', 'pygments'}})
unused += sorted({{'rich.markdown', 'rich.traceback', 'rich.pretty'}} & set(sys.modules))
print(",".join(unused))
import rich.markdown, rich.traceback
print(type(rich.markdown.Markdown("# x")).__module__, rich.traceback.Traceback.__module__)
print("Usage:" in out.getvalue() and "--help" in out.getvalue())
"""


@pytest.mark.parametrize("argv", [["mailcheck", "--help"], ["mailcheck", "domain", "--help"]])
def test_help_skips_the_markdown_and_traceback_renderers_it_never_uses(argv: list[str]) -> None:
    # typer's help module imports rich's Markdown (markdown-it, pygments) and Traceback at
    # its top: a quarter of --help's time for features mailcheck does not use
    result = subprocess.run(
        [sys.executable, "-c", HELP_PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100"},
    )
    unused, real, shown = result.stdout.splitlines()
    assert unused == ""
    # the stand-ins were only for that import: later imports get rich's own modules
    assert real == "rich.markdown rich.traceback"
    assert shown == "True"
