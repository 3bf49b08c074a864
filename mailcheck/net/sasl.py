"""SASL client mechanisms (RFC 4422) for SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH: the
choice among what the server advertised, and one challenge-response loop for all three."""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Strongest first: SCRAM proves the server knows the password too and never reveals it,
# CRAM-MD5 does not reveal it; PLAIN and LOGIN hand it over (safe only over verified TLS).
PREFERENCE = ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")
MAX_ROUNDS = 5


class SaslError(Exception):
    """The exchange cannot go on (a bad challenge, a server that fails to prove itself)."""


def certificate_problem(
    chain: list[bytes], ca_file: str | None, at: datetime.datetime, name: str
) -> str:
    """The rule before any password (SMTP AUTH, IMAP, POP3, report --imap): the chain leads
    to a trusted root, the certificate is valid now and names `name` (an IP address counts
    only as an IP SAN: any trusted certificate for another name must never receive the
    password). "" when the password may go."""
    from mailcheck.net.tlsinfo import describe, name_matches, verify_chain

    if not chain:
        return "no certificate presented"
    trust = verify_chain(chain, ca_file, at, name)
    if not trust.trusted:
        return f"the certificate is not trusted ({trust.detail})"
    leaf = describe(chain[0])
    if not (leaf.not_before <= at <= leaf.not_after):
        return "the certificate is not valid now"
    if not name_matches(leaf, name):
        return f"the certificate does not name {name}"
    if leaf.no_alt_names:
        # OpenSSL would take the CN; RFC 9525 clients would not: the stricter reading wins
        return f"the certificate names {name} only in its CN, in no subjectAltName"
    return ""


def choose(offered: list[str]) -> str | None:
    """The best mechanism we speak among those advertised; None when there is none."""
    upper = {m.upper() for m in offered}
    return next((m for m in PREFERENCE if m in upper), None)


def speakable() -> str:
    return ", ".join(PREFERENCE)


@dataclass
class Mechanism:
    """One client side. `secrets`: every string derived from the password that a hostile
    server could echo back, to be redacted wherever it shows up."""

    name: str
    user: str
    password: str
    secrets: list[str] = field(default_factory=list)
    complete: bool = True  # False until the server proved itself (SCRAM)
    # whether the password (or a proof made from it) went out: a server that says "accepted"
    # before then accepted no credentials at all, which is a protocol fault, not a login
    proved: bool = False
    fault: bool = False  # the exchange ended by a server protocol fault (see `authenticate`)
    _step: int = 0
    _scram: Any = None

    def __post_init__(self) -> None:
        self.secrets.extend([self.password, _b64(self.password.encode())])
        if self.name == "SCRAM-SHA-256":
            from scramp import ScramClient

            self._scram = ScramClient(["SCRAM-SHA-256"], self.user, self.password)
            self.complete = False

    def initial(self) -> bytes | None:
        """The initial response (RFC 4422 §5), or None when the mechanism has none."""
        if self.name == "PLAIN":
            token = f"\0{self.user}\0{self.password}".encode()
            self.secrets.append(_b64(token))
            return token
        if self.name == "SCRAM-SHA-256":
            return str(self._scram.get_client_first()).encode()
        return None

    def respond(self, challenge: bytes) -> bytes:
        self._step += 1
        if self.name == "LOGIN":
            # "Username:" then "Password:"; the prompts are not standard, so go by order
            if self._step == 1:
                return self.user.encode()
            self.proved = True
            return self.password.encode()
        if self.name == "CRAM-MD5":
            import hmac  # ~2.5 ms: only for a CRAM-MD5 login

            digest = hmac.new(self.password.encode(), challenge, "md5").hexdigest()
            answer = f"{self.user} {digest}".encode()
            self.secrets.append(_b64(answer))
            self.proved = True
            return answer
        if self.name == "SCRAM-SHA-256":
            return self._scram_step(challenge)
        raise SaslError(f"{self.name}: the server sent an unexpected challenge")

    def _scram_step(self, challenge: bytes) -> bytes:
        from scramp import ScramException

        client = self._scram
        text = challenge.decode("utf-8", "replace")
        try:
            if self._step == 1:
                client.set_server_first(text)
                final = str(client.get_client_final())
                self.secrets.append(_b64(final.encode()))
                self.proved = True
                return final.encode()
            client.set_server_final(text)
        except ScramException as exc:
            raise SaslError(
                f"SCRAM-SHA-256: the server's answer does not prove it knows the password ({exc})"
            ) from None
        self.complete = True
        return b""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Step:
    """A server's answer during AUTH: a challenge (base64), success or failure (its text)."""

    kind: str  # challenge | ok | fail
    text: str


def early_success(said: str) -> str:
    """Why a success that came before the password went out is no login accepted."""
    return (
        f"the server answered success ({said}) before mailcheck sent the password: "
        "a protocol fault, no credentials were checked; the password was not sent"
    )


def authenticate(
    mechanism: Mechanism,
    start: Callable[[str | None], Step],
    answer: Callable[[str], Step],
    initial_response: bool = True,
) -> tuple[bool, str]:
    """Run the exchange: `start` sends the AUTH command (with the base64 initial response, or
    None), `answer` sends one base64 response line ("*" cancels). (accepted, server text).
    Without `initial_response` (IMAP without SASL-IR) it answers the first, empty challenge.
    A success before the password went out (an IMAP server's tagged OK to AUTHENTICATE PLAIN
    with no "+" asked for) is the server's protocol fault: not accepted, `mechanism.fault`."""
    initial = mechanism.initial()
    pending = initial if not initial_response else None
    step = start(None if initial is None or pending is not None else _b64(initial) or "=")
    if initial is not None and pending is None:
        mechanism.proved = mechanism.proved or mechanism.name == "PLAIN"
    for _round in range(MAX_ROUNDS):
        if step.kind != "challenge":
            break
        try:
            challenge = base64.b64decode(step.text.strip(), validate=True)
        except (binascii.Error, ValueError):
            answer("*")
            return False, f"the server's challenge is not base64: {step.text[:60]!r}"
        if pending is not None:
            mechanism.proved = mechanism.proved or mechanism.name == "PLAIN"
            step, pending = answer(_b64(pending)), None
            continue
        try:
            response = mechanism.respond(challenge)
        except SaslError as exc:
            answer("*")
            return False, str(exc)
        step = answer(_b64(response))
    else:
        answer("*")
        return False, f"more than {MAX_ROUNDS} challenges: exchange cancelled"
    if step.kind == "ok" and not mechanism.complete:
        return False, "the server accepted the login without proving it knows the password"
    if step.kind == "ok" and not mechanism.proved:
        mechanism.fault = True
        return False, early_success(step.text)
    return step.kind == "ok", step.text
