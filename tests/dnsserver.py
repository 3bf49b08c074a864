"""A small authoritative DNS server for tests: BIND zone files over UDP and TCP on loopback.

It is deliberately independent of mailcheck's own zone code, so the engine is tested
against a separate implementation. It can add a delay to every answer (benchmarks) and
misbehave on purpose for chosen names (and everything under them):

- SERVFAIL, REFUSED: that rcode; DROP: never answer; DROP_HALF: ignore a random half;
  DROP_FIRST_2: ignore the first two queries for each name and type
- TC_EOF: truncated over UDP, then the TCP connection closes without an answer
- TC_TCP: truncated over UDP and over TCP too
- TC_STALL: truncated over UDP, then TCP accepts and never answers
- TC: truncated over UDP, answered over TCP (after the delay)
- SPOOF: a forged answer with the right ID arrives first, from another loopback address
- SPOOF_PORT: the same, from the server's address but another port
- MISMATCH: from the server's own address and port, first an answer with another ID, then
  one with the right ID for another question, then the real answer
- STRAY: TXT and MX answers hold records of another name only ("v=spf1 +all" at
  stray.elsewhere.example), as a broken or forging server sends
- REFERRAL: as an authoritative server that does not serve the name answers: no answer, no
  AA or RA bit, the NS records of a zone elsewhere in the authority section
"""

from __future__ import annotations

import contextlib
import heapq
import random
import select
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone


@dataclass
class ServerConfig:
    zones: list[dns.zone.Zone] = field(default_factory=list)
    delay: float = 0.0
    jitter: float = 0.0  # each answer waits delay + a random part of this (order shuffled)
    # name (and everything under it) -> "SERVFAIL" | "REFUSED" | "DROP" | "NOAA" (answers
    # without the authoritative-answer bit, like a lame server answering from its cache)
    behaviours: dict[str, str] = field(default_factory=dict)
    queries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    tcp_open: int = 0  # TCP connections open now, and the most ever open at once
    tcp_peak: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    seen: dict[str, int] = field(default_factory=dict)

    def wait(self) -> float:
        """How long one answer waits before it is sent."""
        return self.delay + (random.uniform(0, self.jitter) if self.jitter else 0.0)


def load_zone_files(paths: Iterable[Path]) -> list[dns.zone.Zone]:
    zones = []
    for path in paths:
        zones.append(dns.zone.from_file(str(path), relativize=False, check_origin=False))
    return zones


_NAMES: dict[str, dns.name.Name] = {}


def _behaviour(config: ServerConfig, qname: dns.name.Name) -> str | None:
    for name, what in config.behaviours.items():
        parsed = _NAMES.get(name)
        if parsed is None:
            parsed = _NAMES[name] = dns.name.from_text(name)
        if qname.is_subdomain(parsed):
            return what
    return None


def _zone_for(config: ServerConfig, qname: dns.name.Name, rdtype: int = 0) -> dns.zone.Zone | None:
    best = None
    for zone in config.zones:
        assert zone.origin is not None
        if rdtype == dns.rdatatype.DS and qname == zone.origin:
            continue  # DS records are served by the parent zone
        if qname.is_subdomain(zone.origin) and (
            best is None or len(zone.origin.labels) > len(best.origin.labels)  # type: ignore
        ):
            best = zone
    return best


# id(zone) -> (zone, names): the zone is kept with its names, so a later zone that reuses a
# freed zone's id never sees the old zone's names (that made NODATA answers NXDOMAIN)
_EXISTING: dict[int, tuple[dns.zone.Zone, set[dns.name.Name]]] = {}


def _name_exists(zone: dns.zone.Zone, qname: dns.name.Name) -> bool:
    """Owner names and their ancestors exist (an empty non-terminal is NODATA, RFC 8020)."""
    entry = _EXISTING.get(id(zone))
    if entry is None or entry[0] is not zone:
        existing: set[dns.name.Name] = set()
        for name in zone.nodes:
            while name not in existing and name != dns.name.root:
                existing.add(name)
                name = name.parent()
        entry = _EXISTING[id(zone)] = (zone, existing)
    return qname in entry[1]


_SPECIAL = frozenset(
    {"DROP_FIRST_2", "DROP_HALF", "TC", "TC_EOF", "TC_TCP", "TC_STALL", "SPOOF", "SPOOF_PORT"}
)


def _behaviour_of_wire(config: ServerConfig, data: bytes) -> tuple[str, dns.message.Message] | None:
    """The special UDP behaviour for this query, if any (parsed only when one is configured)."""
    if not _SPECIAL.intersection(config.behaviours.values()):
        return None
    try:
        request = dns.message.from_wire(data)
    except dns.exception.DNSException:
        return None
    what = _behaviour(config, request.question[0].name)
    return (what, request) if what in _SPECIAL else None


def _wildcard(zone: dns.zone.Zone, qname: dns.name.Name) -> dns.node.Node | None:
    """The "*" child of the closest encloser answers a name that does not exist (RFC 4592
    synthesis), as the --zone overlay does: one zone, the same answers both ways."""
    name = qname
    while name != zone.origin and name.is_subdomain(zone.origin):
        name = name.parent()
        if _name_exists(zone, name) or name == zone.origin:
            node: dns.node.Node | None = zone.get_node(dns.name.Name(("*", *name.labels)))
            return node
    return None


def answer(config: ServerConfig, request: dns.message.Message) -> dns.message.Message | None:
    with config.lock:
        config.queries += 1
    question = request.question[0]
    response = dns.message.make_response(request)
    response.flags |= dns.flags.AA | dns.flags.RA
    behaviour = _behaviour(config, question.name)
    if behaviour == "DROP":
        return None
    if behaviour in ("SERVFAIL", "REFUSED"):
        response.set_rcode(dns.rcode.from_text(behaviour))
        return response
    if behaviour == "STRAY":
        data = {dns.rdatatype.TXT: '"v=spf1 +all"', dns.rdatatype.MX: "10 mx.elsewhere.example."}
        if question.rdtype in data:
            response.answer.append(
                dns.rrset.from_text(
                    "stray.elsewhere.example.", 300, "IN", question.rdtype, data[question.rdtype]
                )
            )
        return response
    if behaviour == "REFERRAL":
        response.flags &= ~(dns.flags.AA | dns.flags.RA)
        response.authority.append(
            dns.rrset.from_text("test.", 300, "IN", "NS", "ns.elsewhere.example.")
        )
        return response
    if behaviour == "NOAA":
        response.flags &= ~dns.flags.AA
    qname = question.name
    dnssec = request.edns >= 0 and bool(request.ednsflags & dns.flags.DO)
    for hop in range(10):
        # a CNAME into a misbehaving zone fails like that zone does (as a resolver sees it)
        if hop and _behaviour(config, qname) in ("SERVFAIL", "REFUSED"):
            response.answer = []
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        zone = _zone_for(config, qname, question.rdtype)
        if zone is None:
            if qname == question.name:
                response.set_rcode(dns.rcode.REFUSED)
            return response
        node = zone.get_node(qname)
        if node is None and not _name_exists(zone, qname):
            node = _wildcard(zone, qname)
        if node is None:
            if not _name_exists(zone, qname):
                response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
        if rdataset is not None:
            rrset = dns.rrset.RRset(qname, dns.rdataclass.IN, question.rdtype)
            rrset.update(rdataset)
            response.answer.append(rrset)
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, question.rdtype)
            if dnssec and sigs is not None:
                sig_rrset = dns.rrset.RRset(
                    qname, dns.rdataclass.IN, dns.rdatatype.RRSIG, question.rdtype
                )
                sig_rrset.update(sigs)
                response.answer.append(sig_rrset)
            return response
        cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None:
            return response
        rrset = dns.rrset.RRset(qname, dns.rdataclass.IN, dns.rdatatype.CNAME)
        rrset.update(cname)
        response.answer.append(rrset)
        qname = next(iter(cname)).target
    return response


def udp_response(
    config: ServerConfig, data: bytes, cache: dict[bytes, bytes | None]
) -> bytes | None:
    """The answer to one datagram. Answers depend only on the query after its ID, so they are
    cached: the server stays cheap enough not to distort benchmarks."""
    key = data[2:]
    if key not in cache:
        try:
            request = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        with config.lock:
            config.queries -= 1  # answer() counts it; counted again below
        response = answer(config, request)
        if response is None:
            cache[key] = None
        else:
            limit = request.payload if request.edns >= 0 else 512
            wire = response.to_wire(max_size=65535)
            if len(wire) > limit:
                response.answer = []
                response.flags |= dns.flags.TC
                wire = response.to_wire()
            cache[key] = wire[2:]
    with config.lock:
        config.queries += 1
    cached = cache[key]
    return None if cached is None else data[:2] + cached


class _UdpLoop:
    """One thread: receive, answer from the cache, send when the configured delay is over."""

    def __init__(self, config: ServerConfig, host: str, port: int) -> None:
        self.config = config
        self.sock = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM
        )
        self.sock.bind((host, port))
        # Bursts of thousands of queries (benchmarks) must not overflow the kernel buffers.
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, option, 8 * 1024 * 1024)
        self._running = True
        self._cache: dict[bytes, bytes | None] = {}
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        pending: list[tuple[float, int, bytes, object]] = []
        sequence = 0
        while self._running:
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _due, _seq, wire, address = heapq.heappop(pending)
                with contextlib.suppress(OSError):
                    self.sock.sendto(wire, address)
            timeout = max(0.0, pending[0][0] - now) if pending else 0.1
            readable, _, _ = select.select([self.sock], [], [], timeout)
            if not readable:
                continue
            while True:
                try:
                    data, address = self.sock.recvfrom(65535, socket.MSG_DONTWAIT)
                except OSError:
                    break
                special = _behaviour_of_wire(self.config, data)
                if special is not None and self._special(*special, data, address, pending):
                    continue
                wire = udp_response(self.config, data, self._cache)
                if wire is None:
                    continue
                sequence += 1
                due = time.monotonic() + self.config.wait()
                heapq.heappush(pending, (due, sequence, wire, address))

    def _special(
        self,
        behaviour: str,
        request: dns.message.Message,
        data: bytes,
        address: Any,
        pending: list[Any],
    ) -> bool:
        """True when the datagram was handled here (not by the normal answer path)."""
        if behaviour == "DROP_HALF":
            with self.config.lock:
                self.config.queries += 1
            return random.random() < 0.5
        if behaviour == "DROP_FIRST_2":
            question = request.question[0]
            key = f"{question.name}/{question.rdtype}"
            with self.config.lock:
                self.config.queries += 1
                seen = self.config.seen[key] = self.config.seen.get(key, 0) + 1
            if seen <= 2:
                return True
            with self.config.lock:
                self.config.queries -= 1  # counted again on the normal path
            return False
        if behaviour in ("TC", "TC_EOF", "TC_TCP", "TC_STALL"):
            with self.config.lock:
                self.config.queries += 1
            response = dns.message.make_response(request)
            response.flags |= dns.flags.TC | dns.flags.AA
            self.sock.sendto(response.to_wire(), address)
            return True
        if behaviour == "MISMATCH":
            question = request.question[0]
            other_id = dns.message.make_response(request)
            other_id.id = (request.id + 1) % 65536
            other_id.answer.append(
                dns.rrset.from_text(question.name, 300, "IN", "TXT", '"v=spf1 +all"')
            )
            other_name = dns.message.make_query("forged.example.", question.rdtype)
            other_name.id = request.id
            other_question = dns.message.make_response(other_name)
            for forged in (other_id, other_question):
                self.sock.sendto(forged.to_wire(), address)
            wire = udp_response(self.config, data, self._cache)
            if wire is not None:
                heapq.heappush(pending, (time.monotonic() + 0.05, -1, wire, address))
            return True
        if behaviour in ("SPOOF", "SPOOF_PORT"):
            forged = dns.message.make_response(request)
            question = request.question[0]
            rdata = "6.6.6.6" if question.rdtype == dns.rdatatype.A else '"v=spf1 +all"'
            forged.answer.append(
                dns.rrset.from_text(question.name, 300, "IN", question.rdtype, rdata)
            )
            # SPOOF: another address, but the server's own port (what a client that checks
            # only the port accepts); SPOOF_PORT: the server's address, another port.
            own_host, own_port = self.sock.getsockname()[:2]
            source = (own_host, 0) if behaviour == "SPOOF_PORT" else ("127.0.0.2", own_port)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as liar:
                try:
                    liar.bind(source)
                except OSError:
                    liar.bind((source[0], 0))
                liar.sendto(forged.to_wire(), address)
            wire = udp_response(self.config, data, self._cache)
            if wire is not None:  # the real answer, a little later
                heapq.heappush(pending, (time.monotonic() + 0.05, -1, wire, address))
            return True
        return False

    def stop(self) -> None:
        self._running = False
        self.thread.join(timeout=2)
        self.sock.close()


class _TCPHandler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        try:
            header = sock.recv(2)
            if len(header) < 2:
                return
            (length,) = struct.unpack("!H", header)
            data = b""
            while len(data) < length:
                chunk = sock.recv(length - len(data))
                if not chunk:
                    return
                data += chunk
            request = dns.message.from_wire(data)
        except (OSError, dns.exception.DNSException):
            return
        config = self.server.config
        with config.lock:
            config.tcp_open += 1
            config.tcp_peak = max(config.tcp_peak, config.tcp_open)
        try:
            wire = self._answer(sock, config, request)
        finally:
            # no longer open before the answer leaves: a client that opens its next
            # connection on reading it is never counted beside this one
            with config.lock:
                config.tcp_open -= 1
        if wire is not None:
            with contextlib.suppress(OSError):
                sock.sendall(struct.pack("!H", len(wire)) + wire)

    def _answer(
        self, sock: socket.socket, config: ServerConfig, request: dns.message.Message
    ) -> bytes | None:
        behaviour = _behaviour(config, request.question[0].name)
        if behaviour == "TC_EOF":
            return None  # close without a word
        if behaviour == "TC_STALL":
            select.select([sock], [], [], 30)  # until the client gives up (EOF) or 30 s
            return None
        if config.delay or config.jitter:
            time.sleep(config.wait())
        response = answer(config, request)
        if response is None:
            return None
        if behaviour == "TC_TCP":
            response.answer = []
            response.flags |= dns.flags.TC
        return response.to_wire(max_size=65535)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    config: ServerConfig


class DnsServer:
    """`with DnsServer(zone_paths) as server: server.address  # "127.0.0.1:PORT"`."""

    def __init__(
        self,
        zone_paths: Iterable[Path],
        delay: float = 0.0,
        behaviours: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        jitter: float = 0.0,
    ) -> None:
        self.config = ServerConfig(
            load_zone_files(zone_paths), delay, jitter, dict(behaviours or {})
        )
        # One port for both protocols: bind TCP first, then UDP on the same number.
        wanted = port  # 0: any free port
        for _ in range(20):
            tcp = _TCPServer((host, wanted), _TCPHandler)
            port = tcp.server_address[1]
            try:
                udp = _UdpLoop(self.config, host, port)
            except OSError:
                tcp.server_close()
                if wanted:
                    raise  # the asked port is taken for UDP: trying it again will not help
                continue
            break
        else:  # pragma: no cover
            raise RuntimeError("no free port for the test DNS server")
        tcp.config = self.config
        self.host, self.port = host, port
        self._tcp = tcp
        self._udp = udp
        self._threads = [threading.Thread(target=tcp.serve_forever, daemon=True), udp.thread]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def queries(self) -> int:
        return self.config.queries

    def start(self) -> DnsServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.config.stopping.set()
        self._tcp.shutdown()
        self._tcp.server_close()
        self._udp.stop()

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
