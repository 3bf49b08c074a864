"""SPF evaluation (--ip/--sender/--helo): the result shows under the record that was evaluated
(the sender's domain), and the hint fits the result."""

from __future__ import annotations

from collections.abc import Callable

from mailcheck.model import Report
from mailcheck.net.dns import DnsEngine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain


def run(engine: DnsEngine, domain: str, **request: object) -> Report:
    return check_domain(parse_domain(domain), engine, DomainRequest(**request))  # type: ignore


def test_sender_of_another_domain_is_shown_under_its_record(
    make_engine: Callable[..., DnsEngine],
) -> None:
    report = run(make_engine(), "clean.test", ip="203.0.113.9", sender="alice@spf-soft.test")
    spf = [s for s in report.sections if s.family == "spf"]
    assert [s.title for s in spf] == ["SPF", "SPF of spf-soft.test"]
    assert not [f for f in spf[0].findings if f.id == "spf.evaluation"]
    [evaluation] = spf[1].findings
    assert evaluation.subject == "spf-soft.test"
    assert evaluation.summary.startswith("203.0.113.9 → softfail")
    assert spf[1].headline.startswith("spf-soft.test: v=spf1")
    assert "add it to spf-soft.test's SPF record" in evaluation.hint


def test_permerror_hint_names_the_cause(make_engine: Callable[..., DnsEngine]) -> None:
    report = run(make_engine(), "spf-limit.test", ip="203.0.113.9")
    [evaluation] = [f for f in report.findings() if f.id == "spf.evaluation"]
    assert "permerror" in evaluation.summary
    assert "broken for every receiver" in evaluation.hint
    assert "add" not in evaluation.hint.lower().split("(")[0]
