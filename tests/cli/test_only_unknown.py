"""--only over checks that could not run is never OK: with the DNS unreachable, `domain
--smtp --only smtp` (no MX hosts to talk to) and the other families whose inputs are
unknown end ERROR, exit 3, instead of an empty report that a CI gate takes for a pass."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from mailcheck.model import Finding, Report, Section, Status, select_findings
from tests.conftest import CliRun

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def dead_dns() -> str:
    """A loopback UDP port nobody listens on: every query is 'port unreachable'."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


def _domain(run_cli: CliRun, dns: str, *args: str) -> tuple[int, list[tuple[str, str, str]]]:
    result = run_cli("domain", "evil.test", "-n", dns, "--format", "json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    doc: Any = json.loads(result.stdout)
    found = [
        (f["id"], f["status"], f["summary"])
        for s in doc["reports"][0]["sections"]
        for f in s["findings"]
    ]
    return result.returncode, found


def test_only_smtp_without_the_mx_hosts_is_an_error(run_cli: CliRun, dead_dns: str) -> None:
    code, found = _domain(run_cli, dead_dns, "--smtp", "--only", "smtp")
    assert found == [
        (
            "smtp.connect",
            "error",
            f"could not look up the MX hosts: ERROR from {dead_dns}: {dead_dns} port unreachable",
        )
    ]
    assert code == 3


@pytest.mark.parametrize(
    ("only", "shown"),
    [
        # the SOA check builds on the NS lookup: it says itself that the zone is unknown
        ("soa", "soa.record"),
        # TLS is judged on the SMTP conversation that never happened
        ("tls", "smtp.connect"),
        # DANE on the DNSSEC chain that could not be read
        ("dane", "dnssec.zone"),
    ],
)
def test_only_a_family_whose_inputs_are_unknown_is_not_ok(
    run_cli: CliRun, dead_dns: str, only: str, shown: str
) -> None:
    code, found = _domain(run_cli, dead_dns, "--smtp", "--only", only)
    assert (shown, "error") in [(i, s) for i, s, _ in found], found
    assert all(status == "error" for _, status, _ in found) and code == 3


def test_only_dkim_reports_its_own_error(run_cli: CliRun, dead_dns: str) -> None:
    code, found = _domain(run_cli, dead_dns, "--only", "dkim")
    assert [(i, s) for i, s, _ in found] == [("dkim.selectors", "error")]
    assert code == 3


def _report(*findings: Finding) -> Report:
    return Report(kind="trace", subject="x", sections=(Section("smtp", "SMTP", findings),))


def test_select_keeps_the_errors_when_a_selector_matched_nothing() -> None:
    refused = Finding("smtp.connect", Status.ERROR, "connection refused")
    shown = select_findings(_report(refused), ["tls"], [])
    assert [f.id for f in shown.findings()] == ["smtp.connect"]
    # what the selector did match is all that is shown, errors elsewhere or not
    ok = Finding("tls.starttls", Status.PASS, "offered")
    shown = select_findings(_report(refused, ok), ["tls"], [])
    assert [f.id for f in shown.findings()] == ["tls.starttls"]
    # nothing matched and nothing unknown: an empty report, as before
    fine = Finding("smtp.banner", Status.PASS, "220")
    assert list(select_findings(_report(fine), ["tls"], []).findings()) == []
    # a skipped family stays hidden
    assert list(select_findings(_report(refused), ["tls"], ["smtp"]).findings()) == []


def test_send_when_the_mx_lookup_fails_is_deferred_not_rejected(
    run_cli: CliRun, dead_dns: str
) -> None:
    """A null MX is a bounce (rejected, exit 1); an MX lookup that failed says nothing about
    the domain: deferred, exit 3, as an MTA would try again later."""
    result = run_cli(
        "send",
        "--from",
        "a@example.com",
        "--to",
        "bob@evil.test",
        "-n",
        dead_dns,
        "--format",
        "json",
    )
    assert "Traceback" not in result.stderr, result.stderr
    doc: Any = json.loads(result.stdout)
    [recipient] = doc["reports"][0]["data"]["recipients"]
    assert (result.returncode, recipient["status"]) == (3, "deferred"), recipient
    assert recipient["reply"].startswith("could not look up the MX hosts: ERROR from "), recipient
