"""A line-based TCP session (SMTP, IMAP, POP3) with a timed transcript, hard limits and TLS.

Every read is bounded in size and time; the transcript keeps each line exactly as sent and
received (secrets replaced before they are recorded); bytes a server sends ahead of a TLS
handshake are caught (STARTTLS response injection, CVE-2011-0411).
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_LINE = 8192
MAX_REPLY_LINES = 200


class SessionError(Exception):
    """The conversation could not go on: closed, timed out, garbage, TLS failure."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # closed | timeout | too-long | garbage | tls | connect | deadline
        self.message = message


@dataclass(frozen=True)
class Line:
    """One transcript entry: C (client), S (server) or * (an event such as connect or TLS)."""

    at: float
    who: str
    text: str


@dataclass
class Transcript:
    started: float = field(default_factory=time.monotonic)
    lines: list[Line] = field(default_factory=list)

    def add(self, who: str, text: str) -> None:
        self.lines.append(Line(time.monotonic() - self.started, who, text))


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class Session:
    """One connection. `deadline` bounds the whole conversation; `step` each read or write."""

    def __init__(
        self, transcript: Transcript, step: float = 10.0, deadline: float | None = None
    ) -> None:
        self.transcript = transcript
        self.step = step
        self.deadline = deadline if deadline is not None else time.monotonic() + 60
        self.sock: socket.socket | ssl.SSLSocket | None = None
        self._buffer = b""
        self.address: tuple[str, int] | None = None
        self.tls: ssl.SSLSocket | None = None
        # the password and every form of it sent (base64 tokens): a server that echoes one
        # back must not put it in the transcript, an error message or a saved report
        self.secrets: list[str] = []

    def redact(self, text: str) -> str:
        for secret in sorted({s for s in self.secrets if s}, key=len, reverse=True):
            text = text.replace(secret, "<redacted>")
        if self.secrets:
            # a truncated echo ("AUTH PLAIN AGFsaWNl...") still gives part of a token away
            words = re.findall(r"[A-Za-z0-9+/=]{8,}", text)  # base64 runs
            for word in words:
                if any(word in secret for secret in self.secrets):
                    text = text.replace(word, "<redacted>")
        return text

    # -- timing -----------------------------------------------------------------------

    def _timeout(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise SessionError("deadline", "the overall time limit was reached")
        return min(self.step, remaining)

    # -- connection -------------------------------------------------------------------

    def connect(self, address: str, port: int, source: str | None = None) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(self._timeout())
        try:
            if source:
                sock.bind((source, 0))
            sock.connect((address, port))
        except TimeoutError:
            sock.close()
            raise SessionError(
                "connect",
                f"no answer from {address}:{port} within "
                f"{self.step:g} s (filtered, or the host is down)",
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

    def _fill(self) -> None:
        assert self.sock is not None
        self.sock.settimeout(self._timeout())
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise SessionError("timeout", f"no reply within {self.step:g} s") from None
        except ssl.SSLError as exc:
            raise SessionError("tls", f"TLS error while reading: {exc.reason or exc}") from None
        except OSError as exc:
            raise SessionError("closed", f"connection lost: {exc.strerror or exc}") from None
        if not chunk:
            raise SessionError("closed", "the server closed the connection")
        self._buffer += chunk

    def read_line(self, limit: int = MAX_LINE) -> str:
        """One line without its CRLF; too long or garbled lines end the session."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > limit:
                raise SessionError("too-long", f"a reply line longer than {limit} bytes")
            self._fill()
        raw, _, self._buffer = self._buffer.partition(b"\n")
        if len(raw) > limit:
            raise SessionError("too-long", f"a reply line longer than {limit} bytes")
        raw = raw.removesuffix(b"\r")
        text = self.redact(_decode(raw))
        self.transcript.add("S", text)
        return text

    def write_line(self, text: str, shown: str | None = None) -> None:
        """Send `text` + CRLF; the transcript records `shown` (a redacted form) if given."""
        assert self.sock is not None
        self.transcript.add("C", text if shown is None else shown)
        self.sock.settimeout(self._timeout())
        try:
            self.sock.sendall(text.encode("utf-8", "surrogateescape") + b"\r\n")
        except TimeoutError:
            raise SessionError("timeout", f"could not send within {self.step:g} s") from None
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
        self.sock.settimeout(max(self._timeout(), 30.0))
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise SessionError(
                "closed", f"connection lost while sending data: {exc.strerror or exc}"
            ) from None

    def pending(self) -> bytes:
        """Bytes received but not yet read: must be empty before a TLS handshake."""
        return self._buffer

    # -- TLS --------------------------------------------------------------------------

    def start_tls(self, server_name: str, on_injected: Callable[[bytes], None]) -> ssl.SSLSocket:
        """TLS over the open connection. Certificates are not verified here: the chain is
        read and judged separately, so a bad certificate is reported, not just refused."""
        assert self.sock is not None
        if self._buffer:
            injected, self._buffer = self._buffer, b""
            on_injected(injected)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1
        with contextlib.suppress(ssl.SSLError):
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        self.transcript.add("*", f"TLS handshake (server name {server_name})")
        self.sock.settimeout(self._timeout())
        try:
            tls = context.wrap_socket(self.sock, server_hostname=server_name)
        except TimeoutError:
            raise SessionError("tls", f"TLS handshake timed out after {self.step:g} s") from None
        except ssl.SSLError as exc:
            raise SessionError("tls", f"TLS handshake failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise SessionError(
                "tls", f"TLS handshake failed: connection closed ({exc.strerror or exc})"
            ) from None
        self.sock = tls
        self.tls = tls
        return tls
