"""A trace that ends in a few milliseconds exits cleanly while its libraries still load."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.conftest import CliRun


@pytest.mark.timeout(120)
def test_refused_connection_exits_3_every_time(run_cli: CliRun) -> None:
    # cryptography loads in a thread while the network works; a refused connection ends the
    # run before it is loaded, and a thread left inside its Rust code at exit aborted the
    # process (exit -6, "FATAL: exception not rethrown") about one run in five
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        port = str(bound.getsockname()[1])
        for _ in range(12):
            result = run_cli("trace", "127.0.0.1", "--port", port, "--format", "html")
            assert result.returncode == 3, result.stderr
            assert "FATAL" not in result.stderr
            assert "connection refused" in result.stdout


@pytest.mark.timeout(60)
def test_library_trace_leaves_no_thread_behind() -> None:
    # a fresh interpreter, so that cryptography is not loaded yet and the trace loads it
    script = (
        "import sys, threading\n"
        "from mailcheck.api import Dns, trace\n"
        "report = trace('127.0.0.1', port=int(sys.argv[1]), dns=Dns(offline=True))\n"
        "print(report.status.value)\n"
        "print(sorted(t.name for t in threading.enumerate() if t is not threading.main_thread()))\n"
    )
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = str(bound.getsockname()[1])
        result = subprocess.run(
            [sys.executable, "-c", script, port],
            capture_output=True,
            text=True,
            timeout=50,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["error", "[]"], result.stdout
