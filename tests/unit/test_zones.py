"""Zone-file overlays: authoritative answers, file:line origins, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailcheck.errors import InputError
from mailcheck.net.dns import DnsOptions, Outcome, build_engine
from mailcheck.net.dns.zones import load_zones

ZONE = """$ORIGIN example.com.
$TTL 300
@       SOA ns hostmaster 1 3600 600 86400 300
        MX 10 mx
mx      A 192.0.2.10
alias   CNAME mx
out     CNAME www.example.net.
*.wild  TXT "wild"
a.b.c   A 192.0.2.1
txt     TXT ( "part one "
              "part two" )
"""


@pytest.fixture
def zone_file(tmp_path: Path) -> Path:
    path = tmp_path / "example.com.zone"
    path.write_text(ZONE)
    return path


def resolve(zone_file: Path, name: str, rdtype: str, **kw: object):  # type: ignore[no-untyped-def]
    engine = build_engine(DnsOptions(zones=(str(zone_file),), offline=True, **kw))  # type: ignore
    with engine:
        return engine.resolve(name, rdtype)


def test_answers_with_file_and_line(zone_file: Path) -> None:
    answer = resolve(zone_file, "example.com", "MX")
    assert answer.outcome is Outcome.NOERROR
    assert answer.records[0].text == "10 mx.example.com."
    assert str(answer.records[0].origin) == f"{zone_file}:4"
    multi = resolve(zone_file, "txt.example.com", "TXT")
    assert multi.records[0].txt == b"part one part two"
    assert multi.records[0].origin is not None and multi.records[0].origin.line == 10


@pytest.mark.parametrize(
    ("name", "rdtype", "outcome"),
    [
        ("nothere.example.com", "A", Outcome.NXDOMAIN),
        ("mx.example.com", "AAAA", Outcome.NODATA),
        ("b.c.example.com", "A", Outcome.NODATA),  # empty non-terminal (RFC 8020)
        ("x.y.wild.example.com", "TXT", Outcome.NOERROR),  # wildcard (RFC 4592)
        ("example.org", "A", Outcome.OFFLINE),  # outside every zone, and --offline
    ],
)
def test_outcomes(zone_file: Path, name: str, rdtype: str, outcome: Outcome) -> None:
    assert resolve(zone_file, name, rdtype).outcome is outcome


def test_cname_chain(zone_file: Path) -> None:
    answer = resolve(zone_file, "alias.example.com", "A")
    assert [r.text for r in answer.records] == ["192.0.2.10"]
    assert [(c.owner, c.target) for c in answer.cnames] == [("alias.example.com", "mx.example.com")]
    out = resolve(zone_file, "out.example.com", "A")
    assert out.outcome is Outcome.OFFLINE and out.cnames[0].target == "www.example.net"


def test_origin_from_option(tmp_path: Path) -> None:
    path = tmp_path / "zone.txt"
    path.write_text("@ 300 MX 0 .\n")
    engine = build_engine(DnsOptions(zones=(f"example.org={path}",), offline=True))
    assert engine.resolve("example.org", "MX").records[0].text == "0 ."


def test_origin_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "db.example.org"
    path.write_text("@ 300 MX 0 .\n")
    engine = build_engine(DnsOptions(zones=(str(path),), offline=True))
    assert engine.resolve("example.org", "MX").outcome is Outcome.NOERROR


def test_directory_loads_every_zone(tmp_path: Path, zone_file: Path) -> None:
    (tmp_path / "example.net.zone").write_text("$ORIGIN example.net.\n@ 300 A 192.0.2.2\n")
    engine = build_engine(DnsOptions(zones=(str(tmp_path),), offline=True))
    assert engine.resolve("example.net", "A").outcome is Outcome.NOERROR
    assert engine.resolve("mx.example.com", "A").outcome is Outcome.NOERROR


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("$ORIGIN example.com.\n@ 300 IN MX ten mx\n", ":2:"),
        ('$ORIGIN example.com.\n@ 300 IN TXT "unterminated\n', ":2: "),
        ("$ORIGIN example.com.\nfoo 300 IN A 999.1.1.1\n", ":2:"),
        ("@ 300 IN A 192.0.2.1\n", "cannot tell its origin"),
    ],
)
def test_syntax_errors_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        build_engine(DnsOptions(zones=(str(path),), offline=True))
    assert str(path) in info.value.message and message in info.value.message


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        build_engine(DnsOptions(zones=(str(tmp_path / "nope.zone"),), offline=True))
    binary = tmp_path / "x.zone"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        build_engine(DnsOptions(zones=(str(binary),), offline=True))


def test_same_origin_twice_is_an_error(tmp_path: Path, zone_file: Path) -> None:
    copy = tmp_path / "copy.zone"
    copy.write_text(ZONE)
    with pytest.raises(InputError, match=r"two zone files for example\.com"):
        build_engine(DnsOptions(zones=(str(zone_file), str(copy)), offline=True))


def test_one_file_named_twice_is_loaded_once(tmp_path: Path, zone_file: Path) -> None:
    # itself and through its folder, by two spellings of its path, or with its origin given:
    # one file, not "two zone files for example.com"
    for twice in (
        (str(zone_file), str(zone_file.parent)),
        (str(zone_file), str(zone_file.parent / "." / zone_file.name)),
        (f"example.com={zone_file}", f"Example.COM.={zone_file}"),
    ):
        engine = build_engine(DnsOptions(zones=twice, offline=True))
        assert engine.resolve("example.com", "SOA").exists, twice


def test_more_specific_zone_wins(tmp_path: Path, zone_file: Path) -> None:
    sub = tmp_path / "sub.zone"
    sub.write_text("$ORIGIN sub.example.com.\n@ 300 A 192.0.2.99\n")
    engine = build_engine(DnsOptions(zones=(str(zone_file), str(sub)), offline=True))
    answer = engine.resolve("sub.example.com", "A")
    assert answer.records[0].text == "192.0.2.99" and answer.source == str(sub)


# -- hostile input: bounded time, memory and messages ------------------------------------


@pytest.mark.timeout(10)
def test_device_and_fifo_are_refused_before_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.zone"
    os.mkfifo(fifo)
    for spec in ("/dev/zero", str(fifo)):
        with pytest.raises(InputError, match="not a regular file"):
            build_engine(DnsOptions(zones=(f"example.com={spec}",), offline=True))


def test_oversized_zone_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.zone"
    with open(path, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: no disk used
    with pytest.raises(InputError, match="too large"):
        build_engine(DnsOptions(zones=(str(path),), offline=True))


@pytest.mark.timeout(10)
def test_generate_range_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "gen.zone"
    path.write_text("$ORIGIN example.com.\n$TTL 300\n$GENERATE 1-1000000 h$ A 192.0.2.1\n")
    with pytest.raises(InputError, match=r"gen.zone:3: \$GENERATE makes 1000000 records"):
        build_engine(DnsOptions(zones=(str(path),), offline=True))
    path.write_text("$ORIGIN example.com.\n$TTL 300\n$GENERATE 1-100 h$ A 192.0.2.1\n")
    engine = build_engine(DnsOptions(zones=(str(path),), offline=True))
    assert engine.resolve("h100.example.com", "A").outcome is Outcome.NOERROR


def test_error_quotes_a_bounded_excerpt(tmp_path: Path) -> None:
    path = tmp_path / "long.zone"
    path.write_text("$ORIGIN example.com.\n@ 300 IN MX " + "x" * 10_000_000 + "\n")
    with pytest.raises(InputError) as info:
        build_engine(DnsOptions(zones=(str(path),), offline=True))
    assert ":2:" in info.value.message and len(info.value.message) < 1000


def test_txt_larger_than_dns_can_carry_is_flagged(tmp_path: Path) -> None:
    strings = " ".join(f'"{"a" * 250}"' for _ in range(400))  # 100 KB in one record
    path = tmp_path / "example.com.zone"
    path.write_text(f'$ORIGIN example.com.\n_dmarc 300 TXT "v=DMARC1; p=reject" {strings}\n')
    answer = build_engine(DnsOptions(zones=(str(path),), offline=True)).resolve(
        "_dmarc.example.com", "TXT"
    )
    assert answer.outcome is Outcome.ERROR and not answer.records
    assert "more than a DNS message can carry" in answer.detail
    assert f"{path}:2" in answer.detail


@pytest.mark.parametrize("spec", ["", "  ", "example.com="])
def test_an_empty_zone_value_is_refused_not_the_current_folder(spec: str) -> None:
    with pytest.raises(InputError) as caught:
        load_zones([spec])
    assert caught.value.message == f"--zone {spec!r}: give a zone file or a folder of them"


def test_localhost_is_the_loopback_address_without_asking_anyone(tmp_path: Path) -> None:
    """RFC 6761 6.3: address queries for localhost (and names under it) answer the loopback
    addresses, other types nothing; offline too, and a zone file for it still wins."""
    engine = build_engine(DnsOptions(offline=True))
    assert [r.text for r in engine.resolve("localhost", "A").records] == ["127.0.0.1"]
    assert [r.text for r in engine.resolve("mx.LocalHost.", "AAAA").records] == ["::1"]
    answer = engine.resolve("localhost", "MX")
    assert (answer.outcome.value, answer.source) == ("NODATA", "localhost (RFC 6761)")
    zone = tmp_path / "localhost.zone"
    zone.write_text("$ORIGIN localhost.\n@ 300 SOA ns h 1 3600 600 86400 300\n@ 300 A 127.0.0.7\n")
    own = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    assert [r.text for r in own.resolve("localhost", "A").records] == ["127.0.0.7"]
