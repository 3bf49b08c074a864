"""Unknown is never PASS: counts over lookups that failed are "at least N" and ERROR, FAIL
only when the part that resolved already exceeds the limit. Property-style: any subset of the
names in an SPF tree fails (SERVFAIL or REFUSED from a loopback server), and the verdict
follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailcheck.model import Finding, Report, Status
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.dnsserver import DnsServer

S = Status

# big: 11 DNS-querying terms (over the limit); small: 7 (within it). Flat names, so a
# behaviour set on one name does not reach another.
ZONE = """$ORIGIN prop.test.
$TTL 300
@ SOA ns.prop.test. h.prop.test. 1 7200 3600 1209600 300
@ NS ns.prop.test.
ns A 127.0.0.1
big TXT "v=spf1 a mx include:i1.prop.test include:i2.prop.test -all"
big MX 10 mx.prop.test.
big A 192.0.2.1
small TXT "v=spf1 a include:i1.prop.test include:i4.prop.test -all"
small A 192.0.2.2
i1 TXT "v=spf1 a:h1.prop.test include:i3.prop.test -all"
i2 TXT "v=spf1 include:i4.prop.test include:i5.prop.test ~all"
i3 TXT "v=spf1 mx:h2.prop.test -all"
i4 TXT "v=spf1 a:h3.prop.test -all"
i5 TXT "v=spf1 exists:h4.prop.test -all"
h1 A 192.0.2.11
h2 MX 10 mx.prop.test.
h3 A 192.0.2.13
h4 A 127.0.0.2
mx A 192.0.2.20
mx AAAA 2001:db8::20
h1 AAAA 2001:db8::11
h3 AAAA 2001:db8::13
big AAAA 2001:db8::1
small AAAA 2001:db8::2
"""
INCLUDES = ["i1", "i2", "i3", "i4", "i5"]
HOSTS = ["h1", "h2", "h3", "h4", "mx"]
# the include targets each tree reaches
REACHES = {"big": {"i1", "i2", "i3", "i4", "i5"}, "small": {"i1", "i3", "i4"}}
EXACT = {"big": 11, "small": 7}


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prop") / "prop.test.zone"
    path.write_text(ZONE)
    return path


def check(zone: Path, domain: str, failing: dict[str, str]) -> tuple[Report, str]:
    """A fresh server per case: the test server caches its answers."""
    behaviours = {f"{name}.prop.test.": how for name, how in failing.items()}
    with DnsServer([zone], behaviours=behaviours) as server:
        engine = build_engine(
            DnsOptions(nameservers=(server.address,), timeout=2.0, retries=1, deadline=30)
        )
        with engine:
            report = check_domain(
                parse_domain(f"{domain}.prop.test"), engine, DomainRequest(families=("spf",))
            )
        return report, server.address


def one(report: Report, check_id: str) -> Finding:
    found = [f for f in report.findings() if f.id == check_id]
    assert len(found) == 1, [f"{f.status.word} {f.id}: {f.summary}" for f in report.findings()]
    return found[0]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    domain=st.sampled_from(["big", "small"]),
    failing=st.dictionaries(
        st.sampled_from(INCLUDES + HOSTS), st.sampled_from(["SERVFAIL", "REFUSED"]), max_size=5
    ),
)
@pytest.mark.timeout(120)
def test_lookup_limit_is_never_pass_over_failed_lookups(
    zone: Path, domain: str, failing: dict[str, str]
) -> None:
    report, _address = check(zone, domain, failing)
    limit = one(report, "spf.lookup-limit")
    lost = REACHES[domain] & set(failing)
    if not lost:
        # every include answered: the count is exact, whatever happened to a/mx targets
        expected = S.FAIL if EXACT[domain] > 10 else S.PASS
        assert limit.status is expected, limit.summary
        assert f"{EXACT[domain]} " in limit.summary
        return
    assert limit.status in (S.ERROR, S.FAIL), limit.summary
    if limit.status is S.ERROR:
        assert limit.summary.startswith("could not determine: at least ")
        assert any(f"include:{name}.prop.test" in limit.summary for name in lost), limit.summary
    else:
        # FAIL only when the resolved part alone is over the limit
        counted = int(limit.summary.split(" ")[2])  # "at least N DNS-querying terms ..."
        assert limit.summary.startswith("at least ") and counted > 10, limit.summary
    # the SPF data says the figure is a lower bound
    spf = next(s for s in report.sections if s.family == "spf")
    assert spf.data["lookups_exact"] is False
    # void lookups over failed a/mx targets are never judged "no problem"
    voids = [f for f in report.findings() if f.id == "spf.void-lookups"]
    assert all(f.status is not S.PASS for f in voids)


def test_include_failures_give_error_not_pass(zone: Path) -> None:
    """The case from the issue: includes that cannot be answered made "4 of 10 PASS"."""
    report, address = check(zone, "big", {"i1": "SERVFAIL", "i2": "REFUSED"})
    limit = one(report, "spf.lookup-limit")
    assert limit.status is S.ERROR
    assert limit.summary == (
        "could not determine: at least 4 of 10 DNS lookups; not resolved: "
        "include:i1.prop.test (SERVFAIL), include:i2.prop.test (REFUSED)"
    )
    assert address  # the answers came from the loopback server


def test_failed_a_lookup_makes_void_count_unknown(zone: Path) -> None:
    report, _address = check(zone, "small", {"h1": "SERVFAIL"})
    assert one(report, "spf.lookup-limit").status is S.PASS  # a failed a: still counts 1
    voids = one(report, "spf.void-lookups")
    assert voids.status is S.ERROR
    assert "could not determine: void lookups at least 0" in voids.summary
    assert "'a:h1.prop.test' (SERVFAIL" in voids.summary


def test_offline_without_the_include_zone_is_error(tmp_path: Path) -> None:
    """--offline with a zone that covers the domain but not its includes: ERROR, exit 3."""
    zone = tmp_path / "off.test.zone"
    zone.write_text(
        "$ORIGIN off.test.\n$TTL 300\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n"
        '@ TXT "v=spf1 include:_spf.elsewhere.example include:_spf.other.example -all"\n'
    )
    engine = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    with engine:
        report = check_domain(parse_domain("off.test"), engine, DomainRequest(families=("spf",)))
    limit = one(report, "spf.lookup-limit")
    assert limit.status is S.ERROR
    assert "at least 2 of 10" in limit.summary
    assert "include:_spf.elsewhere.example" in limit.summary


def test_cli_gate_exits_3_over_failed_includes(zone: Path, tmp_path: Path, run_cli: Any) -> None:
    """`--only spf.lookup-limit,policy.spf-lookups` exited 0 over includes that failed."""
    config = tmp_path / "mailcheck.toml"
    config.write_text("[defaults]\nspf-max-lookups = 8\n")
    with DnsServer([zone], behaviours={"i2.prop.test.": "SERVFAIL"}) as server:
        result = run_cli(
            "domain", "big.prop.test", "--nameserver", server.address, "--timeout", "2",
            "--config", str(config), "--only", "spf.lookup-limit,policy.spf-lookups",
            "--format", "json",
        )  # fmt: skip
    assert result.returncode == 3, result.stdout
    doc = json.loads(result.stdout)
    found = {
        f["id"]: (f["status"], f["summary"])
        for s in doc["reports"][0]["sections"]
        for f in s["findings"]
    }
    assert found["spf.lookup-limit"][0] == "error"
    assert found["spf.lookup-limit"][1].startswith("could not determine: at least 7 of 10")
    assert found["policy.spf-lookups"][0] == "error"
    assert "SPF uses at least 7 DNS lookups" in found["policy.spf-lookups"][1]


def test_clean_domain_passes_fail_on_warn(run_cli: Any, dns_server: Any, zone: Path) -> None:
    clean = run_cli("domain", "clean.test", "--nameserver", dns_server.address, "--fail-on", "warn")
    assert clean.returncode == 0, clean.stdout
    nine = run_cli(
        "domain", "spf-nine.test", "--nameserver", dns_server.address, "--fail-on", "warn",
        "--only", "spf.lookup-limit",
    )  # fmt: skip
    assert nine.returncode == 0, nine.stdout
    assert "INFO" in nine.stdout and "one more include fits" in nine.stdout


def test_dkim_discovery_over_failed_probes_is_error(zone_dir: Path) -> None:
    """ "No key at the common selectors" over selectors that could not be asked is unknown."""
    from mailcheck.checks.dkim import COMMON_SELECTORS

    failing = f"{COMMON_SELECTORS[0]}._domainkey.customsel.test."
    with DnsServer(sorted(zone_dir.glob("*.zone")), behaviours={failing: "SERVFAIL"}) as server:
        engine = build_engine(DnsOptions(nameservers=(server.address,), timeout=2.0))
        with engine:
            report = check_domain(
                parse_domain("customsel.test"), engine, DomainRequest(families=("dkim",))
            )
    selectors = one(report, "dkim.selectors")
    assert selectors.status is S.ERROR
    expected = f"could not probe 1 of the {len(COMMON_SELECTORS)} selectors: SERVFAIL"
    assert selectors.summary.startswith(expected), selectors.summary


def test_dkim_discovery_that_found_a_key_names_the_probes_that_failed(zone_dir: Path) -> None:
    """'found 1 of 45 common selectors' said nothing of the selectors that could not be
    asked: they were silently counted with the absent ones."""
    from mailcheck.checks.dkim import COMMON_SELECTORS

    failing = "selector1"  # dkim.test publishes its key at google
    assert failing in COMMON_SELECTORS
    behaviours = {f"{failing}._domainkey.dkim.test.": "SERVFAIL"}
    with DnsServer(sorted(zone_dir.glob("*.zone")), behaviours=behaviours) as server:
        engine = build_engine(DnsOptions(nameservers=(server.address,), timeout=2.0))
        with engine:
            report = check_domain(
                parse_domain("dkim.test"), engine, DomainRequest(families=("dkim",))
            )
    selectors = one(report, "dkim.selectors")
    assert selectors.status is S.INFO
    assert selectors.summary.startswith(f"found 1 of {len(COMMON_SELECTORS)} common selectors")
    assert f"; 1 could not be asked ({failing}; {failing}: SERVFAIL" in selectors.summary
