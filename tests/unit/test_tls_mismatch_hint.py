"""The --tls suggestion after a server answered a TLS handshake in plain text: --tls auto takes
TLS at once on the protocol's implicit-TLS port, so there only --tls starttls is advice."""

from __future__ import annotations

import pytest

from mailcheck.checks.connection import tls_mismatch_hint
from mailcheck.net.session import SessionError

PLAIN = SessionError("tls", "TLS handshake failed: WRONG_VERSION_NUMBER")


@pytest.mark.parametrize(
    ("protocol", "port", "advice"),
    [
        ("imap", 993, "(--tls starttls)."),
        ("pop3", 995, "(--tls starttls)."),
        ("smtp", 465, "(--tls starttls)."),
        ("imap", 1993, "(--tls auto or --tls starttls)."),
        ("smtp", 587, "(--tls auto or --tls starttls)."),
    ],
)
def test_plain_text_answer_to_a_handshake(protocol: str, port: int, advice: str) -> None:
    hint = tls_mismatch_hint(protocol, port, PLAIN, b"", greeting=False, tls_up=False)
    assert hint == (
        f"The server answered in plain text, not TLS: it may expect STARTTLS first {advice}"
    )
