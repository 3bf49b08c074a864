"""Each finding points at the zone file line of its own record: every MX host's findings at
that host's MX line, an include's syntax error at the include's record, an inherited DMARC
policy at the record it came from (not at a closer record receivers pass over)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mailcheck.model import Report
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.conftest import CliRun

ZONE = [
    "$ORIGIN test.",
    "$TTL 300",
    "@ SOA ns.test. h.test. 1 7200 3600 1209600 300",
    "@ NS ns.test.",
    "ns A 127.0.0.1",
    "loc MX 10 one.loc",  # line 6
    "loc MX 20 two.loc",  # line 7
    "one.loc A 192.0.2.61",
    "two.loc A 192.0.2.62",
    'loc TXT "v=spf1 include:inc.loc.test -all"',  # line 10
    'inc.loc TXT "v=spf1 ip4:192.0.2.300 -all"',  # line 11
    '_dmarc.loc TXT "v=DMARC1; p=reject; rua=mailto:d@loc.test"',  # line 12
    '_dmarc.mid.loc TXT "v=DMARC1; p=none; rua=mailto:d@loc.test"',  # line 13
    "deep.mid.loc MX 10 one.loc",
]


def run(tmp_path: Path, domain: str) -> Report:
    path = tmp_path / "test.zone"
    path.write_text("\n".join(ZONE) + "\n")
    engine = build_engine(DnsOptions(zones=(str(path),), offline=True))
    with engine:
        return check_domain(parse_domain(domain), engine, DomainRequest())


def test_mx_findings_point_at_their_own_mx_line(tmp_path: Path) -> None:
    report = run(tmp_path, "loc.test")
    # no reverse zone offline: each address's PTR is unknown (ERROR), about its own host
    fcrdns = {f.subject: f.location for f in report.findings() if f.id == "mx.fcrdns"}
    assert {k: v.line if v else None for k, v in fcrdns.items()} == {
        "192.0.2.61": 6,
        "192.0.2.62": 7,
    }


def test_include_syntax_points_at_the_include(tmp_path: Path) -> None:
    report = run(tmp_path, "loc.test")
    [syntax] = [f for f in report.findings() if f.id == "spf.syntax"]
    assert syntax.subject == "inc.loc.test"
    assert syntax.location is not None and syntax.location.line == 11
    [record] = [f for f in report.findings() if f.id == "spf.record"]
    assert record.location is not None and record.location.line == 10


def test_inherited_policy_points_at_its_record(tmp_path: Path) -> None:
    report = run(tmp_path, "deep.mid.loc.test")
    [inherited] = [f for f in report.findings() if f.id == "dmarc.inherited"]
    assert inherited.location is not None and inherited.location.line == 12


SPF_ZONE = [
    "$ORIGIN test.",
    "$TTL 300",
    "@ SOA ns.test. h.test. 1 7200 3600 1209600 300",
    "@ NS ns.test.",
    "ns A 127.0.0.1",
    'spf TXT "v=spf1 include:mid.spf.test include:lost.spf.test -all"',  # line 6
    'mid.spf TXT "v=spf1 include:loop.spf.test include:gone.spf.test include:bare.spf.test '
    'include:far.example.net a:host.example.net ~all"',  # line 7
    'loop.spf TXT "v=spf1 include:mid.spf.test -all"',  # line 8
    'bare.spf TXT "not spf"',
    'red.spf TXT "v=spf1 redirect=end.spf.test"',  # line 10
    'end.spf TXT "v=spf1 ip4:192.0.2.1 ?all"',  # line 11
]


def test_failing_includes_point_at_the_record_that_includes_them(
    tmp_path: Path, run_cli: CliRun
) -> None:
    """A loop, a missing include and a DNS failure point at the line of the record holding the
    failing term (an included record's own line when the term is inside it), not at the root."""
    path = tmp_path / "spf.zone"
    path.write_text("\n".join(SPF_ZONE) + "\n")
    args = ("domain", "spf.test", "--offline", "--zone", str(path))
    args += ("--only", "spf.include-loop,spf.include-missing,spf.dns-error")
    expected = {
        ("spf.include-loop", "include:mid.spf.test"): 8,  # the term closing the loop
        ("spf.include-missing", "include:lost.spf.test"): 6,  # in the root record
        ("spf.include-missing", "include:gone.spf.test"): 7,
        ("spf.include-missing", "include:bare.spf.test"): 7,
        ("spf.dns-error", "include:far.example.net"): 7,
        ("spf.dns-error", "'a:host.example.net'"): 7,
    }
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    found = [f for r in doc["reports"] for s in r["sections"] for f in s["findings"]]
    got = {}
    for item in found:
        [term] = [t for i, t in expected if i == item["id"] and t in item["summary"]]
        assert item["location"]["source"] == str(path)
        got[(item["id"], term)] = item["location"]["line"]
    assert got == expected
    text = run_cli(*args).stdout.split("\n  include tree")[0]
    blocks = re.split(r"\n  (?=FAIL|ERROR)", text)
    for (check_id, term), line in expected.items():
        mine = [b for b in blocks if b.split()[1:2] == [check_id] and term in b]
        where = re.compile(rf"^ +at {re.escape(str(path))}:{line}$", re.MULTILINE)
        assert mine and all(where.search(b) for b in mine), mine


def test_all_reached_by_redirect_points_at_the_redirect_target(
    tmp_path: Path, run_cli: CliRun
) -> None:
    path = tmp_path / "spf.zone"
    path.write_text("\n".join(SPF_ZONE) + "\n")
    args = ("domain", "red.spf.test", "--offline", "--zone", str(path), "--only", "spf")
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    found = [f for r in doc["reports"] for s in r["sections"] for f in s["findings"]]
    [neutral] = [f for f in found if f["id"] == "spf.all-neutral"]
    assert "(in end.spf.test, reached by redirect)" in neutral["summary"]
    assert neutral["location"] == {"source": str(path), "line": 11}
    [record] = [f for f in found if f["id"] == "spf.record"]
    assert record["location"] == {"source": str(path), "line": 10}
