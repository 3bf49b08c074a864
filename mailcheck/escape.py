"""The one escaping function for untrusted text on its way to a terminal, log or report."""

from __future__ import annotations

import re
import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters that reorder or hide text on a terminal (Trojan Source, CVE-2021-42574).
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def decode(data: bytes) -> str:
    """Bytes from the network as text; undecodable bytes survive as surrogates for printable()."""
    return data.decode("utf-8", "surrogateescape")


def printable(text: str | bytes, limit: int | None = None) -> str:
    """Untrusted text with control, bidi and undecodable characters shown as escapes.

    The result never contains a character that a terminal interprets (ESC, CR, BEL ...);
    rich markup is not an issue because renderers build Text objects and never parse markup.
    """
    if isinstance(text, bytes):
        text = decode(text)
    if text.isascii() and text.isprintable():  # the common case: nothing to escape
        return text if limit is None or len(text) <= limit else text[: max(0, limit - 1)] + "…"
    out = []
    for char in text:
        code = ord(char)
        if char in _NAMED:
            out.append(_NAMED[char])
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif char in _BIDI or unicodedata.category(char) in ("Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    result = "".join(out)
    if limit is not None and len(result) > limit:
        result = result[: max(0, limit - 1)] + "…"
    return result


def clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, an ellipsis last: a long value kept short in a
    one-line summary. Not escaped: the renderers do that for their own format."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def clip_words(text: str, limit: int) -> str:
    """clip() at a word boundary: a sentence cut short ends on a whole word and an ellipsis
    ("... from a unicode…", not "... from a unicode stri…")."""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - 1)]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:") + "…"


def printable_lines(text: str | bytes) -> str:
    """printable() for text with several lines: each line escaped, the line breaks kept."""
    if isinstance(text, bytes):
        text = decode(text)
    return "\n".join(printable(line) for line in text.split("\n"))


_PRESENTATION_ESCAPE = re.compile(r"\\(\d{3}|.)", re.DOTALL)


def from_presentation(text: str) -> str:
    r"""A record in DNS presentation format (dnspython's to_text) with its `\DDD` escapes of
    control and non-ASCII bytes turned back into those bytes, so printable() escapes them
    the one way everything else is escaped (ESC is `\x1b`, never `\027`; UTF-8 shows as
    text). Escapes that keep the record readable as written (`\"`, `\\`, `\.`, a `\DDD` of
    a printable character) stay."""
    if "\\" not in text:
        return text
    out: list[str] = []
    raw = bytearray()
    position = 0
    for match in _PRESENTATION_ESCAPE.finditer(text):
        start, end = match.span()
        if start > position:
            out.append(decode(bytes(raw)))
            raw.clear()
            out.append(text[position:start])
        code = match.group(1)
        if len(code) == 3 and code.isdigit() and int(code) < 256:
            value = int(code)
            if value < 0x20 or value >= 0x7F:
                raw.append(value)
                position = end
                continue
        out.append(decode(bytes(raw)))
        raw.clear()
        out.append(match.group(0))
        position = end
    out.append(decode(bytes(raw)))
    out.append(text[position:])
    return "".join(out)


# RFC 2047 encoded words: =?charset?B|Q?text?= (charset may carry an RFC 2231 *language)
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
DECODE_LIMIT = 2000  # characters of a header value decoded for display; the rest as it came


def _encoded_word(match: re.Match[str]) -> str:
    """One encoded word decoded, or as it came when it cannot be (bad base64, unknown or
    non-text charset, bytes that are not that charset)."""
    import base64
    import binascii
    import codecs

    charset, kind, text = match.group(1), match.group(2).lower(), match.group(3)
    try:
        codecs.lookup(charset)
        if kind == "b":
            raw = base64.b64decode(text, validate=True)
        else:
            raw = _Q_HEX.sub(
                lambda m: bytes([int(m.group(1), 16)]), text.replace("_", " ").encode("ascii")
            )
        return raw.decode(charset)
    except (LookupError, ValueError, binascii.Error, UnicodeError):
        return match.group(0)


def decode_words(text: str) -> str:
    """A header value with its RFC 2047 encoded words decoded, for display (still untrusted:
    escape it): "=?UTF-8?B?w6l0w6k=?=" is "été". The whitespace between two adjacent encoded
    words goes (RFC 2047 6.2); a word that cannot be decoded is shown as it came; only the
    first DECODE_LIMIT characters are decoded."""
    if "=?" not in text:
        return text
    head, rest = text[:DECODE_LIMIT], text[DECODE_LIMIT:]
    words = list(_ENCODED_WORD.finditer(head))
    if not words:
        return text
    out: list[str] = []
    last = 0
    decoded_before = False
    for match in words:
        between = head[last : match.start()]
        word = _encoded_word(match)
        decoded = word != match.group(0)
        if decoded and decoded_before and not between.strip(" \t\r\n"):
            between = ""  # only whitespace between two encoded words
        out += (between, word)
        decoded_before = decoded
        last = match.end()
    out.append(head[last:])
    return "".join(out) + rest
