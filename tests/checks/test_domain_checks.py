"""`mailcheck domain` checks against the test zones, served two ways: a DNS server on
loopback (through --nameserver) and the zone files themselves (--zone --offline)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mailcheck.model import Finding, Report, Status
from mailcheck.net.dns import DnsEngine, DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.checks.cases import case_table, describe, has

S = Status

# (domain, check id, status, text that must appear in the summary)
CASES = [
    # MX
    ("nullmx.test", "mx.null", S.INFO, "accepts no mail"),
    ("nullmixed.test", "mx.null-mixed", S.FAIL, "mx1.clean.test"),
    ("mxcname.test", "mx.cname-target", S.FAIL, "alias.mxcname.test is a CNAME to mx1.clean.test"),
    (
        "mxloop.test",
        "mx.cname-target",
        S.FAIL,
        "loop1.mxloop.test is a CNAME, and its chain does not end at a host "
        "(loop1.mxloop.test → loop2.mxloop.test → loop1.mxloop.test): SERVFAIL from ",
    ),
    ("mxip.test", "mx.ip-literal", S.FAIL, "192.0.2.10 is an IP address"),
    ("mxnoaddr.test", "mx.host-address", S.FAIL, "nowhere.mxnoaddr.test has no A or AAAA"),
    ("nomx.test", "mx.missing", S.WARN, "implicit MX"),
    ("nomxnoaddr.test", "mx.missing", S.FAIL, "cannot receive mail"),
    ("single.test", "mx.single", S.INFO, "only one MX host"),
    ("clean.test", "mx.host-address", S.PASS, "every MX host resolves (4 addresses)"),
    ("ipv4only.test", "mx.ipv6", S.INFO, "no MX host has an IPv6"),
    ("noptr.test", "mx.fcrdns", S.WARN, "192.0.2.50 (host.noptr.test) has no PTR record"),
    ("noptr.test", "mx.fcrdns", S.WARN, "PTR somewhere-else.test resolves to nothing"),
    ("private.test", "mx.private-address", S.WARN, "10.0.0.5"),
    ("nonexistent.test", "domain.exists", S.FAIL, "does not exist"),
    ("clean.test", "mx.records", S.PASS, "mx1.clean.test (10), mx2.clean.test (20)"),
    ("clean.test", "mx.fcrdns", S.PASS, "resolves back"),
    # SPF
    ("spf-none.test", "spf.missing", S.FAIL, "no SPF record"),
    ("spf-multi.test", "spf.multiple", S.FAIL, "2 SPF records"),
    ("spf-syntax.test", "spf.syntax", S.FAIL, "invalid IPv4 address '192.0.2.300'"),
    ("spf-syntax.test", "spf.syntax", S.FAIL, "unknown mechanism 'moo'"),
    (
        "spf-split.test",
        "spf.string-split",
        S.WARN,
        'read as "include:_spf.provider.testinclude:_spf.other.test"',
    ),
    ("spf-long.test", "spf.length", S.WARN, "bytes"),
    ("spf-type99.test", "spf.type99", S.WARN, "type 99"),
    (
        "spf-limit.test",
        "spf.lookup-limit",
        S.FAIL,
        "14 DNS-querying terms in the tree (limit 10); evaluation stops with permerror at the "
        "11th: a:h8.spf-limit.test inside l4.spf-limit.test",
    ),
    ("spf-nine.test", "spf.lookup-limit", S.INFO, "9 of 10 DNS lookups: one more include fits"),
    ("clean.test", "spf.lookup-limit", S.PASS, "2 of 10 DNS lookups"),
    ("spf-void.test", "spf.void-lookups", S.FAIL, "3 for every sender (limit 2): permerror"),
    ("spf-void2.test", "spf.void-lookups", S.WARN, "'a:gone1.spf-void.test'"),
    ("spf-loop.test", "spf.include-loop", S.FAIL, "include:spf-loop.test leads back"),
    ("spf-incmiss.test", "spf.include-missing", S.FAIL, "nothere.spf-incmiss.test does not exist"),
    ("spf-redirmiss.test", "spf.include-missing", S.FAIL, "redirect=nothere.spf-incmiss.test"),
    ("spf-plusall.test", "spf.all-pass", S.FAIL, "passes every host"),
    ("spf-neutral.test", "spf.all-neutral", S.WARN, "neutral"),
    ("spf-noall.test", "spf.all-missing", S.WARN, "no 'all'"),
    ("spf-soft.test", "spf.softfail-all", S.INFO, "~all"),
    ("spf-ptr.test", "spf.ptr", S.WARN, "'ptr'"),
    ("spf-redirall.test", "spf.redirect-ignored", S.INFO, "never used"),
    ("spf-redirect.test", "spf.fail-all", S.PASS, "reached by redirect"),
    ("spf-exp.test", "spf.exp", S.INFO, "%{i} is not one of our hosts"),
    ("spf-macro.test", "spf.macros", S.INFO, "exists:%{i}._spf.spf-macro.test"),
    (
        "spf-dlong.test",
        "spf.include-missing",
        S.FAIL,
        "not a valid domain name (a label longer than 63 characters): permerror",
    ),
    (
        "spf-dvoid.test",
        "spf.void-lookups",
        S.WARN,
        "'a:%{d}.nx.provider.test' (spf-dvoid.test.nx.provider.test) in spf-dvoid.test",
    ),
    ("spf-mxlimit.test", "spf.mx-limit", S.FAIL, "11 MX records (limit 10)"),
    ("spf-broad.test", "spf.broad-range", S.WARN, "16,777,216 addresses"),
    ("spf-nonascii.test", "spf.syntax", S.FAIL, "non-ASCII"),
    # DMARC
    ("dmarc-none.test", "dmarc.missing", S.FAIL, "no DMARC record"),
    ("dmarc-multi.test", "dmarc.multiple", S.FAIL, "2 DMARC records"),
    (
        "sub.dmarc-parent.test",
        "dmarc.inherited",
        S.INFO,
        "inherited from _dmarc.dmarc-parent.test (sp=quarantine applies)",
    ),
    ("dmarc-apex.test", "dmarc.record-at-apex", S.WARN, "no effect"),
    ("dmarc-syntax.test", "dmarc.syntax", S.FAIL, "'this is wrong' is not a tag=value pair"),
    ("dmarc-pnone.test", "dmarc.policy-none", S.WARN, "p=none"),
    ("dmarc-nop.test", "dmarc.policy-invalid", S.FAIL, "p= is missing: treated as p=none"),
    ("dmarc-badp.test", "dmarc.policy-invalid", S.FAIL, "invalid ('block')"),
    ("dmarc-weaksp.test", "dmarc.subdomain-policy", S.WARN, "sp=none is weaker than p=reject"),
    ("dmarc-pct.test", "dmarc.pct", S.WARN, "50% of failing mail"),
    ("dmarc-pct150.test", "dmarc.pct", S.WARN, "pct=150 is out of range"),
    ("dmarc-testing.test", "dmarc.testing", S.WARN, "t=y"),
    ("dmarc-align.test", "dmarc.alignment", S.WARN, "aspf=x is not r or s"),
    ("dmarc-align.test", "dmarc.alignment", S.INFO, "adkim=s"),
    ("dmarc-psd.test", "dmarc.psd", S.WARN, "psd=y"),
    ("dmarc-fo.test", "dmarc.fo", S.WARN, "fo=0:1:x is invalid"),
    ("dmarc-removed.test", "dmarc.removed-tag", S.INFO, "rf="),
    ("dmarc-removed.test", "dmarc.removed-tag", S.INFO, "ri="),
    ("dmarc-unknown.test", "dmarc.unknown-tag", S.WARN, "foo="),
    ("dmarc-norua.test", "dmarc.no-rua", S.WARN, "no aggregate reports"),
    ("dmarc-baduri.test", "dmarc.report-uri", S.FAIL, "needs a scheme"),
    ("dmarc-ext.test", "dmarc.rua-unauthorized", S.PASS, "reports.test accepts reports"),
    (
        "dmarc-unauth.test",
        "dmarc.rua-unauthorized",
        S.FAIL,
        "reports.test has not authorised reports for dmarc-unauth.test",
    ),
    ("dmarc-nomail.test", "dmarc.report-domain-mail", S.FAIL, "null MX"),
    ("dmarc-ruf.test", "dmarc.ruf", S.INFO, "failure reports"),
    (
        "a.b.orgtest.test",
        "dmarc.org-domain",
        S.WARN,
        "RFC 9989 (tree walk) uses _dmarc.b.orgtest.test, RFC 7489 (Public Suffix List, "
        "Organizational Domain orgtest.test) uses no record",
    ),
    ("clean.test", "dmarc.policy", S.PASS, "p=reject"),
]

# The server misbehaves on purpose for these names (SERVFAIL): no zone file can do that.
SERVER_CASES = [
    ("spf-dnserr.test", "spf.dns-error", S.ERROR, "SERVFAIL"),
    ("dmarc-servfail.test", "dmarc.report-domain-mail", S.ERROR, "SERVFAIL"),
    ("mxservfail.test", "mx.host-address", S.ERROR, "SERVFAIL"),
]


def run(engine: DnsEngine, domain: str, **request: object) -> Report:
    return check_domain(parse_domain(domain), engine, DomainRequest(**request))  # type: ignore


@case_table(CASES)
def test_finding(engine: DnsEngine, domain: str, check_id: str, status: Status, text: str) -> None:
    report = run(engine, domain)
    assert has(report, check_id, status, text), describe(report)


@case_table(SERVER_CASES)
def test_server_failure_finding(
    make_engine: Callable[..., DnsEngine], domain: str, check_id: str, status: Status, text: str
) -> None:
    report = run(make_engine(), domain)
    assert has(report, check_id, status, text), describe(report)
    assert not [f for f in report.findings() if "broken-ns" in f.summary and f.status is S.FAIL]


@pytest.mark.parametrize("domain", ["clean.test", "xn--bcher-kva.test"])
def test_clean_domain_has_no_problem(engine: DnsEngine, domain: str) -> None:
    report = run(engine, domain)
    problems = [f for f in report.findings() if f.status in (S.WARN, S.FAIL, S.ERROR)]
    assert problems == [], describe(report)
    assert report.status in (S.PASS, S.INFO)


def test_an_mx_host_in_a_cname_loop_gets_no_target_to_point_at(engine: DnsEngine) -> None:
    """A loop has no canonical name: the finding said 'loop1.mxloop.test is a CNAME to
    loop1.mxloop.test' and advised pointing the MX at the very name it names."""
    [item] = [f for f in run(engine, "mxloop.test").findings() if f.id == "mx.cname-target"]
    assert item.status is S.FAIL
    assert item.hint == "Point the MX at a host name with its own A or AAAA records."
    assert item.summary.endswith(": CNAME loop")


def test_idn_is_shown_both_ways(engine: DnsEngine) -> None:
    report = run(engine, "bücher.test")
    assert report.subject == "xn--bcher-kva.test"
    assert report.display == "bücher.test"
    idn = [f for f in report.findings() if f.id == "domain.idn"]
    assert idn and "bücher.test is xn--bcher-kva.test" in idn[0].summary


def test_dead_resolver_gives_errors_within_the_budget(dns_server: object) -> None:
    # A port where nothing answers DNS: every lookup ends as ERROR, nothing as FAIL.
    engine = build_engine(DnsOptions(nameservers=("127.0.0.1:9",), timeout=0.2, deadline=3))
    with engine:
        report = run(engine, "clean.test")
    statuses = {f.status for f in report.findings()}
    assert statuses == {S.ERROR}
    assert report.duration < 3.5


def test_timeouts_are_errors(make_engine: Callable[..., DnsEngine]) -> None:
    report = run(make_engine(timeout=0.2), "mxslow.test")
    assert [f.status for f in report.findings() if f.id == "mx.host-address"] == [S.ERROR]
    assert "TIMEOUT" in describe(report)


@pytest.mark.parametrize(
    ("ip", "result", "status", "matched"),
    [
        ("198.51.100.7", "pass", S.PASS, "include:_spf.provider.test"),
        ("192.0.2.10", "pass", S.PASS, "mx"),
        ("203.0.113.9", "fail", S.FAIL, "-all"),
    ],
)
def test_spf_evaluation(
    engine: DnsEngine, ip: str, result: str, status: Status, matched: str
) -> None:
    report = run(engine, "clean.test", ip=ip, sender="alice@clean.test")
    found = [f for f in report.findings() if f.id == "spf.evaluation"]
    assert len(found) == 1, describe(report)
    assert found[0].status is status
    assert f"{ip} → {result}, matched '{matched}'" in found[0].summary


def test_spf_evaluation_softfail(engine: DnsEngine) -> None:
    report = run(engine, "spf-soft.test", ip="203.0.113.9")
    found = [f for f in report.findings() if f.id == "spf.evaluation"]
    assert found[0].status is S.WARN and "softfail" in found[0].summary


def test_spf_evaluation_permerror_on_lookup_limit(engine: DnsEngine) -> None:
    report = run(engine, "spf-limit.test", ip="203.0.113.9")
    found = [f for f in report.findings() if f.id == "spf.evaluation"]
    assert found[0].status is S.FAIL and "permerror" in found[0].summary


def test_spf_tree_data(engine: DnsEngine) -> None:
    report = run(engine, "spf-limit.test")
    spf = next(s for s in report.sections if s.family == "spf")
    tree = spf.data["tree"]
    assert tree.total_lookups == 14
    assert tree.direct_terms == ("a", "mx")
    labels = [c.label for c in tree.children]
    assert labels == [
        "include:l1.spf-limit.test",
        "include:l2.spf-limit.test",
        "include:l3.spf-limit.test",
    ]
    assert tree.children[1].children[0].label == "include:l4.spf-limit.test"


def test_spf_domain_macros_are_followed_and_counted(engine: DnsEngine) -> None:
    """%{d} (the record's own domain, at every level) and %{o} (the domain checked) need no
    message: the includes they name are followed and their lookups counted."""
    report = run(engine, "spf-dmacro.test")
    spf = next(s for s in report.sections if s.family == "spf")
    [limit] = [f for f in spf.findings if f.id == "spf.lookup-limit"]
    assert (limit.status, limit.summary) == (S.PASS, "5 of 10 DNS lookups"), describe(report)
    tree = spf.data["tree"]
    assert [c.label for c in tree.children] == [
        "include:%{d}.mac.provider.test (spf-dmacro.test.mac.provider.test)",
        "include:%{o1r}.x.provider.test (spf-dmacro.x.provider.test)",
    ]
    assert tree.children[0].children[0].label == "include:_s.spf-dmacro.test"
    assert (tree.total_lookups, tree.total_exact) == (5, True)
    # only the per-message macro is called so
    [macros] = [f for f in spf.findings if f.id == "spf.macros"]
    assert (
        macros.summary
        == "_s.spf-dmacro.test: macros expanded per message: exists:%{i}.z.provider.test"
    )
    assert not [f for f in spf.findings if f.status in (S.ERROR, S.FAIL)], describe(report)


def test_spf_domain_macro_giving_no_domain_name_is_permerror_as_evaluated(
    engine: DnsEngine,
) -> None:
    """%{d1} and 62 letters make a 66-character label: no name to ask (RFC 7208 4.3), so the
    include is permerror, as pyspf evaluates it, not DNS trouble."""
    report = run(engine, "spf-dlong.test", ip="192.0.2.1")
    found = {f.id: f for f in report.findings() if f.id.startswith("spf.")}
    assert found["spf.include-missing"].status is S.FAIL
    assert "spf.dns-error" not in found, describe(report)
    assert found["spf.lookup-limit"].status is S.PASS
    assert "permerror" in found["spf.evaluation"].summary


@pytest.mark.parametrize(("ip", "result"), [("192.0.2.1", "pass"), ("192.0.2.2", "fail")])
def test_spf_domain_macro_term_giving_no_domain_name_never_matches_as_evaluated(
    engine: DnsEngine, ip: str, result: str
) -> None:
    """a:, mx: and exists: whose %{d1} and 62 letters make a 66-character label: no name to
    ask, so each term matches nothing and is no void lookup (pyspf, --ip, agrees; RFC 7208
    leaves it undefined), not DNS trouble; exp= naming no domain name shows no explanation."""
    report = run(engine, "spf-dlong-a.test", ip=ip)
    spf = [f for f in report.findings() if f.id.startswith("spf.")]
    assert not [f for f in spf if f.status is S.ERROR], describe(report)
    [evaluation] = [f for f in spf if f.id == "spf.evaluation"]
    assert f"{ip} → {result}" in evaluation.summary, describe(report)
    never = [f.summary for f in spf if f.id == "spf.macros" and f.status is S.WARN]
    assert [s.split("'")[1].split(":")[0] for s in never] == ["a", "mx", "exists"], never
    assert all("(a label longer than 63 characters): it never matches" in s for s in never)
    found = {f.id: f for f in spf}
    assert (found["spf.lookup-limit"].status, found["spf.lookup-limit"].summary) == (
        S.PASS,
        "3 of 10 DNS lookups",
    )
    assert "spf.void-lookups" not in found, describe(report)  # no void lookup, no ERROR
    assert found["spf.exp"].status is S.WARN
    assert "no explanation is shown" in found["spf.exp"].summary


@pytest.mark.parametrize(
    ("ip", "matched"),
    [
        ("198.51.100.9", "include:%{d}.mac.provider.test"),  # through %{d}
        ("203.0.113.7", "include:%{o1r}.x.provider.test"),  # through %{o1r}
        ("203.0.113.44", "include:%{d}.mac.provider.test"),  # %{d2} of _s.spf-dmacro.test
    ],
)
def test_spf_domain_macros_evaluate_as_the_tree_says(
    engine: DnsEngine, ip: str, matched: str
) -> None:
    report = run(engine, "spf-dmacro.test", ip=ip)
    [found] = [f for f in report.findings() if f.id == "spf.evaluation"]
    assert f"{ip} → pass, matched '{matched}'" in found.summary, describe(report)


def test_only_skip_limit_work(engine: DnsEngine) -> None:
    report = run(engine, "clean.test", families=("spf",))
    assert {s.family for s in report.sections} == {"spf"}


def findings_of(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings() if f.id == check_id]


def test_results_do_not_depend_on_answer_order(
    make_engine: Callable[..., DnsEngine], dns_server: object
) -> None:
    """Two runs against a server that answers in a different order give the same report."""
    first = run(make_engine(), "spf-limit.test")
    second = run(make_engine(concurrency=1), "spf-limit.test")
    assert describe(first) == describe(second)


def test_one_mx_address_is_one_address(tmp_path: Path) -> None:
    """It said "every MX host resolves (1 addresses)"."""
    from mailcheck import Dns, check_domain

    zone = tmp_path / "one.test.zone"
    zone.write_text(
        "$ORIGIN one.test.\n$TTL 300\n@ SOA ns hm 1 7200 3600 1209600 3600\n@ NS ns\n"
        "ns A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.25\n"
    )
    report = check_domain("one.test", dns=Dns(zones=[str(zone)], offline=True))
    [item] = [f for f in report.findings() if f.id == "mx.host-address"]
    assert (item.status, item.summary) == (S.PASS, "every MX host resolves (1 address)")


def test_fcrdns_does_not_depend_on_the_order_of_the_ptr_records(tmp_path: Path) -> None:
    """An MX address with 12 PTR names (10 are followed), of which one resolves back: which
    names were followed, and so the verdict, came from the order the server listed them in
    (resolvers rotate records): PASS one run, WARN the next. Both orders now agree."""
    names = [f"n{i:02}.fc.test." for i in range(12)]  # n00 resolves back to the address
    found = []
    for order in (names, names[::-1]):
        ptrs = "".join(f"1 PTR {name}\n" for name in order)
        (tmp_path / "fc.zone").write_text(
            "$ORIGIN fc.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n"
            "@ MX 10 mx\nmx A 192.0.2.1\nn00 A 192.0.2.1\n"
        )
        (tmp_path / "rev.zone").write_text(
            "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n"
            "@ SOA ns.fc.test. hostmaster.fc.test. 1 3600 600 86400 300\n" + ptrs
        )
        zones = (str(tmp_path / "fc.zone"), str(tmp_path / "rev.zone"))
        with build_engine(DnsOptions(zones=zones, offline=True)) as engine:
            report = run(engine, "fc.test")
        found.append([(f.status, f.summary) for f in report.findings() if f.id == "mx.fcrdns"])
    assert found[0] == found[1]
    assert [status for status, _summary in found[0]] == [S.PASS]
