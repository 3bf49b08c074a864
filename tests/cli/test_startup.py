"""Start-up stays light: `import mailcheck` and `--help` import no heavy library."""

from __future__ import annotations

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
