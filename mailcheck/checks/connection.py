"""Judging how a conversation went as a connection: reached or not, and when it broke off,
what really happened (silence, a trickle, garbage, another protocol), with the limit in
force and a hint when the server seems to speak something else."""

from __future__ import annotations

from collections.abc import Iterator

from mailcheck.catalog import finding
from mailcheck.model import Finding, Status
from mailcheck.net.probe import HostTrace
from mailcheck.net.session import SessionError, tls_record


def connect_id(protocol: str) -> str:
    return "smtp.connect" if protocol == "smtp" else "mailbox.connect"


def check_connection(trace: HostTrace) -> Iterator[Finding]:
    where = f"{trace.host} [{trace.address}]:{trace.port}"
    error = trace.error
    if error is not None and error.kind == "connect":
        yield finding(
            connect_id(trace.protocol),
            Status.ERROR,
            f"{where}: {error.message}",
            subject=trace.host,
        )
        return
    yield finding(
        connect_id(trace.protocol),
        Status.PASS,
        f"connected to {where}",
        subject=trace.host,
    )
    if error is None:
        return
    step = trace.failed_step
    smtp = trace.protocol == "smtp"
    hint = sniff_hint(trace)
    timed_out = error.kind in ("timeout", "deadline")
    if timed_out and step == "banner":
        what = (
            "the server accepted the connection but said nothing"
            if not error.received
            else "the server's greeting never became a whole line"
        )
        yield finding(
            "smtp.banner" if smtp else "mailbox.greeting",
            Status.ERROR,
            f"{where}: {what} ({error.message})",
            hint=hint,
            subject=trace.host,
        )
        return
    # network trouble (silence, a lost connection, time running out) is no proof of a broken
    # server: could not determine (ERROR), the session layer says which errors are; what did
    # arrive and was wrong (garbage, a refused handshake) is the server's doing (FAIL)
    status = Status.ERROR if error.inconclusive else Status.FAIL
    if error.kind == "tls":
        # a handshake cut off says nothing about STARTTLS (nor fits implicit TLS)
        kind = "tls.handshake" if error.inconclusive else "tls.starttls"
        implicit = step == "tls" and trace.greeting_code is None
        if hint is None and implicit and not error.inconclusive:
            hint = (
                "The server refused the TLS handshake on this implicit-TLS port: look at its "
                "certificate, protocol versions and ciphers."
            )
    else:
        kind = "smtp.protocol" if smtp else "mailbox.protocol"
    label = step if smtp else f"{trace.protocol.upper()} {step}"
    yield finding(kind, status, f"{label}: {error.message}", hint=hint, subject=trace.host)


STANDARD_PORTS = {"smtp": (25, 587, 465, 2525), "imap": (143, 993), "pop3": (110, 995)}
# the port where each protocol speaks TLS from the first byte (--tls auto takes TLS there)
IMPLICIT_DEFAULT = {"smtp": 465, "imap": 993, "pop3": 995}


def sniff_hint(trace: HostTrace) -> str | None:
    """When the server does not speak what we expected, what it seems to speak instead."""
    error, data = trace.error, trace.first_bytes
    if error is None:
        return None
    greeting = trace.failed_step == "banner"
    hint = tls_mismatch_hint(
        trace.protocol,
        trace.port,
        error,
        data,
        greeting=greeting,
        tls_up=trace.tls is not None,
        upgrading=trace.greeting_code is not None,
    )
    if hint or not greeting:
        return hint
    seen = ""
    if data.startswith((b"* OK", b"* PREAUTH", b"* BYE")):
        seen = "imap"
    elif data.startswith((b"+OK", b"-ERR")):
        seen = "pop3"
    elif data[:3].isdigit() and data[3:4] in (b" ", b"-"):
        seen = "smtp"
    if seen and seen != trace.protocol:
        expected = trace.protocol.upper()
        return f"The greeting looks like {seen.upper()}, not {expected}: try --protocol {seen}."
    if data.startswith((b"HTTP/", b"SSH-")):
        return (
            f"The server speaks {data.split(b'/')[0].split(b'-')[0].decode()}, not a mail protocol."
        )
    return None


def tls_mismatch_hint(
    protocol: str,
    port: int,
    error: SessionError,
    first: bytes,
    *,
    greeting: bool,
    tls_up: bool,
    upgrading: bool = False,
) -> str | None:
    """Which --tls to try when the server's TLS choice is not ours: it answered a TLS
    handshake in plain text, or sent a TLS record (or nothing, on a port not standard for
    `protocol`) where the greeting belongs. `greeting`: the failure came while waiting for
    it; `tls_up`: TLS was established before; `upgrading`: the handshake followed the
    server's own yes to STARTTLS. One wording for trace and report --imap."""
    plain = error.kind == "tls" and not tls_up and "WRONG_VERSION_NUMBER" in error.message.upper()
    if plain and upgrading:
        # STARTTLS was already the way in: no --tls choice helps, the server's upgrade is broken
        return (
            "The server accepted STARTTLS, then answered the TLS handshake in plain text: its "
            "STARTTLS does not work (TLS not really set up, or a filter in the path)."
        )
    if plain:
        # --tls auto takes TLS at once on the implicit port: there only starttls helps
        implicit = IMPLICIT_DEFAULT.get(protocol) == port
        choice = "--tls starttls" if implicit else "--tls auto or --tls starttls"
        return (
            f"The server answered in plain text, not TLS: it may expect STARTTLS first ({choice})."
        )
    if not greeting or tls_up:
        return None
    if tls_record(first):
        return "The first bytes are a TLS record: this port speaks TLS at once (--tls implicit)."
    silent = error.kind in ("timeout", "deadline") and not first
    if silent and port not in STANDARD_PORTS.get(protocol, ()):
        return (
            f"Port {port} is not a standard {protocol.upper()} port: if it expects "
            "TLS from the first byte, try --tls implicit."
        )
    return None
