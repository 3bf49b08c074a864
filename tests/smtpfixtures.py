"""SMTP servers on loopback for trace tests: aiosmtpd with STARTTLS, implicit TLS and AUTH
(certificates from a trustme CA: valid, expired, wrong name, self-signed, via an
intermediate), and small asyncio servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "alice", "s3cret-Pa55"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server_context(cert: Any) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


def self_signed_context(name: str) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    import tempfile

    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    context.load_cert_chain(handle.name)
    return context


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    controller: Controller
    host: str
    port: int

    def stop(self) -> None:
        self.controller.stop()


def start_smtp(
    host: str = "127.0.0.1",
    port: int | None = None,
    *,
    starttls: ssl.SSLContext | None = None,
    implicit: ssl.SSLContext | None = None,
    auth: bool = False,
    auth_require_tls: bool = True,
    name: str = "mx.smtp.test",
    handler: Any = None,
    smtputf8: bool = True,
) -> SmtpServer:
    port = port or free_port(host)
    kwargs: dict[str, Any] = {
        "hostname": host,
        "port": port,
        "server_hostname": name,
        "enable_SMTPUTF8": smtputf8,
    }
    if starttls is not None:
        kwargs["tls_context"] = starttls
    if implicit is not None:
        kwargs["ssl_context"] = implicit
    if auth:
        kwargs["authenticator"] = _authenticator
        kwargs["auth_require_tls"] = auth_require_tls
    controller = Controller(handler or Sink(), **kwargs)
    controller.start()
    return SmtpServer(controller, host, port)


class Certificates:
    """A test CA and the leaf certificates the scenarios need."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        now = datetime.datetime.now(datetime.timezone.utc)
        self.good = self.ca.issue_cert(
            "mx.smtp-good.test", "mx1.smtp-all.test", "mx2.smtp-all.test", "mx.smtp-next.test"
        )
        self.expired = self.ca.issue_cert(
            "mx.smtp-expired.test",
            not_before=now - datetime.timedelta(days=400),
            not_after=now - datetime.timedelta(days=30),
        )
        self.expiring = self.ca.issue_cert(
            "mx.smtp-expiring.test", not_after=now + datetime.timedelta(days=5)
        )
        self.wrong_name = self.ca.issue_cert("somewhere-else.test")
        child = self.ca.create_child_ca()
        self.intermediate = child.issue_cert("mx.smtp-chain.test")


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class MisbehavingServer:
    """An asyncio TCP server on loopback running one of the scenarios below."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self._loop = asyncio.new_event_loop()
        self._handler = handler
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> None:
            self._server = await asyncio.start_server(self._handler, self.host, self.port)
            self._ready.set()

        self._loop.run_until_complete(serve())
        self._loop.run_forever()

    def __enter__(self) -> MisbehavingServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(5)


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


async def greeting_421(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"421 4.3.2 mx.bad.test Service not available, closing\r\n")
    await writer.drain()
    await _close(writer)


async def endless_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.bad.test ESMTP\r\n")
    await reader.readline()
    try:
        while True:
            writer.write(b"250-EXTENSION\r\n" * 100)
            await writer.drain()
    except (ConnectionError, OSError):
        pass


async def long_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 " + b"A" * 1_000_000 + b"\r\n")
    with contextlib.suppress(ConnectionError, OSError):
        await writer.drain()
    await _close(writer)


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(bytes(range(256)) * 4 + b"\r\n")
    await writer.drain()
    await _close(writer)


async def close_mid_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.bad.test ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-mx.bad.test\r\n250-PIPELINING\r\n250-STA")
    await writer.drain()
    await _close(writer)


async def close_in_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.bad.test ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-mx.bad.test\r\n250 STARTTLS\r\n")
    await reader.readline()
    writer.write(b"220 2.0.0 Ready to start TLS\r\n")
    await writer.drain()
    await reader.read(10)  # the start of the ClientHello
    await _close(writer)


async def stall_in_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """STARTTLS offered and accepted, then nothing: the handshake never gets an answer."""
    writer.write(b"220 ok ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-localhost\r\n250 STARTTLS\r\n")
    await reader.readline()
    writer.write(b"220 go\r\n")
    await writer.drain()
    await asyncio.sleep(3600)


# a fatal TLS alert (handshake_failure): the server refuses the handshake outright
HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"


async def refuse_in_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 ok ESMTP\r\n")
    await reader.readline()
    writer.write(b"250-localhost\r\n250 STARTTLS\r\n")
    await reader.readline()
    writer.write(b"220 go\r\n")
    await writer.drain()
    await reader.read(10)  # the start of the ClientHello
    writer.write(HANDSHAKE_FAILURE)
    await writer.drain()
    await asyncio.sleep(3600)


async def refuse_implicit_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(10)
    writer.write(HANDSHAKE_FAILURE)
    await writer.drain()
    await asyncio.sleep(3600)


def plain_smtp(name: bytes, capabilities: bytes, received: list[bytes] | None = None) -> Handler:
    """A server without TLS: greets as `name`, answers EHLO with `capabilities` (the text of
    its last 250 line), QUIT with 221 and anything else with 250; each command line it reads
    (upper-cased) is added to `received`."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 " + name + b" ESMTP\r\n")
        while line := (await reader.readline()).upper():
            if received is not None:
                received.append(line)
            if line.startswith(b"EHLO"):
                writer.write(b"250-" + name + b"\r\n250 " + capabilities + b"\r\n")
            elif line.startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        await _close(writer)

    return handler


def close_after(greeting: bytes, partial: bytes) -> Handler:
    """Greets, reads one command, sends the start of a reply and hangs up."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await reader.readline()
        writer.write(partial)
        await writer.drain()
        await _close(writer)

    return handler


def vanish_after_tls(context: ssl.SSLContext) -> Handler:
    """STARTTLS negotiated, then half an EHLO reply and the TCP connection dropped without
    a TLS close (what a crash or a middlebox reset looks like)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 ok ESMTP\r\n")
        await reader.readline()
        writer.write(b"250-localhost\r\n250 STARTTLS\r\n")
        await reader.readline()
        writer.write(b"220 go\r\n")
        await writer.drain()
        await writer.start_tls(context)
        await reader.readline()
        writer.write(b"250-localhost\r\n250-PIP")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.transport.abort()  # no close_notify

    return handler


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def greylisting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.bad.test ESMTP\r\n")
    while True:
        line = (await reader.readline()).decode().strip().upper()
        if not line:
            break
        if line.startswith("EHLO"):
            writer.write(b"250-mx.bad.test\r\n250 ENHANCEDSTATUSCODES\r\n")
        elif line.startswith("RCPT"):
            writer.write(b"451 4.7.1 Greylisted, please try again in 300 seconds\r\n")
        elif line.startswith("QUIT"):
            writer.write(b"221 2.0.0 Bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 2.0.0 OK\r\n")
        await writer.drain()
    await _close(writer)


def starttls_injection(context: ssl.SSLContext) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
        await reader.readline()
        writer.write(b"250-mx.smtp-good.test\r\n250 STARTTLS\r\n")
        await reader.readline()
        # the answer to STARTTLS and a forged reply in one packet, before the handshake
        writer.write(b"220 2.0.0 Ready to start TLS\r\n250 injected reply\r\n")
        await writer.drain()
        try:
            await writer.start_tls(context)
            while True:
                line = (await reader.readline()).decode().strip().upper()
                if not line:
                    break
                if line.startswith("EHLO"):
                    writer.write(b"250 mx.smtp-good.test\r\n")
                else:
                    writer.write(b"221 Bye\r\n")
                    await writer.drain()
                    break
                await writer.drain()
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        await _close(writer)

    return handler


def slow_banner(seconds: float) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(seconds)
        writer.write(b"220 mx.slow.test ESMTP\r\n")
        while True:
            line = (await reader.readline()).decode().strip().upper()
            if not line:
                break
            if line.startswith("QUIT"):
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                break
            writer.write(b"250 mx.slow.test\r\n")
            await writer.drain()
        await _close(writer)

    return handler


@dataclass
class Recorder:
    """What a recording server received: every line, per connection, and whether a message
    arrived."""

    lines: list[str] = field(default_factory=list)
    connections: int = 0
    messages: int = 0
    mechanisms: list[str] = field(default_factory=list)  # AUTH mechanisms used, in order
    logins: int = 0  # successful authentications

    @property
    def auth_lines(self) -> list[str]:
        return [line for line in self.lines if line.upper().startswith("AUTH")]


def _cram_ok(challenge: bytes, answer: str) -> bool:
    import base64
    import hmac

    user, _, digest = base64.b64decode(answer).decode().partition(" ")
    expected = hmac.new(PASSWORD.encode(), challenge, "md5").hexdigest()
    return user == USER and hmac.compare_digest(digest, expected)


def recording_smtp(
    context: ssl.SSLContext | None,
    recorder: Recorder,
    *,
    name: str = "mx.smtp-good.test",
    mechanisms: str = "PLAIN LOGIN",
    echo_auth: bool = False,
    forge_scram: bool = False,
) -> Handler:
    """A submission server that offers STARTTLS (when given a context), then AUTH with
    `mechanisms` (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 are understood), and records every
    line. `echo_auth`: every reply to an AUTH line quotes the line back (a hostile echo)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        recorder.connections += 1
        tls = context is None

        async def say(text: str) -> None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        async def line() -> str:
            raw = await reader.readline()
            if not raw:
                raise ConnectionError
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            recorder.lines.append(text)
            return text

        async def authenticate(command: str) -> None:
            import base64

            parts = command.split()
            mechanism = parts[1].upper() if len(parts) > 1 else ""
            recorder.mechanisms.append(mechanism)
            if mechanism not in mechanisms.split():
                await say("504 5.5.4 Unrecognized authentication type")
                return
            ok = False
            if mechanism == "PLAIN":
                token = parts[2] if len(parts) > 2 else ""
                if not token:
                    await say("334 ")
                    token = await line()
                ok = base64.b64decode(token) == f"\0{USER}\0{PASSWORD}".encode()
            elif mechanism == "LOGIN":
                await say("334 VXNlcm5hbWU6")
                user = base64.b64decode(await line()).decode()
                await say("334 UGFzc3dvcmQ6")
                ok = user == USER and base64.b64decode(await line()).decode() == PASSWORD
            elif mechanism == "CRAM-MD5":
                challenge = b"<1896.697170952@mx.smtp-good.test>"
                await say("334 " + base64.b64encode(challenge).decode())
                ok = _cram_ok(challenge, await line())
            elif mechanism == "SCRAM-SHA-256":
                first = parts[2] if len(parts) > 2 else ""
                ok = await _scram(say, line, first, forge_scram)
            # a hostile echo quotes the client's last line: the AUTH line or a response
            echo = f" (you said: {recorder.lines[-1]})" if echo_auth else ""
            if ok:
                recorder.logins += 1
                await say(f"235 2.7.0 Authentication successful{echo}")
            else:
                await say(f"535 5.7.8 Error: authentication failed{echo}")

        try:
            await say(f"220 {name} ESMTP")
            while True:
                command = await line()
                word = command.split(" ", 1)[0].upper()
                if word == "EHLO":
                    caps = [name, "SIZE 1000000"]
                    caps += ["STARTTLS"] if not tls else [f"AUTH {mechanisms}"]
                    for cap in caps[:-1]:
                        writer.write(f"250-{cap}\r\n".encode())
                    await say(f"250 {caps[-1]}")
                elif word == "STARTTLS" and context is not None and not tls:
                    await say("220 2.0.0 Ready to start TLS")
                    await writer.start_tls(context)
                    tls = True
                elif word == "AUTH":
                    await authenticate(command)
                elif word == "DATA":
                    await say("354 End data with <CR><LF>.<CR><LF>")
                    while await line() != ".":
                        pass
                    recorder.messages += 1
                    await say("250 2.0.0 Ok: queued as REC0001")
                elif word == "QUIT":
                    await say("221 2.0.0 Bye")
                    break
                else:
                    await say("250 2.0.0 Ok")
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        await _close(writer)

    return handler


async def _scram(
    say: Callable[[str], Awaitable[None]],
    line: Callable[[], Awaitable[str]],
    first: str,
    forge: bool = False,
) -> bool:
    """The server side of SCRAM-SHA-256 (RFC 7677), with scramp; `forge`: a server that does
    not know the password and sends a made-up proof (v=) at the end."""
    import base64

    from scramp import ScramException, ScramMechanism

    mechanism = ScramMechanism("SCRAM-SHA-256")
    salt, stored, server_key, iterations = mechanism.make_auth_info(PASSWORD)

    def auth_fn(user: str) -> tuple[bytes, bytes, bytes, int]:
        if user != USER:
            raise ScramException("unknown user")
        return salt, stored, server_key, iterations

    server = mechanism.make_server(auth_fn)
    try:
        if not first:
            await say("334 ")
            first = await line()
        server.set_client_first(base64.b64decode(first).decode())
        await say("334 " + base64.b64encode(server.get_server_first().encode()).decode())
        server.set_client_final(base64.b64decode(await line()).decode())
        final = server.get_server_final()
        if forge:
            final = "v=" + base64.b64encode(b"\x00" * 32).decode()
        await say("334 " + base64.b64encode(final.encode()).decode())
        if await line() == "*":  # the client cancelled
            return False
    except ScramException:
        return False
    return True


@pytest.fixture(scope="module")
def certs_ca_file(certs: Certificates, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The PEM file of the `certs` CA (modules import it as their `ca_file`)."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    certs.ca.cert_pem.write_to_path(str(path))
    return str(path)
