"""Bridges that route the libraries' DNS through our engine: checkdmarc, pyspf, dkimpy."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from mailcheck.net.dns.answer import Outcome
from mailcheck.net.dns.engine import DnsEngine

# -- checkdmarc -------------------------------------------------------------------------


class EngineNameserver(dns.nameserver.Nameserver):
    """A dnspython Nameserver whose every query is answered by the engine.

    checkdmarc accepts `nameservers=[...]` objects on every DNS path (DNSSEC and TLSA
    included), which makes this its only complete hook.
    """

    def __init__(self, engine: DnsEngine) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.engine = engine

    def __str__(self) -> str:
        return "mailcheck-engine"

    def kind(self) -> str:
        return "mailcheck"

    def is_always_max_size(self) -> bool:
        return True

    def answer_nameserver(self) -> str:
        return "mailcheck-engine"

    def answer_port(self) -> int:
        return 0

    def query(
        self,
        request: dns.message.QueryMessage,
        timeout: float,
        source: str | None,
        source_port: int,
        max_size: bool,
        one_rr_per_rrset: bool = False,
        ignore_trailing: bool = False,
    ) -> dns.message.Message:
        question = request.question[0]
        dnssec = bool(request.ednsflags & dns.flags.DO)
        answer = self.engine.resolve(question.name, question.rdtype, dnssec=dnssec)
        if answer.outcome is Outcome.TIMEOUT:
            raise dns.exception.Timeout(timeout=timeout)  # type: ignore[no-untyped-call]
        response = dns.message.make_response(request)
        response.flags |= dns.flags.RA
        if answer.authenticated:
            response.flags |= dns.flags.AD
        rcode = {
            Outcome.NXDOMAIN: dns.rcode.NXDOMAIN,
            Outcome.SERVFAIL: dns.rcode.SERVFAIL,
            Outcome.REFUSED: dns.rcode.REFUSED,
            Outcome.OFFLINE: dns.rcode.REFUSED,
            Outcome.ERROR: dns.rcode.SERVFAIL,
        }.get(answer.outcome, dns.rcode.NOERROR)
        response.set_rcode(rcode)
        # find_rrset(create=True) keeps the message's index right (a plain append does not).
        for link in answer.cnames:
            cname = dns.rdata.from_text("IN", "CNAME", link.target + ".")
            owner = dns.name.from_text(link.owner + ".")
            response.find_rrset(
                response.answer, owner, dns.rdataclass.IN, dns.rdatatype.CNAME, create=True
            ).add(cname, 0)
        if answer.records:
            owner = dns.name.from_text(answer.canonical + ".")
            rrset = response.find_rrset(
                response.answer, owner, dns.rdataclass.IN, question.rdtype, create=True
            )
            for record in answer.records:
                rrset.add(record.rdata, record.ttl)
            for sig in answer.signatures:
                response.find_rrset(
                    response.answer,
                    owner,
                    dns.rdataclass.IN,
                    dns.rdatatype.RRSIG,
                    question.rdtype,
                    create=True,
                ).add(sig.rdata, sig.ttl)
        return response

    async def async_query(self, *args: Any, **kwargs: Any) -> dns.message.Message:
        raise NotImplementedError("mailcheck's engine is synchronous")


def reset_checkdmarc_caches() -> None:
    """checkdmarc caches by (name, type) at module level: clear them so no run sees another's."""
    import checkdmarc.dnssec
    import checkdmarc.smtp
    import checkdmarc.utils

    for module, names in (
        (checkdmarc.utils, ("DNS_CACHE",)),
        (checkdmarc.dnssec, ("DNSSEC_CACHE", "TLSA_CACHE")),
        (checkdmarc.smtp, ("STARTTLS_CACHE", "TLS_CACHE")),
    ):
        for name in names:
            cache = getattr(module, name, None)
            if cache is not None and hasattr(cache, "clear"):
                cache.clear()


@contextlib.contextmanager
def checkdmarc_session(engine: DnsEngine) -> Iterator[list[dns.nameserver.Nameserver]]:
    """`with checkdmarc_session(engine) as ns: checkdmarc.x(..., nameservers=ns)`."""
    reset_checkdmarc_caches()
    try:
        yield [EngineNameserver(engine)]
    finally:
        reset_checkdmarc_caches()


# -- pyspf ------------------------------------------------------------------------------

_spf_engine: contextvars.ContextVar[DnsEngine | None] = contextvars.ContextVar(
    "mailcheck_spf_engine", default=None
)
_installed = False


def _spf_lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> Any:
    import spf

    engine = _spf_engine.get()
    if engine is None:  # pragma: no cover - only reachable if pyspf is used outside a session
        raise spf.TempError("DNS: mailcheck engine not active")
    answer = engine.resolve(name, qtype)
    if answer.outcome is Outcome.SERVFAIL and answer.detail == "CNAME loop":
        # pyspf itself treats a CNAME loop as "no data" (not an error) outside harsh mode.
        return []
    if answer.outcome.is_error:
        raise spf.TempError(f"DNS {answer.describe()}")
    out = []
    for record in answer.records:
        rd = record.rdata
        value: Any
        if qtype in ("A", "AAAA"):
            value = rd.address
        elif qtype == "MX":
            value = (rd.preference, rd.exchange.to_text())
        elif qtype == "PTR":
            value = rd.target.to_text(True)
        elif qtype in ("TXT", "SPF"):
            value = tuple(rd.strings)
        else:
            value = record.text
        out.append(((name, qtype), value))
    return out


@contextlib.contextmanager
def spf_session(engine: DnsEngine) -> Iterator[None]:
    """Within the block, pyspf in this thread asks our engine (not the system resolver)."""
    global _installed
    import spf

    if not _installed:
        spf.DNSLookup = _spf_lookup
        _installed = True
    token = _spf_engine.set(engine)
    try:
        yield
    finally:
        _spf_engine.reset(token)


# -- dkimpy -----------------------------------------------------------------------------


class DkimKeyLookupError(Exception):
    """The key record could not be determined (temperror, not "no key")."""

    def __init__(self, answer_text: str) -> None:
        super().__init__(answer_text)


def dkim_dnsfunc(engine: DnsEngine) -> Any:
    """A `dnsfunc=` for dkimpy: TXT as bytes (strings joined), None when there is none."""

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        answer = engine.resolve(text, "TXT")
        if answer.outcome.is_error:
            raise DkimKeyLookupError(answer.error_text())
        if not answer.records:
            return None
        return answer.records[0].txt

    return dnsfunc
