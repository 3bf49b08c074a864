"""`domain --smtp` (and its HTTPS fetches) ends with the run's --deadline and the domain's
--domain-deadline: a stalling or trickling MX server cannot keep it going until
--smtp-timeout, and the ERROR names the limit that ran out."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import MisbehavingServer, silent

pytestmark = pytest.mark.timeout(60)

ZONE = """$ORIGIN evil.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ MX 10 mx
mx A 127.0.0.1
sts MX 10 mx
_mta-sts.sts TXT "v=STSv1; id=1"
mta-sts.sts A 127.0.0.1
"""


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A greeting that never becomes a line: one byte every 0.5 s, each within any step."""
    for _ in range(7200):
        writer.write(b"2")
        await writer.drain()
        await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
def evil_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    path = tmp_path_factory.mktemp("evil") / "evil.test.zone"
    path.write_text(ZONE)
    with DnsServer([Path(path)]) as server:
        yield server


def _domain(run_cli: CliRun, dns: DnsServer, port: int, *args: str) -> tuple[int, Any]:
    result = run_cli(
        "domain",
        "evil.test",
        "-n",
        dns.address,
        "--smtp",
        "--smtp-port",
        str(port),
        "--smtp-timeout",
        "10",
        "--only",
        "smtp,tls",
        "--format",
        "json",
        *args,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _banner(doc: Any) -> tuple[str, str]:
    found = [
        (f["status"], f["summary"])
        for s in doc["reports"][0]["sections"]
        for f in s["findings"]
        if f["id"] == "smtp.banner"
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("handler", "limit", "said"),
    [
        (trickle, ("--deadline", "3"), r"a trickle: \d+ bytes in [23]\.\d s and no complete line"),
        (
            trickle,
            ("--domain-deadline", "2"),
            r"a trickle: \d+ bytes in [12]\.\d s and no complete line",
        ),
        (silent, ("--deadline", "2"), r"silence: no reply in [12]\.\d s"),
        # both given: the sooner one ends it, and is the one named
        (silent, ("--deadline", "9", "--domain-deadline", "2"), r"silence: no reply in [12]\.\d s"),
        (silent, ("--deadline", "2", "--domain-deadline", "9"), r"silence: no reply in [12]\.\d s"),
    ],
)
def test_the_run_and_domain_deadlines_end_the_smtp_conversation(
    run_cli: CliRun, evil_dns: DnsServer, handler: Any, limit: tuple[str, ...], said: str
) -> None:
    with MisbehavingServer(handler) as server:
        code, doc = _domain(run_cli, evil_dns, server.port, *limit)
    status, summary = _banner(doc)
    seconds = dict(zip(limit[::2], limit[1::2], strict=True))
    named = min(seconds, key=lambda option: float(seconds[option]))
    assert status == "error", summary
    assert re.search(f"{said} \\(the overall limit, {named} {seconds[named]}\\)", summary), summary
    assert "--smtp-timeout" not in summary and code == 3


def test_the_step_limit_still_names_smtp_timeout_when_it_comes_first(
    run_cli: CliRun, evil_dns: DnsServer
) -> None:
    with MisbehavingServer(silent) as server:
        code, doc = _domain(run_cli, evil_dns, server.port, "--smtp-timeout", "1")
    status, summary = _banner(doc)
    assert status == "error" and summary.endswith(
        "said nothing (silence: no reply in 1.0 s (the per-step limit, --smtp-timeout 1))"
    )
    assert code == 3


def test_the_deadline_ends_an_https_fetch(run_cli: CliRun, evil_dns: DnsServer) -> None:
    """The MTA-STS policy fetch from a server that accepts and never answers: over at
    --deadline 2, not at --http-timeout 10, and the ERROR says which limit ended it."""
    with MisbehavingServer(silent) as server:
        result = run_cli(
            "domain",
            "sts.evil.test",
            "-n",
            evil_dns.address,
            "--https-port",
            str(server.port),
            "--allow-private-addresses",
            "--http-timeout",
            "10",
            "--deadline",
            "2",
            "--only",
            "mta-sts.policy-fetch",
            "--format",
            "json",
        )
    doc = json.loads(result.stdout)
    [(status, summary)] = [
        (f["status"], f["summary"]) for s in doc["reports"][0]["sections"] for f in s["findings"]
    ]
    assert status == "error" and summary.endswith(
        f"could not reach mta-sts.sts.evil.test (127.0.0.1:{server.port}) over HTTPS "
        "(out of time: the overall limit, --deadline 2 ran out)"
    ), summary
    assert result.returncode == 3


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (
            "_mta-sts.sts.evil.test",
            "_mta-sts.sts.evil.test has no MX records and no address (A/AAAA): nothing to contact",
        ),
        ("nope.evil.test", "nope.evil.test does not exist: nothing to contact"),
    ],
)
def test_smtp_without_mx_hosts_says_why_nothing_was_contacted(
    run_cli: CliRun, evil_dns: DnsServer, name: str, said: str
) -> None:
    result = run_cli("domain", name, "-n", evil_dns.address, "--smtp", "--only", "smtp")
    # DNS answered: a domain without a host to talk to fails (it did SKIP with exit 0)
    assert f"FAIL   smtp.connect  {said}" in result.stdout, result.stdout
    assert result.returncode == 1
