"""Regenerate the shell completion scripts in completions/ (a test fails when they drift).

Run:  .venv/bin/python scripts/update_completions.py

Each script is what `mailcheck --show-completion SHELL` prints; at every TAB press the shell
runs `mailcheck` itself to ask for the candidates, so the scripts stay valid as commands and
options change, and the test catches a change of program name or completion protocol.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "completions"
# file name -> the shell name typer's completion protocol knows
SCRIPTS = {
    "mailcheck.bash": "bash",
    "_mailcheck": "zsh",
    "mailcheck.fish": "fish",
    "mailcheck.ps1": "powershell",
}


def generate(shell: str) -> str:
    env = {**os.environ, "_MAILCHECK_COMPLETE": f"source_{shell}"}
    result = subprocess.run(
        [sys.executable, "-c", "from mailcheck.cli import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    # typer names the program after argv[0]; the installed console script is `mailcheck`
    return result.stdout.strip() + "\n"


def main() -> None:
    TARGET.mkdir(exist_ok=True)
    for name, shell in SCRIPTS.items():
        (TARGET / name).write_text(generate(shell))


if __name__ == "__main__":
    main()
