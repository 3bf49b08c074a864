"""A loopback STARTTLS SMTP server that staples an OCSP response (pyOpenSSL: Python's ssl
cannot), and OCSP responses built with cryptography from a trustme test CA."""

from __future__ import annotations

import contextlib
import datetime
import socket
import struct
import threading
from typing import Any

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from OpenSSL import SSL

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def ca_key(ca: trustme.CA) -> Any:
    return serialization.load_pem_private_key(ca.private_key_pem.bytes(), None)


def ca_cert(ca: trustme.CA) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.cert_pem.bytes())


def leaf_cert(leaf: trustme.LeafCert) -> x509.Certificate:
    return x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())


def delegate(ca: trustme.CA) -> tuple[x509.Certificate, Any]:
    """A delegated OCSP responder: a certificate the CA issued with the OCSPSigning usage."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = ca_cert(ca)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test OCSP responder")]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .sign(ca_key(ca), hashes.SHA256())
    )
    return cert, key


def response(
    ca: trustme.CA,
    cert: x509.Certificate,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
    this_update: datetime.datetime = NOW - datetime.timedelta(hours=1),
    next_update: datetime.datetime | None = NOW + datetime.timedelta(days=3),
    signer: tuple[x509.Certificate, Any] | None = None,
) -> bytes:
    """A DER OCSP response about `cert`, signed by the CA (or by `signer`, a delegate)."""
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    responder_cert, key = signer or (ca_cert(ca), ca_key(ca))
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=cert,
            issuer=ca_cert(ca),
            algorithm=hashes.SHA1(),  # noqa: S303 (the CertID hash every responder uses)
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=NOW - datetime.timedelta(days=2) if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
    )
    if signer is not None:
        builder = builder.certificates([responder_cert])
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class StaplingServer:
    """STARTTLS SMTP on 127.0.0.1; every handshake that asks gets `staple` (b"": none)."""

    def __init__(self, leaf: trustme.LeafCert, name: str, staple: bytes = b"") -> None:
        self.name = name
        self.staple = staple
        self.context = SSL.Context(SSL.TLS_SERVER_METHOD)
        self.context.set_min_proto_version(SSL.TLS1_2_VERSION)
        self.context.use_certificate(leaf_cert(leaf))
        key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
        self.context.use_privatekey(key)  # type: ignore[arg-type]
        self.context.set_ocsp_server_callback(self._staple)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.asked = 0  # handshakes that requested a staple
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _staple(self, _conn: Any, _data: Any) -> bytes:
        self.asked += 1
        return self.staple

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        # blocking (pyOpenSSL needs it) but bounded: a client that stalls frees the thread
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 10, 0))
        with contextlib.suppress(OSError, SSL.Error), client:
            reader = client.makefile("rb")
            client.sendall(f"220 {self.name} ESMTP\r\n".encode())
            while line := reader.readline().strip().upper():
                if line.startswith((b"EHLO", b"HELO")):
                    client.sendall(f"250-{self.name}\r\n250 STARTTLS\r\n".encode())
                elif line == b"STARTTLS":
                    client.sendall(b"220 Ready to start TLS\r\n")
                    self._tls(client)
                    return
                else:
                    client.sendall(b"221 Bye\r\n")
                    return

    def _tls(self, client: socket.socket) -> None:
        conn = SSL.Connection(self.context, client)
        conn.set_accept_state()
        conn.do_handshake()
        buffer = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buffer += data
            while b"\n" in buffer:
                line, _, buffer = buffer.partition(b"\n")
                command = line.strip().upper()
                if command.startswith(b"EHLO"):
                    conn.sendall(f"250 {self.name}\r\n".encode())
                elif command.startswith(b"QUIT"):
                    conn.sendall(b"221 Bye\r\n")
                    with contextlib.suppress(SSL.Error):
                        conn.shutdown()
                    return
                else:
                    conn.sendall(b"250 OK\r\n")

    def stop(self) -> None:
        self.listener.close()
