"""Plain DNS over UDP for a whole run: a few sockets, one I/O thread, bounded queries in flight.

A thread per query made Python's lock switching the bottleneck of large runs; here every
question is a small state (socket, ID, timer) and answers are matched to questions by socket,
ID and question section. Answers too large for UDP are fetched over TCP in a helper thread.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import secrets
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query

MAX_DATAGRAM = 65535
SOCKETS_PER_FAMILY = 4

# response, or None and the reason ("timeout", an OS error text ...)
Done = Callable[[dns.message.Message | None, str], None]


@dataclass
class _Query:
    request: dns.message.Message
    wire: bytes
    host: str
    port: int
    timeout: float
    done: Done
    key: tuple[int, int] | None = None
    expires: float = 0.0


class UdpClient:
    def __init__(self, max_in_flight: int = 64) -> None:
        self.max_in_flight = max(1, max_in_flight)
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._sockets: dict[int, list[socket.socket]] = {}
        self._inflight: dict[tuple[int, int], _Query] = {}
        self._waiting: collections.deque[_Query] = collections.deque()
        self._timers: list[tuple[float, int, tuple[int, int]]] = []
        self._sequence = itertools.count()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- public -----------------------------------------------------------------------

    def query(
        self, request: dns.message.Message, host: str, port: int, timeout: float, done: Done
    ) -> None:
        """Send `request`; `done(response, "")` or `done(None, reason)` runs in the I/O thread."""
        item = _Query(request, b"", host, port, timeout, done)
        with self._lock:
            if self._closed:
                done(None, "closed")
                return
            self._waiting.append(item)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, daemon=True, name="mailcheck-dns-io"
                )
                self._thread.start()
        self._wake()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for sockets in self._sockets.values():
            for sock in sockets:
                sock.close()
        self._wake_r.close()
        self._wake_w.close()

    # -- I/O thread -------------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _family_sockets(self, family: int) -> list[socket.socket]:
        sockets = self._sockets.get(family)
        if sockets is None:
            sockets = []
            for _ in range(SOCKETS_PER_FAMILY):
                sock = socket.socket(family, socket.SOCK_DGRAM)
                sock.setblocking(False)
                sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))  # noqa: S104 - an ephemeral client port
                self._selector.register(sock, selectors.EVENT_READ, sock)
                sockets.append(sock)
            self._sockets[family] = sockets
        return sockets

    def _start_waiting(self) -> None:
        while True:
            with self._lock:
                if not self._waiting or len(self._inflight) >= self.max_in_flight:
                    return
                item = self._waiting.popleft()
            self._send(item)

    def _send(self, item: _Query) -> None:
        family = socket.AF_INET6 if ":" in item.host else socket.AF_INET
        try:
            sockets = self._family_sockets(family)
        except OSError as exc:
            item.done(None, exc.strerror or str(exc))
            return
        index = secrets.randbelow(len(sockets))
        sock = sockets[index]
        for _ in range(100):
            qid = secrets.randbelow(65536)
            if (sock.fileno(), qid) not in self._inflight:
                break
        item.request.id = qid
        item.key = (sock.fileno(), qid)
        try:
            item.wire = item.request.to_wire()
            sock.sendto(item.wire, (item.host, item.port))
        except OSError as exc:
            item.done(None, exc.strerror or str(exc))
            return
        item.expires = time.monotonic() + item.timeout
        self._inflight[item.key] = item
        heapq.heappush(self._timers, (item.expires, next(self._sequence), item.key))

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    break
            self._start_waiting()
            now = time.monotonic()
            timeout = max(0.0, self._timers[0][0] - now) if self._timers else None
            for key, _mask in self._selector.select(timeout):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    continue
                self._receive(key.data)
            self._expire(time.monotonic())
        for item in list(self._inflight.values()) + list(self._waiting):
            item.done(None, "closed")

    def _receive(self, sock: socket.socket) -> None:
        while True:
            try:
                data, source = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ICMP port unreachable surfaces here on Linux; the timer reports it.
                return
            if len(data) < 12:
                continue
            key = (sock.fileno(), int.from_bytes(data[:2], "big"))
            item = self._inflight.get(key)
            if item is None or source[1] != item.port:
                continue
            try:
                response = dns.message.from_wire(data, question_only=False)
            except dns.exception.DNSException:
                continue
            if not item.request.is_response(response):
                continue  # a stray or spoofed datagram: keep waiting for the real one
            del self._inflight[key]
            if response.flags & dns.flags.TC:
                threading.Thread(target=self._tcp, args=(item,), daemon=True).start()
                continue
            item.done(response, "")

    def _tcp(self, item: _Query) -> None:
        try:
            response = dns.query.tcp(item.request, item.host, timeout=item.timeout, port=item.port)
        except dns.exception.Timeout:
            item.done(None, "timeout (TCP)")
            return
        except (OSError, dns.exception.DNSException) as exc:
            item.done(None, f"TCP: {exc}")
            return
        item.done(response, "")

    def _expire(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _due, _seq, key = heapq.heappop(self._timers)
            item = self._inflight.get(key)
            if item is not None and item.expires <= now:
                del self._inflight[key]
                item.done(None, "timeout")
