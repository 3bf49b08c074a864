"""DMARC as receivers judge it: the RFC 9989 tree walk asks every level (its own record does not
make a subdomain its own Organizational Domain), the policy that applies is judged (sp= for a
subdomain, np= for a name that does not exist), passed-over records are named, reports inside
one Organizational Domain need no authorisation, and BIMI eligibility follows the same policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailcheck.checks.mta_sts import FetchOptions
from mailcheck.model import Finding, Report, Status
from mailcheck.net.dns import DnsEngine, DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain

S = Status

ZONE = """$ORIGIN test.
$TTL 300
@ SOA ns.test. h.test. 1 7200 3600 1209600 300
@ NS ns.test.
ns A 127.0.0.1
walk MX 10 mx.walk
mx.walk A 192.0.2.25
_dmarc.walk TXT "v=DMARC1; p=reject; sp=none; np=quarantine; rua=mailto:d@walk.test"
sub.walk MX 10 mx.walk
_dmarc.sub.walk TXT "v=DMARC1; p=reject; rua=mailto:reports@walk.test"
plain.walk MX 10 mx.walk
_dmarc.mid.walk TXT "v=DMARC1; p=none; rua=mailto:d@walk.test"
deep.mid.walk MX 10 mx.walk
default._bimi.plain.walk TXT "v=BIMI1; l=http://bimi.walk.test/logo.svg"
strict MX 10 mx.walk
_dmarc.strict TXT "v=DMARC1; p=reject; rua=mailto:d@strict.test"
sub.strict MX 10 mx.walk
pct MX 10 mx.walk
_dmarc.pct TXT "v=DMARC1; p=reject; pct=50; rua=mailto:d@pct.test"
default._bimi.pct TXT "v=BIMI1; l=https://bimi.walk.test/logo.svg"
pct150 MX 10 mx.walk
_dmarc.pct150 TXT "v=DMARC1; p=reject; pct=150; rua=mailto:d@pct150.test"
default._bimi.pct150 TXT "v=BIMI1; l=https://bimi.walk.test/logo.svg"
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DnsEngine:
    path = tmp_path_factory.mktemp("walk") / "test.zone"
    path.write_text(ZONE)
    return build_engine(DnsOptions(zones=(str(Path(path)),), offline=True))


def run(engine: DnsEngine, domain: str) -> Report:
    request = DomainRequest(families=("mx", "dmarc", "bimi"), fetch=FetchOptions(offline=True))
    return check_domain(parse_domain(domain), engine, request)


def of(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings() if f.id == check_id]


def test_own_record_does_not_make_its_own_organizational_domain(engine: DnsEngine) -> None:
    report = run(engine, "sub.walk.test")
    dmarc = next(s for s in report.sections if s.family == "dmarc")
    assert dmarc.data["org_domain"] == "walk.test"
    # the whole walk was asked, although the domain has its own record
    assert {q.name for q in report.queries} >= {"_dmarc.sub.walk.test", "_dmarc.walk.test"}
    [org] = of(report, "dmarc.org-domain")
    assert org.status is S.INFO and "walk.test" in org.summary
    assert "differs between receivers" not in org.summary
    # reports to the parent, inside one Organizational Domain: no authorisation needed
    assert of(report, "dmarc.rua-unauthorized") == []
    assert [f.status for f in of(report, "dmarc.policy")] == [S.PASS]


def test_subdomain_is_judged_by_sp(engine: DnsEngine) -> None:
    report = run(engine, "plain.walk.test")
    assert of(report, "dmarc.policy") == []
    [none] = of(report, "dmarc.policy-none")
    assert none.status is S.WARN
    assert none.summary.startswith(
        "plain.walk.test: sp=none applies (from _dmarc.walk.test): failing mail is delivered"
    )
    dmarc = next(s for s in report.sections if s.family == "dmarc")
    assert (dmarc.data["applied_tag"], dmarc.data["policy"]) == ("sp", "none")


def test_nonexistent_name_is_judged_by_np(engine: DnsEngine) -> None:
    report = run(engine, "ghost.walk.test")
    [policy] = of(report, "dmarc.policy")
    assert policy.status is S.PASS
    assert policy.summary.startswith("np=quarantine applies (from _dmarc.walk.test)")


def test_passed_over_record_is_named(engine: DnsEngine) -> None:
    report = run(engine, "deep.mid.walk.test")
    [inherited] = of(report, "dmarc.inherited")
    assert "inherited from _dmarc.walk.test (sp=none applies)" in inherited.summary
    assert "_dmarc.mid.walk.test is closer but receivers pass over it" in inherited.summary
    assert of(report, "dmarc.policy-none")


def test_strict_parent_with_subdomain_passes(engine: DnsEngine) -> None:
    """p=reject without sp=: p applies to subdomains too."""
    report = run(engine, "sub.strict.test")
    [policy] = of(report, "dmarc.policy")
    assert policy.status is S.PASS and policy.summary.startswith("p=reject applies (from")


def test_bimi_follows_the_applicable_policy_even_with_a_bad_record(engine: DnsEngine) -> None:
    report = run(engine, "plain.walk.test")
    [eligible] = of(report, "bimi.eligible")
    assert eligible.status is S.FAIL
    assert "sp=none from _dmarc.walk.test" in eligible.summary
    assert any(f.status is S.FAIL for f in of(report, "bimi.record"))


def test_bimi_pct(engine: DnsEngine) -> None:
    [low] = of(run(engine, "pct.test"), "bimi.eligible")
    assert low.status is S.FAIL
    assert "pct=50 applies the policy to 50% of failing mail" in low.summary
    [high] = of(run(engine, "pct150.test"), "bimi.eligible")
    assert high.status is S.PASS, high.summary
    assert "reduces" not in high.summary


def test_unknown_existence_makes_np_or_sp_unknown(engine: DnsEngine) -> None:
    """walk.test has np=quarantine and sp=none: which applies to a subdomain depends on
    whether it exists; when that is unknown (its MX lookup failed), so is the policy."""
    from mailcheck.checks.dmarc import DmarcCheck
    from mailcheck.net.dns.crawl import Crawler

    crawler = Crawler(engine)
    check = DmarcCheck("maybe.walk.test", crawler, domain_exists=lambda: None)
    check.start()
    crawler.run()
    section = check.section()
    [policy] = [f for f in section.findings if f.id == "dmarc.policy"]
    assert policy.status is S.ERROR
    assert "could not determine whether np= or sp= applies" in policy.summary
    assert section.data["policy"] is None
    assert check.effective_policy().unknown


def _psl_names() -> list[str]:
    """A name under every rule of the bundled list (wildcards and exceptions included), in
    its Unicode and ASCII forms, and names under labels the list does not know."""
    from publicsuffixlist import PSLFILE

    with open(PSLFILE, encoding="utf8") as file:
        rules = [r.split(" ")[0].strip() for r in file if r.strip() and not r.startswith("//")]
    names = []
    for rule in rules:
        bare = rule.lstrip("!").replace("*", "wild")
        names += [f"mail.example.{bare}", bare, f"Example.{bare.upper()}."]
        if not bare.isascii():
            names.append("mail.example." + bare.encode("idna").decode("ascii"))
    return [*names, "bench.test", "test", "a.b.c.invalid", "x.y.z.xn--zz-unknown"]


def test_the_public_suffix_list_read_one_top_level_label_at_a_time_answers_as_the_whole() -> None:
    # read for speed (only the rules under the name's last label, punycoded where a rule is
    # not ASCII): every name under every rule, IDN and wildcards included, gets the
    # Organizational Domain the library's whole list gives
    from publicsuffixlist import PublicSuffixList

    from mailcheck.checks.dmarc_walk import psl_org_domain

    whole = PublicSuffixList()
    names = _psl_names()
    assert len(names) > 30_000
    wrong = []
    for name in names:
        expected = whole.privatesuffix(name) or name
        if psl_org_domain(name) != expected:
            wrong.append((name, psl_org_domain(name), expected))
    assert wrong == []
