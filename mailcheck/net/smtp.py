"""The SMTP client side (RFC 5321) over a Session: replies, EHLO capabilities, STARTTLS, AUTH
and DATA, with every line in the transcript and credentials never recorded."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mailcheck.net.sasl import Mechanism, Step, authenticate
from mailcheck.net.session import MAX_REPLY_LINES, Session, SessionError

_REPLY = re.compile(r"^(\d{3})([ -]|$)(.*)$")
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: its code and lines."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(line for line in self.lines if line)

    @property
    def enhanced(self) -> str:
        match = _ENHANCED.match(self.lines[0]) if self.lines else None
        return ".".join(match.groups()) if match else ""

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 400

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


@dataclass
class Capabilities:
    """The EHLO keywords and their parameters, upper-cased keywords, in the order offered."""

    greeting: str = ""
    items: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, reply: Reply) -> Capabilities:
        caps = cls(reply.lines[0] if reply.lines else "")
        for line in reply.lines[1:]:
            keyword, _, params = line.strip().partition(" ")
            if keyword:
                caps.items[keyword.upper()] = params.strip()
        return caps

    def has(self, keyword: str) -> bool:
        return keyword.upper() in self.items

    @property
    def auth(self) -> list[str]:
        mechanisms = self.items.get("AUTH", "").split()
        # an old form some servers still send: "AUTH=PLAIN LOGIN"
        for key, value in self.items.items():
            if key.startswith("AUTH="):
                mechanisms += [key[5:], *value.split()]
        return list(dict.fromkeys(m.upper() for m in mechanisms))

    @property
    def size(self) -> int | None:
        value = self.items.get("SIZE", "")
        return int(value) if value.isdigit() else None


class SmtpClient:
    def __init__(self, session: Session) -> None:
        self.session = session

    def read_reply(self) -> Reply:
        lines: list[str] = []
        code = None
        while True:
            line = self.session.read_line()
            match = _REPLY.match(line)
            if match is None:
                raise SessionError("garbage", f"not an SMTP reply: {line[:80]!r}")
            this = int(match.group(1))
            if code is not None and this != code:
                raise SessionError(
                    "garbage", f"reply code changed within a reply ({code} then {this})"
                )
            code = this
            lines.append(match.group(3))
            if match.group(2) != "-":
                return Reply(code, tuple(lines))
            if len(lines) >= MAX_REPLY_LINES:
                raise SessionError(
                    "too-long", f"a reply of more than {MAX_REPLY_LINES} lines (an endless reply?)"
                )

    def command(self, text: str, shown: str | None = None) -> Reply:
        self.session.write_line(text, shown)
        return self.read_reply()

    def ehlo(self, name: str) -> tuple[Reply, Capabilities | None]:
        """EHLO, and HELO when EHLO is refused (5xx): the capabilities are None after HELO."""
        reply = self.command(f"EHLO {name}")
        if reply.code == 250:
            return reply, Capabilities.parse(reply)
        if 500 <= reply.code < 600:
            return self.command(f"HELO {name}"), None
        return reply, None

    def auth(self, mechanism: Mechanism) -> tuple[bool, str, Reply]:
        """AUTH with one SASL mechanism (RFC 4954); the transcript shows <redacted> for every
        response. (accepted, why, the final reply)."""
        self.session.secrets.extend(mechanism.secrets)
        last: list[Reply] = []

        def step(reply: Reply) -> Step:
            last.append(reply)
            if reply.code == 334:
                return Step("challenge", reply.lines[0] if reply.lines else "")
            return Step("ok" if reply.code == 235 else "fail", str(reply))

        def start(initial: str | None) -> Step:
            self.session.secrets.extend(mechanism.secrets)
            command = f"AUTH {mechanism.name}"
            if initial is None:
                return step(self.command(command))
            return step(self.command(f"{command} {initial}", f"{command} <redacted>"))

        def answer(response: str) -> Step:
            self.session.secrets.extend(mechanism.secrets)
            return step(self.command(response, "*" if response == "*" else "<redacted>"))

        ok, why = authenticate(mechanism, start, answer)
        return ok, why, last[-1]

    def send_content(
        self, message: bytes, shown: Sequence[str], on_sent: Callable[[], None] | None = None
    ) -> Reply:
        """The message after a 354 reply to DATA: line endings made CRLF, dot-stuffed
        (RFC 5321 4.5.2), ended with CRLF.CRLF; then the server's final reply. `on_sent` runs
        once the last byte is written: from then on, a lost connection leaves the delivery
        unknown rather than failed."""
        body = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        stuffed = re.sub(rb"(?m)^\.", b"..", body)
        self.session.write_raw(stuffed + b".\r\n", [*shown, "."])
        if on_sent is not None:
            on_sent()
        return self.read_reply()


def content_lines(message: bytes, verbose: bool = False) -> list[str]:
    """How DATA content appears in a transcript: the header lines as sent, then the body as
    one summary line (every line with `verbose`)."""
    text = message.replace(b"\r\n", b"\n").decode("utf-8", "surrogateescape")
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    body_lines = body.split("\n") if body else []
    if body_lines and body_lines[-1] == "":
        body_lines.pop()
    if verbose:
        return [*lines, "", *body_lines]
    size = len(body.encode("utf-8", "surrogateescape"))
    return [*lines, "", f"(body: {len(body_lines)} lines, {_size(size)})"]


def _size(count: int) -> str:
    return f"{count} bytes" if count < 1024 else f"{count / 1024:.1f} KB"


QUEUE_ID = re.compile(r"(?:queued as|id[=: ]|<)\s*([A-Za-z0-9._@+-]{5,})", re.IGNORECASE)


def queue_id(reply: Reply) -> str:
    """The queue id most MTAs put in the final 250 (Postfix "queued as X", Exim "id=X")."""
    match = QUEUE_ID.search(reply.text)
    return match.group(1).rstrip(">") if match else ""
