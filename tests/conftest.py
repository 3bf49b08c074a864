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
from tests.zonegen import Generated, build

ROOT = Path(__file__).resolve().parent.parent
STATIC_ZONES = ROOT / "tests" / "zones"
EXAMPLES = ROOT / "examples"
BEHAVIOURS = {
    "broken-ns.test.": "SERVFAIL",
    "refused-ns.test.": "REFUSED",
    "dead-ns.test.": "DROP",
}


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """The test zones: static ones plus DKIM keys and DNSSEC-signed zones made now."""
    return build(tmp_path_factory.mktemp("zones"))


@pytest.fixture(scope="session")
def zone_dir(generated: Generated) -> Path:
    return generated.directory


@pytest.fixture(scope="session")
def dns_server(zone_dir: Path) -> Iterator[DnsServer]:
    with DnsServer(sorted(zone_dir.glob("*.zone")), behaviours=BEHAVIOURS) as server:
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


POLICY = b"version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: {age}\n"
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" '
    b'viewBox="0 0 100 100"><title>Example</title><rect width="100" height="100"/></svg>'
)
BAD_LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><rect/></svg>'


def _policy(mode: str = "enforce", mx: str = "*.clean.test", age: int = 604800) -> bytes:
    return (
        POLICY.replace(b"{mode}", mode.encode())
        .replace(b"{mx}", mx.encode())
        .replace(b"{age}", str(age).encode())
    )


@pytest.fixture(scope="session")
def test_ca() -> object:
    import trustme

    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(test_ca: object, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    test_ca.cert_pem.write_to_path(str(path))  # type: ignore[attr-defined]
    return str(path)


@pytest.fixture(scope="session")
def https_server(test_ca: object) -> Iterator[object]:
    """MTA-STS policies and BIMI files for the sts-*.test and bimi-*.test zones."""
    from tests.httpsserver import HttpsServer, Route

    names = [
        f"mta-sts.sts-{n}.test"
        for n in (
            "good",
            "testing",
            "nocover",
            "ctype",
            "slow",
            "redirect",
            "big",
            "garbage",
            "404",
            "shortage",
            "none",
            "smtp",
            "smtpmiss",
        )
    ] + ["bimi.test"]
    with HttpsServer(test_ca, names) as server:  # type: ignore[arg-type]
        path = "/.well-known/mta-sts.txt"
        routes = {
            "good": Route(_policy()),
            "testing": Route(_policy("testing")),
            "nocover": Route(_policy(mx="mail.other.test")),
            "ctype": Route(_policy(), content_type="text/html"),
            "slow": Route(_policy(), delay=3.0),
            "redirect": Route(b"", status=301, headers=(("Location", "https://x.test/"),)),
            "big": Route(b"x" * 100_000),
            "garbage": Route(bytes(range(256)) * 4),
            "shortage": Route(_policy(age=3600)),
            "none": Route(_policy("none")),
            "badcert": Route(_policy()),
            "smtp": Route(_policy(mx="mx.smtp-good.test")),
            "smtpmiss": Route(_policy(mx="mail.other.test")),
        }
        for name, route in routes.items():
            server.route(f"mta-sts.sts-{name}.test", path, route)
        server.route("bimi.test", "/logo.svg", Route(LOGO, content_type="image/svg+xml"))
        server.route("bimi.test", "/bad.svg", Route(BAD_LOGO, content_type="image/svg+xml"))
        vmc = test_ca.issue_cert("bimi-good.test").cert_chain_pems[0].bytes()  # type: ignore
        server.route(
            "bimi.test", "/vmc.pem", Route(vmc, content_type="application/pem-certificate-chain")
        )
        yield server


CliRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli() -> CliRun:
    """Run the real program in a subprocess: exit codes and the stdout/stderr split are real."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        input: str | None = None,
        timeout: float = 60,
        cwd: Path | None = None,
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
            cwd=cwd or ROOT,
        )

    return run
