"""Plain DNS over UDP and TCP for a whole run: one I/O thread, bounded queries in flight.

A thread per query made Python's lock switching the bottleneck of large runs; here every
question is a small state (socket, timer) driven by one selector loop. Each UDP query gets
its own socket, connected to the server it asks: the kernel picks a fresh random source
port, delivers only datagrams from that address and port, and reports ICMP port-unreachable
at once. Answers are still matched by ID and question section. Truncated answers are fetched
over TCP in the same loop, counted against the same concurrency limit.

Rules that keep every caller's future completing: `done` is called exactly once per query,
never while a lock is held, and the loop survives any exception a callback raises.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import heapq
import ipaddress
import itertools
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import dns.flags

from mailcheck.net.dns.answer import PER_QUERY, PER_QUERY_TCP
from mailcheck.net.dns.wire import Negative, Request, read_negative

if TYPE_CHECKING:
    # dnspython's message reader (~15 ms of imports) is loaded when the first answer is read,
    # while the first questions travel, not before they leave
    import dns.message

    # A response (a negative one read without dnspython: see wire.py)
    Response: TypeAlias = dns.message.Message | Negative
    # response, or None and the reason ("timeout", DEADLINE, "port unreachable", ...)
    Done: TypeAlias = Callable[[Response | None, str], None]

MAX_DATAGRAM = 65535

# Reasons that say the server cannot be reached at all: asking it again is pointless.
UNREACHABLE = "port unreachable"
# The lookup's deadline (per domain, or the run's) came before an answer.
DEADLINE = "deadline reached before an answer"


@dataclass(eq=False, slots=True)
class _Query:
    """One DNS query in flight: where it goes, its limits and who waits for it."""

    request: Request
    host: str
    port: int
    timeout: float
    deadline: float
    done: Done
    sock: socket.socket | None = None
    expires: float = 0.0
    active: bool = False
    finished: bool = False
    tcp: bool = False
    outgoing: bytes = b""
    incoming: bytearray = field(default_factory=bytearray)


class DnsTransport:
    """`query()` from any thread; `done(response, "")` or `done(None, reason)` in the I/O thread."""

    def __init__(self, max_in_flight: int = 64, max_qps: float | None = None) -> None:
        self.max_in_flight = _within_fd_limit(max(1, max_in_flight))
        # --max-qps: a token bucket (a tenth of a second's worth of burst) over UDP sends
        self.max_qps = max_qps if max_qps and max_qps > 0 else None
        self._burst = max(1.0, (self.max_qps or 0) / 10)
        self._tokens = self._burst
        self._refilled = time.monotonic()
        self._throttled_until = 0.0
        self._lock = threading.Lock()
        self._submitted: list[_Query] = []
        self._calls: list[tuple[float, Callable[[], None]]] = []
        self._closed = False
        self._wake_pending = False
        self._thread: threading.Thread | None = None
        # Owned by the I/O thread only:
        self._selector = selectors.DefaultSelector()
        self._queue: collections.deque[_Query] = collections.deque()
        self._timers: list[tuple[float, int, object]] = []
        self._compact_at = 1024
        self._sequence = itertools.count()
        self._active = 0
        self._wake_r, self._wake_w = socket.socketpair()
        # Both ends non-blocking: a burst of submissions must never block the I/O thread or
        # a caller on a full socket buffer (one pending byte is enough to wake the loop).
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)

    # -- public, any thread -------------------------------------------------------------

    def query(
        self,
        request: Request,
        host: str,
        port: int,
        timeout: float,
        deadline: float,
        done: Done,
    ) -> None:
        """Ask `host:port`; `done` runs once, in the I/O thread (or here, if closed)."""
        item = _Query(request, host, port, timeout, deadline, done)
        with self._lock:
            closed = self._closed
            if not closed:
                self._submitted.append(item)
                self._ensure_thread()
        if closed:
            _call(done, None, "closed")
            return
        self._wake()

    def call_at(self, when: float, function: Callable[[], None]) -> None:
        """Run `function` in the I/O thread at monotonic time `when` (or at close)."""
        with self._lock:
            closed = self._closed
            if not closed:
                self._calls.append((when, function))
                self._ensure_thread()
        if closed:
            _call(function)
            return
        self._wake()

    @property
    def timers(self) -> int:
        """Timers held now (timeouts, deadlines, calls): proportional to the open queries."""
        return len(self._timers)

    def close(self) -> None:
        """Stop: every query still queued or in flight completes with "closed"."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if thread is None:
            self._shutdown()

    # -- internals ------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="mailcheck-dns")
            self._thread.start()

    def _wake(self) -> None:
        with self._lock:
            if self._wake_pending:
                return
            self._wake_pending = True
        with contextlib.suppress(OSError):  # full buffer: a wake-up is already pending
            self._wake_w.send(b"\0")

    def _loop(self) -> None:
        try:
            while self._step():
                pass
        except BaseException as exc:  # never die silently: report, then fail every query
            sys.stderr.write(f"mailcheck: DNS I/O thread stopped: {type(exc).__name__}: {exc}\n")
        finally:
            with self._lock:
                self._closed = True
            self._shutdown()

    def _step(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            submitted, self._submitted = self._submitted, []
            calls, self._calls = self._calls, []
        self._queue.extend(submitted)
        for when, function in calls:
            self._push(when, function)
        self._start_queued()
        for item in submitted:
            if not item.active and not item.finished:
                self._push(item.deadline, item)  # still queued: it must end by its deadline
        now = time.monotonic()
        timeout = max(0.0, self._timers[0][0] - now) if self._timers else None
        for key, mask in self._selector.select(timeout):
            if key.data is None:
                # Drain first, then allow the next wake-up byte: the other order loses a
                # wake-up that arrives in between and leaves the loop asleep.
                with contextlib.suppress(OSError):
                    while self._wake_r.recv(4096):
                        pass
                with self._lock:
                    self._wake_pending = False
                continue
            self._ready(key.data, mask)
        self._expire(time.monotonic())
        return True

    def _push(self, when: float, what: object) -> None:
        heapq.heappush(self._timers, (when, next(self._sequence), what))
        if len(self._timers) > self._compact_at:
            # A finished query's timers (its deadline may be an hour away) would otherwise
            # keep it, its request and its callbacks until then: drop them now and then, so
            # the heap stays proportional to what is queued or in flight (amortised O(1)).
            self._timers = [
                t for t in self._timers if not (isinstance(t[2], _Query) and t[2].finished)
            ]
            heapq.heapify(self._timers)
            self._compact_at = max(1024, 2 * len(self._timers))

    def _start_queued(self) -> None:
        while self._queue and self._active < self.max_in_flight:
            item = self._queue[0]
            if item.finished:
                self._queue.popleft()
                continue
            if time.monotonic() >= item.deadline:
                self._queue.popleft()
                self._finish(item, None, DEADLINE)
                continue
            if self.max_qps is not None and not self._take_token():
                return
            self._queue.popleft()
            self._send_udp(item)

    def _take_token(self) -> bool:
        """One send under --max-qps; when the bucket is empty, wake when it has a token."""
        assert self.max_qps is not None
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._refilled) * self.max_qps)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        ready = now + (1 - self._tokens) / self.max_qps
        if self._throttled_until <= now:
            self._throttled_until = ready
            self._push(ready, _nothing)  # the loop's next pass starts the queue again
        return False

    def _send_udp(self, item: _Query) -> None:
        item.active = True
        self._active += 1
        try:
            sock = socket.socket(_family(item.host), socket.SOCK_DGRAM)
            item.sock = sock
            sock.setblocking(False)
            # connect(): a random ephemeral port of its own, replies from this server only,
            # and ICMP errors reported on this socket.
            sock.connect((item.host, item.port))
            sock.send(item.request.wire)
        except OSError as exc:
            self._finish(item, None, _reason(exc))
            return
        except Exception as exc:  # a request that cannot be rendered (a bug upstream)
            self._finish(item, None, f"cannot send: {exc}")
            return
        self._selector.register(sock, selectors.EVENT_READ, item)
        self._arm(item)

    def _arm(self, item: _Query) -> None:
        item.expires = min(time.monotonic() + item.timeout, item.deadline)
        self._push(item.expires, item)

    def _ready(self, item: _Query, mask: int) -> None:
        if item.finished:
            return
        if not item.tcp:
            self._receive_udp(item)
        elif mask & selectors.EVENT_WRITE:
            self._send_tcp(item)
        else:
            self._receive_tcp(item)

    def _receive_udp(self, item: _Query) -> None:
        assert item.sock is not None
        while not item.finished:
            try:
                data, source = item.sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._finish(item, None, _reason(exc))
                return
            if not _same_peer(source, item.host, item.port):
                continue  # the kernel filters these already; never trust a stray datagram
            response = _parse(data, item.request)
            if response is None:
                continue  # a stray, spoofed or garbled datagram: keep waiting for the real one
            if response.flags & dns.flags.TC:
                self._start_tcp(item)
                return
            self._finish(item, response, "")

    def _start_tcp(self, item: _Query) -> None:
        self._close_socket(item)
        item.tcp = True
        wire = item.request.wire
        item.outgoing = len(wire).to_bytes(2, "big") + wire
        try:
            sock = socket.socket(_family(item.host), socket.SOCK_STREAM)
            item.sock = sock
            sock.setblocking(False)
            code = sock.connect_ex((item.host, item.port))
            if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                raise OSError(code, errno.errorcode.get(code, str(code)))
        except OSError as exc:
            self._finish(item, None, f"TCP: {_reason(exc)}")
            return
        self._selector.register(sock, selectors.EVENT_WRITE, item)
        self._arm(item)

    def _send_tcp(self, item: _Query) -> None:
        assert item.sock is not None
        try:
            code = item.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, errno.errorcode.get(code, str(code)))
            sent = item.sock.send(item.outgoing)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._finish(item, None, f"TCP: {_reason(exc)}")
            return
        item.outgoing = item.outgoing[sent:]
        if not item.outgoing:
            self._selector.modify(item.sock, selectors.EVENT_READ, item)

    def _receive_tcp(self, item: _Query) -> None:
        assert item.sock is not None
        try:
            chunk = item.sock.recv(MAX_DATAGRAM + 2)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._finish(item, None, f"TCP: {_reason(exc)}")
            return
        if not chunk:
            self._finish(item, None, "TCP: connection closed before the answer")
            return
        item.incoming += chunk
        if len(item.incoming) < 2:
            return
        length = int.from_bytes(item.incoming[:2], "big")
        if len(item.incoming) < 2 + length:
            return
        response = _parse(bytes(item.incoming[2 : 2 + length]), item.request)
        if response is None:
            self._finish(item, None, "TCP: malformed or unrelated answer")
        elif response.flags & dns.flags.TC:
            self._finish(item, None, "truncated even over TCP (TC=1)")
        else:
            self._finish(item, response, "")

    def _expire(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _due, _seq, what = heapq.heappop(self._timers)
            if isinstance(what, _Query):
                if what.finished:
                    continue
                if not what.active:
                    self._finish(what, None, DEADLINE)
                elif what.expires <= now:
                    late = what.expires >= what.deadline
                    self._finish(what, None, DEADLINE if late else _timeout(what))
            else:
                _call(what)  # type: ignore[arg-type]

    def _close_socket(self, item: _Query) -> None:
        sock = item.sock
        if sock is None:
            return
        item.sock = None
        # try/except, not contextlib.suppress: this runs once per query, in the I/O thread
        try:  # noqa: SIM105
            self._selector.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        try:  # noqa: SIM105
            sock.close()
        except OSError:
            pass

    def _finish(self, item: _Query, response: Response | None, reason: str) -> None:
        if item.finished:
            return
        item.finished = True
        self._close_socket(item)
        if item.active:
            item.active = False
            self._active -= 1
        _call(item.done, response, reason)

    def _shutdown(self) -> None:
        """Fail what is left and release every socket (runs once, in the I/O thread)."""
        pending = [w for _t, _s, w in self._timers]
        self._timers = []
        with self._lock:
            pending += self._submitted + [f for _w, f in self._calls]
            self._submitted, self._calls = [], []
        for what in pending:
            if isinstance(what, _Query):
                self._finish(what, None, "closed")
            else:
                _call(what)  # type: ignore[arg-type]
        for item in self._queue:
            self._finish(item, None, "closed")
        self._queue.clear()
        with contextlib.suppress(Exception):
            self._selector.close()
        for sock in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                sock.close()


# Descriptors left for everything else (files, HTTPS fetches, SMTP, worker pipes)
FD_RESERVE = 128


def _within_fd_limit(wanted: int) -> int:
    """Each query in flight holds a socket: raise the soft limit on open files (1,024 on
    many systems) toward the hard one when --concurrency needs it, else ask fewer at once
    (queued, not failed with "Too many open files")."""
    try:
        import resource
    except ImportError:  # not on Unix: no such limit to mind
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + FD_RESERVE
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return wanted
    raised = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    return max(1, min(wanted, soft - FD_RESERVE))


def _nothing() -> None:
    """A timer that only wakes the loop (the queue is looked at on every pass)."""


def _call(function: Callable[..., None], *args: object) -> None:
    """Run a callback; a bug in one must not stop the loop that completes every other."""
    try:
        function(*args)
    except Exception as exc:
        sys.stderr.write(f"mailcheck: error in a DNS callback: {type(exc).__name__}: {exc}\n")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _same_peer(source: object, host: str, port: int) -> bool:
    if not isinstance(source, tuple) or len(source) < 2 or source[1] != port:
        return False
    if source[0] == host:  # the usual case: the kernel reports the address as we wrote it
        return True
    try:
        return ipaddress.ip_address(str(source[0]).split("%")[0]) == ipaddress.ip_address(host)
    except ValueError:
        return False


def _parse(data: bytes, request: Request) -> Response | None:
    if len(data) < 12 or data[:2] != request.id.to_bytes(2, "big"):
        return None
    negative = read_negative(data)
    if negative is not None:
        return negative if request.is_response(negative) else None
    import dns.message  # see the imports above

    try:
        response = dns.message.from_wire(data)
    except Exception:  # any malformed wire data is just not our answer
        return None
    return response if request.is_response(response) else None


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return UNREACHABLE
    return exc.strerror or str(exc)


def _timeout(item: _Query) -> str:
    return PER_QUERY_TCP if item.tcp else PER_QUERY
