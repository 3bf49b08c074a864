"""One domain's first questions leave before the checks are loaded (their imports overlap with
the first round trip): the same questions, queries, counts and report as the ordinary path,
and nothing at all is sent for a command line with an error."""

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


@pytest.mark.timeout(120)
@pytest.mark.parametrize("domain", ["clean.test", "spf-limit.test", "nxdomain-here.test"])
def test_one_domain_asked_early_reports_as_the_ordinary_path_does(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Path, domain: str
) -> None:
    # a domain from --from-file takes the ordinary path (checks loaded, then asked)
    listed = tmp_path / "domains.txt"
    listed.write_text(domain + "\n")
    server = ["--nameserver", dns_server.address, "--format", "json"]
    early = run_cli("domain", domain, *server)
    ordinary = run_cli("domain", "--from-file", str(listed), *server)
    assert early.returncode == ordinary.returncode, early.stderr + ordinary.stderr
    assert early.stderr == ordinary.stderr == ""
    mine, theirs = json.loads(early.stdout), json.loads(ordinary.stdout)
    # the same questions and queries: "dns" counts queries, cache hits and errors of the run
    assert mine["dns"] == theirs["dns"] and mine["dns"]["queries"] > 0
    assert _stable(mine) == _stable(theirs)


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
