"""Each check places its findings at the zone file line of the record it judged when it creates
them, without the domain service: a DMARC policy inherited from the organizational domain at
that domain's record, a DKIM key's findings at their selector's record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from mailcheck.checks.dkim import DkimCheck
from mailcheck.checks.dmarc import DmarcCheck
from mailcheck.model import Location, Section
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.net.dns.crawl import Crawler
from tests.conftest import CliRun

ZONE = [
    "$ORIGIN test.",
    "$TTL 300",
    "@ SOA ns.test. h.test. 1 7200 3600 1209600 300",
    "@ NS ns.test.",
    "ns A 127.0.0.1",
    '_dmarc.org TXT "v=DMARC1; p=quarantine; rua=mailto:d@org.test"',  # line 6
    "sub.org MX 10 mx.org.test.",
    'sel._domainkey.org TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ"',  # 8
    'other._domainkey.org TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="',
]


def zone(tmp_path: Path) -> Path:
    path = tmp_path / "test.zone"
    path.write_text("\n".join(ZONE) + "\n")
    return path


def run_check(path: Path | None, make: Callable[[Crawler], DmarcCheck | DkimCheck]) -> Section:
    engine = build_engine(DnsOptions(zones=(str(path),) if path else (), offline=True))
    with engine:
        crawler = Crawler(engine)
        check = make(crawler)
        check.start()
        crawler.run()
        return check.section()


def test_inherited_dmarc_policy_is_placed_at_the_organizational_record(tmp_path: Path) -> None:
    path = zone(tmp_path)
    section = run_check(path, lambda crawler: DmarcCheck("sub.org.test", crawler))
    assert section.headline == "found at _dmarc.org.test"
    [inherited] = [f for f in section.findings if f.id == "dmarc.inherited"]
    assert inherited.location == Location(str(path), 6)
    # every finding of the section is about that one record
    assert {f.location for f in section.findings} == {Location(str(path), 6)}


def test_dkim_findings_are_placed_at_their_selector_record(tmp_path: Path) -> None:
    path = zone(tmp_path)
    section = run_check(
        path, lambda crawler: DkimCheck("org.test", crawler, ["sel", "other", "gone"])
    )
    places = {(f.id, f.subject): f.location for f in section.findings if f.subject}
    assert places[("dkim.key-missing", "gone")] == Location(str(path))  # the zone lacks it
    lines = {s: w.line for (_i, s), w in places.items() if w is not None and s != "gone"}
    assert lines == {"sel": 8, "other": 9}
    assert all(w is not None for w in places.values())


def test_without_a_zone_file_nothing_is_placed(tmp_path: Path) -> None:
    """Answers from a server carry no file line: findings get no location at all."""
    section = run_check(None, lambda crawler: DmarcCheck("sub.org.test", crawler))
    assert section.findings and all(f.location is None for f in section.findings)


OWN_RECORDS = [
    "$ORIGIN test.",
    "$TTL 300",
    "@ SOA ns.test. h.test. 1 7200 3600 1209600 300",
    "@ NS ns.test.",
    "ns A 127.0.0.1",
    'main TXT "v=spf1 -all"',  # line 6
    'other TXT "v=spf1 ip4:192.0.2.1 -all"',  # line 7
    "main MX 0 .",
    'sel._bimi.main TXT "v=BIMI1; l=https://main.test/l.svg"',  # line 9
    'default._bimi.main TXT "v=BIMI1; l="',  # line 10
]


def places(run_cli: CliRun, path: Path, *args: str) -> dict[tuple[str, str], object]:
    base = ("domain", "main.test", "--offline", "--zone", str(path), "--format", "json")
    doc = json.loads(run_cli(*base, *args).stdout)
    return {
        (s["title"], f["id"]): f["location"]
        for r in doc["reports"]
        for s in r["sections"]
        for f in s["findings"]
    }


def test_sender_and_bimi_selector_findings_point_at_the_record_asked(
    tmp_path: Path, run_cli: CliRun
) -> None:
    """The evaluation for a --sender of another domain is at that domain's SPF record (not the
    checked domain's); BIMI findings are at the --bimi-selector record, not default._bimi."""
    path = tmp_path / "own.zone"
    path.write_text("\n".join(OWN_RECORDS) + "\n")
    spf = places(run_cli, path, "--only", "spf", "--ip", "192.0.2.1", "--sender", "a@other.test")
    assert spf[("SPF of other.test", "spf.evaluation")] == {"source": str(path), "line": 7}
    assert spf[("SPF", "spf.record")] == {"source": str(path), "line": 6}
    bimi = places(run_cli, path, "--only", "bimi", "--bimi-selector", "sel")
    assert bimi[("BIMI", "bimi.record")] == {"source": str(path), "line": 9}
