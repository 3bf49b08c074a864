"""A domain's checks walking ahead (services.domain_plan.walk_ahead) follow its chains of
lookups by themselves, as the answers arrive, to the end: every question the real checks
ask by DNS, and none that they do not. The real checks then find them all answered, and
the engine counts no cache hit for that."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from mailcheck.net.dns.engine import DnsEngine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import check_domain
from mailcheck.services.domain_plan import walk_ahead
from mailcheck.services.domain_request import DomainRequest


def _asked(engine: DnsEngine) -> set[tuple[str, str]]:
    return {(line.name, line.rdtype) for line in engine.log()}


def _settled(engine: DnsEngine) -> set[tuple[str, str]]:
    """The questions asked once no new one has come for a while (walking ahead has no end
    to wait for: it is never run, its continuations follow the answers)."""
    seen: set[tuple[str, str]] = set()
    quiet_since = time.monotonic()
    limit = time.monotonic() + 20
    while time.monotonic() < limit:
        now = _asked(engine)
        if now != seen:
            seen, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since > 1.0:
            return seen
        time.sleep(0.05)
    raise AssertionError("walking ahead never settled")


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("domain", "deepest"),
    [
        # includes three levels down, then the a: terms of the last one
        ("spf-limit.test", ("h8.spf-limit.test", "A")),
        # MX -> the exchange's address -> its PTR
        ("clean.test", ("10.2.0.192.in-addr.arpa", "PTR")),
        # _domainkey exists -> the selectors past the first few
        ("dkim.test", ("google._domainkey.dkim.test", "TXT")),
    ],
)
def test_walking_ahead_asks_what_the_checks_ask_and_nothing_else(
    make_engine: Callable[..., DnsEngine], domain: str, deepest: tuple[str, str]
) -> None:
    request = DomainRequest()
    ahead = make_engine()
    view = ahead.scoped()
    walk_ahead(view, domain, request)
    walked = _settled(ahead)
    assert deepest in walked

    ordinary = make_engine()
    with ordinary.scoped() as mine:
        expected = check_domain(parse_domain(domain), mine, request)
    checked = _asked(ordinary)
    # the checks also fetch (HTTPS) and ask name servers directly: walking ahead leaves
    # those to them; every DNS question they ask through the engine was walked
    assert walked == checked

    # the checks, in the view walked ahead: everything answered, no hit counted for it
    queries = ahead.stats().queries
    report = check_domain(parse_domain(domain), view, request)
    assert ahead.stats().queries == queries
    assert ahead.stats().cache_hits == ordinary.stats().cache_hits
    assert report.dns is not None and expected.dns is not None
    assert report.dns.queries == expected.dns.queries > 10
    assert report.dns.errors == expected.dns.errors
    assert report.sections == expected.sections
