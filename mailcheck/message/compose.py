"""Build the test message `mailcheck send` delivers: RFC 5322 and MIME with the standard
library's email package. Pure: the caller reads files and passes their contents."""

from __future__ import annotations

import datetime
import email.errors
import email.policy
import email.utils
import mimetypes
import re
import secrets
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from mailcheck import __version__
from mailcheck.errors import InputError
from mailcheck.records.domain_name import parse_domain

# Header field names: printable US-ASCII except colon (RFC 5322 §3.6.8)
_FIELD_NAME = re.compile(r"^[\x21-\x39\x3b-\x7e]+$")
# Headers the message builder owns: give them with their own options
_OWNED = {"from": "--from", "to": "--to", "date": "", "message-id": "", "mime-version": ""}
_OWNED_CONTENT = ("content-type", "content-transfer-encoding")


@dataclass(frozen=True)
class Mailbox:
    """An address as given, its parts, and the envelope form (IDNA domain unless SMTPUTF8)."""

    display: str
    local: str
    domain: str  # as given (may be Unicode)
    ascii_domain: str

    @property
    def envelope(self) -> str:
        return f"{self.local}@{self.ascii_domain}"

    @property
    def needs_smtputf8(self) -> bool:
        return not self.local.isascii()

    @property
    def address(self) -> str:
        return f"{self.local}@{self.domain}"

    def header(self, utf8: bool) -> Address:
        """For a header: the Unicode domain only in an SMTPUTF8 message, else its A-label."""
        return Address(self.display, self.local, self.domain if utf8 else self.ascii_domain)


def has_control(text: str) -> bool:
    """C0 controls but tab, DEL and C1 controls: in a header they end the line (CR, LF) or
    reach the terminal of whoever reads the message (ESC sequences)."""
    return any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) <= 0x9F for c in text)


def parse_mailbox(text: str, option: str) -> Mailbox:
    """`alice@example.com` or `Alice <alice@example.com>`, read as RFC 5322 reads a mailbox
    (the standard library's address parser): a quoted display name may hold <, >, commas
    ('"Evil <x@y>" <a@b.example>' is the address a@b.example); a clear InputError otherwise."""
    shown = repr(text)  # control characters escaped, once
    if has_control(text):
        raise InputError(f"{option} {shown}: control characters in an address")
    display, local, domain = _one_mailbox(text, option, shown)
    if not local or any(c.isspace() or c in '<>"(),;:\\[]' for c in local) or len(local) > 64:
        raise InputError(f"{option} {shown}: invalid local part {local!r}")
    try:
        ascii_domain = parse_domain(domain).ascii
    except InputError as exc:
        raise InputError(f"{option} {shown}: {exc.message}") from None
    if "." not in ascii_domain:
        raise InputError(f"{option} {shown}: {domain!r} is not a full domain name")
    comments = _comments(text)
    if comments:
        # RFC 5322 comments carry no meaning and the message is written from the parts, so a
        # comment would vanish from what is sent: refused, with the address as understood
        # (an old-style "addr (Name)" with its comment as the name, as mail readers show it)
        trailing = len(comments) == 1 and text.rstrip().endswith(")")
        name = display or (comments[0].strip() if trailing else "")
        if option == "--mail-from":
            name = ""  # the envelope has no name
        understood = str(Address(name, local, domain))
        raise InputError(
            f"{option} {shown}: the comment {'(' + comments[0] + ')'!r} would not be sent "
            "(comments are not part of an address)",
            hint=f"give {understood!r}; parentheses that belong to the name go inside "
            "quotes: '\"Name (note)\" <local@domain>'",
        )
    if display and option == "--mail-from":
        # the envelope (MAIL FROM) holds an address only: the name would not be sent
        raise InputError(
            f"{option} {shown}: the name {display!r} would not be sent (the envelope sender "
            "has no name)",
            hint=f"give {str(Address('', local, domain))!r}; the name belongs in --from",
        )
    return Mailbox(display, local, domain, ascii_domain)


def _comments(text: str) -> list[str]:
    """The text of each top-level RFC 5322 comment in `text`: parentheses outside quoted
    strings and domain literals (nested comments are part of the outer one)."""
    out: list[str] = []
    depth, start = 0, 0
    quoted = literal = escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif depth:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if not depth:
                    out.append(text[start:i])
        elif quoted:
            quoted = char != '"'
        elif literal:
            literal = char != "]"
        elif char == '"':
            quoted = True
        elif char == "[":
            literal = True
        elif char == "(":
            depth, start = 1, i + 1
    return out


# what the address parser may note and the mailbox still be one we can use: a period in an
# unquoted name ("J. Smith", obsolete syntax), a UTF-8 local part (SMTPUTF8 decides later)
_HARMLESS = (email.errors.ObsoleteHeaderDefect, email.errors.NonASCIILocalPartDefect)
_NOT_AN_ADDRESS = "give local@domain, or 'Name <local@domain>'"


def _one_mailbox(text: str, option: str, shown: str) -> tuple[str, str, str]:
    """(display name, local part, domain) of the one mailbox `text` holds."""
    header = email.policy.default.header_factory("To", text)
    addresses = header.addresses
    if len(addresses) > 1:
        raise InputError(
            f"{option} {shown}: {len(addresses)} addresses where one belongs",
            hint="give one address per option; quote a name holding a comma: "
            "'\"Smith, J\" <local@domain>'",
        )
    defects = [d for d in header.defects if not isinstance(d, _HARMLESS)]
    if defects or any(group.display_name is not None for group in header.groups):
        raise InputError(
            f"{option} {shown} is not an address ({defects[0] if defects else 'a group'})",
            hint=_NOT_AN_ADDRESS + "; quote a name holding <, >, @, commas or quotes",
        )
    if not addresses or not addresses[0].username or not addresses[0].domain:
        raise InputError(f"{option} {shown} is not an address", hint=_NOT_AN_ADDRESS)
    address = addresses[0]
    return address.display_name.strip(), address.username, address.domain


def parse_header(text: str) -> tuple[str, str]:
    """`--header 'Name: value'`: a field name and an unfolded value, no line breaks."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    shown = repr(text)  # control characters escaped, once
    if not sep or not name or not _FIELD_NAME.match(name):
        raise InputError(f"--header {shown}: give 'Name: value' (a name without spaces)")
    if has_control(value):
        raise InputError(
            f"--header {shown}: control characters (line breaks, ESC ...) are not allowed"
        )
    lower = name.lower()
    if lower in _OWNED:
        option = _OWNED[lower]
        hint = f"use {option}" if option else "mailcheck sets it"
        raise InputError(f"--header {name}: {hint}")
    if lower in _OWNED_CONTENT:
        raise InputError(
            f"--header {name}: the MIME structure comes from --body, --html and --attach"
        )
    return name, value


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message `send` composes."""

    filename: str
    content: bytes
    content_type: str = ""


@dataclass(frozen=True)
class Draft:
    """A message `send` composes: sender, recipients, subject, body and attachments."""

    sender: Mailbox
    recipients: tuple[Mailbox, ...]
    subject: str | None = None
    body: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    token: str = ""
    client: str = ""  # shown in the default body: the machine that sent it


def new_token() -> str:
    return "mc-" + secrets.token_hex(6)


def default_body(draft: Draft, when: datetime.datetime) -> str:
    to = ", ".join(r.address for r in draft.recipients)
    lines = [
        f"This is a test message sent by mailcheck {__version__}.",
        "",
        f"Token:  {draft.token}",
        f"Sent:   {email.utils.format_datetime(when)}",
        f"From:   {draft.sender.address}",
        f"To:     {to}",
    ]
    if draft.client:
        lines.append(f"Client: {draft.client}")
    lines += [
        "",
        "Search your mailbox for the token to find it; check its headers with",
        "`mailcheck verify` to see how it was authenticated.",
    ]
    return "\n".join(lines) + "\n"


def build(draft: Draft, when: datetime.datetime | None = None) -> bytes:
    """The message as bytes with CRLF line ends, ready for DATA (before dot-stuffing)."""
    when = when or datetime.datetime.now().astimezone()
    utf8 = draft.sender.needs_smtputf8 or any(r.needs_smtputf8 for r in draft.recipients)
    policy = email.policy.SMTPUTF8 if utf8 else email.policy.SMTP
    message = EmailMessage(policy=policy)
    message["From"] = draft.sender.header(utf8)
    message["To"] = [r.header(utf8) for r in draft.recipients]
    message["Subject"] = (
        draft.subject if draft.subject is not None else f"mailcheck test {draft.token}"
    )
    message["Date"] = email.utils.format_datetime(when)
    message["Message-ID"] = email.utils.make_msgid("mailcheck", domain=draft.sender.ascii_domain)
    if draft.token:
        message["X-Mailcheck-Token"] = draft.token
    for name, value in draft.headers:
        message[name] = value
    body = draft.body if draft.body is not None else default_body(draft, when)
    message.set_content(body, cte=_encoding(body))
    if draft.html is not None:
        message.add_alternative(draft.html, subtype="html", cte=_encoding(draft.html))
    for item in draft.attachments:
        kind = item.content_type or mimetypes.guess_type(item.filename)[0]
        maintype, _, subtype = (kind or "application/octet-stream").partition("/")
        message.add_attachment(
            item.content, maintype=maintype, subtype=subtype, filename=item.filename
        )
    return message.as_bytes(policy=policy)


def _encoding(text: str) -> str:
    """7bit when it can be, else quoted-printable: never 8bit, which needs 8BITMIME."""
    if text.isascii() and all(len(line) <= 998 for line in text.splitlines()):
        return "7bit"
    return "quoted-printable"


def has_eight_bit(message: bytes) -> bool:
    return any(b >= 0x80 for b in message)
