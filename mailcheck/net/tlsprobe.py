"""Dedicated TLS handshakes against one SMTP server: which protocol versions it accepts, one
at a time, and whether it accepts weak ciphers when a client offers nothing else.

Each probe is its own connection (banner, EHLO, STARTTLS, or implicit TLS) within the run's
deadline. A TLS alert or a close inside the handshake means "not accepted"; a failure before
the handshake (connect, banner, STARTTLS refused, silence) means "could not determine".
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Handshake:
    """One dedicated handshake: `outcome` is accepted | refused | untestable | error."""

    label: str  # TLSv1.2, or "weak ciphers"
    outcome: str
    version: str = ""
    cipher: str = ""
    detail: str = ""


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
    context = _context(label)
    if context is None:
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


# Probe connections open at once against one server: one after another, the four probes
# doubled the length of a trace; all at once would look like a flood to a server limiting
# connections per client (two is what a client with a retry in flight opens).
AT_ONCE = 2


def probe_tls(
    host: str, address: str, options: ProbeOptions, server_name: str, known: str
) -> list[Handshake]:
    """Every version but `known` (the one the main conversation negotiated), then the weak
    cipher probe; AT_ONCE connections at a time; results in that order."""
    from concurrent.futures import ThreadPoolExecutor

    labels = [label for label, _version in VERSIONS if label != known] + ["weak ciphers"]
    with ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="tls-probe") as pool:
        found = list(
            pool.map(lambda label: handshake(host, address, options, server_name, label), labels)
        )
    return [Handshake(known, "accepted", known), *found] if known else found
