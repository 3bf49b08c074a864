"""Asking one named server directly (no recursion): what an authoritative server says itself.

The engine answers questions through the configured resolver; checks of the name servers
themselves (is the answer authoritative, do the servers agree) must hear each server on its
own, so this asks `host:port` and nothing else: datagrams from any other address, or that do
not answer the question asked, are skipped; truncated answers are asked again over TCP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from mailcheck.model import Location
from mailcheck.net.dns.answer import DEADLINE_PASSED, PER_QUERY, Outcome, Record
from mailcheck.net.dns.names import InvalidName, display, to_name


@dataclass(frozen=True)
class DirectAnswer:
    """One server's own answer: outcome, the AA bit and the records of the asked type."""

    server: str
    name: str
    rdtype: str
    outcome: Outcome
    authoritative: bool = False
    records: tuple[Record, ...] = ()
    detail: str = ""
    elapsed: float = 0.0
    # NS targets in the authority section for the asked name: a parent's referral (delegation)
    referral: tuple[str, ...] = ()

    def texts(self) -> tuple[str, ...]:
        """The answer as a sorted tuple of presentation texts (for comparing servers)."""
        return tuple(sorted(r.text for r in self.records))

    def describe(self) -> str:
        if self.outcome is Outcome.NOERROR:
            return f"{len(self.records)} record(s)"
        if self.outcome is Outcome.NODATA:
            return f"no {self.rdtype} record (NODATA)"
        if self.outcome is Outcome.NXDOMAIN:
            return "name does not exist (NXDOMAIN)"
        return str(self.outcome.value) + (f": {self.detail}" if self.detail else "")


def server_label(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ask_server(
    host: str,
    port: int,
    name: str,
    rdtype: str,
    *,
    timeout: float,
    deadline: float,
    said: Callable[[str], str] | None = None,
) -> DirectAnswer:
    """Ask `host:port` about (name, rdtype) without recursion; one retry after a timeout.
    `said` words a limit that ran out (the engine's `limit_text`, naming the option).

    Blocking; never past `deadline` (time.monotonic()). Network trouble is an error outcome
    (TIMEOUT/ERROR), never an answer.
    """
    label = server_label(host, port)
    try:
        qname = to_name(name)
    except InvalidName as exc:
        return DirectAnswer(label, name, rdtype, Outcome.ERROR, detail=f"invalid name: {exc}")
    # dns.query imports ssl (and its TLS, QUIC and zone-transfer helpers): only with --ask-ns
    import dns.query

    kind = dns.rdatatype.from_text(rdtype)
    request = dns.message.make_query(qname, kind, use_edns=0, payload=1232)
    request.flags &= ~dns.flags.RD  # an authoritative server answers for itself
    started = time.monotonic()
    problem = ""
    for _attempt in range(2):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            # stray or spoofed datagrams (another source, another ID) are skipped, not trusted
            response = dns.query.udp(
                request,
                host,
                timeout=min(timeout, remaining),
                port=port,
                ignore_unexpected=True,
                ignore_errors=True,
            )
            if response.flags & dns.flags.TC:
                response = dns.query.tcp(request, host, timeout=min(timeout, remaining), port=port)
        except dns.exception.Timeout:
            problem = said(PER_QUERY) if said else f"no answer within {timeout:g} s"
            continue
        except (OSError, dns.exception.DNSException) as exc:
            return DirectAnswer(
                label,
                display(qname),
                rdtype,
                Outcome.ERROR,
                detail=str(exc) or type(exc).__name__,
                elapsed=time.monotonic() - started,
            )
        return _answer(label, qname, kind, response, time.monotonic() - started)
    if time.monotonic() >= deadline:
        problem = said(DEADLINE_PASSED) if said else "the deadline was reached"
    return DirectAnswer(
        label,
        display(qname),
        rdtype,
        Outcome.TIMEOUT,
        detail=problem,
        elapsed=time.monotonic() - started,
    )


def _answer(
    label: str,
    qname: dns.name.Name,
    kind: dns.rdatatype.RdataType,
    response: dns.message.Message,
    elapsed: float,
) -> DirectAnswer:
    rdtype = dns.rdatatype.to_text(kind)
    aa = bool(response.flags & dns.flags.AA)
    rcode = response.rcode()
    shown = display(qname)
    if rcode == dns.rcode.NXDOMAIN:
        return DirectAnswer(label, shown, rdtype, Outcome.NXDOMAIN, aa, elapsed=elapsed)
    if rcode != dns.rcode.NOERROR:
        outcome = {
            dns.rcode.SERVFAIL: Outcome.SERVFAIL,
            dns.rcode.REFUSED: Outcome.REFUSED,
        }.get(rcode, Outcome.ERROR)
        text = dns.rcode.to_text(rcode)
        return DirectAnswer(label, shown, rdtype, outcome, aa, detail=text, elapsed=elapsed)
    origin = Location(label)
    records = tuple(
        Record(shown, rdtype, rrset.ttl, rd.to_text(), rd, origin)
        for rrset in response.answer
        if rrset.name == qname and rrset.rdtype == kind
        for rd in rrset
    )
    referral = tuple(
        sorted(
            rd.target.to_text(omit_final_dot=True).lower()
            for rrset in response.authority
            if rrset.name == qname and rrset.rdtype == dns.rdatatype.NS
            for rd in rrset
        )
    )
    outcome = Outcome.NOERROR if records else Outcome.NODATA
    return DirectAnswer(label, shown, rdtype, outcome, aa, records, "", elapsed, referral)
