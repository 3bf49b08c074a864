"""Bulk runs hold flat memory: the engine's cache, log and timers stay bounded over N domains."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from mailcheck.net.dns.engine import DnsEngine, EngineConfig
from mailcheck.net.dns.upstream import Upstream, parse_server
from tests.dnsserver import DnsServer

DOMAINS = 600
SHARED = "_spf.provider.bulk.test"


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    lines = [
        "$ORIGIN bulk.test.",
        "$TTL 300",
        "@ SOA ns.bulk.test. host.bulk.test. 1 3600 600 86400 300",
        "@ NS ns.bulk.test.",
        "ns A 127.0.0.1",
        f'{SHARED}. TXT "v=spf1 ip4:192.0.2.0/24 -all"',
    ]
    for i in range(DOMAINS):
        lines += [
            f'd{i} TXT "v=spf1 include:{SHARED} -all"',
            f'_dmarc.d{i} TXT "v=DMARC1; p=reject"',
            f"d{i} MX 10 mx.d{i}",
        ]
    zone = tmp_path_factory.mktemp("bulk") / "bulk.zone"
    zone.write_text("\n".join(lines) + "\n")
    with DnsServer([zone]) as server:
        yield server


def _engine(server: DnsServer, concurrency: int = 64) -> DnsEngine:
    # An hour of deadline: a finished query's deadline timer must not live that long.
    upstream = Upstream([parse_server(server.address)], timeout=2.0, max_in_flight=concurrency)
    config = EngineConfig(deadline=3600, cache_size=40, log_lines=50, concurrency=concurrency)
    return DnsEngine((), upstream, config)


def _one_domain(engine: DnsEngine, i: int) -> None:
    with engine.scoped() as view:
        asked = [
            view.submit(f"d{i}.bulk.test", "TXT"),
            view.submit(f"_dmarc.d{i}.bulk.test", "TXT"),
            view.submit(SHARED, "TXT"),
            view.submit(f"d{i}.bulk.test", "MX"),
        ]
        assert all(f.result().ok and f.result().records for f in asked)


@pytest.mark.timeout(120)
def test_cache_and_log_stay_bounded_and_keep_shared_names(bulk_server: DnsServer) -> None:
    with _engine(bulk_server) as engine:
        largest = {"cache": 0, "log": 0}
        for i in range(DOMAINS):
            _one_domain(engine, i)
            sizes = engine.sizes()
            largest = {k: max(v, sizes[k]) for k, v in largest.items()}
        # 40 shared + 10 single-use answers kept once their domains are done; 50 log lines
        assert largest["cache"] <= 50
        assert largest["log"] == 50
        stats = engine.stats()
        # every domain's own three questions went out; the shared include only once
        assert stats.queries == 3 * DOMAINS + 1
        assert stats.cache_hits == DOMAINS - 1
        # the log still says what the last domain asked (what -v shows for it)
        mark = engine.log_mark()
        _one_domain(engine, 0)  # dropped long ago: asked again; the include is still cached
        assert [(q.name, q.rdtype) for q in engine.log(since=mark)] == [
            ("d0.bulk.test", "TXT"),
            ("_dmarc.d0.bulk.test", "TXT"),
            ("d0.bulk.test", "MX"),
        ]
        assert engine.stats().queries == 3 * DOMAINS + 4


@pytest.mark.timeout(120)
def test_finished_queries_leave_no_timers_behind(bulk_server: DnsServer) -> None:
    # One query in flight: the others of each domain wait in the queue with an hour-long
    # deadline timer; those timers must go with their queries, not an hour later.
    with _engine(bulk_server, concurrency=1) as engine:
        most = 0
        for i in range(DOMAINS):
            _one_domain(engine, i)
            most = max(most, engine.sizes()["timers"])
        assert most <= 1100


@pytest.mark.timeout(60)
def test_max_qps_spaces_the_queries_and_loses_none(bulk_server: DnsServer) -> None:
    from mailcheck.net.dns import DnsOptions, build_engine

    # 40 per second with a burst of 4: 30 questions cannot all leave in under 0.65 s (a lower
    # bound that only a broken cap can miss, however slow the machine).
    options = DnsOptions(nameservers=(bulk_server.address,), deadline=60, max_qps=40)
    with build_engine(options) as engine:
        started = time.monotonic()
        futures = [engine.submit(f"_dmarc.d{i}.bulk.test", "TXT") for i in range(30)]
        answers = [f.result() for f in futures]
        elapsed = time.monotonic() - started
    assert [a.records[0].txt for a in answers] == [b"v=DMARC1; p=reject"] * 30
    assert elapsed >= 0.6


_LOW_FD_LIMIT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))  # and no way to raise it
from mailcheck.net.dns.engine import DnsEngine, EngineConfig
from mailcheck.net.dns.upstream import Upstream, parse_server
upstream = Upstream([parse_server(sys.argv[1])], timeout=5.0, max_in_flight=1024)
with DnsEngine((), upstream, EngineConfig(deadline=60, concurrency=1024)) as engine:
    asked = [engine.submit(f"d{i}.bulk.test", "TXT") for i in range(%d)]
    bad = [a.result().describe() for a in asked if not a.result().records]
print(len(bad), bad[:1])
"""


@pytest.mark.timeout(120)
def test_concurrency_beyond_the_open_file_limit_queues_instead_of_failing(
    bulk_server: DnsServer,
) -> None:
    # --concurrency 1024 where a process may open 256 files: each query in flight holds a
    # socket, so the engine asks fewer at once rather than answer "Too many open files"
    run = subprocess.run(
        [sys.executable, "-c", _LOW_FD_LIMIT % DOMAINS, bulk_server.address],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "0", run.stdout


def _cycles_left(engine: DnsEngine, domain: Callable[[int], None], count: int) -> int:
    """Objects in reference cycles (what only the cyclic collector would free) after
    `domain(i)` for i in 1..count, the first one (imports, the engine's thread) done before."""
    import gc

    domain(0)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector would free is kept to be counted
    try:
        for i in range(1, count + 1):
            domain(i)
        engine.close()  # its timers no longer hold the finished queries
        gc.collect()
        return len(gc.garbage)
    finally:
        engine.close()
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.timeout(120)
def test_lookups_leave_no_reference_cycles_for_the_collector(bulk_server: DnsServer) -> None:
    # A bulk run frees each query's objects by reference counting: a cycle per query (a
    # closure that calls itself) left tens of thousands for the cyclic collector to find,
    # which cost a third of a bulk run's CPU.
    engine = _engine(bulk_server)
    cyclic = _cycles_left(engine, lambda i: _one_domain(engine, i), 200)
    assert cyclic < 200, f"{cyclic} objects in reference cycles after 800 queries"


@pytest.mark.timeout(120)
def test_domain_checks_leave_no_reference_cycles_for_the_collector(
    bulk_server: DnsServer,
) -> None:
    # A bulk run collects cyclic garbage seldom (domain_pool.bulk_gc): a check that leaves
    # its state in a cycle (an SPF tree builder holding a bound method of itself did) keeps
    # every domain's tree and answers until then: peak memory grew with the domains.
    from mailcheck.records.domain_name import parse_domain
    from mailcheck.services.domain import check_domain
    from mailcheck.services.domain_request import DomainRequest

    engine = _engine(bulk_server)
    request = DomainRequest()  # every family

    def one(i: int) -> None:
        with engine.scoped() as view:
            report = check_domain(parse_domain(f"d{i}.bulk.test"), view, request)
        ids = {f.id: f.status.value for f in report.findings()}
        assert ids.get("spf.record") == "pass", ids

    cyclic = _cycles_left(engine, one, 50)
    assert cyclic < 50, f"{cyclic} objects in reference cycles after 50 domains"
