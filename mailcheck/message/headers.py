"""Header fields of a raw message: split, unfold, and read the ones authentication needs (pure)."""

from __future__ import annotations

import email.utils
import functools
import re
from dataclasses import dataclass, field
from datetime import datetime

_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:")


@dataclass(frozen=True)
class Headers:
    """The header section as (name, raw value) pairs in order, top first."""

    fields: tuple[tuple[bytes, bytes], ...]
    body_offset: int
    bare_lf: bool = False
    problems: tuple[str, ...] = ()
    # the header section goes on past the limit: what was read is not the whole of it
    too_large: bool = False

    def values(self, name: str) -> list[bytes]:
        return list(self._by_name.get(name.lower().encode(), ()))

    @functools.cached_property
    def _by_name(self) -> dict[bytes, list[bytes]]:
        """The values by lower-case name, in order: verify asks for a dozen names, and
        scanning every field for each cost more than splitting the header section."""
        index: dict[bytes, list[bytes]] = {}
        for name, value in self.fields:
            index.setdefault(name.lower(), []).append(value)
        return index

    def text(self, name: str) -> list[str]:
        return [unfold(v) for v in self.values(name)]

    def first(self, name: str) -> str | None:
        found = self.text(name)
        return found[0] if found else None


def unfold(value: bytes) -> str:
    """Unfolded header value as text (undecodable bytes survive for printable())."""
    text = value.decode("utf-8", "surrogateescape")
    return (_FOLD.sub(" ", text) if "\n" in text else text).strip()


_FOLD = re.compile(r"\r?\n[ \t]+")


HEADER_LIMIT = 1 << 20


def split_headers(data: bytes, limit: int = HEADER_LIMIT) -> Headers:
    """Read the header section (at most `limit` bytes of it); tolerate LF-only line ends."""
    fields: list[tuple[bytes, bytes]] = []
    problems: list[str] = []
    bare_lf = False
    pos = 0
    end = len(data)
    name: bytes | None = None
    value = bytearray()
    while pos < end and pos < limit:
        newline = data.find(b"\n", pos)
        if newline < 0:
            newline = end
        line = data[pos:newline]
        if line.endswith(b"\r"):
            line = line[:-1]
        elif newline < end:
            bare_lf = True
        next_pos = newline + 1
        if not line:
            pos = next_pos
            break
        if line[:1] in (b" ", b"\t") and name is not None:
            value += b"\r\n" + line
        else:
            match = _FIELD.match(line)
            if name is not None:
                fields.append((name, bytes(value)))
                name = None
            if match is None:
                problems.append(f"line {len(fields) + 1} of the header is not a header field")
                if not fields:
                    return Headers((), 0, bare_lf, (*problems, "no header fields"))
            else:
                name = match.group(1)
                value = bytearray(line[match.end() :])
        pos = next_pos
    else:
        # no empty line before the limit: the header section is cut, not complete
        if pos < end:
            return Headers(tuple(fields), pos, bare_lf, tuple(problems), too_large=True)
    if name is not None:
        fields.append((name, bytes(value)))
    return Headers(tuple(fields), pos, bare_lf, tuple(problems))


def from_addresses(headers: Headers) -> tuple[list[str], int]:
    """The addresses of the From: field(s), and how many From: fields there are."""
    values = headers.text("From")
    addresses = [addr for _name, addr in email.utils.getaddresses(values) if addr]
    return addresses, len(values)


def address_domain(address: str) -> str:
    domain = address.rsplit("@", 1)[1] if "@" in address else ""
    return domain.strip().strip("<>").rstrip(".").lower()


def tags(value: str) -> dict[str, str]:
    """tag=value; lists (DKIM-Signature, ARC-*): folding whitespace removed from values."""
    out: dict[str, str] = {}
    for part in value.split(";"):
        if "=" not in part:
            continue
        name, _, raw = part.partition("=")
        key = name.strip().lower()
        if key and key not in out:
            out[key] = _SPACE.sub("", raw) if key in ("b", "bh") else raw.strip()
    return out


_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Received:
    """One Received header, parsed into its from/by/with/id/for parts and date."""

    raw: str
    from_helo: str = ""
    from_rdns: str = ""
    from_ip: str = ""
    by: str = ""
    with_protocol: str = ""
    tls: str = ""
    for_addr: str = ""
    when: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        """with ESMTPA, ESMTPSA, LMTPA ... (RFC 3848): the client logged in (submission)."""
        return bool(re.match(r"^(E|UTF8)?(SMTP|LMTP)S?A$", self.with_protocol.upper()))

    @property
    def encrypted(self) -> bool:
        return bool(self.tls) or bool(
            re.match(r"^(E|UTF8)?(SMTP|LMTP)SA?$", self.with_protocol.upper())
        )


_IP = r"(?:IPv6:)?([0-9A-Fa-f:.]+)"
_RECEIVED_FROM = re.compile(r"\bfrom\s+(\S+)(?:\s+\(([^)]*)\))?", re.IGNORECASE)
_RECEIVED_BY = re.compile(r"\bby\s+(\S+)", re.IGNORECASE)
_RECEIVED_WITH = re.compile(r"\bwith\s+([A-Za-z0-9-]+)", re.IGNORECASE)
_RECEIVED_FOR = re.compile(r"\bfor\s+<?([^\s;>]+)>?", re.IGNORECASE)
_TLS = re.compile(r"\((?:using|version=)\s*(TLS[^)]*)\)|\b(TLSv1(?:\.\d)?)", re.IGNORECASE)


# verify reads the trusted hop twice (for SPF, for the path): kept for a few calls only,
# as a forged field can be as large as the header section
@functools.lru_cache(maxsize=8)
def parse_received(text: str) -> Received:
    """One Received: field (RFC 5321 4.4), read leniently: MTAs format the comments freely."""
    main, _, stamp = text.rpartition(";")
    if not main:
        main, stamp = text, ""
    when = None
    if stamp.strip():
        try:
            when = email.utils.parsedate_to_datetime(stamp.strip())
        except (TypeError, ValueError, IndexError):
            when = None
    helo = rdns = ip = ""
    match = _RECEIVED_FROM.search(main)
    if match:
        helo = match.group(1)
        comment = match.group(2) or ""
        ip_match = re.search(r"\[" + _IP + r"\]", comment) or re.search(r"\[" + _IP + r"\]", helo)
        if ip_match:
            ip = ip_match.group(1)
        rdns_match = re.match(r"\s*([A-Za-z0-9.-]+\.[A-Za-z]{2,}|unknown)\b", comment)
        if rdns_match:
            rdns = rdns_match.group(1)
    by = _RECEIVED_BY.search(main)
    proto = _RECEIVED_WITH.search(main)
    recipient = _RECEIVED_FOR.search(main)
    tls = _TLS.search(text)
    return Received(
        text,
        helo,
        rdns,
        ip,
        by.group(1) if by else "",
        proto.group(1) if proto else "",
        (tls.group(1) or tls.group(2) or "") if tls else "",
        recipient.group(1) if recipient else "",
        when,
    )


def parse_received_spf(text: str) -> dict[str, str]:
    """Received-SPF: result (comment) key=value; ... (RFC 7208 9.1)."""
    out: dict[str, str] = {}
    result = re.match(r"\s*([A-Za-z]+)", text)
    if result:
        out["result"] = result.group(1).lower()
    for key, value in re.findall(r"([A-Za-z-]+)=(\"[^\"]*\"|[^;\s]+)", text):
        out[key.lower()] = value.strip('"')
    return out
