"""Turning text into DNS names and cache keys, consistently for every caller."""

from __future__ import annotations

import dns.name


class InvalidName(ValueError):
    """A name that cannot be asked for (empty label, label over 63 octets, ...)."""


# Characters of a name that needs no escapes and no IDNA: its labels are its dotted parts
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def to_name(name: str | dns.name.Name) -> dns.name.Name:
    if isinstance(name, dns.name.Name):
        return name if name.is_absolute() else name.concatenate(dns.name.root)
    text = name.strip()
    if not text:
        raise InvalidName("empty name")
    try:
        if _PLAIN.issuperset(text):
            # What from_text builds, a fifth of its CPU (every query of a bulk run parses
            # its name); Name() checks empty labels and lengths as from_text does.
            if text == ".":
                return dns.name.root
            labels = text.split(".")
            if labels[-1]:
                labels.append("")
            return dns.name.Name([label.encode() for label in labels])
        if text.isascii():
            return dns.name.from_text(text if text.endswith(".") else text + ".")
        return dns.name.from_unicode(text if text.endswith(".") else text + ".")
    except (dns.name.NameTooLong, dns.name.LabelTooLong, dns.name.EmptyLabel) as exc:
        raise InvalidName(f"{text!r}: {exc}") from None
    except (dns.name.BadEscape, dns.exception.DNSException, UnicodeError) as exc:
        raise InvalidName(f"{text!r}: {exc}") from None


def display(name: dns.name.Name) -> str:
    """Lower-case text without the final dot, the form shown to users and used as keys."""
    text = name.canonicalize().to_text(omit_final_dot=True)
    return text or "."
