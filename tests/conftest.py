"""Shared fixtures: the loopback DNS server with the test zones, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailcheck.net.dns import DnsEngine, DnsOptions, build_engine
from tests.dnsserver import DnsServer

ROOT = Path(__file__).resolve().parent.parent
ZONES = ROOT / "tests" / "zones"
EXAMPLES = ROOT / "examples"
BEHAVIOURS = {
    "broken-ns.test.": "SERVFAIL",
    "refused-ns.test.": "REFUSED",
    "dead-ns.test.": "DROP",
}


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(sorted(ZONES.glob("*.zone")), behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture
def make_engine(dns_server: DnsServer) -> Iterator[Callable[..., DnsEngine]]:
    engines: list[DnsEngine] = []

    def make(**overrides: object) -> DnsEngine:
        options = {"nameservers": (dns_server.address,), "timeout": 0.3, "deadline": 10.0}
        options.update(overrides)
        engine = build_engine(DnsOptions(**options))  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli() -> CliRun:
    """Run the real program in a subprocess: exit codes and the stdout/stderr split are real."""

    def run(
        *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
        full_env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
        full_env.pop("FORCE_COLOR", None)
        if env:
            full_env.update(env)
        return subprocess.run(
            [sys.executable, "-m", "mailcheck", *args],
            capture_output=True,
            text=True,
            env=full_env,
            input=input,
            timeout=timeout,
            cwd=ROOT,
        )

    return run
