"""One live conversation with a mail server (SMTP, IMAP or POP3), recorded step by step.

Probes never send message content: the SMTP probe stops at RCPT TO (then RSET, QUIT).
What happened is returned as data; judging it is the checks' job.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from mailcheck.escape import printable
from mailcheck.net.sasl import Mechanism, certificate_problem, choose
from mailcheck.net.session import Budget, Session, SessionError, Transcript, presented_chain
from mailcheck.net.smtp import Capabilities, Reply, SmtpClient

if TYPE_CHECKING:  # the IMAP/POP3 clients load only for an IMAP or POP3 trace
    from mailcheck.net.mailbox import ImapClient, PopClient

STEPS = ("connect", "banner", "ehlo", "tls", "mail", "rcpt")
LOGIN_AFTER = (None, "mail", "rcpt")  # the login test comes after TLS, before MAIL FROM


@dataclass(frozen=True)
class ProbeOptions:
    """How a host is traced: protocol, port, TLS choice and the SMTP dialogue."""

    protocol: str = "smtp"  # smtp | imap | pop3
    port: int = 25
    tls: str = "auto"  # auto | starttls | implicit | none
    ehlo: str = "mailcheck.invalid"
    mail_from: str | None = None
    rcpt: tuple[str, ...] = ()
    quit_after: str | None = None
    source_address: str | None = None
    step_timeout: float = 10.0
    deadline: float = 60.0
    # the options that set those two, named in timeout messages ("" when none did)
    step_option: str = "--timeout"
    deadline_option: str = "--deadline"
    ends_at: float | None = None  # the whole run's deadline (monotonic), shared by every host
    user: str | None = None
    password: str | None = None
    # the password goes only over TLS with a trusted certificate naming the host, unless this
    allow_insecure_auth: bool = False
    ca_file: str | None = None
    tls_name: str | None = None  # SNI and certificate name, when not the host
    # `mailcheck send`: a whole transaction (MAIL, RCPT, DATA) instead of the MAIL/RCPT probe
    message: bytes | None = None
    shown_content: tuple[str, ...] = ()
    smtputf8: bool = False  # an address needs SMTPUTF8 (RFC 6531)
    eight_bit: bool = False  # the message has 8-bit bytes: BODY=8BITMIME (RFC 6152)


class Watch(Protocol):
    """What a caller hears of a conversation while it goes on."""

    def greeted(self) -> None:
        """The server greeted (220) and the conversation goes on."""

    def negotiated(self, version: str) -> None:
        """The TLS handshake is done: `version` (TLSv1.3)."""


@dataclass
class TlsState:
    """The TLS a conversation reached: mode, version, cipher and the chain."""

    mode: str  # implicit | starttls
    version: str = ""
    cipher: str = ""
    bits: int | None = None
    chain: list[bytes] = field(default_factory=list)
    injected: bytes = b""
    at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )


@dataclass
class HostTrace:
    """One host's conversation: the transcript, TLS state, and what went wrong."""

    host: str
    address: str
    port: int
    protocol: str
    transcript: Transcript
    preference: int | None = None
    tls_name: str | None = None
    error: SessionError | None = None
    failed_step: str = ""
    greeting: str = ""
    greeting_code: int | None = None
    first_bytes: bytes = b""  # what the server sent first (to tell what it speaks)
    banner_seconds: float | None = None
    ehlo_reply: Reply | None = None
    helo_fallback: bool = False
    caps_before: Capabilities | None = None
    caps_after: Capabilities | None = None
    mailbox_caps_before: list[str] = field(default_factory=list)
    mailbox_caps_after: list[str] = field(default_factory=list)
    starttls_offered: bool = False
    starttls_reply: str = ""
    tls: TlsState | None = None
    mail_reply: Reply | None = None
    rcpt_replies: list[tuple[str, Reply]] = field(default_factory=list)
    # ok | refused | no-tls | untrusted | unavailable | "" | fault (the server claimed
    # success before the password was sent: a protocol fault, no login tested)
    login: str = ""
    preauth: bool = False  # IMAP PREAUTH: authenticated at the greeting, without a login
    login_text: str = ""
    login_reply: Reply | None = None  # SMTP AUTH's final reply
    login_mechanism: str = ""  # the SASL mechanism used (or LOGIN / USER for IMAP, POP3)
    stopped_after: str = ""
    # `mailcheck send`
    blocked: str = ""  # why the transaction was not attempted (SIZE, SMTPUTF8)
    data_reply: Reply | None = None  # the reply to DATA, or the final reply after the content
    content_sent: bool = False  # every byte and the final dot were written

    @property
    def verified_name(self) -> str:
        """The name the certificate must carry: --tls-name, else the host connected to."""
        return self.tls_name or self.host

    @property
    def reached(self) -> bool:
        return self.error is None or self.error.kind != "connect"


def _record_tls(
    session: Session,
    trace: HostTrace,
    mode: str,
    server_name: str,
    watch: Watch | None = None,
) -> None:
    state = TlsState(mode)

    def injected(data: bytes) -> None:
        state.injected = data
        session.transcript.add(
            "*",
            f"{len(data)} bytes arrived before the TLS handshake "
            "and were discarded (STARTTLS response injection)",
        )

    tls = session.start_tls(server_name, injected)
    cipher = tls.cipher()
    state.version = tls.version() or ""
    if cipher:
        state.cipher, state.bits = cipher[0], cipher[2]
    state.chain = presented_chain(tls)
    trace.tls = state
    session.transcript.add("*", f"{state.version} {state.cipher}")
    if watch is not None:
        watch.negotiated(state.version)


def wants(options: ProbeOptions, step: str) -> bool:
    """False once --quit-after has stopped before `step`."""
    if options.quit_after is None:
        return True
    return STEPS.index(step) <= STEPS.index(options.quit_after)


def probe(
    host: str,
    address: str,
    options: ProbeOptions,
    preference: int | None = None,
    watch: Watch | None = None,
) -> HostTrace:
    """`watch` (SMTP): told of the greeting and of the TLS version the moment each comes,
    so that work waiting for them (the grading handshakes) need not wait for the whole
    conversation."""
    transcript = Transcript()
    trace = HostTrace(
        host, address, options.port, options.protocol, transcript, preference, options.tls_name
    )
    host = trace.verified_name  # the TLS server name from here on
    budget = Budget(
        options.step_timeout, options.deadline, options.step_option, options.deadline_option
    )
    session = Session(transcript, budget, options.ends_at)
    step = "connect"
    try:
        session.connect(address, options.port, options.source_address)
        if options.tls == "implicit":
            step = "tls"
            _record_tls(session, trace, "implicit", host, watch)
        if options.protocol == "imap":
            _imap(session, trace, options, host)
        elif options.protocol == "pop3":
            _pop3(session, trace, options, host)
        else:
            _smtp(session, trace, options, host, watch)
    except SessionError as exc:
        trace.error = exc
        trace.failed_step = trace.failed_step or step
        trace.first_bytes = session.first
        transcript.add("*", f"stopped: {exc.message}")
    finally:
        session.close()
    return trace


def _may_login(trace: HostTrace, options: ProbeOptions) -> bool:
    """A login was asked for and TLS protects it: a password never travels in clear, nor to
    a server whose certificate is untrusted or names another host (unless
    allow_insecure_auth)."""
    if not options.user or options.password is None or options.quit_after not in LOGIN_AFTER:
        return False
    if options.allow_insecure_auth:
        return True
    if trace.tls is None:
        trace.login = "no-tls"
        trace.login_text = (
            "login not attempted: the password is never sent without TLS "
            "(--allow-insecure-auth to send it anyway)"
        )
        return False
    problem = _certificate_problem(trace, options)
    if problem:
        trace.login = "untrusted"
        trace.login_text = (
            f"login not attempted: {problem}; the password would go to a server we cannot "
            "authenticate (--allow-insecure-auth to send it anyway)"
        )
        return False
    return True


def _certificate_problem(trace: HostTrace, options: ProbeOptions) -> str:
    assert trace.tls is not None
    return certificate_problem(trace.tls.chain, options.ca_file, trace.tls.at, trace.verified_name)


def _mechanism(
    trace: HostTrace, offered: list[str], options: ProbeOptions, what: str
) -> Mechanism | None:
    """The SASL mechanism to log in with, chosen among those the server advertised; None
    (and why, in the trace) when it advertised none that we speak."""
    name = choose(offered)
    if name is None:
        from mailcheck.net.mailbox import unusable

        trace.login, trace.login_text = "unavailable", printable(unusable(what, offered))
        return None
    trace.login_mechanism = f"{what} {name}"
    return Mechanism(name, options.user or "", options.password or "")


def _quit(client: SmtpClient, trace: HostTrace, step: str) -> None:
    trace.stopped_after = step
    with contextlib.suppress(SessionError):
        client.command("QUIT")


def _smtp(
    session: Session,
    trace: HostTrace,
    options: ProbeOptions,
    host: str,
    watch: Watch | None = None,
) -> None:
    client = SmtpClient(session)
    started = time.monotonic()
    trace.failed_step = "banner"
    banner = client.read_reply()
    trace.banner_seconds = time.monotonic() - started
    trace.greeting, trace.greeting_code = banner.text, banner.code
    if banner.code != 220:
        _quit(client, trace, "banner")
        return
    if not wants(options, "ehlo"):
        _quit(client, trace, "banner")
        return
    if watch is not None:
        watch.greeted()
    trace.failed_step = "ehlo"
    reply, caps = client.ehlo(options.ehlo)
    trace.ehlo_reply, trace.caps_before = reply, caps
    trace.helo_fallback = caps is None and reply.code == 250
    if not reply.positive:
        _quit(client, trace, "ehlo")
        return
    trace.starttls_offered = bool(caps and caps.has("STARTTLS"))
    wanted = trace.tls is None and options.tls in ("auto", "starttls") and wants(options, "tls")
    if wanted and (trace.starttls_offered or options.tls == "starttls"):
        trace.failed_step = "tls"
        answer = client.command("STARTTLS")
        trace.starttls_reply = str(answer)
        if answer.code == 220:
            _record_tls(session, trace, "starttls", host, watch)
            trace.failed_step = "ehlo"
            _reply, trace.caps_after = client.ehlo(options.ehlo)
    if options.message is not None and trace.tls is None and options.tls == "starttls":
        # TLS was required: neither the password nor the message go in clear
        why = f" ({trace.starttls_reply})" if trace.starttls_reply else " (not offered)"
        trace.blocked = f"--tls starttls: no TLS was negotiated{why}"
        _quit(client, trace, "tls")
        return
    if _may_login(trace, options):
        caps = trace.caps_after or trace.caps_before
        offered = caps.auth if caps is not None else []
        mechanism = _mechanism(trace, offered, options, "AUTH")  # RFC 4954
        if mechanism is not None:
            trace.failed_step = "login"
            ok, why, result = client.auth(mechanism)
            trace.login = _outcome(ok, mechanism.fault)
            trace.login_text = printable(why)
            trace.login_reply = result
    if options.message is not None:
        if trace.login in ("", "ok") or options.user is None:
            _transaction(client, trace, options, caps_now(trace))
        _quit(client, trace, "data")
        return
    if not wants(options, "mail") or options.mail_from is None:
        _quit(client, trace, options.quit_after or "ehlo")
        return
    trace.failed_step = "mail"
    trace.mail_reply = client.command(f"MAIL FROM:<{options.mail_from}>")
    if trace.mail_reply.positive and wants(options, "rcpt"):
        trace.failed_step = "rcpt"
        for recipient in options.rcpt:
            trace.rcpt_replies.append((recipient, client.command(f"RCPT TO:<{recipient}>")))
    client.command("RSET")
    _quit(client, trace, "rcpt" if options.rcpt else "mail")


def caps_now(trace: HostTrace) -> Capabilities:
    return trace.caps_after or trace.caps_before or Capabilities()


def _transaction(
    client: SmtpClient, trace: HostTrace, options: ProbeOptions, caps: Capabilities
) -> None:
    """MAIL FROM, RCPT TO for each recipient, DATA and the content (RFC 5321 3.3)."""
    assert options.message is not None and options.mail_from is not None
    size = len(options.message)
    if options.smtputf8 and not caps.has("SMTPUTF8"):
        trace.blocked = "an address needs SMTPUTF8 and the server does not offer it (RFC 6531)"
        return
    if caps.size and size > caps.size:
        trace.blocked = (
            f"the message is {size} bytes and the server accepts at most {caps.size} (SIZE)"
        )
        return
    params = f" SIZE={size}" if caps.has("SIZE") else ""
    if options.eight_bit and caps.has("8BITMIME"):
        params += " BODY=8BITMIME"
    if options.smtputf8:
        params += " SMTPUTF8"
    trace.failed_step = "mail"
    trace.mail_reply = client.command(f"MAIL FROM:<{options.mail_from}>{params}")
    if not trace.mail_reply.positive:
        return
    trace.failed_step = "rcpt"
    for recipient in options.rcpt:
        trace.rcpt_replies.append((recipient, client.command(f"RCPT TO:<{recipient}>")))
    if not any(reply.positive for _r, reply in trace.rcpt_replies):
        client.command("RSET")
        return
    trace.failed_step = "data"
    trace.data_reply = client.command("DATA")
    if trace.data_reply.code != 354:
        return
    trace.failed_step = "content"
    trace.data_reply = client.send_content(
        options.message, options.shown_content, on_sent=lambda: _sent(trace)
    )
    trace.failed_step = ""


def _sent(trace: HostTrace) -> None:
    trace.content_sent = True


def _outcome(accepted: bool, fault: bool) -> str:
    """HostTrace.login for a login that was attempted."""
    return "ok" if accepted else "fault" if fault else "refused"


@dataclass(frozen=True)
class _Dialect:
    """The few places where IMAP and POP3 dialogues differ."""

    greet: Callable[[], tuple[int, str, list[str]]]  # code (220/421), text, capabilities
    capabilities: Callable[[], list[str]]
    offers_tls: Callable[[list[str]], bool]
    starttls: Callable[[], tuple[bool, str]]  # accepted, reply as shown
    # the login's outcome (ok | refused | fault) and the server's text; None: not attempted
    login: Callable[[HostTrace, ProbeOptions, list[str]], tuple[str, str] | None]
    bye: Callable[[], object]
    preauth: Callable[[], bool] = lambda: False  # the greeting was IMAP PREAUTH


def _imap_dialect(client: ImapClient) -> _Dialect:
    from mailcheck.net.mailbox import greeting_capabilities, imap_login

    said: list[str] = []

    def greet() -> tuple[int, str, list[str]]:
        greeting = client.greeting()
        said.append(greeting.status)
        code = {"OK": 220, "PREAUTH": 220, "BYE": 421}[greeting.status]
        return code, greeting.text, greeting_capabilities(greeting)

    def starttls() -> tuple[bool, str]:
        answer = client.command("STARTTLS")
        return answer.status == "OK", f"{answer.status} {answer.text}"

    def login(trace: HostTrace, options: ProbeOptions, caps: list[str]) -> tuple[str, str] | None:
        """The shared IMAP login path (net/mailbox.imap_login, also used by report --imap)."""
        result = imap_login(client, options.user or "", options.password or "", caps)
        if not result.mechanism:
            trace.login, trace.login_text = "unavailable", printable(result.text)
            return None
        trace.login_mechanism = result.mechanism
        return _outcome(result.accepted, result.fault), result.text

    return _Dialect(
        greet,
        lambda: client.capabilities()[1],
        lambda caps: "STARTTLS" in caps,
        starttls,
        login,
        lambda: client.command("LOGOUT"),
        lambda: said == ["PREAUTH"],
    )


def _pop3_dialect(client: PopClient) -> _Dialect:
    def greet() -> tuple[int, str, list[str]]:
        greeting = client.greeting()
        return (220 if greeting.ok else 421), greeting.text, []

    def starttls() -> tuple[bool, str]:
        answer = client.command("STLS")
        return answer.ok, ("+OK " if answer.ok else "-ERR ") + answer.text

    def login(trace: HostTrace, options: ProbeOptions, caps: list[str]) -> tuple[str, str] | None:
        """AUTH with an advertised SASL mechanism (RFC 5034), else USER/PASS when offered
        (or when CAPA told nothing)."""
        sasl_line = next((c for c in caps if c.upper().startswith("SASL ")), "")
        sasl = sasl_line.split()[1:]
        if choose(sasl) is None and (not caps or "USER" in (c.upper() for c in caps)):
            trace.login_mechanism = "USER/PASS"
            result = client.login(options.user or "", options.password or "")
            return _outcome(result.ok, False), result.text
        mechanism = _mechanism(trace, sasl, options, "AUTH")
        if mechanism is None:
            return None
        accepted, text = client.authenticate(mechanism)
        return _outcome(accepted, mechanism.fault), text

    return _Dialect(
        greet,
        lambda: client.capabilities()[1],
        lambda caps: any(c.upper() == "STLS" for c in caps),
        starttls,
        login,
        lambda: client.command("QUIT"),
    )


def _imap(session: Session, trace: HostTrace, options: ProbeOptions, host: str) -> None:
    from mailcheck.net.mailbox import ImapClient

    _mailbox(session, trace, options, host, _imap_dialect(ImapClient(session)))


def _pop3(session: Session, trace: HostTrace, options: ProbeOptions, host: str) -> None:
    from mailcheck.net.mailbox import PopClient

    _mailbox(session, trace, options, host, _pop3_dialect(PopClient(session)))


def _mailbox(
    session: Session, trace: HostTrace, options: ProbeOptions, host: str, dialect: _Dialect
) -> None:
    """Greeting, capabilities, STARTTLS/STLS and capabilities again, the login test."""
    started = time.monotonic()
    trace.failed_step = "banner"
    code, text, greeted = dialect.greet()
    trace.banner_seconds = time.monotonic() - started
    trace.greeting, trace.greeting_code = text, code
    trace.preauth = dialect.preauth()
    if code != 220 or not wants(options, "ehlo"):
        trace.stopped_after = "banner"
        return
    trace.failed_step = "capabilities"
    trace.mailbox_caps_before = dialect.capabilities() or greeted
    trace.starttls_offered = dialect.offers_tls(trace.mailbox_caps_before)
    if (
        trace.tls is None
        and not trace.preauth  # STARTTLS is for the not-authenticated state (RFC 9051 6.2.1)
        and options.tls in ("auto", "starttls")
        and wants(options, "tls")
        and (trace.starttls_offered or options.tls == "starttls")
    ):
        trace.failed_step = "tls"
        accepted, trace.starttls_reply = dialect.starttls()
        if accepted:
            _record_tls(session, trace, "starttls", host)
            trace.failed_step = "capabilities"
            trace.mailbox_caps_after = dialect.capabilities()
    if trace.preauth and options.user:
        trace.login = "unavailable"
        trace.login_text = (
            "login not attempted: the server greeted with PREAUTH (the session is already "
            "authenticated); no password was sent"
        )
    elif _may_login(trace, options):
        trace.failed_step = "login"
        caps = trace.mailbox_caps_after or trace.mailbox_caps_before
        result = dialect.login(trace, options, caps)
        if result is not None:
            trace.login, trace.login_text = result[0], printable(result[1])
    trace.stopped_after = options.quit_after or "ehlo"
    with contextlib.suppress(SessionError):
        dialect.bye()
