"""localhost and names under it, answered by the engine itself (RFC 6761 section 6.3): the
loopback address for address queries, no records of any other type, never a question sent to
a server (resolvers may answer NXDOMAIN for it, as the one on these machines does)."""

from __future__ import annotations

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from mailcheck.net.dns.answer import Outcome, Record, SourceAnswer
from mailcheck.net.dns.names import display

LOCALHOST = dns.name.from_text("localhost.")
LOOPBACK = {dns.rdatatype.A: "127.0.0.1", dns.rdatatype.AAAA: "::1"}


class LocalhostSource:
    """A source (see engine.Source) for localhost. and *.localhost.; zone files given by the
    user come first and may say otherwise."""

    label = "localhost (RFC 6761)"

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool:
        return name.is_subdomain(LOCALHOST)

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> SourceAnswer:
        address = LOOPBACK.get(rdtype)
        if address is None:
            return SourceAnswer(Outcome.NODATA)
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, address)
        record = Record(display(name), dns.rdatatype.to_text(rdtype), 0, address, rdata)
        return SourceAnswer(Outcome.NOERROR, (record,))
