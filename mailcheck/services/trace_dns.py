"""What a trace asks DNS beside the conversation: the domain's MTA-STS policy, and for each
address talked to, its PTR names and the TLSA records with their zone's DNSSEC verdict.

None of it is needed to hold the conversation, only to judge it: asked while the
conversation goes on (in worker threads of their own) instead of before it (the policy) or
after it (the rest), they add no round trips of their own to a trace.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dns.reversename

from mailcheck.checks.dnssec import ZoneProbe, ZoneVerdict, verify_rrset
from mailcheck.checks.transport import TraceContext
from mailcheck.model import Finding
from mailcheck.net.address import is_ip_address
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.crawl import Crawler
from mailcheck.net.dns.engine import DnsEngine

if TYPE_CHECKING:
    from mailcheck.checks.mta_sts import MtaStsCheck
    from mailcheck.services.trace import TraceRequest

Policy = tuple[str | None, tuple[str, ...]]  # MTA-STS mode and mx patterns
LOGIN_PORTS = {587, 465, 143, 993, 110, 995}


@dataclass(frozen=True)
class HostFacts:
    """What DNS says about one address talked to (the name the certificate must carry)."""

    name: str
    ptr_names: tuple[str, ...] | None
    tlsa: Answer | None
    tlsa_name: str
    verdict: ZoneVerdict | None


def host_facts(
    engine: DnsEngine, name: str, address: str, protocol: str, tlsa_port: int
) -> HostFacts:
    """The PTR names of `address` (SMTP), and for a host name the TLSA records at
    _PORT._tcp.NAME with the DNSSEC verdict of their zone, all asked at once."""
    crawler = Crawler(engine)
    ptr: dict[str, Answer] = {}
    tlsa: dict[str, Answer] = {}
    zone = ZoneProbe(name)
    if protocol == "smtp":
        crawler.store(dns.reversename.from_address(address).to_text(), "PTR", ptr, "ptr")
    tlsa_name = f"_{tlsa_port}._tcp.{name}"
    if not is_ip_address(name):
        crawler.store(tlsa_name, "TLSA", tlsa, "tlsa", dnssec=True)
        zone.ask(crawler, ("A",))
    crawler.run()
    ptr_names = None
    if "ptr" in ptr and not ptr["ptr"].outcome.is_error:
        ptr_names = tuple(
            r.rdata.target.to_text(omit_final_dot=True).lower() for r in ptr["ptr"].records
        )
    answer = tlsa.get("tlsa")
    # the zone's verdict also when the lookup failed: in a signed zone that is a reason for
    # DANE senders to defer (transport reports it), in an unsigned one it does not matter
    verdict = (
        verify_rrset(zone, answer)
        if answer is not None and (answer.records or answer.outcome.is_error)
        else None
    )
    return HostFacts(name, ptr_names, answer, tlsa_name if not is_ip_address(name) else "", verdict)


def context(facts: HostFacts, request: TraceRequest, policy: Policy, port: int) -> TraceContext:
    verdict = facts.verdict
    return TraceContext(
        names=() if is_ip_address(facts.name) else (facts.name,),
        ptr_names=facts.ptr_names,
        tlsa=facts.tlsa,
        tlsa_secure=verdict.secure if verdict else None,
        tlsa_state=verdict.state if verdict else "",
        tlsa_detail=verdict.detail if verdict else "",
        tlsa_name=facts.tlsa_name,
        sts_mode=policy[0],
        sts_patterns=policy[1],
        require_tls=request.require_tls,
        login_port=port in LOGIN_PORTS,
        ca_file=request.ca_file,
    )


def fetch_policy(
    engine: DnsEngine, domain: str | None, request: TraceRequest
) -> tuple[Policy, list[Finding]]:
    """The domain's MTA-STS policy (mode and mx patterns), when it publishes one, and the
    findings (as `domain` gives them) when it publishes one that could not be fetched."""
    if domain is None:
        return (None, ()), []
    from mailcheck.checks.mta_sts import FetchOptions, MtaStsCheck  # only a domain has a policy

    crawler = Crawler(engine)
    fetch = FetchOptions(
        request.ca_file, request.step_timeout, request.https_port, request.allow_private
    )
    check = MtaStsCheck(domain, crawler, fetch)
    check.start()
    crawler.run()
    return policy_of(check), check.problems()


def policy_of(check: MtaStsCheck) -> Policy:
    parsed = check.parsed_policy()
    if not parsed:
        return None, ()
    return parsed["policy"]["mode"], tuple(parsed["policy"]["mx"])


class Beside:
    """The policy and each address's facts, asked in worker threads as soon as they are
    known to be needed (the policy once the targets are known, an address's facts as its
    conversation starts) and awaited only where the conversation is judged. Each address is
    asked about once, in the order the addresses are tried (the query log reads as before).
    Every lookup ends within the engine's limits; `close` waits for those still running."""

    def __init__(
        self, engine: DnsEngine, request: TraceRequest, domain: str | None, port: int
    ) -> None:
        self._engine = engine
        self._request = request
        self._domain = domain
        self._port = port
        # one for the policy (an HTTPS fetch that may take its whole timeout), one for the
        # addresses, one after another
        self._policy_pool = ThreadPoolExecutor(1, thread_name_prefix="mailcheck-sts")
        self._hosts_pool = ThreadPoolExecutor(1, thread_name_prefix="mailcheck-dns")
        self._hosts: dict[tuple[str, str], Future[HostFacts]] = {}

    def policy(self) -> Future[tuple[Policy, list[Finding]]]:
        return self._policy_pool.submit(fetch_policy, self._engine, self._domain, self._request)

    def host(self, host: str, address: str, protocol: str, tls_name: str | None) -> None:
        """Start asking about `address` (the conversation with it is about to start)."""
        if (host, address) in self._hosts:
            return
        # DANE for SMTP is published at port 25 (RFC 7672 section 2.2.1) whatever port a
        # lab server listens on: a mail domain's MX hosts (the implicit MX too) are looked
        # up there, as the DNSSEC checks of `domain` do. A host named directly (`trace HOST
        # --port N`, IMAP, POP3, submission) is a service at port N (RFC 6698), at _N.
        smtp_mx = self._domain is not None and protocol == "smtp"
        tlsa_port = 25 if smtp_mx else self._port
        name = tls_name or host  # --tls-name, else the host: the name the certificate needs
        self._hosts[host, address] = self._hosts_pool.submit(
            host_facts, self._engine, name, address, protocol, tlsa_port
        )

    def facts(self, host: str, address: str, protocol: str, tls_name: str | None) -> HostFacts:
        self.host(host, address, protocol, tls_name)
        return self._hosts[host, address].result()

    def close(self) -> None:
        self._policy_pool.shutdown(wait=True, cancel_futures=True)
        self._hosts_pool.shutdown(wait=True, cancel_futures=True)
