"""The default EHLO name is found without DNS: --offline sends nothing, a dead resolver
stalls nothing."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.smtpfixtures import start_smtp

# The program, with the resolver's reverse lookup (what socket.getfqdn() asks) stalling as a
# dead DNS server does: a run that asks it hangs, and says so on stderr
STALLING_RESOLVER = (
    "import socket, sys, time\n"
    "def stall(*args):\n"
    "    sys.stderr.write('test: reverse lookup asked\\n')\n"
    "    sys.stderr.flush()\n"
    "    time.sleep(3600)\n"
    "socket.gethostbyaddr = stall\n"
    "from mailcheck.__main__ import main\n"
    "main()\n"
)


def _expected_names() -> set[str]:
    """What the host says its name is, without asking DNS: gethostname, or /etc/hosts."""
    name = socket.gethostname().lower()
    if "." in name:
        return {name}
    with open("/etc/hosts", encoding="utf-8") as file:
        dotted = {n for line in file for n in line.split("#")[0].lower().split()[1:] if "." in n}
    return dotted | {"mailcheck.invalid"}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("offline", [True, False])
def test_trace_ehlo_name_needs_no_dns(offline: bool) -> None:
    server = start_smtp()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    args = ["trace", "127.0.0.1", "--port", str(server.port), "--step-timeout", "5"]
    if offline:
        args.append("--offline")
    try:
        result = subprocess.run(
            [sys.executable, "-c", STALLING_RESOLVER, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
    finally:
        server.stop()
    assert "reverse lookup asked" not in result.stderr
    assert result.returncode == 0, result.stderr  # a WARN (no STARTTLS) is not a failure
    said = re.findall(r"C: EHLO (\S+)", result.stdout)
    assert said and said[0] in _expected_names() and said[0] != "localhost"


def test_trace_uses_the_given_ehlo_name(run_cli) -> None:  # type: ignore[no-untyped-def]
    server = start_smtp()
    try:
        result = run_cli(
            "trace", "127.0.0.1", "--port", str(server.port), "--offline", "--ehlo", "me.example"
        )
    finally:
        server.stop()
    assert "C: EHLO me.example" in result.stdout
