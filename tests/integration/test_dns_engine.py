"""The engine against a real DNS server on loopback: outcomes, cache, concurrency, limits."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from mailcheck.errors import UsageError
from mailcheck.net.dns import DnsEngine, DnsOptions, Outcome, build_engine
from mailcheck.net.dns.upstream import parse_server
from tests.conftest import BEHAVIOURS, STATIC_ZONES
from tests.dnsserver import DnsServer


@pytest.mark.parametrize(
    ("name", "rdtype", "outcome"),
    [
        ("clean.test", "MX", Outcome.NOERROR),
        ("nothere.test", "A", Outcome.NXDOMAIN),
        ("clean.test", "AAAA", Outcome.NODATA),
        ("x.broken-ns.test", "A", Outcome.SERVFAIL),
        ("x.refused-ns.test", "A", Outcome.REFUSED),
        ("x.dead-ns.test", "A", Outcome.TIMEOUT),
    ],
)
def test_outcomes(
    make_engine: Callable[..., DnsEngine], name: str, rdtype: str, outcome: Outcome
) -> None:
    answer = make_engine(timeout=0.2).resolve(name, rdtype)
    assert answer.outcome is outcome
    assert answer.ok is (outcome in (Outcome.NOERROR, Outcome.NODATA, Outcome.NXDOMAIN))


def test_cname_followed_by_server(make_engine: Callable[..., DnsEngine]) -> None:
    answer = make_engine().resolve("alias.mxcname.test", "A")
    assert [r.text for r in answer.records] == ["192.0.2.10"]
    assert answer.cnames[0].target == "mx1.clean.test"


def test_large_answer_falls_back_to_tcp(
    make_engine: Callable[..., DnsEngine], dns_server: DnsServer
) -> None:
    answer = make_engine().resolve("spf-long.test", "TXT")
    assert answer.outcome is Outcome.NOERROR
    assert answer.records[0].txt.startswith(b"v=spf1 ip4:198.51.100.1 ")


def test_each_question_is_asked_once(
    make_engine: Callable[..., DnsEngine], dns_server: DnsServer
) -> None:
    engine = make_engine()
    before = dns_server.queries
    futures = [engine.submit("clean.test", "TXT") for _ in range(10)]
    for future in futures:
        assert future.result().outcome is Outcome.NOERROR
    engine.resolve("CLEAN.test.", "TXT")
    assert dns_server.queries - before == 1
    assert engine.stats().queries == 1 and engine.stats().cache_hits == 10


def test_independent_lookups_run_in_parallel() -> None:
    with DnsServer(sorted(STATIC_ZONES.glob("*.zone")), delay=0.2, behaviours=BEHAVIOURS) as server:
        engine = build_engine(DnsOptions(nameservers=(server.address,), timeout=2))
        started = time.monotonic()
        answers = engine.resolve_many([(f"mx{i}.clean.test", "A") for i in range(1, 12)])
        elapsed = time.monotonic() - started
        engine.close()
    assert all(a.outcome is Outcome.NOERROR for a in answers)
    # eleven questions at 0.2 s each: sequential would take 2.2 s
    assert elapsed < 1.0


def test_deadline_bounds_the_run(make_engine: Callable[..., DnsEngine]) -> None:
    engine = make_engine(timeout=0.3, deadline=0.5)
    started = time.monotonic()
    answers = [engine.resolve(f"n{i}.dead-ns.test", "A") for i in range(5)]
    assert time.monotonic() - started < 1.5
    assert all(a.outcome is Outcome.TIMEOUT for a in answers)
    assert "deadline" in answers[-1].detail


def test_query_log(make_engine: Callable[..., DnsEngine], dns_server: DnsServer) -> None:
    engine = make_engine()
    engine.resolve("clean.test", "MX")
    [line] = engine.log()
    assert (line.name, line.rdtype, line.outcome) == ("clean.test", "MX", "NOERROR")
    assert line.source == dns_server.address and line.elapsed > 0


def test_zone_overrides_upstream(make_engine: Callable[..., DnsEngine], tmp_path) -> None:  # type: ignore[no-untyped-def]
    zone = tmp_path / "clean.test.zone"
    zone.write_text("$ORIGIN clean.test.\n@ 300 MX 0 .\n")
    engine = make_engine(zones=(str(zone),))
    assert engine.resolve("clean.test", "MX").records[0].text == "0 ."
    assert engine.resolve("mx1.clean.test", "A").outcome is Outcome.NXDOMAIN  # authoritative
    assert engine.resolve("nullmx.test", "MX").source != str(zone)  # forwarded


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("127.0.0.1", "127.0.0.1", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[::1]:5353", "::1", 5353),
        ("::1", "::1", 53),
    ],
)
def test_parse_server(text: str, host: str, port: int) -> None:
    server = parse_server(text)
    assert (server.host, server.port) == (host, port)


@pytest.mark.parametrize("text", ["dns.example", "127.0.0.1:0", "[::1", "1.2.3.4:99999"])
def test_parse_server_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_server(text)
