"""dkim.rfc822_parse, faster: the header section read line by line, the body left whole."""

from __future__ import annotations

import re
from typing import Any

_HEADER_NAME = re.compile(rb"([\x21-\x7e]+?):")


def fast_rfc822_parse(original: Any) -> Any:
    """dkim.rfc822_parse without splitting the body into lines to join them again: the
    same header fields, errors and body (each line end made CRLF), line by line only up to
    the blank line. dkimpy parsed every message whole, its body's lines included."""
    import dkim

    def parse(message: bytes) -> tuple[list[list[bytes]], bytes]:
        headers: list[list[bytes]] = []
        pos = 0
        while True:
            end = message.find(b"\n", pos)
            if end < 0:
                line, after = message[pos:], -1
            else:
                cut = end - 1 if end > pos and message[end - 1] == 0x0D else end  # CR LF
                line, after = message[pos:cut], end + 1
            if not line:
                if after < 0:
                    return headers, b""
                rest = message[after:]
                return headers, rest.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            if line[0] in (0x09, 0x20):
                headers[-1][1] += line + b"\r\n"
            else:
                match = _HEADER_NAME.match(line)
                if match is not None:
                    headers.append([match.group(1), line[match.end(0) :] + b"\r\n"])
                elif not line.startswith(b"From "):
                    # dkimpy's words, its "%s" of bytes being their repr
                    raise dkim.MessageFormatError(
                        f"Unexpected characters in RFC822 header: {line!r}"
                    )
            if after < 0:
                return headers, b""
            pos = after

    return parse
