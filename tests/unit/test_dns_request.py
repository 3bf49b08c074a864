"""The engine's hand-rendered query is what dnspython would send, and accepts what it would."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from mailcheck.net.dns.exchange import _parse
from mailcheck.net.dns.wire import Request

NAMES = ["bench.test", "Mixed-Case.Example.COM.", "_dmarc.a.b.c.d.e", ".", "x\\046y.test"]
TYPES = [dns.rdatatype.A, dns.rdatatype.TXT, dns.rdatatype.TLSA, dns.rdatatype.DNSKEY]


def _reference(request: Request, dnssec: bool) -> dns.message.Message:
    message = dns.message.make_query(
        request.qname,
        dns.rdatatype.RdataType.make(request.rdtype),
        use_edns=0,
        payload=1232,
        want_dnssec=dnssec,
    )
    message.flags |= dns.flags.RD | (dns.flags.AD if dnssec else 0)
    message.id = request.id
    return message


@pytest.mark.parametrize("dnssec", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_wire_is_byte_for_byte_dnspythons(name: str, dnssec: bool) -> None:
    for rdtype in TYPES:
        request = Request(dns.name.from_text(name), rdtype, dnssec)
        assert request.wire == _reference(request, dnssec).to_wire()


def test_ids_are_random() -> None:
    ids = {Request(dns.name.from_text("a.test"), 1).id for _ in range(200)}
    assert len(ids) > 150  # 16 random bits each: a handful of collisions at most


def _answer(request: Request, **changes: object) -> dns.message.Message:
    response = dns.message.make_response(_reference(request, False))
    for key, value in changes.items():
        setattr(response, key, value)
    return response


def test_accepts_and_rejects_as_dnspython_does() -> None:
    request = Request(dns.name.from_text("Bench.Test"), dns.rdatatype.MX)
    reference = _reference(request, False)
    other_name = dns.message.make_query("other.test", "MX").question
    other_type = dns.message.make_query("bench.test", "A").question
    cases = [
        _answer(request),  # ours
        _answer(request, id=(request.id + 1) & 0xFFFF),  # another id
        _answer(request, flags=0),  # QR not set: a query, not an answer
        _answer(request, question=other_name),
        _answer(request, question=other_type),
        _answer(request, question=[*reference.question, *other_name]),
        _answer(request, question=[]),  # no question, NOERROR
    ]
    servfail = _answer(request, question=[])
    servfail.set_rcode(dns.rcode.SERVFAIL)
    cases.append(servfail)  # no question with an error rcode: accepted by both
    verdicts = [request.is_response(c) for c in cases]
    assert verdicts == [reference.is_response(c) for c in cases]
    assert verdicts == [True, False, False, False, False, False, False, True]


def test_parse_takes_only_our_answer() -> None:
    request = Request(dns.name.from_text("bench.test"), dns.rdatatype.TXT)
    ours = _answer(request).to_wire()
    assert _parse(ours, request) is not None
    assert _parse(ours[:11], request) is None  # shorter than a header
    assert _parse(((request.id + 1) & 0xFFFF).to_bytes(2, "big") + ours[2:], request) is None
    assert _parse(ours[:2] + b"\xff" * 40, request) is None  # garbled


def test_query_ids_are_random_and_a_forked_worker_draws_its_own() -> None:
    import ast
    import os

    name = dns.name.from_text("bench.test.")
    ids = [Request(name, dns.rdatatype.A).id for _ in range(3000)]
    assert len(set(ids)) > 2500  # 16 random bits each: about 2,900 distinct, never a counter
    assert sorted(ids) != ids
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the IDs it would send next
        os.write(writer, repr([Request(name, 1).id for _ in range(50)]).encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    with os.fdopen(reader) as pipe:
        child = ast.literal_eval(pipe.read())
    parent = [Request(name, 1).id for _ in range(50)]
    assert child != parent  # not the parent's buffered IDs (1 in 2**800 by chance)
