"""Regenerate examples/messages/*.eml: signed with the demo key of example.com (selector mail).

Run:  .venv/bin/python scripts/make_example_messages.py
"""

from __future__ import annotations

from pathlib import Path

import dkim

ROOT = Path(__file__).resolve().parent.parent
KEY = (ROOT / "examples" / "keys" / "example.com.mail.pem").read_bytes()
OUT = ROOT / "examples" / "messages"

HEADERS = [
    "Return-Path: <bounces@example.com>",
    "Received: from mx1.example.com (mx1.example.com [192.0.2.10])\r\n"
    "\tby mx.example.net (Postfix) with ESMTPS id 4F1A2B3C4D\r\n"
    "\tfor <bob@example.net>; Sat, 28 Nov 2026 09:00:02 +0000",
    "Received: from [198.51.100.20] (laptop.example.com [198.51.100.20])\r\n"
    "\tby mx1.example.com (Postfix) with ESMTPSA id 9E8D7C6B5A\r\n"
    "\tfor <bob@example.net>; Sat, 28 Nov 2026 09:00:01 +0000",
    "From: Alice <alice@example.com>",
    "To: Bob <bob@example.net>",
    "Subject: Quarterly report",
    "Date: Sat, 28 Nov 2026 09:00:00 +0000",
    "Message-ID: <20261128090000.1@example.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
]
BODY = b"Hello Bob,\r\n\r\nthe report is attached.\r\n\r\nAlice\r\n"


def main() -> None:
    message = ("\r\n".join(HEADERS[3:]) + "\r\n\r\n").encode() + BODY
    signature = dkim.sign(
        message,
        b"mail",
        b"example.com",
        KEY,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    trace = ("\r\n".join(HEADERS[:3]) + "\r\n").encode()
    (OUT / "signed.eml").write_bytes(trace + signature + message)
    results = (
        b"Authentication-Results: mx.example.net; dkim=pass header.d=example.com "
        b"header.s=mail; spf=pass smtp.mailfrom=bounces@example.com; dmarc=pass "
        b"header.from=example.com\r\n"
    )
    tampered = (
        trace + signature + message.replace(b"the report is attached", b"the invoice is attached")
    )
    (OUT / "tampered.eml").write_bytes(results + tampered)


if __name__ == "__main__":
    main()
