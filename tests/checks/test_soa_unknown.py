"""Unknown is never PASS, nor nothing: the soa and ns sections carry an ERROR of their own when
the zone lookup fails, also when asked for alone through the library (check_domain)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailcheck.model import Report, Status
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.dnsserver import DnsServer

ZONE = """$ORIGIN zt.test.
$TTL 300
@ SOA ns.zt.test. h.zt.test. 1 7200 3600 1209600 300
@ NS ns.zt.test.
ns A 127.0.0.1
broken A 192.0.2.1
"""


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zt") / "zt.test.zone"
    path.write_text(ZONE)
    return path


def run(zone: Path, domain: str, family: str, behaviours: dict[str, str]) -> tuple[Report, str]:
    with DnsServer([zone], behaviours=behaviours) as server:
        engine = build_engine(
            DnsOptions(nameservers=(server.address,), timeout=2.0, retries=0, deadline=20)
        )
        with engine:
            report = check_domain(parse_domain(domain), engine, DomainRequest(families=(family,)))
        return report, server.address


@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["SERVFAIL", "REFUSED"])
def test_soa_alone_is_an_error_when_the_zone_lookup_fails(zone: Path, how: str) -> None:
    report, address = run(zone, "broken.zt.test", "soa", {"broken.zt.test.": how})
    [section] = report.sections
    assert section.family == "soa"
    assert [(f.id, f.status) for f in section.findings] == [("soa.record", Status.ERROR)]
    assert section.findings[0].summary == (
        f"could not determine the zone's SOA: {how} from {address}"
    )
    assert report.counts()[Status.ERROR] == 1


@pytest.mark.timeout(30)
def test_ns_alone_is_an_error_when_the_zone_lookup_fails(zone: Path) -> None:
    report, address = run(zone, "broken.zt.test", "ns", {"broken.zt.test.": "SERVFAIL"})
    [section] = report.sections
    assert [(f.id, f.status) for f in section.findings] == [("ns.records", Status.ERROR)]
    assert section.findings[0].summary == (
        f"could not determine the name servers: SERVFAIL from {address}"
    )


@pytest.mark.timeout(30)
def test_soa_of_a_healthy_zone_is_unchanged(zone: Path) -> None:
    report, _ = run(zone, "broken.zt.test", "soa", {})
    [section] = report.sections
    record = [f for f in section.findings if f.id == "soa.record"]
    assert [f.status for f in record] == [Status.PASS]
    assert record[0].summary.startswith("zt.test: serial 1, refresh 2 h")


@pytest.mark.timeout(30)
def test_soa_alone_fails_when_no_zone_is_found(zone: Path) -> None:
    """The walk up to the apex stops after eight labels: past that there is no zone to judge."""
    deep = "a.b.c.d.e.f.g.h.i.j.zt.test"
    report, _ = run(zone, deep, "soa", {})
    [section] = [s for s in report.sections if s.family == "soa"]
    assert [(f.id, f.status, f.summary) for f in section.findings] == [
        ("soa.record", Status.FAIL, f"no zone found at {deep} or above it, so no SOA record")
    ]
