"""Asking real DNS servers: the system resolver's or those given with --nameserver."""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dns.exception
import dns.flags
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from mailcheck.errors import UsageError
from mailcheck.escape import printable
from mailcheck.model import Location
from mailcheck.net.address import split_host_port
from mailcheck.net.dns.answer import (
    DEADLINE_PASSED,
    MAX_CNAME_LINKS,
    PER_QUERY,
    PER_QUERY_TCP,
    CnameLink,
    Outcome,
    Record,
    SourceAnswer,
)
from mailcheck.net.dns.exchange import DEADLINE, UNREACHABLE, DnsTransport
from mailcheck.net.dns.names import display
from mailcheck.net.dns.wire import Negative, Request

if TYPE_CHECKING:
    import dns.message

    from mailcheck.net.dns.exchange import Response


@dataclass(frozen=True)
class Server:
    """A DNS server to ask: its address and port."""

    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_server(text: str) -> Server:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address of a server that answers queries."""
    shown = printable(text, limit=80)
    if not text.strip():
        raise UsageError(
            "--nameserver is empty (or MAILCHECK_NAMESERVER is set to nothing)",
            hint="give IP[:PORT], e.g. 127.0.0.1:5353, or leave it out for the system resolver",
        )
    try:
        host, port_text = split_host_port(text)
    except ValueError as exc:
        raise UsageError(f"invalid nameserver {shown!r}: {exc}") from None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(
            f"invalid nameserver {shown!r}: give an IP address, e.g. 127.0.0.1:5353 or [::1]:53"
        ) from None
    if address.is_multicast or address.is_unspecified or str(address) == "255.255.255.255":
        raise UsageError(
            f"invalid nameserver {shown!r}: a broadcast, multicast or unspecified address "
            "is not one server"
        )
    return Server(str(address), int(port_text) if port_text else 53)


def parse_servers(values: Sequence[str]) -> list[Server]:
    """Every --nameserver value (each may list several, split by commas or spaces), in order,
    without duplicates; an empty value is an error, never "use the system resolver"."""
    servers: list[Server] = []
    for value in values:
        parts = value.replace(",", " ").split()
        if not parts:
            parse_server(value)  # raises: empty
        servers.extend(parse_server(part) for part in parts)
    return list(dict.fromkeys(servers))


def system_servers() -> list[Server]:
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver(configure=True)
    except (dns.resolver.NoResolverConfiguration, OSError) as exc:
        raise UsageError(
            f"no system resolver configured ({exc})",
            hint="use --nameserver IP[:PORT], or --offline with --zone FILE",
        ) from None
    servers = [Server(str(ns), 53) for ns in resolver.nameservers]
    if not servers:
        raise UsageError(
            "no system resolver configured",
            hint="use --nameserver IP[:PORT], or --offline with --zone FILE",
        )
    return servers


def _records(
    response: dns.message.Message,
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    source: str,
) -> tuple[tuple[Record, ...], tuple[CnameLink, ...], tuple[Record, ...], str]:
    """(records, CNAME chain, signatures, problem): the answer for `qname` followed along its
    CNAME chain inside the response; problem is "" or why the chain cannot be used."""
    chain: list[CnameLink] = []
    current = qname
    origin = Location(source)
    while True:
        rrset = response.get_rrset(response.answer, current, dns.rdataclass.IN, rdtype)
        if rrset is not None:
            records = tuple(
                Record(
                    display(current),
                    dns.rdatatype.to_text(rd.rdtype),
                    rrset.ttl,
                    rd.to_text(),
                    rd,
                    origin,
                )
                for rd in rrset
            )
            sig_set = response.get_rrset(
                response.answer, current, dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype
            )
            sigs: tuple[Record, ...] = ()
            if sig_set is not None:
                ttl = sig_set.ttl
                sigs = tuple(
                    Record(display(current), "RRSIG", ttl, rd.to_text(), rd, origin)
                    for rd in sig_set
                )
            return records, tuple(chain), sigs, ""
        if rdtype == dns.rdatatype.CNAME:
            break
        cname = response.get_rrset(response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None:
            break
        target = next(iter(cname)).target
        chain.append(CnameLink(display(current), display(target), origin))
        if any(link.owner == display(target) for link in chain):
            return (), tuple(chain), (), "CNAME loop"
        if len(chain) >= MAX_CNAME_LINKS:
            return (), tuple(chain), (), "CNAME chain too long"
        current = target
    # records of the asked type, for another name than the question led to: a broken or
    # forged answer, not a proof that the name has none
    stray = sorted({display(r.name) for r in response.answer if r.rdtype == rdtype})
    if stray:
        shown = ", ".join(printable(n) for n in stray[:3])
        more = f" and {len(stray) - 3} more" if len(stray) > 3 else ""
        return (
            (),
            tuple(chain),
            (),
            f"the answer holds {dns.rdatatype.to_text(rdtype)} records of {shown}{more}, "
            f"not of {display(current)}",
        )
    return (), tuple(chain), (), ""


def _referral(response: Response) -> str:
    """What a referral names ("" for anything else): no answer, no authority (AA) bit, NS
    records and no SOA in the authority section. A recursive resolver answers or proves the
    absence with the zone's SOA (RFC 2308); a referral only says whom to ask next, so an
    empty answer with one is not NODATA (RFC 1034 §4.3.1: --nameserver must recurse)."""
    if isinstance(response, Negative) or response.answer or response.flags & dns.flags.AA:
        return ""
    if response.rcode() != dns.rcode.NOERROR:
        return ""
    kinds = {rrset.rdtype for rrset in response.authority}
    if dns.rdatatype.NS not in kinds or dns.rdatatype.SOA in kinds:
        return ""
    servers = sorted(
        printable(display(rdata.target))
        for rrset in response.authority
        if rrset.rdtype == dns.rdatatype.NS
        for rdata in rrset
    )
    shown = ", ".join(servers[:3]) + (f" and {len(servers) - 3} more" if len(servers) > 3 else "")
    return f"a referral to {shown}, not an answer: not a recursive resolver"


def _proven_negative(response: dns.message.Message, name: dns.name.Name) -> bool:
    """A negative answer carries the SOA of the zone that holds `name` (RFC 2308); a resolver
    that gave up half-way along a CNAME chain sends the partial chain without one."""
    return any(
        rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name)
        for rrset in response.authority
    )


UpstreamResult = tuple[SourceAnswer, str, "bool | None", tuple[Record, ...]]


class Upstream:
    """Plain DNS over UDP (TCP when truncated), a per-try timeout and a bounded retry."""

    def __init__(
        self,
        servers: list[Server],
        timeout: float = 2.0,
        retries: int = 1,
        max_in_flight: int = 64,
        max_qps: float | None = None,
    ):
        self.servers = servers
        self.timeout = timeout
        self.retries = retries
        self.client = DnsTransport(max_in_flight, max_qps)

    def __str__(self) -> str:
        return ", ".join(str(s) for s in self.servers)

    def close(self) -> None:
        self.client.close()

    def start(
        self,
        qname: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        deadline: float,
        dnssec: bool,
        done: Callable[[UpstreamResult], None],
    ) -> None:
        """Ask the servers in turn (then again, `retries` times); `done` runs exactly once,
        in the I/O thread, before `deadline` (plus scheduling delay)."""
        _Asking(self, Request(qname, rdtype, dnssec), rdtype, deadline, done).attempt(0)


class _Asking:
    """One question's tries. A class, not nested closures: a closure that calls itself is a
    reference cycle, and a bulk run's tens of thousands of them (with their requests and
    callbacks) were left to the cyclic garbage collector, a third of the run's CPU."""

    __slots__ = (
        "deadline",
        "done",
        "finished",
        "problems",
        "rdtype",
        "request",
        "tries",
        "upstream",
    )

    def __init__(
        self,
        upstream: Upstream,
        request: Request,
        rdtype: dns.rdatatype.RdataType,
        deadline: float,
        done: Callable[[UpstreamResult], None],
    ) -> None:
        self.upstream = upstream
        self.request = request
        self.rdtype = rdtype
        self.deadline = deadline
        self.done = done
        self.tries = [s for _ in range(upstream.retries + 1) for s in upstream.servers]
        self.problems: list[tuple[Server, str]] = []
        self.finished = False

    def finish(self, result: UpstreamResult) -> None:
        if not self.finished:
            self.finished = True
            self.done(result)

    def attempt(self, index: int) -> None:
        tries, problems = self.tries, self.problems
        unreachable = {s for s, p in problems if p == UNREACHABLE}
        while index < len(tries) and tries[index] in unreachable:
            index += 1  # ICMP said nobody listens there: do not wait on it again
        remaining = self.deadline - time.monotonic()
        if index >= len(tries) or remaining <= 0:
            if remaining <= 0 and (not problems or problems[-1][1] != DEADLINE):
                problems.append((tries[min(index, len(tries) - 1)], DEADLINE))
            self.finish((_failure(problems), str(self.upstream), None, ()))
            return
        server = tries[index]
        self.upstream.client.query(
            self.request,
            server.host,
            server.port,
            min(self.upstream.timeout, remaining),
            self.deadline,
            functools.partial(self.answered, index, server),
        )

    def answered(self, index: int, server: Server, response: Response | None, reason: str) -> None:
        try:
            if response is None:
                self.problems.append((server, reason))
                self.attempt(index + 1)
                return
            rcode = response.rcode()
            if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                self.problems.append((server, dns.rcode.to_text(rcode)))
                self.attempt(index + 1)
                return
            referral = _referral(response)
            if referral:
                # an authoritative server (or a broken forwarder) pointing elsewhere: no
                # answer about the name at all, not "no such record"
                self.problems.append((server, referral))
                self.attempt(index + 1)
                return
            qname = self.request.qname
            self.finish(_result(response, qname, self.rdtype, str(server)))
        except Exception as exc:  # a bug here must still complete the lookup
            self.problems.append((server, f"internal error: {type(exc).__name__}: {exc}"))
            self.finish((_failure(self.problems), str(self.upstream), None, ()))


def _result(
    response: Response, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, label: str
) -> UpstreamResult:
    if isinstance(response, Negative):  # no answer records: no chain, no signatures
        ad = bool(response.flags & dns.flags.AD)
        nx = response.rcode() == dns.rcode.NXDOMAIN
        return SourceAnswer(Outcome.NXDOMAIN if nx else Outcome.NODATA), label, ad, ()
    records, chain, sigs, problem = _records(response, qname, rdtype, label)
    ad = bool(response.flags & dns.flags.AD)
    if problem:
        # a chain that does not end is what a resolver answers SERVFAIL for; stray records
        # are this server's own fault
        outcome = Outcome.SERVFAIL if problem.startswith("CNAME") else Outcome.ERROR
        return SourceAnswer(outcome, (), chain, detail=problem), label, ad, ()
    if records:
        return SourceAnswer(Outcome.NOERROR, records, chain), label, ad, sigs
    nx = response.rcode() == dns.rcode.NXDOMAIN
    if (
        chain
        and not nx
        and not _proven_negative(response, dns.name.from_text(chain[-1].target + "."))
    ):
        # The chain stops at a name with no answer and no proof that there is none: the
        # resolver gave up (or answers minimally); ask for the rest ourselves.
        target = dns.name.from_text(chain[-1].target + ".")
        return SourceAnswer(Outcome.NOERROR, (), chain, continue_at=target), label, ad, ()
    return SourceAnswer(Outcome.NXDOMAIN if nx else Outcome.NODATA, (), chain), label, ad, ()


def _failure(problems: list[tuple[Server, str]]) -> SourceAnswer:
    """The servers did not give a usable answer: transient, worth asking again later."""
    kinds = [p for _s, p in problems]
    said: dict[str, int] = {}  # each server's answer once, with how often it came (retries)
    for server, problem in problems:
        said[f"{server} {problem}"] = said.get(f"{server} {problem}", 0) + 1
    detail = (
        "; ".join(text + (f" ({n} tries)" if n > 1 else "") for text, n in said.items())
        or "no server tried"
    )
    outcome, limit = Outcome.ERROR, ""
    if "SERVFAIL" in kinds:
        outcome = Outcome.SERVFAIL
    elif "REFUSED" in kinds:
        outcome = Outcome.REFUSED
    elif kinds and all(k in (PER_QUERY, PER_QUERY_TCP, DEADLINE) for k in kinds):
        outcome = Outcome.TIMEOUT
        # the engine words it with the option that set the limit that ran out
        if DEADLINE in kinds:
            limit = DEADLINE_PASSED
        else:
            limit = PER_QUERY_TCP if PER_QUERY_TCP in kinds else PER_QUERY
    return SourceAnswer(outcome, detail=detail, transient=True, limit=limit)
