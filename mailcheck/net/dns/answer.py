"""What a DNS lookup returns: the outcome, the records with their origin, and the CNAME chain."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailcheck.escape import from_presentation
from mailcheck.model import Location

if TYPE_CHECKING:
    import dns.name


class Outcome(enum.Enum):
    """NOERROR/NXDOMAIN/NODATA are answers; everything else means "could not determine"."""

    NOERROR = "NOERROR"
    NODATA = "NODATA"
    NXDOMAIN = "NXDOMAIN"
    TIMEOUT = "TIMEOUT"
    SERVFAIL = "SERVFAIL"
    REFUSED = "REFUSED"
    OFFLINE = "OFFLINE"
    ERROR = "ERROR"

    @property
    def is_error(self) -> bool:
        return self not in (Outcome.NOERROR, Outcome.NODATA, Outcome.NXDOMAIN)


@dataclass(frozen=True)
class LimitNames:
    """The options that set the DNS time limits, so that a TIMEOUT names the one that ran
    out ("--domain-deadline 1", not a bare "deadline reached"), as trace and send do."""

    timeout: str = "--timeout"
    deadline: str = "--deadline"  # each subject's (each `scoped()` view), or the run's
    deadline_scope: str = "the overall limit"  # what `deadline` bounds
    overall: str = "--deadline"  # the whole run, all subjects together (domain)

    def per_query(self, seconds: float, tcp: bool = False) -> str:
        over = ", over TCP" if tcp else ""
        return f"no answer within {self.timeout} {seconds:g} s (per query{over})"

    def ran_out(self, seconds: float, overall: bool) -> str:
        scope, option = (
            ("the overall limit", self.overall) if overall else (self.deadline_scope, self.deadline)
        )
        return f"{scope}, {option} {seconds:g}, ran out"


# domain's: each domain's time is its own (--domain-deadline), --deadline the whole run's
PER_DOMAIN = LimitNames(deadline="--domain-deadline", deadline_scope="the domain's limit")


# Why a lookup timed out, as the upstream reports it (SourceAnswer.limit)
PER_QUERY, PER_QUERY_TCP, DEADLINE_PASSED = "timeout", "timeout (TCP)", "deadline"
MAX_CNAME_LINKS = 16  # as the zone overlay allows; BIND and Unbound stop at 11 to 16 restarts


@dataclass(frozen=True)
class Record:
    """One resource record: presentation text, the dnspython rdata, and where it came from."""

    owner: str
    rdtype: str
    ttl: int
    text: str
    rdata: Any
    origin: Location | None = None

    @property
    def txt(self) -> bytes:
        """TXT/SPF strings joined without separators (RFC 7208 3.3, RFC 6376 3.6.2.2)."""
        return b"".join(self.rdata.strings)

    @property
    def strings(self) -> tuple[bytes, ...]:
        return tuple(self.rdata.strings)


def record_order(record: Record) -> tuple[Any, ...]:
    """Where a record sorts among the records of its RRset. An RRset has no order (RFC 2181
    §5) and servers rotate it, so every answer lists its records in this one: addresses by
    value (10.0.0.2 before 10.0.0.10), MX by preference then host, names (NS, PTR, CNAME)
    alphabetically, TXT by its text, anything else by its presentation text."""
    rdata = record.rdata
    if record.rdtype in ("A", "AAAA"):
        try:
            return (record.rdtype, 0, ipaddress.ip_address(record.text).packed, "")
        except ValueError:
            pass
    elif record.rdtype == "MX":
        return (record.rdtype, 0, rdata.preference, rdata.exchange.to_text().lower())
    elif record.rdtype in ("NS", "PTR", "CNAME"):
        return (record.rdtype, 0, rdata.target.to_text().lower(), "")
    elif record.rdtype in ("TXT", "SPF"):
        return (record.rdtype, 0, record.txt, record.strings)
    return (record.rdtype, 1, record.text.lower(), record.text)


@dataclass(frozen=True)
class CnameLink:
    """One CNAME followed on the way to an answer."""

    owner: str
    target: str
    origin: Location | None = None


@dataclass(frozen=True)
class Answer:
    """The result of asking one (name, type) question."""

    name: str
    rdtype: str
    outcome: Outcome
    records: tuple[Record, ...] = ()
    cnames: tuple[CnameLink, ...] = ()
    source: str = ""
    elapsed: float = 0.0
    detail: str = ""
    authenticated: bool | None = None
    signatures: tuple[Record, ...] = ()
    # A network failure (timeout, SERVFAIL, closed, deadline): another subject asking the
    # same question later asks the network again instead of sharing this failure.
    transient: bool = False

    def __post_init__(self) -> None:
        # one order whatever order the server sent (see record_order): evidence, data and
        # "the first record" never change with a server's rotation (most answers hold one)
        if len(self.records) > 1:
            ordered = tuple(sorted(self.records, key=record_order))
            object.__setattr__(self, "records", ordered)

    @property
    def ok(self) -> bool:
        return not self.outcome.is_error

    @property
    def exists(self) -> bool:
        return self.outcome is Outcome.NOERROR and bool(self.records)

    @property
    def void(self) -> bool:
        """NXDOMAIN or NODATA: a "void lookup" in SPF terms (RFC 7208 4.6.4)."""
        return self.outcome in (Outcome.NXDOMAIN, Outcome.NODATA)

    @property
    def canonical(self) -> str:
        return self.cnames[-1].target if self.cnames else self.name

    def texts(self) -> list[bytes]:
        return [r.txt for r in self.records]

    def describe(self) -> str:
        """One line for messages: "timeout after 2.0 s from 127.0.0.1:53" and the like."""
        where = f" from {self.source}" if self.source else ""
        if self.outcome is Outcome.NOERROR:
            return f"{len(self.records)} record(s){where}"
        if self.outcome is Outcome.NODATA:
            return f"no {self.rdtype} record (NODATA){where}"
        if self.outcome is Outcome.NXDOMAIN:
            return f"name does not exist (NXDOMAIN){where}"
        if self.outcome is Outcome.OFFLINE and self.detail:
            return self.detail  # "--offline: no zone file covers this name": nothing was asked
        same = f"{self.source} {self.outcome.value}"
        if self.source and (self.detail == same or self.detail.startswith(same + " (")):
            # one server, which said what the outcome says: not "SERVFAIL from S: S SERVFAIL"
            return f"{self.outcome.value}{where}{self.detail[len(same) :]}"
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.outcome.value}{where}{detail}"

    def error_text(self) -> str:
        """ "could not determine" message for ERROR findings. The name as the message named
        it: dnspython's presentation form writes ESC as \\027 where every other text says
        \\x1b once escaped (the query log turns it back the same way)."""
        return f"{from_presentation(self.name)} {self.rdtype}: {self.describe()}"


@dataclass(frozen=True)
class SourceAnswer:
    """What a source says about a name: records, a CNAME chain, and maybe a name to continue at."""

    outcome: Outcome
    records: tuple[Record, ...] = ()
    cnames: tuple[CnameLink, ...] = ()
    continue_at: dns.name.Name | None = None
    detail: str = ""
    signatures: tuple[Record, ...] = ()
    transient: bool = False  # a network failure, not a property of the data: ask again later
    limit: str = ""  # TIMEOUT: which limit ended it (PER_QUERY...), named by the engine
