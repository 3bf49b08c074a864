"""Which checks a domain gets, each started as soon as its code is loaded; and the same checks
walking ahead of a run, so that a domain's chains of lookups wait for the network only.

A family's first questions leave as soon as its module is imported, before the next one is
(the check modules take ~30 ms to load). `walk_ahead` runs the same plan with a crawler
whose continuations run the moment an answer arrives, in the DNS engine's thread: the MX
hosts' addresses, the SPF includes, the DKIM selectors after _domainkey... are asked level
after level while the rest of the run loads. Its checks are never judged: the real ones ask
the same questions afterwards and find them answered or under way (`DnsEngine.ahead`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mailcheck.net.dns.crawl import Crawler, Then

if TYPE_CHECKING:
    from mailcheck.checks.bimi import BimiCheck
    from mailcheck.checks.dkim import DkimCheck
    from mailcheck.checks.dmarc import DmarcCheck
    from mailcheck.checks.dnssec import DnssecCheck
    from mailcheck.checks.mta_sts import MtaStsCheck
    from mailcheck.checks.mx import MxCheck
    from mailcheck.checks.ns import NsCheck
    from mailcheck.checks.spf import SpfCheck
    from mailcheck.checks.tlsrpt import TlsRptCheck
    from mailcheck.net.dns.answer import Answer
    from mailcheck.net.dns.engine import DnsEngine
    from mailcheck.services.domain_request import DomainRequest

R = TypeVar("R")


@dataclass
class Checks:
    """The checks a domain gets, by family (None: not asked for)."""

    mx: MxCheck
    spf: SpfCheck
    dmarc: DmarcCheck
    dkim: DkimCheck | None = None
    mta_sts: MtaStsCheck | None = None
    tls_rpt: TlsRptCheck | None = None
    bimi: BimiCheck | None = None
    dnssec: DnssecCheck | None = None
    ns: NsCheck | None = None


def plan(name: str, crawler: Crawler, request: DomainRequest) -> Checks:
    """The checks `request` asks for, each started once built. MX, SPF and DMARC always run:
    other families and the profile build on them."""
    from mailcheck.checks.mx import MxCheck

    mx = MxCheck(name, crawler, fcrdns=request.fcrdns)
    mx.start()
    from mailcheck.checks.spf import SpfCheck

    spf = SpfCheck(name, crawler)
    spf.start()
    from mailcheck.checks.dmarc import DmarcCheck

    checks = Checks(mx, spf, DmarcCheck(name, crawler, domain_exists=mx.domain_exists))
    checks.dmarc.start()
    mail = not request.no_mail
    if request.wants("dkim") and (mail or request.selectors):
        from mailcheck.checks.dkim import DkimCheck

        checks.dkim = DkimCheck(name, crawler, request.selectors)
        checks.dkim.start()
    if mail and request.wants("mta-sts", "tls-rpt"):
        from mailcheck.checks.mta_sts import MtaStsCheck
        from mailcheck.checks.tlsrpt import TlsRptCheck

        checks.mta_sts = MtaStsCheck(name, crawler, request.fetch)
        checks.mta_sts.start()
        checks.tls_rpt = TlsRptCheck(name, crawler)
        checks.tls_rpt.start()
    if mail and request.wants("bimi"):
        from mailcheck.checks.bimi import BimiCheck

        checks.bimi = BimiCheck(name, crawler, request.fetch, request.bimi_selector)
        checks.bimi.start()
    if request.wants("dnssec", "dane", "tls-rpt"):
        from mailcheck.checks.dnssec import DnssecCheck

        checks.dnssec = DnssecCheck(name, crawler)
        checks.dnssec.start()
    if request.wants("ns", "soa"):
        from mailcheck.checks.ns import NsCheck

        checks.ns = NsCheck(name, crawler, request.ask_ns)
        checks.ns.start()
    return checks


def walk_ahead(view: DnsEngine, name: str, request: DomainRequest) -> None:
    """Run `plan` for `name` ahead of its checks in `view` (see the module's text)."""
    plan(name, _Ahead(view), request)


def walk_key(request: DomainRequest) -> tuple[object, ...]:
    """What of `request` decides the questions `plan` asks: two requests with the same key
    walk ahead the same way (fetches and the rest are left to the real checks)."""
    return (
        tuple(request.families),
        request.no_mail,
        tuple(request.selectors),
        request.fcrdns,
        request.bimi_selector,
        request.ask_ns,
    )


class _Ahead(Crawler):
    """A crawler for checks that only walk ahead: each question goes to `DnsEngine.ahead`,
    its continuation runs as soon as the answer is there (in the I/O thread, or at once if
    it already is), one at a time; work that is not a DNS question (HTTPS fetches, asking
    name servers directly) is left to the real checks."""

    def __init__(self, engine: DnsEngine) -> None:
        super().__init__(engine)
        self._turn = threading.RLock()

    def ask(self, name: str, rdtype: str, then: Then, dnssec: bool = False) -> None:
        def run(answer: Answer) -> None:
            with self._turn:
                then(answer)

        self.engine.ahead(name, rdtype, run, dnssec)

    def spawn(self, work: Callable[[], R], then: Callable[[R], None]) -> None:
        pass

    def run(self) -> None:
        raise RuntimeError("a crawler that walks ahead is never run")

    def answers(self) -> list[Any]:
        raise RuntimeError("a crawler that walks ahead has no answers of its own")
