"""A recording IMAP server for login tests (loopback only): STARTTLS, then the capabilities
a scenario chooses (AUTH= mechanisms, SASL-IR, LOGINDISABLED); it checks LOGIN arguments as
strictly as RFC 3501 reads them (a quoted string is 7-bit text: anything else must come as a
literal) and AUTHENTICATE PLAIN, and records how the client logged in."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from dataclasses import dataclass, field

from tests.smtpfixtures import Handler

_LITERAL = re.compile(rb"\{(\d+)\}\r?\n$")


@dataclass
class ImapRecorder:
    lines: list[bytes] = field(default_factory=list)  # every line received, as bytes
    logins: list[str] = field(default_factory=list)  # "LOGIN quoted", "LOGIN literal", ...
    accepted: int = 0


def _unquote(text: bytes) -> bytes | None:
    """A quoted string's value, or None when it breaks RFC 3501 (8-bit, CR, LF)."""
    if any(b > 0x7E for b in text) or b"\r" in text or b"\n" in text:
        return None
    return re.sub(rb'\\(["\\])', rb"\1", text)


def recording_imap(
    context: ssl.SSLContext,
    recorder: ImapRecorder,
    user: str,
    password: str,
    caps_after_tls: str = "IMAP4rev1",
    greeting_delay: float = 0.0,
    message: bytes = b"",
) -> Handler:
    """`message`: one message served in the folder (for `report --imap`)."""
    secret = password.encode()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def say(text: str) -> None:
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        async def line() -> bytes:
            raw = await reader.readline()
            if not raw:
                raise ConnectionError
            recorder.lines.append(raw)
            return raw

        async def astring(rest: bytes) -> tuple[bytes | None, bytes]:
            """One LOGIN argument from `rest` (quoted, atom, or a literal): value, what follows."""
            rest = rest.lstrip(b" ")
            literal = re.match(rb"\{(\d+)\}\r?\n$", rest)
            if literal:
                await say("+ go ahead")
                size = int(literal.group(1))
                value = await reader.readexactly(size)
                recorder.lines.append(value)
                return value, await line()
            if rest.startswith(b'"'):
                match = re.match(rb'"((?:[^"\\]|\\.)*)"', rest)
                if match is None:
                    return None, b""
                return _unquote(match.group(1)), rest[match.end() :]
            atom, _, after = rest.partition(b" ")
            return atom.strip(), b" " + after

        async def login(tag: str, rest: bytes) -> None:
            form = "literal" if _LITERAL.search(rest) else "quoted"
            name, rest = await astring(rest)
            if _LITERAL.search(rest):
                form = "literal"
            secret_given, _rest = await astring(rest)
            recorder.logins.append(f"LOGIN {form}")
            if name is None or secret_given is None:
                await say(f"{tag} BAD invalid quoted string (8-bit text needs a literal)")
                return
            if name == user.encode() and secret_given == secret:
                recorder.accepted += 1
                await say(f"{tag} OK logged in")
            else:
                await say(f"{tag} NO [AUTHENTICATIONFAILED] wrong credentials")

        async def authenticate(tag: str, args: list[str]) -> None:
            mechanism = args[0].upper() if args else ""
            recorder.logins.append(f"AUTHENTICATE {mechanism}")
            if f"AUTH={mechanism}" not in caps_after_tls.upper().split():
                await say(f"{tag} NO unsupported mechanism")
                return
            token = args[1] if len(args) > 1 else ""
            if not token:
                await say("+ ")
                token = (await line()).decode().strip()
            if base64.b64decode(token) == b"\0" + user.encode() + b"\0" + secret:
                recorder.accepted += 1
                await say(f"{tag} OK logged in")
            else:
                await say(f"{tag} NO [AUTHENTICATIONFAILED] wrong credentials")

        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError, asyncio.CancelledError):
            await asyncio.sleep(greeting_delay)
            await say("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] fake ready")
            tls = False
            while True:
                raw = await line()
                tag, _, command = raw.partition(b" ")
                text_tag = tag.decode(errors="replace")
                verb, _, rest = command.partition(b" ")
                word = verb.strip().decode(errors="replace").upper()
                if word == "STARTTLS" and not tls:
                    await say(f"{text_tag} OK begin TLS")
                    await writer.start_tls(context)
                    tls = True
                elif word == "CAPABILITY":
                    caps = caps_after_tls if tls else "IMAP4rev1 STARTTLS LOGINDISABLED"
                    await say(f"* CAPABILITY {caps}")
                    await say(f"{text_tag} OK done")
                elif word == "LOGIN":
                    await login(text_tag, rest)
                elif word == "AUTHENTICATE":
                    await authenticate(text_tag, rest.decode().split())
                elif word == "UID" and b"BODY.PEEK" in rest and message:
                    writer.write(f"* 1 FETCH (UID 7 BODY[] {{{len(message)}}}\r\n".encode())
                    writer.write(message + b")\r\n")
                    await say(f"{text_tag} OK done")
                elif word == "UID" and message:
                    await say(f"* 1 FETCH (UID 7 RFC822.SIZE {len(message)})")
                    await say(f"{text_tag} OK done")
                elif word == "LOGOUT":
                    await say("* BYE")
                    await say(f"{text_tag} OK bye")
                    break
                else:
                    await say(f"{text_tag} OK done")
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            writer.close()

    return handler
