"""pyspf's DNS goes through our engine, and only while a session is open."""

from __future__ import annotations

from pathlib import Path

from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.net.dns.adapters import spf_session


def zone_engine(tmp_path: Path, txt: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"zone{abs(hash(txt))}.zone"
    path.write_text(
        f'$ORIGIN example.com.\n@ 300 TXT "{txt}"\n_dmarc 300 TXT "v=DMARC1; p=reject"\n'
        f'sel._domainkey 300 TXT "v=DKIM1; " "p=abc"\n'
    )
    return build_engine(DnsOptions(zones=(str(path),), offline=True))


def test_pyspf_uses_the_engine(tmp_path: Path) -> None:
    import spf

    engine = zone_engine(tmp_path, "v=spf1 ip4:192.0.2.0/24 -all")
    with spf_session(engine):
        assert spf.query(i="192.0.2.5", s="a@example.com", h="example.com").check()[0] == "pass"
        assert spf.query(i="203.0.113.5", s="a@example.com", h="example.com").check()[0] == "fail"
        # outside the zone, offline: a DNS error, so temperror, never none
        assert spf.query(i="192.0.2.5", s="a@example.org", h="x").check()[0] == "temperror"
