"""The SPF grammar (RFC 7208 section 12), table-driven, plus a property: never crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailcheck.records.spf import check_domain_spec, expand_domain_spec, parse_spf, select_spf


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("v=spf1 -all", None),
        ("v=spf1 a mx ptr -all", None),
        ("v=spf1 a:mail.example.com/24//64 mx/28 -all", None),
        ("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all", None),
        ("v=spf1 include:_spf.example.net redirect=_spf.example.org", None),
        ("v=spf1 exists:%{i}._spf.%{d} -all", None),
        ("v=spf1 -all exp=explain.%{d}", None),
        ("v=spf1 -all foo=bar", None),  # unknown modifiers are ignored
        ("v=spf1 ip4:192.0.2.300 -all", "invalid IPv4 address"),
        ("v=spf1 ip4:192.0.2.1/33", "invalid IPv4 prefix length"),
        ("v=spf1 ip4:192.0.2.01", "invalid IPv4 address"),
        ("v=spf1 ip6:2001:db8::zz", "invalid IPv6 address"),
        ("v=spf1 ip6:2001:db8::/129", "invalid IPv6 prefix length"),
        ("v=spf1 moo -all", "unknown mechanism 'moo'"),
        ("v=spf1 include -all", "include requires ':domain'"),
        ("v=spf1 include:example -all", "not a fully qualified domain name"),
        ("v=spf1 include:example.123 -all", "invalid top-level label"),
        ("v=spf1 a:%{z}.example.com", "invalid macro"),
        ("v=spf1 exists:%{c}.example.com", "only allowed in exp="),
        ("v=spf1 a:example.com/40", "invalid IPv4 prefix length"),
        ("v=spf1 all:foo", "takes no argument"),
        ("v=spf1 redirect=a.example redirect=b.example", "appears more than once"),
        ("v=spf1 a:caf\u00e9.example -all", "non-ASCII"),
        (
            "v=spf1 a:x.example\r -all",
            "control or non-ASCII characters inside the term 'a:x.example\r'",
        ),
    ],
)
def test_grammar(text: str, problem: str | None) -> None:
    record = parse_spf(text)
    if problem is None:
        assert record.valid, record.problems()
    else:
        assert any(problem in p for p in record.problems()), record.problems()


def test_terms_and_qualifiers() -> None:
    record = parse_spf("v=spf1 +a -mx ~ptr ?include:x.example ip4:192.0.2.1 all")
    assert [(t.name, t.result) for t in record.mechanisms] == [
        ("a", "pass"),
        ("mx", "fail"),
        ("ptr", "softfail"),
        ("include", "neutral"),
        ("ip4", "pass"),
        ("all", "pass"),
    ]
    assert [t.queries_dns for t in record.mechanisms] == [True, True, True, True, False, False]


def test_reachable_stops_at_all() -> None:
    record = parse_spf("v=spf1 a -all include:never.example")
    assert [t.name for t in record.reachable] == ["a", "all"]


def test_dual_cidr() -> None:
    term = parse_spf("v=spf1 a:mail.example.com/24//64").terms[0]
    assert (term.value, term.cidr4, term.cidr6) == ("mail.example.com", 24, 64)
    term = parse_spf("v=spf1 mx//48").terms[0]
    assert (term.value, term.cidr4, term.cidr6) == (None, None, 48)


def test_select_spf_needs_space_or_end() -> None:
    texts = [b"v=spf1 -all", b"v=spf10 -all", b"v=spf1", b"other", b"V=SPF1 a"]
    assert select_spf(texts) == [b"v=spf1 -all", b"v=spf1", b"V=SPF1 a"]


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("example.com", True),
        ("%{d}", True),
        ("_spf.%{d2}", True),
        ("a..example", False),
        ("x" * 64 + ".example", False),
        ("%{ir}.%{v}._spf.%{d}", True),
    ],
)
def test_domain_spec(spec: str, ok: bool) -> None:
    assert (check_domain_spec(spec) is None) is ok


@pytest.mark.parametrize(
    ("spec", "expanded"),
    [
        ("%{d}.mac.example", "a.b.example.com.mac.example"),
        ("%{d2}", "example.com"),
        ("%{dr}", "com.example.b.a"),
        ("%{d2r}", "b.a"),
        ("%{o}", "example.com"),
        ("%{o1r}.x", "example.x"),
        ("%{d1-}", "a.b.example.com"),  # no '-' in it: one part
        ("%{D}", "a.b.example.com"),
        ("%{d}.", "a.b.example.com"),
        ("%%x.%{d1}", "%x.com"),
        ("plain.example", "plain.example"),
        # known only with a message: per sender, IP or HELO
        ("%{i}._spf.%{d}", None),
        ("%{l}.%{d}", None),
        ("%{s}", None),
        ("%{h}.example", None),
        ("%{ir}.%{v}.example", None),
        ("%{p}.example", None),
        ("%{z}.example", None),
    ],
)
def test_domain_only_macros_expand(spec: str, expanded: str | None) -> None:
    assert expand_domain_spec(spec, "a.b.example.com", "example.com") == expanded


def test_expansion_longer_than_253_loses_labels_on_the_left() -> None:
    domain = ".".join(["x" * 60] * 4) + ".example"  # 252 characters
    name = expand_domain_spec("%{d}.extra", domain, domain)
    assert name is not None and len(name) <= 253
    assert name == ".".join(["x" * 60] * 3) + ".example.extra"


@given(st.text(max_size=300))
def test_parse_never_raises(text: str) -> None:
    record = parse_spf("v=spf1 " + text)
    assert isinstance(record.problems(), list)
