"""DMARC records, report URIs and the tree-walk targets (RFC 9989 4.10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailcheck.checks.dmarc import Level, discover, psl_org_domain
from mailcheck.records.dmarc import is_dmarc, parse_dmarc, parse_report_uri, walk_targets


def test_tags() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=reject ; sp = quarantine; rua=mailto:a@example.com,mailto:b@x.example!10m;"
    )
    assert record.syntax == ()
    assert record.policy("p") == "reject"
    assert record.policy("sp") == "quarantine"
    uris = record.uris("rua")
    assert [(u.address, u.domain, u.size_limit) for u in uris] == [
        ("a@example.com", "example.com", ""),
        ("b@x.example", "x.example", "10m"),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("p=reject; v=DMARC1", "must start with v=DMARC1"),
        ("v=DMARC1; p=reject; garbage", "'garbage' is not a tag=value pair"),
    ],
)
def test_syntax(text: str, problem: str) -> None:
    assert any(problem in p for p in parse_dmarc(text).syntax)


def test_duplicates_and_unknown() -> None:
    record = parse_dmarc("v=DMARC1; p=none; p=reject; foo=1; pct=50")
    assert record.duplicates == ("p",)
    assert record.policy("p") == "none"
    assert record.unknown == ["foo"]


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        ("v=DMARC1; p=none", True),
        ("v = DMARC1;p=none", True),
        ("v=DMARC1", True),
        ("v=dmarc1; p=none", False),
        ("v=DMARC10; p=none", False),
        ("v=spf1 -all", False),
    ],
)
def test_is_dmarc(text: str, yes: bool) -> None:
    assert is_dmarc(text) is yes


def test_report_uri_errors() -> None:
    assert parse_report_uri("dmarc@example.com").error
    assert parse_report_uri("mailto:nobody").error
    assert parse_report_uri("https://reports.example/dmarc").scheme == "https"


@pytest.mark.parametrize(
    "uri",
    [
        "mailto:[link=http://evil.test]x[/link]@example.com",
        "mailto:<b>x</b>@example.com",
        "mailto:a\x1b[31m@example.com",
        'mailto:"a b"@example.com',
    ],
)
def test_markup_and_controls_are_no_mailto_address(uri: str) -> None:
    """They were accepted as addresses at example.com, so the record passed as reporting."""
    assert parse_report_uri(uri).error == "not a valid mailto: address"


def test_ordinary_addresses_still_parse() -> None:
    for uri in ("mailto:dmarc+rua@example.com", "mailto:a.b-c_d%40@example.com!10m"):
        parsed = parse_report_uri(uri)
        assert (parsed.error, parsed.domain) == ("", "example.com")


def test_walk_targets() -> None:
    assert walk_targets("a.b.example.com") == [
        "a.b.example.com",
        "b.example.com",
        "example.com",
        "com",
    ]
    long = "a.b.c.d.e.f.g.h.i.example"
    targets = walk_targets(long)
    assert len(targets) == 8
    assert targets[:2] == [long, "d.e.f.g.h.i.example"]


def _level(name: str, record: str | None) -> Level:
    return Level(name, None, [record] if record else [])


def test_discover_prefers_author_then_org_domain() -> None:
    levels = [
        _level("a.b.example.com", None),
        _level("b.example.com", "v=DMARC1; p=none"),
        _level("example.com", "v=DMARC1; p=reject"),
        _level("com", None),
    ]
    found = discover("a.b.example.com", levels)
    assert found.org_domain == "example.com"
    assert found.policy_level is levels[2]


def test_discover_psd_n_stops_the_walk() -> None:
    levels = [
        _level("a.b.example.com", None),
        _level("b.example.com", "v=DMARC1; p=none; psd=n"),
        _level("example.com", "v=DMARC1; p=reject"),
        _level("com", None),
    ]
    found = discover("a.b.example.com", levels)
    assert found.org_domain == "b.example.com"
    assert found.policy_level is levels[1]


def test_discover_psd_y_org_is_one_below() -> None:
    levels = [
        _level("a.b.gov.example", None),
        _level("b.gov.example", None),
        _level("gov.example", "v=DMARC1; p=reject; psd=y"),
        _level("example", None),
    ]
    found = discover("a.b.gov.example", levels)
    assert found.org_domain == "b.gov.example"
    assert found.policy_level is levels[2]  # no record at the org domain: the PSD's applies


def test_psl_org_domain() -> None:
    assert psl_org_domain("mail.example.co.uk") == "example.co.uk"
    assert psl_org_domain("example.com") == "example.com"


@given(st.text(max_size=200))
def test_parse_never_raises(text: str) -> None:
    parse_dmarc("v=DMARC1; " + text).uris("rua")
