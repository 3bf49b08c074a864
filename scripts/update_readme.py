"""Regenerate the command output shown in README.md (a test fails when it drifts).

Blocks look like:  <!-- mailcheck: ARGS -->  ```text ... ```  <!-- /mailcheck -->
Run:  .venv/bin/python scripts/update_readme.py
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(
    r"(<!-- mailcheck: (?P<args>.*?) -->\n```text\n)(?P<body>.*?)(```\n<!-- /mailcheck -->)",
    re.DOTALL,
)
TIMING = re.compile(r"\d+\.\d+ s\)")


def run(args: str) -> str:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "CI": "true"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(
        [sys.executable, "-m", "mailcheck", *shlex.split(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if result.returncode not in (0, 1, 3) or result.stderr:
        raise SystemExit(f"mailcheck {args} failed ({result.returncode}): {result.stderr}")
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    return "\n".join(lines) + "\n"


def normalise(text: str) -> str:
    return TIMING.sub("0.00 s)", "\n".join(line.rstrip() for line in text.splitlines()))


def blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group("args"), m.group("body")) for m in BLOCK.finditer(text)]


def main() -> None:
    text = README.read_text()
    updated = BLOCK.sub(lambda m: m.group(1) + run(m.group("args")) + m.group(4), text)
    README.write_text(updated)


if __name__ == "__main__":
    main()
