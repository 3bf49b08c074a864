"""Domain names as users type them -> validated ASCII (punycode) and Unicode forms (pure)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mailcheck.errors import InputError
from mailcheck.escape import printable

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?$")
_LABEL_CHAR = re.compile(r"[a-z0-9_\-]")


def _is_host(text: str) -> bool:
    """Is `text` a domain name (the host part of what may be a URL)?"""
    try:
        parse_domain(text)
    except InputError:
        return False
    return True


@dataclass(frozen=True)
class DomainName:
    """A domain name in its ASCII (punycode) and Unicode forms."""

    ascii: str
    unicode: str

    @property
    def is_idn(self) -> bool:
        return self.ascii != self.unicode

    def __str__(self) -> str:
        return self.ascii


def _to_unicode(ascii_name: str) -> str:
    if "xn--" not in ascii_name:
        return ascii_name
    import idna

    try:
        return str(idna.decode(ascii_name))
    except idna.IDNAError as exc:
        raise InputError(f"invalid domain {ascii_name!r}: bad punycode ({exc})") from None


def parse_domain(text: str) -> DomainName:
    """Validate a domain name given on the command line or in a file."""
    raw = text.strip()
    # as typed, escaped the one way (printable), not a repr of an escape: ü stays ü
    shown = f"'{printable(raw)}'"
    if not raw:
        raise InputError("empty domain name")
    if "@" in raw:
        hint = raw.rsplit("@", 1)[1]
        raise InputError(
            f"invalid domain {shown}: give a domain, not an address",
            hint=f"did you mean {hint!r}?" if hint else "",
        )
    if "://" in raw or ("/" in raw and _is_host(raw.split("/", 1)[0])):
        # a URL (https://example.com/, example.com/path); any other '/' is a character a
        # domain name cannot hold, said so below
        raise InputError(f"invalid domain {shown}: give a domain name, not a URL")
    name = raw[:-1] if raw.endswith(".") else raw
    try:
        ipaddress.ip_address(name.strip("[]"))
        raise InputError(f"invalid domain {shown}: that is an IP address, not a domain")
    except ValueError:
        pass
    if not name.isascii():
        import idna

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise InputError(f"invalid domain {shown}: {exc}") from None
    name = name.lower()
    if len(name) > 253:
        raise InputError(f"invalid domain {shown}: longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise InputError(f"invalid domain {shown}: not a fully qualified name (e.g. example.com)")
    for label in labels:
        if not label:
            raise InputError(f"invalid domain {shown}: empty label")
        if len(label) > 63:
            raise InputError(f"invalid domain {shown}: label {label[:20]}... is over 63 characters")
        if not _LABEL.match(label):
            bad = sorted({c for c in label if not _LABEL_CHAR.match(c)})
            if bad:
                chars = " ".join(f"'{printable(c)}'" for c in bad)
                what = "characters" if len(bad) > 1 else "character"
                raise InputError(
                    f"invalid domain {shown}: invalid {what} {chars} in label "
                    f"'{printable(label)}' (a domain name holds letters, digits and hyphens)"
                )
            raise InputError(
                f"invalid domain {shown}: label '{printable(label)}' may only hold letters, digits "
                "and hyphens, not at its ends"
            )
    if labels[-1].isdigit():
        raise InputError(f"invalid domain {shown}: the top-level label is numeric")
    return DomainName(name, _to_unicode(name))
