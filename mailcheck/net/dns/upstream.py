"""Asking real DNS servers: the system resolver's or those given with --nameserver."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from mailcheck.errors import UsageError
from mailcheck.model import Location
from mailcheck.net.address import split_host_port
from mailcheck.net.dns.answer import CnameLink, Outcome, Record
from mailcheck.net.dns.names import display
from mailcheck.net.dns.transport import UdpClient
from mailcheck.net.dns.zones import SourceAnswer


@dataclass(frozen=True)
class Server:
    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_server(text: str) -> Server:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address."""
    try:
        host, port_text = split_host_port(text)
    except ValueError as exc:
        raise UsageError(f"invalid nameserver {text!r}: {exc}") from None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(
            f"invalid nameserver {text!r}: give an IP address, e.g. 127.0.0.1:5353 or [::1]:53"
        ) from None
    port = 53
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(f"invalid nameserver port in {text!r}")
        port = int(port_text)
    return Server(host, port)


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
    response: dns.message.Message, qname: dns.name.Name, rdtype: int, source: str
) -> tuple[tuple[Record, ...], tuple[CnameLink, ...], tuple[Record, ...]]:
    chain: list[CnameLink] = []
    current = qname
    origin = Location(source)
    for _ in range(16):
        rrset = None
        for candidate in response.answer:
            if candidate.name == current and candidate.rdtype == rdtype:
                rrset = candidate
                break
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
            sigs = tuple(
                Record(display(current), "RRSIG", s.ttl, rd.to_text(), rd, origin)
                for s in response.answer
                if s.name == current and s.rdtype == dns.rdatatype.RRSIG and s.covers == rdtype
                for rd in s
            )
            return records, tuple(chain), sigs
        cname = None
        if rdtype != dns.rdatatype.CNAME:
            for candidate in response.answer:
                if candidate.name == current and candidate.rdtype == dns.rdatatype.CNAME:
                    cname = candidate
                    break
        if cname is None:
            break
        target = next(iter(cname)).target
        chain.append(CnameLink(display(current), display(target), origin))
        current = target
    return (), tuple(chain), ()


UpstreamResult = tuple[SourceAnswer, str, "bool | None", tuple[Record, ...]]


class Upstream:
    """Plain DNS over UDP (TCP when truncated), a per-try timeout and a bounded retry."""

    def __init__(
        self, servers: list[Server], timeout: float = 2.0, retries: int = 1, max_in_flight: int = 64
    ):
        self.servers = servers
        self.timeout = timeout
        self.retries = retries
        self.client = UdpClient(max_in_flight)

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
        """Ask the servers in turn (then once more); `done` runs once, in the I/O thread."""
        request = dns.message.make_query(
            qname, rdtype, use_edns=0, payload=1232, want_dnssec=dnssec
        )
        request.flags |= dns.flags.RD
        if dnssec:
            request.flags |= dns.flags.AD
        tries = [s for _ in range(self.retries + 1) for s in self.servers]
        problems: list[tuple[Server, str]] = []

        def attempt(index: int) -> None:
            remaining = deadline - time.monotonic()
            if index >= len(tries) or remaining <= 0:
                if remaining <= 0:
                    problems.append((tries[min(index, len(tries) - 1)], "deadline"))
                done((_failure(problems), str(self), None, ()))
                return
            server = tries[index]

            def answered(response: dns.message.Message | None, reason: str) -> None:
                if response is None:
                    problems.append((server, reason))
                    attempt(index + 1)
                    return
                rcode = response.rcode()
                if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    problems.append((server, dns.rcode.to_text(rcode)))
                    attempt(index + 1)
                    return
                done(_result(response, qname, rdtype, str(server)))

            self.client.query(
                request, server.host, server.port, min(self.timeout, remaining), answered
            )

        attempt(0)


def _result(
    response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, label: str
) -> UpstreamResult:
    records, chain, sigs = _records(response, qname, rdtype, label)
    ad = bool(response.flags & dns.flags.AD)
    if records:
        return SourceAnswer(Outcome.NOERROR, records, chain), label, ad, sigs
    nx = response.rcode() == dns.rcode.NXDOMAIN
    return SourceAnswer(Outcome.NXDOMAIN if nx else Outcome.NODATA, (), chain), label, ad, ()


def _failure(problems: list[tuple[Server, str]]) -> SourceAnswer:
    kinds = [p for _s, p in problems]
    detail = "; ".join(f"{s} {p}" for s, p in problems) or "no server tried"
    if "SERVFAIL" in kinds:
        return SourceAnswer(Outcome.SERVFAIL, detail=detail)
    if "REFUSED" in kinds:
        return SourceAnswer(Outcome.REFUSED, detail=detail)
    if all(k in ("timeout", "deadline") for k in kinds):
        return SourceAnswer(Outcome.TIMEOUT, detail=detail)
    return SourceAnswer(Outcome.ERROR, detail=detail)
