"""HTTPS fetches of MTA-STS policies and BIMI files: the network failing is ERROR (exit 3),
a server serving something wrong is FAIL (exit 1), --offline sends nothing (SKIP), and hosts
on non-public addresses are fetched only with --allow-private-addresses. Failures do not tell
a closed port from an open one."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mailcheck.checks.mta_sts import FetchOptions
from mailcheck.model import Finding, Report, Status
from mailcheck.net.dns import DnsEngine, DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.conftest import CliRun
from tests.smtpfixtures import free_port

S = Status


def run(engine: DnsEngine, domain: str, fetch: FetchOptions, *families: str) -> Report:
    request = DomainRequest(fetch=fetch, families=families)
    return check_domain(parse_domain(domain), engine, request)


def only(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings() if f.id == check_id]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP and then says nothing TLS (closes at once): an open port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    running = True

    def serve() -> None:
        while running:
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    running = False
    thread.join(timeout=2)
    server.close()


def test_unreachable_is_error_and_wrong_answer_is_fail(
    make_engine: Callable[..., DnsEngine], https_server: Any, ca_file: str
) -> None:
    closed = FetchOptions(ca_file=ca_file, timeout=1.0, port=free_port(), allow_private=True)
    report = run(make_engine(), "sts-good.test", closed, "mx", "mta-sts")
    [fetch] = only(report, "mta-sts.policy-fetch")
    assert fetch.status is S.ERROR
    assert fetch.summary == (
        "could not determine: https://mta-sts.sts-good.test/.well-known/mta-sts.txt: "
        f"could not reach mta-sts.sts-good.test (127.0.0.1:{closed.port}) over HTTPS"
    )
    assert "reachable" in fetch.hint
    assert not [f for f in report.findings() if f.status is S.FAIL]
    # the same domain layout, reachable, serving a 404: the publisher's fault
    served = FetchOptions(ca_file=ca_file, timeout=1.0, port=https_server.port, allow_private=True)
    wrong = run(make_engine(), "sts-404.test", served, "mx", "mta-sts")
    [fetch] = only(wrong, "mta-sts.policy-fetch")
    assert fetch.status is S.FAIL and "HTTP 404" in fetch.summary


def test_closed_and_open_ports_read_alike(
    make_engine: Callable[..., DnsEngine], ca_file: str, silent_port: int
) -> None:
    summaries = []
    for port in (free_port(), silent_port):
        fetch = FetchOptions(ca_file=ca_file, timeout=1.0, port=port, allow_private=True)
        [item] = only(run(make_engine(), "sts-good.test", fetch, "mta-sts"), "mta-sts.policy-fetch")
        assert item.status is S.ERROR
        summaries.append(item.summary.replace(str(port), "PORT"))
    assert summaries[0] == summaries[1]


def test_private_addresses_are_not_fetched_by_default(
    make_engine: Callable[..., DnsEngine], https_server: Any, ca_file: str
) -> None:
    before = len(https_server.hits)
    fetch = FetchOptions(ca_file=ca_file, timeout=1.0, port=https_server.port)
    report = run(make_engine(), "sts-good.test", fetch, "mx", "mta-sts")
    [item] = only(report, "mta-sts.policy-fetch")
    assert item.status is S.ERROR
    assert "mta-sts.sts-good.test resolves to 127.0.0.1, not a public address" in item.summary
    assert "--allow-private-addresses" in item.hint
    bimi = run(make_engine(), "bimi-good.test", fetch, "dmarc", "bimi")
    assert {f.status for f in only(bimi, "bimi.logo")} == {S.ERROR}
    assert {f.status for f in only(bimi, "bimi.evidence")} == {S.ERROR}
    assert len(https_server.hits) == before  # nothing was contacted


def test_bimi_unreachable_is_error_without_logo_advice(
    make_engine: Callable[..., DnsEngine], ca_file: str
) -> None:
    fetch = FetchOptions(ca_file=ca_file, timeout=1.0, port=free_port(), allow_private=True)
    report = run(make_engine(), "bimi-good.test", fetch, "dmarc", "bimi")
    for check_id in ("bimi.logo", "bimi.evidence"):
        [item] = only(report, check_id)
        assert item.status is S.ERROR, item
        assert "SVG" not in item.hint and "VMC" not in item.hint


def test_offline_sends_nothing(https_server: Any, ca_file: str, zone_dir: Path) -> None:
    before = len(https_server.hits)
    engine = build_engine(DnsOptions(zones=(str(zone_dir),), offline=True))
    fetch = FetchOptions(ca_file=ca_file, timeout=1.0, port=https_server.port, allow_private=True)
    report = run(engine, "sts-good.test", fetch, "mx", "mta-sts")
    [item] = only(report, "mta-sts.policy-fetch")
    assert item.status is S.SKIP and "not fetched (offline)" in item.summary
    bimi = run(engine, "bimi-good.test", fetch, "dmarc", "bimi")
    assert {f.status for f in only(bimi, "bimi.logo")} == {S.SKIP}
    assert len(https_server.hits) == before


def test_cli_exit_codes(
    run_cli: CliRun, dns_server: Any, https_server: Any, ca_file: str, silent_port: int
) -> None:
    common = ("--nameserver", dns_server.address, "--ca-file", ca_file, "--only", "mta-sts")
    allowed = (*common, "--allow-private-addresses", "--http-timeout", "1")
    good = run_cli("domain", "sts-good.test", *allowed, "--https-port", str(https_server.port))
    assert good.returncode == 0, good.stdout
    blocked = run_cli("domain", "sts-good.test", *common, "--https-port", str(https_server.port))
    assert blocked.returncode == 3 and "not a public address" in blocked.stdout
    down = run_cli("domain", "sts-good.test", *allowed, "--https-port", str(silent_port))
    assert down.returncode == 3, down.stdout
    wrong = run_cli("domain", "sts-404.test", *allowed, "--https-port", str(https_server.port))
    assert wrong.returncode == 1, wrong.stdout
    offline = run_cli(
        "domain", "sts-good.test", "--offline", "--zone", "tests/zones", "--only", "mta-sts",
        "--format", "json",
    )  # fmt: skip
    doc = json.loads(offline.stdout)
    statuses = {f["id"]: f["status"] for s in doc["reports"][0]["sections"] for f in s["findings"]}
    assert statuses["mta-sts.policy-fetch"] == "skip"


def test_offline_smtp_contacts_nothing(run_cli: CliRun) -> None:
    """--smtp under --offline: the MX hosts are not contacted (SKIP), and no EHLO name is
    looked up (socket.getfqdn() would ask the system resolver)."""
    result = run_cli(
        "domain", "sts-smtp.test", "--offline", "--zone", "tests/zones", "--smtp",
        "--smtp-port", str(free_port()), "--only", "smtp", "--format", "json",
    )  # fmt: skip
    doc = json.loads(result.stdout)
    found = [
        (f["id"], f["status"], f["summary"])
        for s in doc["reports"][0]["sections"]
        for f in s["findings"]
    ]
    assert found == [("smtp.connect", "skip", "offline: the MX hosts were not contacted (--smtp)")]
    assert result.returncode == 0


def test_a_policy_host_whose_address_lookup_fails_says_so(ca_file: str) -> None:
    """The lookup of mta-sts.<domain> times out: ERROR (could not determine), with a hint
    about the resolver, not about HTTPS reachability (nothing was connected to)."""
    from tests.conftest import STATIC_ZONES
    from tests.dnsserver import DnsServer

    with DnsServer(
        [STATIC_ZONES / "test.zone"], behaviours={"mta-sts.sts-good.test.": "DROP"}
    ) as dns:
        engine = build_engine(DnsOptions(nameservers=(dns.address,), timeout=0.3, deadline=10))
        with engine:
            fetch = FetchOptions(ca_file=ca_file, timeout=2.0, allow_private=True)
            report = run(engine, "sts-good.test", fetch, "mx", "mta-sts")
    [item] = only(report, "mta-sts.policy-fetch")
    assert item.status is S.ERROR
    assert item.summary.startswith(
        "could not determine: https://mta-sts.sts-good.test/.well-known/mta-sts.txt: "
        "could not resolve mta-sts.sts-good.test: TIMEOUT from "
    )
    assert item.hint is not None and "resolver" in item.hint and "reachable" not in item.hint


def test_a_bimi_url_that_cannot_be_parsed_is_a_failure_not_a_crash(
    run_cli: CliRun, tmp_path: Path
) -> None:
    """l=https://[red]x[/red]/a.svg (a bracketed host that is no IP address) and a port past
    65535 made the URL parser raise inside the fetch: the whole run ended in 'internal error'
    (exit 4) over one domain's record. Both are the record's fault: FAIL, exit 1."""
    from tests.dnsserver import DnsServer

    zone = tmp_path / "badurl.test.zone"
    zone.write_text(
        "$ORIGIN badurl.test.\n$TTL 300\n@ SOA ns h 1 7200 3600 1209600 3600\n@ NS ns\n"
        'ns A 127.0.0.1\n_dmarc TXT "v=DMARC1; p=reject"\n'
        'default._bimi TXT "v=BIMI1; l=https://[red]x[/red]/a.svg; '
        'a=https://bimi.badurl.test:99999/vmc.pem"\n'
    )
    expected = [
        ("fail", "l=https://[red]x[/red]/a.svg is not a valid URL: "
         "the host in [brackets] is not an IPv6 address"),
        ("fail", "a=https://bimi.badurl.test:99999/vmc.pem is not a valid URL: "
         "the port is not a number from 0 to 65535"),
    ]  # fmt: skip
    with DnsServer([zone]) as dns:
        for where in (("--nameserver", dns.address), ("--zone", str(zone), "--offline")):
            result = run_cli(
                "domain", "badurl.test", *where, "--only", "bimi.record", "--format", "json",
                "--no-config", "--allow-private-addresses",
            )  # fmt: skip
            assert result.returncode == 1, result.stderr
            doc = json.loads(result.stdout)
            found = [
                (f["status"], f["summary"])
                for s in doc["reports"][0]["sections"]
                for f in s["findings"]
            ]
            assert found == expected, where
