"""Dedicated TLS handshakes against one SMTP server: which protocol versions it accepts, one
at a time, whether it accepts weak ciphers when a client offers nothing else, and the OCSP
response it staples when asked (pyOpenSSL: Python's ssl cannot send status_request).

Each probe is its own connection (banner, EHLO, STARTTLS, or implicit TLS) within the run's
deadline. A TLS alert or a close inside the handshake means "not accepted"; a failure before
the handshake (connect, banner, STARTTLS refused, silence) means "could not determine".
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

from mailcheck.net.probe import ProbeOptions
from mailcheck.net.session import Budget, Session, SessionError, Transcript, permissive_context
from mailcheck.net.smtp import SmtpClient

VERSIONS = (
    ("TLSv1", ssl.TLSVersion.TLSv1),
    ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
    ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
    ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
)
# what NCSC-NL rates phase-out or insufficient for TLS 1.2 and below: RSA key exchange,
# 3DES, RC4, single DES, NULL encryption, anonymous key exchange, export ciphers
WEAK_CIPHERS = "kRSA:3DES:RC4:DES:eNULL:aNULL:EXPORT"
# the local OpenSSL refused to offer what was asked (not the server's doing)
LOCAL_REFUSALS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_CIPHER_MATCH")
OCSP = "OCSP stapling"
MAX_HANDSHAKE = 256 * 1024  # a server that streams without end is cut off


@dataclass(frozen=True)
class Handshake:
    """One dedicated handshake: `outcome` is accepted | refused | untestable | error."""

    label: str  # TLSv1.2, "weak ciphers", or "OCSP stapling"
    outcome: str  # the OCSP probe: stapled | not stapled | untestable | error
    version: str = ""
    cipher: str = ""
    detail: str = ""
    staple: bytes = b""  # the OCSP probe: the stapled response, DER
    chain: tuple[bytes, ...] = ()  # the OCSP probe: the certificates served with it, DER


def _context(label: str) -> ssl.SSLContext | None:
    """The client context for one probe; None when the local OpenSSL cannot offer it."""
    if label == "weak ciphers":
        context = permissive_context(high=ssl.TLSVersion.TLSv1_2)
        try:
            context.set_ciphers(f"{WEAK_CIPHERS}:@SECLEVEL=0")
        except ssl.SSLError:
            return None
        return context
    version = dict(VERSIONS)[label]
    try:
        return permissive_context(low=version, high=version)
    except (ValueError, ssl.SSLError):
        return None


def handshake(
    host: str, address: str, options: ProbeOptions, server_name: str, label: str
) -> Handshake:
    context = _context(label) if label != OCSP else None
    if context is None and label != OCSP:
        return Handshake(label, "untestable", detail="the local OpenSSL cannot offer it")
    budget = Budget(
        options.step_timeout, options.deadline, options.step_option, options.deadline_option
    )
    session = Session(Transcript(), budget, options.ends_at)
    step = "connect"
    try:
        session.connect(address, options.port, options.source_address)
        if options.tls != "implicit":
            client = SmtpClient(session)
            step = "banner"
            if client.read_reply().code != 220:
                return Handshake(label, "error", detail="the server refused the session")
            step = "EHLO"
            reply, _caps = client.ehlo(options.ehlo)
            if not reply.positive:
                return Handshake(label, "error", detail=f"EHLO refused: {reply}")
            step = "STARTTLS"
            answer = client.command("STARTTLS")
            if answer.code != 220:
                return Handshake(label, "error", detail=f"STARTTLS refused: {answer}")
        step = "handshake"
        if label == OCSP:
            return _stapled(session, server_name)
        if label in _BY_SERVER_HELLO:
            assert context is not None
            return _server_hello(session, context, server_name, label)
        tls = session.start_tls(server_name, lambda _data: None, context)
        cipher = tls.cipher()
        result = Handshake(label, "accepted", tls.version() or "", cipher[0] if cipher else "")
        if options.tls != "implicit":
            with contextlib.suppress(SessionError):
                SmtpClient(session).command("QUIT")
        return result
    except SessionError as exc:
        if step == "handshake" and exc.alert:
            if any(code in exc.alert for code in LOCAL_REFUSALS):
                return Handshake(label, "untestable", detail=exc.message)
            return Handshake(label, "refused", detail=exc.message)
        return Handshake(label, "error", detail=f"{step}: {exc.message}")
    finally:
        session.close()


# Every probe connection at once: one after another, the probes doubled the length of a
# trace, and two at a time still left the grading three handshakes long after the
# conversation against a server some round trips away (each probe is a connection, a
# greeting, EHLO, STARTTLS, the handshake and QUIT: six round trips or so). With the main
# conversation's that makes six connections at most (seven with --user, none of them at
# once with the session), under the per-client limits of common MTAs (Postfix's
# smtpd_client_connection_count_limit is 50, Exchange's MaxInboundConnectionPerSource 20;
# Exim and others leave it unset) and what one sending MTA opens to a busy destination.
AT_ONCE = len(VERSIONS) + 2


def probe_tls(
    host: str, address: str, options: ProbeOptions, server_name: str, known: str
) -> list[Handshake]:
    """Every version but `known` (the one the main conversation negotiated), then the weak
    cipher probe and the OCSP stapling probe, all at once; results in that order."""
    from concurrent.futures import ThreadPoolExecutor

    labels = _labels(known)
    with ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="tls-probe") as pool:
        found = list(
            pool.map(lambda label: handshake(host, address, options, server_name, label), labels)
        )
    return [Handshake(known, "accepted", known), *found] if known else found


def _labels(known: str) -> list[str]:
    return [label for label, _version in VERSIONS if label != known] + ["weak ciphers", OCSP]


# The probes Grading starts at the greeting: those that do not depend on the main
# conversation (the weak-cipher one is often the slowest: an anonymous finite-field DH key
# exchange costs both ends tens of milliseconds). The versions follow the moment the main
# conversation's is known, each but that one.
_STARTED_FIRST = ("weak ciphers", OCSP)


class Grading:
    """`probe_tls` against the server the main conversation talks to, started with it
    rather than after it (the probes used to add their length to every trace): from its
    greeting (`greeted`: a server that is down or refuses the session gets no probe), with
    the version it negotiates (`negotiated`) left out. Results (`results`) in probe_tls's
    order. The probes' threads are started by a thread of the grading's own, so that the
    conversation does not wait for each to start (at the greeting the imports of the run
    hold the interpreter's lock)."""

    def __init__(self, host: str, address: str, options: ProbeOptions, server_name: str) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self._args = (host, address, options, server_name)
        self._known: Future[str] = Future()
        self._pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="tls-probe")
        self._pending: dict[str, Future[Handshake | None]] = {}
        self._launcher: threading.Thread | None = None

    def greeted(self) -> None:
        if self._launcher is not None or (self._known.done() and not self._known.result()):
            return
        self._launcher = threading.Thread(target=self._launch, name="tls-probe-launcher")
        self._launcher.start()

    def _launch(self) -> None:
        for label in _STARTED_FIRST:
            self._pending[label] = self._pool.submit(self._one, label)
        known = self._known.result()  # negotiated() is always called (close() too)
        for label, _version in VERSIONS:
            if known and label != known:
                self._pending[label] = self._pool.submit(self._one, label)

    def negotiated(self, version: str) -> None:
        """The main conversation's TLS version, once known; "" when it negotiated none
        (nothing to grade: the probes not yet started are skipped). The first call counts."""
        if not self._known.done():
            self._known.set_result(version)

    def _one(self, label: str) -> Handshake | None:
        if self._known.done() and not self._known.result():
            return None
        return handshake(*self._args, label)

    def results(self) -> list[Handshake]:
        """Every probe's handshake, as probe_tls gives them for the negotiated version;
        [] when there was none. Waits for the probes still running, then closes."""
        try:
            known = self._known.result(timeout=0) if self._known.done() else ""
            if not known or self._launcher is None:
                return []
            self._launcher.join()  # `known` is set: every probe is submitted
            found = {label: future.result() for label, future in self._pending.items()}
        finally:
            self.close()
        probes = [found[label] for label in _labels(known)]
        return [Handshake(known, "accepted", known), *(p for p in probes if p is not None)]

    def close(self) -> None:
        """Skip the probes not started; wait for those running (each within its limits)."""
        self.negotiated("")
        if self._launcher is not None:
            self._launcher.join()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _stapled(session: Session, server_name: str) -> Handshake:
    """A handshake that asks for the stapled OCSP response (status_request). It runs over
    memory buffers, fed from the session's socket: every read and write stays within the
    step and overall limits, as on every other connection."""
    from OpenSSL import SSL, crypto

    got: dict[str, bytes] = {}

    def keep(_conn: Any, data: bytes, _extra: Any) -> bool:
        got["staple"] = bytes(data)
        return True  # judged later, with the chain: never abort the handshake here

    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)
    context.set_min_proto_version(SSL.TLS1_VERSION)  # as permissive as the other probes
    with contextlib.suppress(SSL.Error):
        context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    context.set_ocsp_client_callback(keep)
    conn = SSL.Connection(context, None)
    conn.set_tlsext_host_name(server_name.encode("idna"))
    conn.request_ocsp()
    conn.set_connect_state()
    sock = session.sock
    assert sock is not None
    received = len(session.pending())
    if received:
        conn.bio_write(session.pending())
    while True:
        try:
            conn.do_handshake()
            break
        except SSL.WantReadError:
            pass
        except SSL.Error as exc:
            reason = _reason(exc)
            raise SessionError("tls", f"TLS handshake failed: {reason}", alert=reason) from None
        _flush(conn, session)
        data = _receive(session, received)
        received += len(data)
        conn.bio_write(data)
    _flush(conn, session)
    # DER straight from OpenSSL: cryptography objects would need its serialization module
    chain = tuple(
        crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        for cert in conn.get_peer_cert_chain() or []
    )
    version = conn.get_protocol_version_name()
    cipher = conn.get_cipher_name() or ""
    with contextlib.suppress(SSL.Error, SessionError):
        conn.shutdown()
        _flush(conn, session)
    staple = got.get("staple", b"")
    return Handshake(
        OCSP, "stapled" if staple else "not stapled", version, cipher, staple=staple, chain=chain
    )


_WIRE_VERSIONS = {0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2"}
# The probes a ServerHello decides, and the versions it may name for each: the weak ciphers
# at any version up to TLS 1.2, and each version up to 1.2 (TLS 1.3's is in an extension:
# that probe makes the whole handshake).
_BY_SERVER_HELLO = {
    "weak ciphers": (0x0301, 0x0302, 0x0303),
    "TLSv1": (0x0301,),
    "TLSv1.1": (0x0302,),
    "TLSv1.2": (0x0303,),
}
_HANDSHAKE, _SERVER_HELLO = 22, 2  # record type, handshake message type


def _server_hello(
    session: Session, context: ssl.SSLContext, server_name: str, label: str
) -> Handshake:
    """The weak-cipher probe and the probes of TLS 1.0 to 1.2, judged from the server's
    first answer: a ServerHello naming one of the suites offered, at the version asked, says
    it accepts them, as testssl.sh and sslscan decide. The rest of the handshake is not made:
    with anonymous finite-field DH (what Postfix picks for the weak ciphers) both ends would
    spend milliseconds on a 3072-bit key exchange that decides nothing, and each version's
    key exchange, certificate and SMTP QUIT cost both ends as much again. Anything but such
    a ServerHello (an alert, a close, another version, bytes that are not TLS) goes to
    OpenSSL, which says what it is, as on a full handshake."""
    # bytes the server sent before the handshake stay unread: not TLS (start_tls drops them)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    _send(session, outgoing.read())
    names = {c["id"] & 0xFFFF: str(c["name"]) for c in context.get_ciphers()}
    received = bytearray()  # a server may trickle its answer: appending stays linear
    while True:
        hello = _read_hello(received)
        if hello is not None:
            version, suite = hello
            if suite in names and version in _BY_SERVER_HELLO[label]:
                return Handshake(label, "accepted", _WIRE_VERSIONS[version], names[suite])
            return _openssl_decides(session, tls, incoming, outgoing, bytes(received), label)
        received += _receive(session, len(received))


def _openssl_decides(
    session: Session,
    tls: ssl.SSLObject,
    incoming: ssl.MemoryBIO,
    outgoing: ssl.MemoryBIO,
    received: bytes,
    label: str,
) -> Handshake:
    """What the ServerHello could not decide, OpenSSL does, with the whole handshake: an
    alert or a close is a refusal as on any probe, and a server that cut its ServerHello into
    more records than are read above is heard out, not judged to refuse."""
    incoming.write(received)
    total = len(received)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as exc:
            reason = str(exc.reason or exc)
            raise SessionError("tls", f"TLS handshake failed: {reason}", alert=reason) from None
        _send(session, outgoing.read())
        data = _receive(session, total)
        total += len(data)
        incoming.write(data)
    cipher = tls.cipher()
    return Handshake(label, "accepted", tls.version() or "", cipher[0] if cipher else "")


# A ServerHello fits in one record; a server that cuts its start finer than this is not
# heard out (OpenSSL judges what came): the reading stays bounded against a hostile server.
_MAX_RECORDS = 32
_NOT_A_HELLO = (0, -1)  # what _read_hello says when the bytes cannot begin with a ServerHello


def _read_hello(data: bytes | bytearray) -> tuple[int, int] | None:
    """The ServerHello at the start of `data` (its message may span records): (version,
    cipher suite); None while more bytes may complete it; _NOT_A_HELLO when they cannot (an
    alert or another record type, another handshake message, bytes that are not TLS, a
    malformed ServerHello, or more records than _MAX_RECORDS)."""
    body = b""  # only the records read (each slice copied once): no pass over all of `data`
    at = 0
    for _ in range(_MAX_RECORDS):
        if len(data) - at < 5:
            return None
        kind, length = data[at], int.from_bytes(data[at + 3 : at + 5], "big")
        if kind != _HANDSHAKE or data[at + 1] != 3 or length > 18432:
            return _NOT_A_HELLO
        if len(data) - at - 5 < length:
            return None
        body += bytes(data[at + 5 : at + 5 + length])
        at += 5 + length
        if body and body[0] != _SERVER_HELLO:
            return _NOT_A_HELLO
        fixed = 4 + 2 + 32  # message header, version, random
        if len(body) > fixed:
            session_id = body[fixed]
            if session_id > 32:
                return _NOT_A_HELLO
            if len(body) >= fixed + 1 + session_id + 2:
                version = int.from_bytes(body[4:6], "big")
                start = fixed + 1 + session_id
                return version, int.from_bytes(body[start : start + 2], "big")
    return _NOT_A_HELLO


def _send(session: Session, data: bytes) -> None:
    assert session.sock is not None
    session.sock.settimeout(_remaining(session))
    try:
        session.sock.sendall(data)
    except OSError as exc:
        raise SessionError("closed", f"connection lost: {exc}") from None


def _reason(exc: Exception) -> str:
    """OpenSSL's reason words ("tlsv1 alert protocol version"), from pyOpenSSL's error list."""
    for item in exc.args[0] if exc.args and isinstance(exc.args[0], list) else []:
        if isinstance(item, tuple) and item:
            return str(item[-1])
    return str(exc) or "the server closed the connection"


def _flush(conn: Any, session: Session) -> None:
    from OpenSSL import SSL

    assert session.sock is not None
    while True:
        try:
            data = conn.bio_read(65536)
        except SSL.WantReadError:
            return
        session.sock.settimeout(_remaining(session))
        try:
            session.sock.sendall(data)
        except OSError as exc:
            raise SessionError("closed", f"connection lost: {exc}") from None


def _receive(session: Session, so_far: int) -> bytes:
    """The next bytes of a handshake of which `so_far` came already: a server that streams
    without end is cut off at MAX_HANDSHAKE."""
    assert session.sock is not None
    session.sock.settimeout(_remaining(session))
    try:
        data = session.sock.recv(65536)
    except TimeoutError:
        raise SessionError(
            "timeout", f"TLS handshake timed out ({session.budget.name(False)})"
        ) from None
    except OSError as exc:
        raise SessionError("closed", f"connection lost: {exc.strerror or exc}") from None
    if not data:
        raise SessionError(
            "tls", "TLS handshake failed: the server closed the connection", alert="EOF"
        )
    if so_far + len(data) > MAX_HANDSHAKE:
        raise SessionError("too-long", f"more than {MAX_HANDSHAKE} bytes in the handshake")
    return data


def _remaining(session: Session) -> float:
    left = min(session.step, session.deadline - time.monotonic())
    if left <= 0:
        raise SessionError("deadline", f"out of time: {session.budget.name(True)} ran out")
    return left
