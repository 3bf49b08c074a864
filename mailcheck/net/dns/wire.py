"""DNS messages by hand: our queries rendered, negative answers read, without dnspython's
Message (a bulk run sends and reads tens of thousands of them).

Most answers of a bulk run are negative (DKIM selector probes): a header, our question, the
zone's SOA and an OPT record. dnspython builds rdata objects, rdatasets and their hashes for
them, about 0.1 ms each. `read_negative` reads only that shape, with the same checks
dnspython's reader makes (label types, compression pointers that point backwards, at most
255 octets per name, each record within its length, nothing after the last record), and
answers None for anything else, which then goes to dnspython as before: it never accepts a
message dnspython would refuse, and never reads one differently.
"""

from __future__ import annotations

import os
import struct
import threading
from typing import TYPE_CHECKING

import dns.flags
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

if TYPE_CHECKING:
    import dns.message

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_QR, _TC, _OPCODE = 0x8000, 0x0200, 0x7800
_SOA, _OPT = 6, 41
_MAX_NAME = 255
_MAX_HOPS = 16  # dnspython's MAX_COMPRESSION_POINTER_CHAIN


class Negative:
    """What the engine reads from a negative answer: header flags, rcode, the question."""

    __slots__ = ("ednsflags", "flags", "id", "qclass", "qname", "qtype")

    def __init__(
        self, id: int, flags: int, qname: bytes, qtype: int, qclass: int, ednsflags: int
    ) -> None:
        self.id = id
        self.flags = flags
        self.qname = qname  # the question's name in wire form, lower-cased
        self.qtype = qtype
        self.qclass = qclass
        self.ednsflags = ednsflags

    def rcode(self) -> dns.rcode.Rcode:
        # as dns.rcode.from_flags: the OPT record's TTL holds the upper 8 bits
        return dns.rcode.from_flags(self.flags, self.ednsflags)


def read_negative(data: bytes) -> Negative | None:
    """The negative answer in `data`, or None when it is anything else (or malformed)."""
    if len(data) < 12:
        return None
    qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    if (
        not flags & _QR
        or flags & (_TC | _OPCODE)  # truncated, or not a QUERY: the full parser decides
        or qdcount != 1
        or ancount != 0
        or nscount > 1
        or arcount > 1
    ):
        return None
    end = len(data)
    # The question: its name is the first in the message, so it cannot be compressed.
    offset = 12
    labels_end = _plain_name_end(data, offset)
    if labels_end is None or labels_end + 4 > end:
        return None
    qname = data[offset:labels_end].lower()
    qtype, qclass = struct.unpack_from("!HH", data, labels_end)
    offset = labels_end + 4
    if nscount:
        soa_end = _soa_record(data, offset)
        if soa_end is None:
            return None
        offset = soa_end
    ednsflags = 0
    if arcount:
        # only an OPT record without options: root owner, type 41, no data
        if offset + 11 > end or data[offset] != 0:
            return None
        rdtype, _payload, ttl, rdlen = _RR.unpack_from(data, offset + 1)
        if rdtype != _OPT or rdlen != 0:
            return None
        ednsflags = ttl
        offset += 11
    if offset != end:  # trailing data: dnspython refuses the message
        return None
    return Negative(qid, flags, qname, qtype, qclass, ednsflags)


def _plain_name_end(data: bytes, offset: int) -> int | None:
    """Where an uncompressed name starting at `offset` ends (after its root label)."""
    end = len(data)
    start = offset
    while True:
        if offset >= end:
            return None
        length = data[offset]
        if length == 0:
            offset += 1
            return offset if offset - start <= _MAX_NAME else None
        if length >= 64:  # a pointer, or a reserved label type
            return None
        offset += 1 + length


def _name_end(data: bytes, offset: int, limit: int) -> int | None:
    """Where a possibly compressed name at `offset` ends in the record, following pointers
    as dnspython does: each one strictly before the previous, the target not overlapping the
    part already read, and the whole name at most 255 octets. None if it is malformed."""
    after: int | None = None  # where the record continues once the first pointer is met
    floor = offset  # a pointer must point before this
    start = offset
    end = limit
    size = 0
    hops = 0
    while True:
        if offset >= end:
            return None
        length = data[offset]
        if length == 0:
            size += 1
            if size > _MAX_NAME:
                return None
            return after if after is not None else offset + 1
        if length < 64:
            if offset + 1 + length > end:
                return None
            size += 1 + length
            offset += 1 + length
            continue
        if length < 192 or offset + 2 > end:
            return None
        target = ((length & 0x3F) << 8) | data[offset + 1]
        if target >= floor:
            return None
        hops += 1
        if hops > _MAX_HOPS:
            return None
        if after is None:
            after = offset + 2
        floor = target
        end = start  # the target must lie wholly before the part of the name read so far
        start = offset = target


def _soa_record(data: bytes, offset: int) -> int | None:
    """The end of one SOA record at `offset` (owner, type, class, TTL, rdata), or None."""
    end = len(data)
    owner_end = _name_end(data, offset, end)
    if owner_end is None or owner_end + 10 > end:
        return None
    rdtype, _rdclass, _ttl, rdlen = _RR.unpack_from(data, owner_end)
    rdata: int = owner_end + 10
    if rdtype != _SOA or rdata + rdlen > end:
        return None
    limit: int = rdata + int(rdlen)
    mname_end = _name_end(data, rdata, limit)
    if mname_end is None:
        return None
    rname_end = _name_end(data, mname_end, limit)
    if rname_end is None or rname_end + 20 != limit:  # five 32-bit numbers, nothing more
        return None
    return limit


# EDNS0 (RFC 6891): the UDP payload we accept, as BIND and Unbound advertise (DNS flag day 2020).
PAYLOAD = 1232
_RD, _AD, _DO = 0x0100, 0x0020, 0x8000
# rcodes whose answer may carry no question section (dnspython's is_response allows it too)
_BARE_RCODES = frozenset(
    {dns.rcode.FORMERR, dns.rcode.SERVFAIL, dns.rcode.NOTIMP, dns.rcode.REFUSED}
)


class _Ids:
    """Query IDs from the operating system's random source, read 2,048 at a time: one
    getrandom() call per query cost a bulk run a syscall and a lock hand-over each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[int] = []

    def reset(self) -> None:
        """In a forked child: a lock of its own, and never the parent's next IDs."""
        self._lock = threading.Lock()
        self._ids = []

    def next(self) -> int:
        with self._lock:
            if not self._ids:
                pool = os.urandom(4096)
                self._ids = [int.from_bytes(pool[i : i + 2], "big") for i in range(0, 4096, 2)]
            return self._ids.pop()


_IDS = _Ids()
os.register_at_fork(after_in_child=_IDS.reset)


class Request:
    """One recursive question, rendered once: what `dns.message.make_query(qname, rdtype,
    use_edns=0, payload=1232, want_dnssec=dnssec)` with RD (and AD with DNSSEC) sends, byte for
    byte, for a tenth of the CPU (bulk runs send tens of thousands of them)."""

    __slots__ = ("_folded", "id", "qname", "rdtype", "wire")

    def __init__(self, qname: dns.name.Name, rdtype: int, dnssec: bool = False) -> None:
        # dnspython draws its ids from the operating system's random source too
        self.id = _IDS.next()
        self.qname = qname
        self.rdtype = rdtype
        name_wire = qname.to_wire() or b""  # bytes: no file given
        self._folded = name_wire.lower()  # as Name equality compares: ASCII case folded
        flags = _RD | (_AD if dnssec else 0)
        self.wire = b"".join(
            (
                struct.pack("!HHHHHH", self.id, flags, 1, 0, 0, 1),
                name_wire,
                struct.pack("!HH", rdtype, dns.rdataclass.IN),
                # OPT: root owner, type 41, class = payload, TTL = ext-rcode/version/DO, no data
                struct.pack("!BHHIH", 0, 41, PAYLOAD, _DO if dnssec else 0, 0),
            )
        )

    def to_wire(self) -> bytes:
        return self.wire

    def is_response(self, response: dns.message.Message | Negative) -> bool:
        """As `dns.message.Message.is_response` decides for our query: QR set, our id, a QUERY,
        and a question section naming exactly our question (or none, with an error rcode)."""
        if isinstance(response, Negative):  # read by read_negative: QR set, a QUERY
            return (
                response.id == self.id
                and response.qname == self._folded
                and response.qclass == dns.rdataclass.IN
                and response.qtype == self.rdtype
            )
        if (
            not response.flags & dns.flags.QR
            or response.id != self.id
            or dns.opcode.from_flags(response.flags) != dns.opcode.QUERY
        ):
            return False
        questions = response.question
        if not questions:
            return response.rcode() in _BARE_RCODES
        return all(
            q.name == self.qname
            and q.rdclass == dns.rdataclass.IN
            and q.rdtype == self.rdtype
            and q.covers == dns.rdatatype.NONE
            for q in questions
        )
