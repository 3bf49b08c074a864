"""net/dns/direct.py: asking one name server on its own trusts only that server's answer to
the question asked; a forged datagram from another address or with another ID is skipped."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.rrset
import pytest

from mailcheck.net.dns.answer import Outcome
from mailcheck.net.dns.direct import ask_server

pytestmark = pytest.mark.timeout(30)


def _soa_reply(query: dns.message.Message, serial: int) -> bytes:
    reply = dns.message.make_response(query)
    reply.flags |= dns.flags.AA
    reply.answer.append(
        dns.rrset.from_text(
            query.question[0].name,
            300,
            "IN",
            "SOA",
            f"ns1.zone.test. hm.zone.test. {serial} 7200 3600 1209600 3600",
        )
    )
    return reply.to_wire()


@pytest.fixture
def liar() -> Iterator[tuple[int, list[str]]]:
    """127.0.0.2 answers serial 1, after a forger at 127.0.0.3 and a wrong ID claim serial 666."""
    real = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    real.bind(("127.0.0.2", 0))
    forger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    forger.bind(("127.0.0.3", 0))
    real.settimeout(0.2)
    mode: list[str] = ["forge"]
    running = True

    def serve() -> None:
        while running:
            try:
                data, client = real.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            forger.sendto(_soa_reply(query, 666), client)  # right ID, wrong address
            wrong_id = dns.message.from_wire(data)
            wrong_id.id = (query.id + 1) % 65536
            real.sendto(_soa_reply(wrong_id, 666), client)  # right address, wrong ID
            time.sleep(0.05)
            if mode[0] == "forge":
                real.sendto(_soa_reply(query, 1), client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield real.getsockname()[1], mode
    running = False
    thread.join(timeout=2)
    real.close()
    forger.close()


def test_forged_answers_are_skipped(liar: tuple[int, list[str]]) -> None:
    port, _mode = liar
    answer = ask_server(
        "127.0.0.2", port, "zone.test", "SOA", timeout=2.0, deadline=time.monotonic() + 5
    )
    assert answer.outcome is Outcome.NOERROR and answer.authoritative
    assert [r.rdata.serial for r in answer.records] == [1]
    assert answer.server == f"127.0.0.2:{port}"


def test_only_forgeries_is_a_timeout_not_an_answer(liar: tuple[int, list[str]]) -> None:
    port, mode = liar
    mode[0] = "forge only"
    answer = ask_server(
        "127.0.0.2", port, "zone.test", "SOA", timeout=0.3, deadline=time.monotonic() + 5
    )
    assert answer.outcome is Outcome.TIMEOUT and answer.records == ()
    assert answer.describe() == "TIMEOUT: no answer within 0.3 s"


def test_the_deadline_bounds_the_retries() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.2", 0))
    with silent:
        started = time.monotonic()
        answer = ask_server(
            "127.0.0.2",
            silent.getsockname()[1],
            "zone.test",
            "SOA",
            timeout=5.0,
            deadline=started + 0.3,
        )
    # the retry after the first (deadline-capped) try was not made: the deadline ended it
    assert answer.outcome is Outcome.TIMEOUT
    assert answer.detail == "the deadline was reached"
