"""An SMTP server on loopback (aiosmtpd) that delivers like an MTA: it adds Return-Path and a
Received header (RFC 5321 4.4) and appends each message to an mbox file."""

from __future__ import annotations

import email.utils
import itertools
import socket
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_IDS = itertools.count(1)


class MboxDelivery:
    def __init__(self, mbox: Path, name: str = "mx.receiver.test") -> None:
        self.mbox = mbox
        self.name = name
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        queue_id = f"Q{next(_IDS):06d}"
        ip = session.peer[0]
        helo = session.host_name or "unknown"
        stamp = email.utils.formatdate()
        tls = " (using TLS)" if session.ssl else ""
        received = (
            f"Received: from {helo} ({helo} [{ip}]){tls}\r\n\tby {self.name} "
            f"(mailcheck test MTA) with ESMTP id {queue_id}\r\n\tfor "
            f"<{envelope.rcpt_tos[0]}>; {stamp}\r\n"
        )
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        delivered = (
            f"Return-Path: <{envelope.mail_from}>\r\n".encode() + received.encode() + content
        )
        self.messages.append(delivered)
        body = b"".join(
            b">" + line if line.lstrip(b">").startswith(b"From ") else line
            for line in delivered.splitlines(keepends=True)
        )
        with self.mbox.open("ab") as handle:
            handle.write(f"From {envelope.mail_from or 'MAILER-DAEMON'} {stamp}\n".encode())
            handle.write(body.replace(b"\r\n", b"\n") + b"\n")
        return f"250 2.0.0 Ok: queued as {queue_id}"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (aiosmtpd's Controller cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def start_mta(mbox: Path, port: int = 0) -> tuple[Controller, MboxDelivery]:
    handler = MboxDelivery(mbox)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller, handler
