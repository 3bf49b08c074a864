"""Inputs that never end: a named pipe nobody writes to, a stdin left open. Each is read
only until --deadline, then it is that input's ERROR (exit 3), never a hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

TAMPERED = EXAMPLES / "messages" / "tampered.eml"
WHY = "still open when --deadline ran out (0 bytes read; part of an input is never judged)"


def mailcheck(*args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    return subprocess.Popen(
        [sys.executable, "-m", "mailcheck", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**env, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def findings(out: str) -> list[tuple[str, str, str]]:
    return [
        (f["id"], f["status"], f["summary"])
        for r in json.loads(out)["reports"]
        for s in r["sections"]
        for f in s["findings"]
    ]


@pytest.mark.timeout(30)
def test_a_fifo_without_a_writer_ends_at_the_deadline(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo1"
    os.mkfifo(fifo)
    run = mailcheck("verify", str(fifo), "--offline", "--deadline", "1", "-f", "json")
    out, err = run.communicate(timeout=20)
    assert (run.returncode, err) == (3, "")
    assert findings(out) == [("message.read", "error", f"could not read it: {WHY}")]


@pytest.mark.timeout(30)
def test_a_fifo_whose_writer_finishes_is_verified(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo2"
    os.mkfifo(fifo)

    def writer() -> None:
        with fifo.open("wb") as pipe:  # blocks until mailcheck opens the other end
            pipe.write(TAMPERED.read_bytes())

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    run = mailcheck("verify", str(fifo), "--offline", "--zone", str(EXAMPLES / "zones"))
    out, err = run.communicate(timeout=20)
    assert run.returncode == 1, err  # tampered.eml's body hash fails: judged in full
    assert out.startswith(f"FAIL  {fifo}   From: alice@example.com   DMARC pass")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", ["verify", "report"])
def test_a_stdin_left_open_ends_at_the_deadline(command: str) -> None:
    """`(sleep 20) | mailcheck verify -`: some bytes, then nothing and no end."""
    read, write = os.pipe()
    try:
        os.write(write, b"From: a@example.com\r\n")
        run = mailcheck(command, "-", "--offline", "--deadline", "1", "-f", "json", stdin=read)
        out, err = run.communicate(timeout=20)
    finally:
        os.close(read)
        os.close(write)
    assert (run.returncode, err) == (3, "")
    why = WHY.replace("0 bytes", "21 bytes")
    if command == "verify":
        assert findings(out) == [("message.read", "error", f"could not read it: {why}")]
    else:
        assert findings(out) == [("report.malformed", "error", f"<stdin>: {why}")]
