"""BIMI assertion records (default._bimi TXT) -> tags (pure)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

_TAG = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)


@dataclass(frozen=True)
class BimiRecord:
    """A BIMI record's tags and syntax problems."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    syntax: tuple[str, ...] = ()

    @property
    def logo(self) -> str:
        return self.tags.get("l", "").strip()

    @property
    def evidence(self) -> str:
        return self.tags.get("a", "").strip()

    @property
    def declined(self) -> bool:
        """l= and a= both empty: the domain says it has no BIMI logo."""
        return not self.logo and not self.evidence


def is_bimi(text: str) -> bool:
    return bool(re.match(r"^\s*v\s*=\s*BIMI1\s*(;|$)", text))


def parse_bimi(text: str) -> BimiRecord:
    tags: dict[str, str] = {}
    syntax: list[str] = []
    order: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        match = _TAG.match(part)
        if not match:
            syntax.append(f"'{part.strip()}' is not a tag=value pair")
            continue
        name = match.group(1).lower()
        if name in tags:
            syntax.append(f"tag {name}= appears more than once")
            continue
        tags[name] = match.group(2).strip()
        order.append(name)
    if not order or order[0] != "v":
        syntax.append("the record must start with v=BIMI1")
    for tag in ("l", "a"):
        value = tags.get(tag, "")
        for url in (u.strip() for u in value.split(",") if u.strip()):
            if not url.lower().startswith("https://"):
                syntax.append(f"{tag}={url} is not an https: URL")
            elif problem := _url_problem(url):
                syntax.append(f"{tag}={url} is not a valid URL: {problem}")
    return BimiRecord(text, tags, tuple(syntax))


def _url_problem(url: str) -> str | None:
    """Why an https: URL cannot be fetched as written, in our own words: the URL parser's
    texts, and whether it checks a [host] at all, differ between Python versions."""
    netloc = re.split(r"[/?#]", url[len("https://") :], maxsplit=1)[0].rpartition("@")[2]
    if netloc.startswith("["):
        literal, bracket, port = netloc[1:].partition("]")
        if not bracket:
            return "a [ without its ]"
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return "the host in [brackets] is not an IPv6 address"
        if port and not port.startswith(":"):
            return "text after the [host] that is not a :port"
        port = port[1:]
    else:
        host, _colon, port = netloc.partition(":")
        if not host:
            return "it names no host"
        if "[" in host or "]" in host:
            return "[ or ] in a host that is not an IPv6 address in brackets"
    if port and (not port.isascii() or not port.isdigit() or int(port) > 65535):
        return "the port is not a number from 0 to 65535"
    return None
