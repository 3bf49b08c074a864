"""spf.flatten: a concrete rewrite when the SPF tree is at or over the lookup limit, resolved
through the engine from a DNS server on loopback; never a partial record when lookups failed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mailcheck.checks.spf_flatten import split_strings
from mailcheck.model import Report, Status
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.conftest import CliRun
from tests.dnsserver import DnsServer

pytestmark = pytest.mark.timeout(60)

ZONE = """$ORIGIN flat.test.
$TTL 300
@ SOA ns1 hostmaster 1 7200 3600 1209600 3600
@ NS ns1
ns1 A 192.0.2.53
; 13 lookups: _a costs 5, _b 2, _c 6 (and _c depends on the sender: exists with a macro)
@ TXT "v=spf1 ip4:192.0.2.1 include:_a.flat.test include:_b.flat.test include:_c.flat.test -all"
_a TXT "v=spf1 a:h1.flat.test a:h2.flat.test a:h3.flat.test a:h4.flat.test ~all"
h1 A 198.51.100.1
h2 A 198.51.100.2
h3 A 198.51.100.3
h4 AAAA 2001:db8::4
_b TXT "v=spf1 mx:mail.flat.test ip4:203.0.113.0/25 ip4:203.0.113.128/25 -all"
mail MX 10 mx1.flat.test.
mx1 A 192.0.2.50
_c TXT "v=spf1 exists:%{i}._spf.flat.test include:_d.flat.test a:h5.flat.test -all"
_d TXT "v=spf1 a:h6.flat.test a:h7.flat.test -all"
h5 A 192.0.2.55
h6 A 192.0.2.56
h7 A 192.0.2.57
; nine lookups (a warning): flattening _x leaves room for two more includes
nine TXT "v=spf1 a mx include:_x.flat.test include:_y.flat.test -all"
nine A 192.0.2.9
nine MX 10 mx1.flat.test.
_x TXT "v=spf1 a:h1.flat.test a:h2.flat.test a:h3.flat.test a:h4.flat.test -all"
_y TXT "v=spf1 mx:mail.flat.test -all"
; the same tree, but one address under _a cannot be looked up (SERVFAIL)
broken TXT "v=spf1 include:_a.broken.flat.test include:_b.flat.test include:_c.flat.test -all"
_a.broken TXT "v=spf1 a:h1.flat.test a:h2.down.flat.test a:h3.flat.test a:h4.flat.test ~all"
h2.down A 198.51.100.2
; every include carves exceptions or depends on the sender: nothing can be flattened
kept TXT "v=spf1 include:_c.flat.test include:_e.flat.test a:h5.flat.test -all"
_e TXT "v=spf1 -ip4:198.51.100.1 a:h1.flat.test a:h2.flat.test a:h3.flat.test ~all"
; a record that hands over to another with redirect= (9 lookups there)
handover TXT "v=spf1 redirect=nine.flat.test"
; a big provider: flattening gives a record longer than 450 bytes
big TXT "v=spf1 include:_big.flat.test include:_a.flat.test include:_b.flat.test -all"
; six lookups: no advice
few TXT "v=spf1 include:_a.flat.test -all"
"""


# the big provider's record: many scattered addresses, in two TXT strings
_BIG = " ".join(
    ["v=spf1", *(f"a:h{i}.flat.test" for i in range(1, 8))]
    + [f"ip4:192.0.2.{i}/28" for i in range(0, 256, 32)]
    + [f"ip4:203.0.113.{i}" for i in range(1, 29, 2)]
    + ["-all"]
)
ZONE += "_big TXT " + " ".join(f'"{_BIG[i : i + 200]}"' for i in range(0, len(_BIG), 200)) + "\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    path = tmp_path_factory.mktemp("flat") / "flat.test.zone"
    path.write_text(ZONE)
    with DnsServer([path], behaviours={"down.flat.test.": "SERVFAIL"}) as running:
        yield running


def spf(server: DnsServer, domain: str) -> tuple[Report, dict[str, Any]]:
    engine = build_engine(DnsOptions(nameservers=(server.address,), timeout=0.5, deadline=10))
    with engine:
        report = check_domain(parse_domain(domain), engine, DomainRequest(families=("spf",)))
    [section] = [s for s in report.sections if s.family == "spf"]
    return report, dict(section.data)


def flatten_findings(report: Report) -> list[tuple[Status, str]]:
    return [(f.status, f.summary) for f in report.findings() if f.id == "spf.flatten"]


def test_over_the_limit_proposes_a_record(server: DnsServer) -> None:
    report, data = spf(server, "flat.test")
    record = (
        "v=spf1 ip4:192.0.2.1 ip4:198.51.100.1 ip4:198.51.100.2/31 ip6:2001:db8::4 "
        "include:_b.flat.test include:_c.flat.test -all"
    )
    [(status, summary)] = flatten_findings(report)
    assert status is Status.INFO
    assert summary.startswith(
        "proposed record (13 → 8 DNS lookups; include:_a.flat.test replaced by 3 ranges "
        f"resolved now): {record}. Cost: the ranges go stale"
    )
    assert "--baseline" in summary
    [item] = [f for f in report.findings() if f.id == "spf.flatten"]
    # the include that depends on the sender is named as kept, with the reason
    assert item.evidence == (
        "include:_c.flat.test: 'exists:%{i}._spf.flat.test' depends on the sender, not on ranges",
    )
    assert data["flattening"] == {
        "record": record,
        "strings": [record],
        "lookups_before": 13,
        "lookups_after": 8,
        "replaced": ["include:_a.flat.test"],
        "ranges": ["ip4:198.51.100.1", "ip4:198.51.100.2/31", "ip6:2001:db8::4"],
        "not_flattened": ["include:_b.flat.test", "include:_c.flat.test"],
    }


def test_nine_lookups_get_advice_too(server: DnsServer) -> None:
    report, data = spf(server, "nine.flat.test")
    # 9 of 10 is within the limit: INFO, and the advice comes all the same
    assert [f.status for f in report.findings() if f.id == "spf.lookup-limit"] == [Status.INFO]
    assert data["flattening"]["record"] == (
        "v=spf1 a mx ip4:198.51.100.1 ip4:198.51.100.2/31 ip6:2001:db8::4 include:_y.flat.test -all"
    )
    assert (data["flattening"]["lookups_before"], data["flattening"]["lookups_after"]) == (9, 4)


def test_failed_lookup_gives_no_partial_record(server: DnsServer) -> None:
    report, data = spf(server, "broken.flat.test")
    [(status, summary)] = flatten_findings(report)
    assert status is Status.ERROR
    assert summary.startswith(
        "could not compute a flattened record: include:_a.broken.flat.test: "
        "'a:h2.down.flat.test': h2.down.flat.test A: SERVFAIL"
    )
    assert "flattening" not in data


def test_nothing_flattenable_says_why(server: DnsServer) -> None:
    report, data = spf(server, "kept.flat.test")
    [(status, summary)] = flatten_findings(report)
    assert status is Status.INFO
    assert summary == (
        "no flattening proposal: include:_c.flat.test: 'exists:%{i}._spf.flat.test' depends on "
        "the sender, not on ranges; include:_e.flat.test: '-ip4:198.51.100.1' is not a pass term"
    )
    assert "flattening" not in data


def test_no_advice_below_nine_lookups(server: DnsServer) -> None:
    report, data = spf(server, "few.flat.test")
    assert flatten_findings(report) == []
    assert "flattening" not in data


def test_long_records_split_into_strings() -> None:
    record = "v=spf1 " + " ".join(f"ip4:198.51.100.{i}" for i in range(40)) + " -all"
    strings = split_strings(record)
    assert "".join(strings) == record
    assert all(len(s.encode()) <= 255 for s in strings) and len(strings) == 3


def test_redirect_is_flattened_where_it_leads(server: DnsServer) -> None:
    report, data = spf(server, "handover.flat.test")
    [(status, summary)] = flatten_findings(report)
    assert status is Status.INFO
    assert summary == (
        "no flattening proposal: the record hands over with redirect=nine.flat.test: flatten there"
    )
    assert "flattening" not in data


def test_a_long_proposal_says_so(server: DnsServer) -> None:
    report, data = spf(server, "big.flat.test")
    [(status, summary)] = flatten_findings(report)
    size = len(data["flattening"]["record"])
    assert size > 450 and status is Status.INFO
    assert f"; {size} bytes: publish it as several strings (--verbose)" in summary
    strings = data["flattening"]["strings"]
    assert "".join(strings) == data["flattening"]["record"]
    assert len(strings) > 1 and all(len(x.encode()) <= 255 for x in strings)


def test_lookups_past_the_trees_bound_give_no_partial_record(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Five includes of 50 a: terms each: 500 questions, over the tree's bound of 400, so the
    last terms are not followed. Their addresses are unknown: no record is proposed without
    them (it would leave those hosts out of SPF)."""
    lines = [
        "$ORIGIN many.test.",
        "$TTL 300",
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 3600",
        "@ NS ns1",
        "ns1 A 192.0.2.53",
        '@ TXT "v=spf1 ' + " ".join(f"include:i{n}.many.test" for n in range(5)) + ' -all"',
    ]
    for n in range(5):
        record = "v=spf1 " + " ".join(f"a:h{n}-{t}.many.test" for t in range(50)) + " -all"
        strings = " ".join(f'"{record[i : i + 200]}"' for i in range(0, len(record), 200))
        lines.append(f"i{n} TXT {strings}")
        lines += [f"h{n}-{t} A 10.{n}.{t}.1" for t in range(50)]
    path = tmp_path_factory.mktemp("many") / "many.test.zone"
    path.write_text("\n".join(lines) + "\n")
    with DnsServer([path]) as server:
        report, data = spf(server, "many.test")
    [(status, summary)] = flatten_findings(report)
    assert status is Status.ERROR
    # 5 questions for the records; the other 395 go to lookups (2 each) in evaluation order:
    # i0 to i2 whole, then i3's first 47
    assert summary == (
        "could not compute a flattened record: include:i3.many.test: 'a:h3-47.many.test' was "
        "not followed (bound reached); include:i4.many.test: 'a:h4-0.many.test' was not "
        "followed (bound reached)"
    )
    assert "flattening" not in data


def test_many_unfollowed_includes_are_counted_not_listed(
    tmp_path_factory: pytest.TempPathFactory, run_cli: CliRun
) -> None:
    """A record of 300 includes, each including the next: past the tree's bound the
    not-followed includes were all named in spf.flatten (a 35 KB summary for 400), and the text
    include tree drew a line for each. Four are named and the rest counted; the tree shows 20
    branches of a record without -v and counts the rest."""
    count = 300
    record = "v=spf1 " + " ".join(f"include:i{n}.chain.test" for n in range(count)) + " -all"
    strings = " ".join(f'"{record[i : i + 255]}"' for i in range(0, len(record), 255))
    lines = [
        "$ORIGIN chain.test.",
        "$TTL 300",
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 3600",
        "@ NS ns1",
        "ns1 A 192.0.2.53",
        f"@ TXT {strings}",
    ]
    lines += [f'i{n} TXT "v=spf1 include:i{n + 1}.chain.test -all"' for n in range(count)]
    path = tmp_path_factory.mktemp("chain") / "chain.test.zone"
    path.write_text("\n".join(lines) + "\n")
    with DnsServer([path]) as server:
        report, _data = spf(server, "chain.test")
    [(status, summary)] = flatten_findings(report)
    assert status is Status.ERROR
    assert summary.startswith("could not compute a flattened record: include:i0.chain.test > ")
    assert summary.count("not followed") == 4
    assert re.search(r"\(bound reached\) and \d+ more$", summary), summary
    text = run_cli(
        "domain", "chain.test", "--zone", str(path), "--offline", "--only", "spf.flatten",
        "--color", "never", "--no-config",
    ).stdout  # fmt: skip
    branches = [line for line in text.splitlines() if re.match(r"  [├└]── include:", line)]
    assert len(branches) == 20
    assert re.search(r"\n  └── … and \d+ more \(-v shows all\)\n", text), text
    verbose = run_cli(
        "domain", "chain.test", "--zone", str(path), "--offline", "--only", "spf.flatten",
        "--color", "never", "--no-config", "-v",
    ).stdout  # fmt: skip
    assert "more (-v shows all)" not in verbose
