"""Negative answers read without dnspython agree with dnspython, on good and hostile bytes."""

from __future__ import annotations

import random

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from mailcheck.net.dns.exchange import _parse
from mailcheck.net.dns.wire import Negative, Request, read_negative


def _negative(
    name: str, rdtype: str, rcode: dns.rcode.Rcode = dns.rcode.NXDOMAIN, edns: bool = True
) -> tuple[Request, bytes]:
    request = Request(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False, payload=1232)
    query.id = request.id
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    soa = dns.rrset.from_text(
        "bulk.test.", 300, "IN", "SOA", "ns.bulk.test. hostmaster.bulk.test. 1 3600 600 86400 300"
    )
    response.authority.append(soa)
    return request, response.to_wire()  # names compressed, as servers send them


CASES = [
    _negative("k9._domainkey.d00001.bulk.test", "TXT"),
    _negative("Mixed.Case.Bulk.Test", "MX", dns.rcode.NOERROR),
    _negative("bulk.test", "AAAA", dns.rcode.NOERROR, edns=False),
    _negative("x.bulk.test", "TXT", dns.rcode.SERVFAIL),
]


@pytest.mark.parametrize(("request_", "wire"), CASES)
def test_reads_what_dnspython_reads(request_: Request, wire: bytes) -> None:
    negative = read_negative(wire)
    full = dns.message.from_wire(wire)
    assert isinstance(negative, Negative)
    assert negative.rcode() == full.rcode()
    assert negative.flags == full.flags
    assert request_.is_response(negative) and request_.is_response(full)


def test_other_shapes_go_to_dnspython() -> None:
    _request, wire = CASES[0]
    query = dns.message.make_query("a.bulk.test", "A")
    answer = dns.message.make_response(query)
    answer.answer.append(dns.rrset.from_text("a.bulk.test.", 60, "IN", "A", "192.0.2.1"))
    assert read_negative(answer.to_wire()) is None  # has an answer record
    truncated = dns.message.from_wire(wire)
    truncated.flags |= dns.flags.TC
    assert read_negative(truncated.to_wire()) is None
    assert read_negative(wire + b"\x00") is None  # trailing data


def _verdict(request: Request, wire: bytes) -> object:
    """What the engine concludes from a datagram: not ours (None), or rcode, flags."""
    parsed = _parse(wire, request)
    return None if parsed is None else (int(parsed.rcode()), int(parsed.flags))


def _reference(request: Request, wire: bytes) -> object:
    """The same, through dnspython alone (what the engine did before negative.py)."""
    try:
        full = dns.message.from_wire(wire)
    except Exception:
        return None
    if wire[:2] != request.id.to_bytes(2, "big") or not request.is_response(full):
        return None
    return (int(full.rcode()), int(full.flags))


@pytest.mark.parametrize("seed", range(4))
def test_garbled_datagrams_are_judged_as_dnspython_judges_them(seed: int) -> None:
    rng = random.Random(seed)
    fast = 0
    for request, wire in CASES:
        for _ in range(1500):
            data = bytearray(wire)
            for _ in range(rng.randint(1, 3)):
                if len(data) < 14:
                    break
                kind = rng.random()
                if kind < 0.6:  # flip a byte after the id (a wrong id is dropped earlier)
                    data[rng.randrange(2, len(data))] = rng.randrange(256)
                elif kind < 0.8:
                    del data[rng.randrange(12, len(data)) :]
                else:  # a compression pointer somewhere
                    at = rng.randrange(12, len(data) - 1)
                    data[at : at + 2] = bytes([0xC0 | rng.randrange(4), rng.randrange(256)])
            sample = bytes(data)
            assert _verdict(request, sample) == _reference(request, sample), sample.hex()
            fast += read_negative(sample) is not None
    assert fast > 100  # the fast path itself was exercised, not only the fallback
