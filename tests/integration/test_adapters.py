"""The libraries' DNS goes through our engine: checkdmarc, pyspf and dkimpy."""

from __future__ import annotations

from pathlib import Path

import dns.exception
import pytest

from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.net.dns.adapters import (
    DkimKeyLookupError,
    EngineNameserver,
    checkdmarc_session,
    dkim_dnsfunc,
    spf_session,
)


def zone_engine(tmp_path: Path, txt: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"zone{abs(hash(txt))}.zone"
    path.write_text(
        f'$ORIGIN example.com.\n@ 300 TXT "{txt}"\n_dmarc 300 TXT "v=DMARC1; p=reject"\n'
        f'sel._domainkey 300 TXT "v=DKIM1; " "p=abc"\n'
    )
    return build_engine(DnsOptions(zones=(str(path),), offline=True))


def test_checkdmarc_queries_reach_the_engine(tmp_path: Path) -> None:
    import checkdmarc.utils

    engine = zone_engine(tmp_path, "v=spf1 -all")
    with checkdmarc_session(engine) as nameservers:
        records = checkdmarc.utils.query_dns("example.com", "TXT", nameservers=nameservers)
        dmarc = checkdmarc.utils.query_dns("_dmarc.example.com", "TXT", nameservers=nameservers)
    assert records == ["v=spf1 -all"]
    assert dmarc == ["v=DMARC1; p=reject"]
    assert {(q.name, q.rdtype) for q in engine.log()} == {
        ("example.com", "TXT"),
        ("_dmarc.example.com", "TXT"),
    }


def test_checkdmarc_caches_do_not_leak_between_runs(tmp_path: Path) -> None:
    import checkdmarc.utils

    first, second = zone_engine(tmp_path, "v=spf1 -all"), zone_engine(tmp_path, "v=spf1 ~all")
    with checkdmarc_session(first) as ns:
        assert checkdmarc.utils.query_dns("example.com", "TXT", nameservers=ns) == ["v=spf1 -all"]
    with checkdmarc_session(second) as ns:
        assert checkdmarc.utils.query_dns("example.com", "TXT", nameservers=ns) == ["v=spf1 ~all"]


def test_checkdmarc_never_falls_back_to_the_system_resolver(tmp_path: Path) -> None:
    import checkdmarc.utils

    engine = zone_engine(tmp_path, "v=spf1 -all")
    with checkdmarc_session(engine) as ns, pytest.raises(dns.exception.DNSException):
        checkdmarc.utils.query_dns("example.org", "TXT", nameservers=ns)
    assert [q.outcome for q in engine.log()] == ["OFFLINE"]


def test_nameserver_answers_nxdomain(tmp_path: Path) -> None:
    import dns.message
    import dns.rcode

    engine = zone_engine(tmp_path, "v=spf1 -all")
    request = dns.message.make_query("nothere.example.com", "A")
    response = EngineNameserver(engine).query(request, 1.0, None, 0, False)
    assert response.rcode() == dns.rcode.NXDOMAIN


def test_pyspf_uses_the_engine(tmp_path: Path) -> None:
    import spf

    engine = zone_engine(tmp_path, "v=spf1 ip4:192.0.2.0/24 -all")
    with spf_session(engine):
        assert spf.query(i="192.0.2.5", s="a@example.com", h="example.com").check()[0] == "pass"
        assert spf.query(i="203.0.113.5", s="a@example.com", h="example.com").check()[0] == "fail"
        # outside the zone, offline: a DNS error, so temperror, never none
        assert spf.query(i="192.0.2.5", s="a@example.org", h="x").check()[0] == "temperror"


def test_dkim_dnsfunc(tmp_path: Path) -> None:
    engine = zone_engine(tmp_path, "v=spf1 -all")
    lookup = dkim_dnsfunc(engine)
    assert lookup(b"sel._domainkey.example.com.") == b"v=DKIM1; p=abc"
    assert lookup(b"nope._domainkey.example.com.") is None
    with pytest.raises(DkimKeyLookupError):
        lookup(b"sel._domainkey.example.org.")
