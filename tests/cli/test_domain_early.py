"""One domain's first questions leave before the checks are loaded (their imports overlap with
the first round trip), and its checks walk ahead of themselves (the chains of lookups go on
as answers arrive, while the run loads): the same questions, queries, counts and report as
the ordinary path, where nothing walks ahead; and nothing at all is sent for a command line
with an error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer

TIMINGS = {"duration_ms", "elapsed_ms", "elapsed"}


def _stable(doc: Any) -> Any:
    """The report without what the clock decides."""
    if isinstance(doc, dict):
        return {k: _stable(v) for k, v in doc.items() if k not in TIMINGS}
    if isinstance(doc, list):
        return [_stable(v) for v in doc]
    return doc


# Each with chains of its own: SPF includes over the limit, in a loop, over MX with more
# hosts than are followed; MX hosts without PTR, behind a CNAME, with DANE; DKIM keys found
# by discovery; a DMARC policy from the organisational domain; hostile text; no domain.
DOMAINS = [
    "clean.test",
    "spf-limit.test",
    "spf-loop.test",
    "spf-mxlimit.test",
    "noptr.test",
    "mxcname.test",
    "dane-full.test",
    "dkim.test",
    "sub.dmarc-parent.test",
    "hostile.test",
    "nxdomain-here.test",
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("domain", DOMAINS)
def test_one_domain_asked_early_reports_as_the_ordinary_path_does(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Path, domain: str
) -> None:
    _compare(run_cli, dns_server, tmp_path, domain)


@pytest.mark.timeout(120)
def test_walking_ahead_follows_the_expectations_file(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Path
) -> None:
    """Selectors named for the domain in the expectations file are the ones walked ahead
    (and ns/soa asked for: a family off by default)."""
    config = tmp_path / "mailcheck.toml"
    config.write_text('[domains."dkim.test"]\ndkim-selectors = ["rsa2048", "ed", "nothere"]\n')
    _compare(run_cli, dns_server, tmp_path, "dkim.test", "--config", str(config))
    _compare(run_cli, dns_server, tmp_path, "clean.test", "--only", "ns,soa,mx")


def _compare(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Path, domain: str, *options: str
) -> None:
    # With a zone file (one that covers nothing asked here) a run takes the ordinary path:
    # the checks are loaded, then ask, and nothing walks ahead.
    unrelated = tmp_path / "unrelated.zone"
    unrelated.write_text("$ORIGIN unrelated.example.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 300\n")
    server = ["--nameserver", dns_server.address, "--format", "json", *options]
    before = dns_server.queries
    early = run_cli("domain", domain, *server)
    sent_early = dns_server.queries - before
    ordinary = run_cli("domain", domain, "--zone", str(unrelated), *server)
    sent_ordinary = dns_server.queries - before - sent_early
    assert early.returncode == ordinary.returncode, early.stderr + ordinary.stderr
    assert early.stderr == ""
    assert ordinary.stderr.startswith("mailcheck: warning: no --zone file covers")
    mine, theirs = json.loads(early.stdout), json.loads(ordinary.stdout)
    # the same questions and queries: "dns" counts queries, cache hits and errors of the run
    assert mine["dns"] == theirs["dns"] and mine["dns"]["queries"] > 0
    assert _stable(mine) == _stable(theirs)
    # nothing asked ahead that the checks did not ask
    assert sent_early == sent_ordinary


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "wrong",
    [
        ["--only", "no-such-check"],
        ["--ip", "not-an-address"],
        ["--sender", "alice@example.org"],
        ["--selector", "a b"],
    ],
)
def test_a_command_line_with_an_error_sends_no_query(
    run_cli: CliRun, dns_server: DnsServer, wrong: list[str]
) -> None:
    before = dns_server.queries
    result = run_cli("domain", "clean.test", "--nameserver", dns_server.address, *wrong)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("mailcheck: error: ")
    assert dns_server.queries == before
