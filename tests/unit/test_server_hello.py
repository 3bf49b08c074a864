"""The weak-cipher and version probes decide from the server's first answer: the ServerHello's
version and suite, read from the bytes OpenSSL servers really send, whole or cut into records;
what that reading cannot decide, OpenSSL decides with the whole handshake."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
import trustme

from mailcheck.net.session import Budget, Session, Transcript
from mailcheck.net.tlsprobe import (
    _MAX_RECORDS,
    _NOT_A_HELLO,
    WEAK_CIPHERS,
    _context,
    _read_hello,
    _server_hello,
)

WIRE = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303}


def _server_context(ciphers: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    ca.issue_cert("mx.test", key_type=trustme.KeyType.RSA).configure_cert(context)
    return context


def _server_flight(
    server_ciphers: str, refused: bool = False
) -> tuple[bytes, ssl.SSLObject, ssl.SSLContext]:
    """What an OpenSSL server answers to the probe's ClientHello, and the client side."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    client_context.maximum_version = ssl.TLSVersion.TLSv1_2
    client_context.set_ciphers(f"{WEAK_CIPHERS}:@SECLEVEL=0")
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_context.wrap_bio(c_in, c_out, server_hostname="mx.test")
    server = _server_context(server_ciphers).wrap_bio(s_in, s_out, server_side=True)
    with pytest.raises(ssl.SSLWantReadError):
        client.do_handshake()
    s_in.write(c_out.read())
    with pytest.raises(ssl.SSLError):  # WantRead after its flight, or the refusal
        server.do_handshake()
    flight = s_out.read()
    c_in.write(flight)
    with pytest.raises(ssl.SSLError if refused else ssl.SSLWantReadError):
        client.do_handshake()
    if not refused:  # the rest of the handshake: OpenSSL's own reading of the same bytes
        s_in.write(c_out.read())
        server.do_handshake()
        c_in.write(s_out.read())
        client.do_handshake()
    return flight, client, client_context


def _fragmented(flight: bytes, size: int) -> bytes:
    """The same handshake bytes in records of at most `size` octets each."""
    payload, at = b"", 0
    while at < len(flight):
        length = int.from_bytes(flight[at + 3 : at + 5], "big")
        assert flight[at] == 22
        payload += flight[at + 5 : at + 5 + length]
        at += 5 + length
    header = flight[:3]
    return b"".join(
        header + len(chunk).to_bytes(2, "big") + chunk
        for chunk in (payload[i : i + size] for i in range(0, len(payload), size))
    )


@pytest.mark.parametrize("size", [16384, 40, 7, 3])
def test_the_suite_and_version_are_openssls_own_reading(size: int) -> None:
    flight, client, context = _server_flight("kRSA")
    names = {c["id"] & 0xFFFF: c["name"] for c in context.get_ciphers()}
    data = _fragmented(flight, size)
    assert _read_hello(data[:5]) is None  # not all there yet: wait for more
    hello = _read_hello(data)
    assert hello is not None and hello != _NOT_A_HELLO
    version, suite = hello
    cipher = client.cipher()
    assert cipher is not None
    assert (version, names[suite]) == (WIRE[str(client.version())], cipher[0])


def test_a_refusal_is_not_a_hello() -> None:
    # no weak suite in common: the server answers with an alert
    flight, _client, _context = _server_flight("ECDHE+AESGCM", refused=True)
    assert flight[0] == 21
    assert _read_hello(flight) == _NOT_A_HELLO


@pytest.mark.parametrize(
    "data",
    [
        b"220 mx.test ESMTP\r\n",  # a server that keeps talking SMTP
        b"\x16\x03\x03\x00\x04\x0b\x00\x00\x00",  # a Certificate where the ServerHello belongs
        b"\x16\x02\x00\x00\x01\x02",  # not TLS 1.x
        b"\x16\x03\x03\xff\xff",  # a record longer than TLS allows
        b"\x16\x03\x03\x00\x27\x02" + bytes(37) + b"\x21",  # a session id of 33 octets
        b"\x16\x03\x03\x00\x00" * _MAX_RECORDS,  # empty records, more than are read
    ],
)
def test_anything_else_goes_to_openssl(data: bytes) -> None:
    assert _read_hello(data) == _NOT_A_HELLO


def _fragmenting_server(sock: socket.socket, ciphers: str) -> None:
    """An OpenSSL server whose handshake records are cut into records of one octet each,
    legal TLS that the ServerHello reading does not hear out (more than _MAX_RECORDS)."""
    s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = _server_context(ciphers).wrap_bio(s_in, s_out, server_side=True)
    with sock:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            s_in.write(data)
            try:
                server.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            except ssl.SSLError:
                sock.sendall(s_out.read())
                return
            out = s_out.read()
            sock.sendall(_fragmented(out, 1) if out[:1] == b"\x16" and not done else out)
            if done:
                sock.recv(1)  # until the client goes
                return


def test_a_server_hello_cut_finer_than_is_read_is_decided_by_openssl() -> None:
    ours, theirs = socket.socketpair()
    server = threading.Thread(target=_fragmenting_server, args=(theirs, "kRSA"))
    server.start()
    session = Session(Transcript(), Budget(step=10, total=20))
    session.sock = ours
    try:
        context = _context("weak ciphers")
        assert context is not None
        found = _server_hello(session, context, "mx.test", "weak ciphers")
    finally:
        session.close()
        server.join(timeout=20)
    assert (found.outcome, found.version) == ("accepted", "TLSv1.2")
    assert found.cipher.startswith("AES")  # RSA key exchange: what the server accepts
