"""`HOST`, `HOST:PORT`, `[IPv6]:PORT` and a bare IPv6 address, as users type them."""

from __future__ import annotations

import ipaddress

_DIGITS = frozenset("0123456789")


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def address_key(text: str) -> tuple[int, bytes, str]:
    """Sort key for address texts by value: IPv4 before IPv6, 127.0.0.9 before 127.0.0.10
    (text order puts "10" first); a text that is not an address sorts last, by its text."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return 7, b"", text
    return ip.version, ip.packed, text


def parse_port(text: str) -> int:
    """1 to 65535 in ASCII digits only (str.isdigit() accepts other scripts' digits too)."""
    if not text:
        raise ValueError("invalid port: it is empty")
    if not _DIGITS.issuperset(text) or len(text) > 5 or not 0 < int(text) < 65536:
        raise ValueError(f"invalid port {text[:8]!r}: give a number from 1 to 65535")
    return int(text)


def split_host_port(text: str) -> tuple[str, str]:
    """(host, port text or ""); ValueError says what is wrong (brackets, an empty or bad port)."""
    spec = text.strip()
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise ValueError("missing ']'")
        host, rest = spec[1:end], spec[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError("give [IPv6]:PORT")
        if rest:
            parse_port(rest[1:])
        return host, rest[1:]
    if spec.count(":") == 1:
        host, port = spec.split(":")
        parse_port(port)
        return host, port
    return spec, ""  # a host, an IPv4 address, or a bare IPv6 address
