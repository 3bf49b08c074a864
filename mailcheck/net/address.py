"""`HOST`, `HOST:PORT`, `[IPv6]:PORT` and a bare IPv6 address, as users type them."""

from __future__ import annotations

import ipaddress


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def split_host_port(text: str) -> tuple[str, str]:
    """(host, port text or ""); ValueError says what is wrong with the brackets."""
    spec = text.strip()
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise ValueError("missing ']'")
        host, rest = spec[1:end], spec[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError("give [IPv6]:PORT")
        return host, rest[1:]
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, port
    return spec, ""  # a host, an IPv4 address, or a bare IPv6 address
