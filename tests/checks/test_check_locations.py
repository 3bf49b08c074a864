"""Each check places its findings at the zone file line of the record it judged when it creates
them, without the domain service: a DMARC policy inherited from the organizational domain at
that domain's record, a DKIM key's findings at their selector's record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailcheck.checks.dkim import DkimCheck
from mailcheck.checks.dmarc import DmarcCheck
from mailcheck.model import Location, Section
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.net.dns.crawl import Crawler

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
