"""The client side of IMAP (RFC 9051/3501) and POP3 (RFC 1939/2449) over a Session:
greeting, capabilities, STARTTLS/STLS and a login test, with secrets never recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailcheck.net.sasl import Mechanism, Step, authenticate, choose, early_success, speakable
from mailcheck.net.session import MAX_REPLY_LINES, Session, SessionError

_CAPABILITY = re.compile(r"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)


@dataclass(frozen=True)
class ImapStatus:
    """An IMAP command's tagged status, with the untagged lines before it."""

    status: str  # OK | NO | BAD | BYE | PREAUTH | EARLY (OK before the password was sent)
    text: str
    untagged: tuple[str, ...] = ()


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quotable(value: str) -> bool:
    """RFC 3501 quoted strings carry 7-bit text without CR, LF or NUL; anything else (a
    non-ASCII password) must go as a literal."""
    return value.isascii() and not any(c in value for c in "\r\n\0")


class ImapClient:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._tag = 0

    def greeting(self) -> ImapStatus:
        line = self.session.read_line()
        match = re.match(r"^\* (OK|PREAUTH|BYE)\b ?(.*)$", line, re.IGNORECASE)
        if match is None:
            raise SessionError("garbage", f"not an IMAP greeting: {line[:80]!r}")
        return ImapStatus(match.group(1).upper(), match.group(2))

    def command(self, text: str, shown: str | None = None) -> ImapStatus:
        self._tag += 1
        tag = f"a{self._tag}"
        self.session.write_line(f"{tag} {text}", None if shown is None else f"{tag} {shown}")
        return self._response(tag)

    def _response(self, tag: str) -> ImapStatus:
        untagged: list[str] = []
        while True:
            line = self.session.read_line()
            if line.startswith(tag + " "):
                status, _, rest = line[len(tag) + 1 :].partition(" ")
                return ImapStatus(status.upper(), rest, tuple(untagged))
            if not line.startswith(("*", "+")):
                raise SessionError("garbage", f"not an IMAP response: {line[:80]!r}")
            untagged.append(line)
            if len(untagged) > MAX_REPLY_LINES:
                raise SessionError("too-long", "an endless IMAP response")

    def capabilities(self) -> tuple[ImapStatus, list[str]]:
        reply = self.command("CAPABILITY")
        caps: list[str] = []
        for line in reply.untagged:
            if line.upper().startswith("* CAPABILITY "):
                caps = line.split()[2:]
        return reply, [c.upper() for c in caps]

    def login(self, user: str, password: str) -> ImapStatus:
        """LOGIN (RFC 3501 6.2.3) with each argument quoted, or as a synchronizing literal
        ({N}, then the bytes after the server's "+") when it is not 7-bit text."""
        self.session.secrets.extend([password, _quote(password)])
        self._tag += 1
        tag = f"a{self._tag}"
        line = shown = f"{tag} LOGIN"
        for value, secret in ((user, False), (password, True)):
            if _quotable(value):
                line += " " + _quote(value)
                shown += " " + ("<redacted>" if secret else _quote(value))
                continue
            size = len(value.encode("utf-8", "surrogateescape"))
            self.session.write_line(f"{line} {{{size}}}", f"{shown} {{{size}}}")
            refused = self._continuation(tag)
            if refused is not None and refused.status == "OK":
                # no "+" asked for the literal: the password never went out (RFC 9051 7.5)
                return ImapStatus("EARLY", early_success(f"OK {refused.text}"))
            if refused is not None:
                return refused
            line, shown = value, "<redacted>" if secret else value
        self.session.write_line(line, shown)
        return self._response(tag)

    def _continuation(self, tag: str) -> ImapStatus | None:
        """None when the server asks for the literal ("+"), its tagged answer when it
        refuses the command instead."""
        for _ in range(MAX_REPLY_LINES):
            line = self.session.read_line()
            if line.startswith("+"):
                return None
            if line.startswith(tag + " "):
                status, _, rest = line[len(tag) + 1 :].partition(" ")
                return ImapStatus(status.upper(), rest)
            if not line.startswith("*"):
                raise SessionError("garbage", f"not an IMAP response: {line[:80]!r}")
        raise SessionError("too-long", "an endless IMAP response")

    def authenticate(self, mechanism: Mechanism, sasl_ir: bool) -> tuple[bool, str]:
        """AUTHENTICATE (RFC 9051 6.2.2): "+ " continuations carry the challenges."""
        self._tag += 1
        tag = f"a{self._tag}"

        def step() -> Step:
            while True:
                line = self.session.read_line()
                if line.startswith("+"):
                    return Step("challenge", line[1:].strip())
                if line.startswith(tag + " "):
                    status, _, rest = line[len(tag) + 1 :].partition(" ")
                    return Step("ok" if status.upper() == "OK" else "fail", f"{status} {rest}")
                if not line.startswith("*"):
                    raise SessionError("garbage", f"not an IMAP response: {line[:80]!r}")

        def start(initial: str | None) -> Step:
            self.session.secrets.extend(mechanism.secrets)
            command = f"{tag} AUTHENTICATE {mechanism.name}"
            if initial is None:
                self.session.write_line(command)
            else:
                self.session.write_line(f"{command} {initial}", f"{command} <redacted>")
            return step()

        def answer(response: str) -> Step:
            self.session.secrets.extend(mechanism.secrets)
            self.session.write_line(response, "*" if response == "*" else "<redacted>")
            return step()

        return authenticate(mechanism, start, answer, initial_response=sasl_ir)


@dataclass(frozen=True)
class MailboxLogin:
    """A login attempt: the command used ("AUTHENTICATE PLAIN", "LOGIN", "AUTH CRAM-MD5",
    "USER/PASS"), or "" when nothing was sent because no usable way was offered."""

    mechanism: str
    accepted: bool
    text: str
    fault: bool = False  # "accepted" before the password was sent: the server's fault


def imap_login(client: ImapClient, user: str, password: str, caps: list[str]) -> MailboxLogin:
    """The one IMAP login path (trace, report --imap), for a session already judged safe for
    a password: AUTHENTICATE with the best advertised SASL mechanism we speak (RFC 9051
    6.2.2); else LOGIN, unless the server announces LOGINDISABLED (then nothing is sent)."""
    sasl = [c[5:] for c in caps if c.upper().startswith("AUTH=")]
    name = choose(sasl)
    if name is not None:
        mechanism = Mechanism(name, user, password)
        accepted, text = client.authenticate(mechanism, "SASL-IR" in caps)
        return MailboxLogin(f"AUTHENTICATE {name}", accepted, text, mechanism.fault)
    if "LOGINDISABLED" in caps:
        return MailboxLogin("", False, unusable("AUTHENTICATE", sasl, "LOGINDISABLED" in caps))
    reply = client.login(user, password)
    if reply.status == "EARLY":
        return MailboxLogin("LOGIN", False, reply.text, fault=True)
    return MailboxLogin("LOGIN", reply.status == "OK", reply.text)


def unusable(what: str, offered: list[str], disabled: bool = False) -> str:
    """Why no login was attempted: nothing offered that mailcheck speaks."""
    listed = f"offers {what} {' '.join(offered)}" if offered else f"offers no {what} mechanism"
    return (
        f"login not attempted: the server {listed}"
        + (f", none of which mailcheck speaks ({speakable()})" if offered else "")
        + (" and announces LOGINDISABLED" if disabled else "")
        + "; no password was sent"
    )


def greeting_capabilities(greeting: ImapStatus) -> list[str]:
    match = _CAPABILITY.search(greeting.text)
    return [c.upper() for c in match.group(1).split()] if match else []


@dataclass(frozen=True)
class PopReply:
    """A POP3 reply: +OK or -ERR, its text, and a multi-line body's lines."""

    ok: bool
    text: str
    lines: tuple[str, ...] = ()


class PopClient:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _status(self) -> PopReply:
        line = self.session.read_line()
        if line.startswith("+OK"):
            return PopReply(True, line[3:].strip())
        if line.startswith("-ERR"):
            return PopReply(False, line[4:].strip())
        raise SessionError("garbage", f"not a POP3 reply: {line[:80]!r}")

    def greeting(self) -> PopReply:
        return self._status()

    def command(self, text: str, shown: str | None = None, multiline: bool = False) -> PopReply:
        self.session.write_line(text, shown)
        reply = self._status()
        if not (multiline and reply.ok):
            return reply
        lines: list[str] = []
        while True:
            line = self.session.read_line()
            if line == ".":
                return PopReply(True, reply.text, tuple(lines))
            lines.append(line[1:] if line.startswith("..") else line)
            if len(lines) > MAX_REPLY_LINES:
                raise SessionError("too-long", "an endless POP3 response")

    def capabilities(self) -> tuple[PopReply, list[str]]:
        reply = self.command("CAPA", multiline=True)
        return reply, [line.strip() for line in reply.lines if line.strip()]

    def login(self, user: str, password: str) -> PopReply:
        reply = self.command(f"USER {user}")
        if not reply.ok:
            return reply
        self.session.secrets.append(password)
        return self.command(f"PASS {password}", "PASS <redacted>")

    def authenticate(self, mechanism: Mechanism) -> tuple[bool, str]:
        """AUTH (RFC 5034): "+ " continuations carry the challenges."""

        def step() -> Step:
            line = self.session.read_line()
            if line.startswith("+ ") or line == "+":
                return Step("challenge", line[1:].strip())
            if line.startswith("+OK"):
                return Step("ok", line[3:].strip())
            if line.startswith("-ERR"):
                return Step("fail", line[4:].strip())
            raise SessionError("garbage", f"not a POP3 reply: {line[:80]!r}")

        def start(initial: str | None) -> Step:
            self.session.secrets.extend(mechanism.secrets)
            command = f"AUTH {mechanism.name}"
            if initial is None:
                self.session.write_line(command)
            else:
                self.session.write_line(f"{command} {initial}", f"{command} <redacted>")
            return step()

        def answer(response: str) -> Step:
            self.session.secrets.extend(mechanism.secrets)
            self.session.write_line(response, "*" if response == "*" else "<redacted>")
            return step()

        return authenticate(mechanism, start, answer)
