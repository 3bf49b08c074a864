"""A line-based TCP session (SMTP, IMAP, POP3) with a timed transcript, hard limits and TLS.

Every read is bounded in size and time; the transcript keeps each line exactly as sent and
received (secrets replaced before they are recorded); bytes a server sends ahead of a TLS
handshake are caught (STARTTLS response injection, CVE-2011-0411).
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_LINE = 8192
MAX_REPLY_LINES = 200


def tls_record(data: bytes) -> bool:
    """Whether `data` begins like a TLS record (a handshake or an alert, version 3.x): what a
    port that speaks TLS from the first byte sends where a plain-text greeting belongs."""
    return data[:1] in (b"\x15", b"\x16") and data[1:2] == b"\x03"


class SessionError(Exception):
    """The conversation could not go on: closed, timed out, garbage, TLS failure."""

    def __init__(
        self, kind: str, message: str, received: int = 0, alert: str = "", lost: bool = False
    ) -> None:
        super().__init__(message)
        self.kind = kind  # closed | timeout | too-long | garbage | tls | connect | deadline
        self.message = message
        self.received = received  # bytes of an unfinished line when time ran out
        # a TLS-level answer (an alert, or the peer closing inside the handshake), as opposed
        # to the network failing: the one a version probe may read as "not offered"
        self.alert = alert
        # a TLS handshake cut off by silence or a lost connection, not refused by the server
        self.lost = lost

    @property
    def inconclusive(self) -> bool:
        """Network trouble (silence, a trickle, a lost connection, time running out) rather
        than something the server said: nothing to judge the server by, so every command
        reports it as "could not determine" (ERROR), never as a failure (FAIL). Garbage,
        endless lines and refused TLS handshakes did arrive: those are the server's doing."""
        return self.kind in INCONCLUSIVE or (self.kind == "tls" and self.lost)


# the kinds of SessionError that are network trouble, not the server's answer
INCONCLUSIVE = frozenset({"closed", "timeout", "deadline", "connect"})


@dataclass(frozen=True)
class Budget:
    """The time limits in force and the options that set them, so that every message names
    the one that ran out ("--timeout 3", not a default nobody chose)."""

    step: float = 10.0
    total: float = 60.0
    step_option: str = "--timeout"
    total_option: str = "--deadline"

    def name(self, total: bool) -> str:
        seconds, option = (
            (self.total, self.total_option) if total else (self.step, self.step_option)
        )
        what = "the overall limit" if total else "the per-step limit"
        return f"{what}, {option} {seconds:g}" if option else f"{what} of {seconds:g} s"


@dataclass(frozen=True)
class Line:
    """One transcript entry: C (client), S (server) or * (an event such as connect or TLS)."""

    at: float
    who: str
    text: str


@dataclass
class Transcript:
    """A conversation's C:/S: lines, timed from its start."""

    started: float = field(default_factory=time.monotonic)
    lines: list[Line] = field(default_factory=list)

    def add(self, who: str, text: str) -> None:
        self.lines.append(Line(time.monotonic() - self.started, who, text))


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class Session:
    """One connection. `deadline` bounds the whole conversation; `step` each read or write."""

    def __init__(
        self,
        transcript: Transcript,
        budget: Budget | float | None = None,
        ends_at: float | None = None,
    ) -> None:
        """`ends_at`: the run's deadline (monotonic) when it started before this connection.
        `budget` as a number is the per-step limit alone (the older calling convention)."""
        self.transcript = transcript
        if isinstance(budget, (int, float)):
            budget = Budget(step=float(budget))
        self.budget = budget or Budget()
        self.step = self.budget.step
        self.deadline = ends_at if ends_at is not None else time.monotonic() + self.budget.total
        self.sock: socket.socket | ssl.SSLSocket | None = None
        self._buffer = b""
        self.first = b""  # the first bytes the server sent: what it speaks, if not ours
        self.lines_read = 0
        self.last_bytes = 0.0  # when the last bytes arrived (monotonic)
        self.address: tuple[str, int] | None = None
        self.tls: ssl.SSLSocket | None = None
        # the password and every form of it sent (base64 tokens): a server that echoes one
        # back must not put it in the transcript, an error message or a saved report
        self.secrets: list[str] = []

    def redact(self, text: str) -> str:
        """Every secret as sent, and as a hostile server may echo it changed: in another
        case (S3CRET for s3cret), or base64-encoded (the password alone, or a token)."""
        forms = {s for s in self.secrets if s}
        forms |= {base64.b64encode(s.encode("utf-8", "surrogateescape")).decode() for s in forms}
        for secret in sorted(forms, key=len, reverse=True):
            text = re.sub(re.escape(secret), "<redacted>", text, flags=re.IGNORECASE)
        if forms:
            # a truncated echo ("AUTH PLAIN AGFsaWNl...") still gives part of a token away
            folded = [secret.casefold() for secret in forms]
            words = re.findall(r"[A-Za-z0-9+/=]{8,}", text)  # base64 runs
            for word in words:
                if any(word.casefold() in secret for secret in folded):
                    text = text.replace(word, "<redacted>")
        return text

    # -- timing -----------------------------------------------------------------------

    def _timeout(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise SessionError("deadline", f"out of time: {self.budget.name(True)} ran out")
        return min(self.step, remaining)

    def _limit(self, until: float) -> str:
        """Which limit a wait that ended at `until` was cut by."""
        return self.budget.name(total=self.deadline <= until + 1e-3)

    # -- connection -------------------------------------------------------------------

    def connect(self, address: str, port: int, source: str | None = None) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        if self.deadline <= time.monotonic():
            # an earlier host used up the run's time: this one was not even tried
            raise SessionError("connect", f"not tried: {self.budget.name(True)} had run out")
        sock = socket.socket(family, socket.SOCK_STREAM)
        timeout = self._timeout()
        sock.settimeout(timeout)
        try:
            if source:
                sock.bind((source, 0))
            sock.connect((address, port))
        except TimeoutError:
            sock.close()
            raise SessionError(
                "connect",
                f"no answer from {address}:{port} within {timeout:g} s "
                f"({self._limit(time.monotonic())}; filtered, or the host is down)",
            ) from None
        except ConnectionRefusedError:
            sock.close()
            raise SessionError("connect", f"connection refused by {address}:{port}") from None
        except OSError as exc:
            sock.close()
            raise SessionError(
                "connect", f"cannot connect to {address}:{port}: {exc.strerror or exc}"
            ) from None
        self.sock = sock
        self.address = (address, port)
        self.transcript.add(
            "*",
            f"connected to {address}:{port}" + (f" from {sock.getsockname()[0]}" if source else ""),
        )

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None

    # -- lines ------------------------------------------------------------------------

    def _fill(self, started: float | None = None) -> None:
        """More bytes, within what is left of this line's step budget and of the total
        (a read that is not part of a line, such as a literal, starts its own step)."""
        assert self.sock is not None
        now = time.monotonic()
        started = now if started is None else started
        until = min(started + self.step, self.deadline)
        if until <= now:
            raise self._stalled(started, until)
        self.sock.settimeout(until - now)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise self._stalled(started, until) from None
        except ssl.SSLError as exc:
            raise SessionError("tls", f"TLS error while reading: {exc.reason or exc}") from None
        except OSError as exc:
            raise SessionError("closed", f"connection lost: {exc.strerror or exc}") from None
        if not chunk:
            raise SessionError("closed", "the server closed the connection")
        if not self.first:
            self.first = chunk[:64]
        self._buffer += chunk
        self.last_bytes = time.monotonic()

    def _stalled(self, started: float, until: float) -> SessionError:
        """Silence, part of a line then silence, or a trickle of bytes that never made a
        line: said apart, with the limit that ran out (the whole line gets one step budget,
        however slowly it comes)."""
        kind = "deadline" if self.deadline <= until + 1e-3 else "timeout"
        # the budget that ran out, not the clock: a loaded machine wakes us late (1.1 s for 1 s)
        now = time.monotonic()
        waited = min(now - started, max(0.0, until - started))
        partial = len(self._buffer)
        if partial and now - self.last_bytes >= waited / 2:
            # the bytes stopped coming: most of the wait was silence, not a slow line
            return SessionError(
                kind,
                f"stalled after {partial} bytes of a line: no end of line within "
                f"{waited:.1f} s ({self._limit(until)})",
                received=partial,
            )
        if partial:
            return SessionError(
                kind,
                f"a trickle: {partial} bytes in {waited:.1f} s and no complete line "
                f"({self._limit(until)})",
                received=partial,
            )
        return SessionError(kind, f"silence: no reply in {waited:.1f} s ({self._limit(until)})")

    def read_line(self, limit: int = MAX_LINE) -> str:
        """One line without its CRLF; too long or garbled lines end the session."""
        started = time.monotonic()
        while b"\n" not in self._buffer:
            if len(self._buffer) > limit:
                raise SessionError("too-long", _endless(limit))
            self._fill(started)
            if self.tls is None and not self.lines_read and tls_record(self._buffer):
                # TLS where a plain-text greeting belongs: no line break may ever come, so
                # waiting out the time limit would only hide what the server already said
                raise SessionError("garbage", "a TLS record where a plain-text greeting belongs")
        self.lines_read += 1
        raw, _, self._buffer = self._buffer.partition(b"\n")
        if len(raw) > limit:
            raise SessionError("too-long", _endless(limit))
        raw = raw.removesuffix(b"\r")
        text = self.redact(_decode(raw))
        self.transcript.add("S", text)
        return text

    def write_line(self, text: str, shown: str | None = None) -> None:
        """Send `text` + CRLF; the transcript records `shown` (a redacted form) if given."""
        assert self.sock is not None
        self.transcript.add("C", text if shown is None else shown)
        timeout = self._timeout()
        self.sock.settimeout(timeout)
        try:
            self.sock.sendall(text.encode("utf-8", "surrogateescape") + b"\r\n")
        except TimeoutError:
            raise SessionError(
                "timeout",
                f"could not send within {timeout:g} s ({self._limit(time.monotonic())})",
            ) from None
        except OSError as exc:
            raise SessionError(
                "closed", f"connection lost while sending: {exc.strerror or exc}"
            ) from None

    def write_raw(self, data: bytes, shown: Sequence[str]) -> None:
        """Send a block (DATA content); the transcript records `shown` (e.g. the headers and
        a one-line summary of the body) instead of every byte."""
        assert self.sock is not None
        for line in shown:
            self.transcript.add("C", line)
        # a large message may need more than one step, never more than the overall limit
        self.sock.settimeout(min(max(self._timeout(), 30.0), self.deadline - time.monotonic()))
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise SessionError(
                "timeout", f"could not send the message in time ({self._limit(time.monotonic())})"
            ) from None
        except OSError as exc:
            raise SessionError(
                "closed", f"connection lost while sending data: {exc.strerror or exc}"
            ) from None

    def pending(self) -> bytes:
        """Bytes received but not yet read: must be empty before a TLS handshake."""
        return self._buffer

    # -- TLS --------------------------------------------------------------------------

    def start_tls(
        self,
        server_name: str,
        on_injected: Callable[[bytes], None],
        context: ssl.SSLContext | None = None,
    ) -> ssl.SSLSocket:
        """TLS over the open connection. Certificates are not verified here: the chain is
        read and judged separately, so a bad certificate is reported, not just refused.
        `context`: a probing context (one protocol version, chosen ciphers)."""
        assert self.sock is not None
        if self._buffer:
            injected, self._buffer = self._buffer, b""
            on_injected(injected)
        if context is None:
            context = permissive_context()
        self.transcript.add("*", f"TLS handshake (server name {server_name})")
        started = time.monotonic()
        self.sock.settimeout(self._timeout())
        try:
            tls = context.wrap_socket(self.sock, server_hostname=server_name)
        except TimeoutError:
            now = time.monotonic()
            raise SessionError(
                "tls",
                f"TLS handshake timed out after {now - started:.1f} s ({self._limit(now)})",
                lost=True,
            ) from None
        except ssl.SSLEOFError:
            raise SessionError(
                "tls",
                "TLS handshake failed: the server closed the connection",
                alert="EOF",
                lost=True,
            ) from None
        except ssl.SSLError as exc:
            reason = str(exc.reason or exc)
            raise SessionError("tls", f"TLS handshake failed: {reason}", alert=reason) from None
        except OSError as exc:
            raise SessionError(
                "tls",
                f"TLS handshake failed: connection closed ({exc.strerror or exc})",
                lost=True,
            ) from None
        self.sock = tls
        self.tls = tls
        return tls


def presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """DER certificates as the server sent them, leaf first (3.13 API, else the 3.10+ one)."""
    public = getattr(tls, "get_unverified_chain", None)
    if public is not None:
        return [bytes(c) for c in public()]
    sslobj = getattr(tls, "_sslobj", None)
    private = getattr(sslobj, "get_unverified_chain", None)
    if private is not None:
        chain = private() or []
        return [c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]  # type: ignore[attr-defined]
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def permissive_context(
    low: ssl.TLSVersion = ssl.TLSVersion.TLSv1,
    high: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED,
    ciphers: str = "DEFAULT",
) -> ssl.SSLContext:
    """A client context that verifies nothing and offers old versions and weak ciphers (at
    OpenSSL's security level 0), so that what the server accepts is seen, not refused here."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = low
    context.maximum_version = high
    with contextlib.suppress(ssl.SSLError):
        context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    return context


def _endless(limit: int) -> str:
    return f"a line that never ends: longer than {limit} bytes without a line break"
