"""SPF record text -> terms, following the RFC 7208 section 12 grammar (pure, no I/O)."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass, field

MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
DNS_MECHANISMS = ("include", "a", "mx", "ptr", "exists")
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}

_VERSION = re.compile(r"^v=spf1( |$)", re.IGNORECASE)
_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_.\-]*)=(.*)$", re.DOTALL)
_MECH = re.compile(r"^([+\-~?]?)([A-Za-z][A-Za-z0-9_.\-]*)(.*)$", re.DOTALL)
_MACRO = re.compile(r"%(?:\{([slodiphcrtvSLODIPHCRTV])(\d*)([rR]?)([.\-+,/_=]*)\}|%|_|-)")
_MACRO_LETTERS_DOMAIN = set("slodiphv")
_MACRO_LETTERS_STATIC = set("do")  # known from the domain alone, without a message
_CIDR4 = re.compile(r"^(0|[1-9][0-9]?)$")
_QNUM = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$")
_TOPLABEL = re.compile(
    r"^([A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])$"
)


@dataclass(frozen=True)
class Term:
    """One mechanism or modifier as written, with what the grammar makes of it."""

    raw: str
    index: int
    kind: str  # "mechanism" | "modifier"
    name: str
    qualifier: str = ""
    value: str | None = None
    cidr4: int | None = None
    cidr6: int | None = None
    error: str | None = None

    @property
    def result(self) -> str:
        return QUALIFIERS.get(self.qualifier or "+", "pass")

    @property
    def has_macros(self) -> bool:
        return self.value is not None and "%" in self.value

    @property
    def per_message(self) -> bool:
        """Uses a macro known only with a message (%{s} %{l} %{i} %{h} ...): what it names
        differs per sender, IP or HELO. %{d} and %{o} are known from the domain alone."""
        return self.value is not None and needs_message(self.value)

    @property
    def queries_dns(self) -> bool:
        """Counts against the limit of 10 (RFC 7208 4.6.4): include a mx ptr exists redirect."""
        if self.error:
            return False
        return (self.kind == "mechanism" and self.name in DNS_MECHANISMS) or (
            self.kind == "modifier" and self.name == "redirect"
        )


@dataclass(frozen=True)
class SpfRecord:
    """An SPF record's terms, with its syntax errors."""

    text: str
    terms: tuple[Term, ...] = ()
    errors: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.errors and not any(t.error for t in self.terms)

    def problems(self) -> list[str]:
        out = list(self.errors)
        out.extend(f"{t.raw}: {t.error}" for t in self.terms if t.error)
        return out

    @property
    def mechanisms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "mechanism")

    def modifier(self, name: str) -> Term | None:
        for term in self.terms:
            if term.kind == "modifier" and term.name == name:
                return term
        return None

    @property
    def all_term(self) -> Term | None:
        for term in self.mechanisms:
            if term.name == "all":
                return term
        return None

    @property
    def reachable(self) -> tuple[Term, ...]:
        """Mechanisms evaluated when nothing matches earlier: up to and including `all`."""
        out = []
        for term in self.mechanisms:
            out.append(term)
            if term.name == "all" and not term.error:
                break
        return tuple(out)


def is_spf(text: str) -> bool:
    return bool(_VERSION.match(text))


def select_spf(texts: list[bytes]) -> list[bytes]:
    """Records that start with "v=spf1" followed by a space or the end (RFC 7208 4.5)."""
    return [t for t in texts if re.match(rb"^v=spf1( |$)", t, re.IGNORECASE)]


def needs_message(value: str) -> bool:
    """True when a macro-string uses a macro other than %{d} and %{o} (or %% %_ %-)."""
    return any(
        m.group(1) is not None and m.group(1).lower() not in _MACRO_LETTERS_STATIC
        for m in _MACRO.finditer(value)
    )


def expand_domain_spec(value: str, domain: str, sender_domain: str) -> str | None:
    """The name a domain-spec asks for, when its macros are known without a message
    (RFC 7208 7): %{d} is `domain` (the record being evaluated), %{o} is `sender_domain`
    (the domain checked at the top, the same at every level). Transformers apply: the
    rightmost N parts, r (reversed), delimiters; an upper-case letter URL-escapes (7.3).
    None when another macro (per message) is used or the string is malformed."""
    if check_macro_string(value) is not None or needs_message(value):
        return None
    out: list[str] = []
    pos = 0
    for match in _MACRO.finditer(value):
        out.append(value[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token in ("%%", "%_", "%-"):
            out.append({"%%": "%", "%_": " ", "%-": "%20"}[token])
            continue
        letter, digits, reverse, delimiters = match.groups()
        parts = re.split(
            "[" + re.escape(delimiters or ".") + "]",
            (domain if letter.lower() == "d" else sender_domain),
        )
        if reverse:
            parts.reverse()
        if digits:
            parts = parts[-int(digits) :]
        text = ".".join(parts)
        out.append(urllib.parse.quote(text, safe="~") if letter.isupper() else text)
    out.append(value[pos:])
    name = "".join(out)
    name = name[:-1] if name.endswith(".") else name
    # longer than 253: labels are removed from the left until it fits (RFC 7208 7.3)
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name


def malformed_name(name: str) -> str | None:
    """Why an expanded name is no domain name check_host() can look up (RFC 7208 4.3: then
    its result is "none", and an include of it permerror), or None."""
    labels = name.split(".")
    if len(labels) < 2:
        return "not a fully qualified domain name"
    for label in labels:
        if not label:
            return "an empty label"
        if len(label.encode("utf-8", "surrogateescape")) > 63:
            return "a label longer than 63 characters"
    return None


def check_macro_string(value: str, allow_exp_letters: bool = False) -> str | None:
    """Return a problem with the macro-string, or None when it is well formed."""
    pos = 0
    while pos < len(value):
        char = value[pos]
        if char == "%":
            match = _MACRO.match(value, pos)
            if not match:
                return f"invalid macro at {value[pos : pos + 8]!r}"
            letter = match.group(1)
            if letter and not allow_exp_letters and letter.lower() not in _MACRO_LETTERS_DOMAIN:
                return f"macro %{{{letter}}} is only allowed in exp= explanations"
            digits = match.group(2)
            if digits and int(digits) == 0:
                return "macro transformer 0 is not allowed"
            pos = match.end()
            continue
        if not 0x21 <= ord(char) <= 0x7E:
            return f"invalid character {char!r}"
        pos += 1
    return None


def check_domain_spec(value: str) -> str | None:
    """domain-spec = macro-string domain-end (RFC 7208 7.1)."""
    if not value:
        return "a domain is required"
    problem = check_macro_string(value)
    if problem:
        return problem
    # Ends in a macro: domain-end is satisfied by the macro-expand.
    if "%" in value and re.search(r"%\{[^}]*\}\.?$", value):
        return None
    literal = value[:-1] if value.endswith(".") else value
    labels = literal.split(".")
    if len(labels) < 2 and "%" not in value:
        return "not a fully qualified domain name"
    for label in labels:
        if "%" in label:
            continue
        if label == "":
            return "empty label"
        if len(label) > 63:
            return "label longer than 63 characters"
    if not _TOPLABEL.match(labels[-1]):
        return f"invalid top-level label {labels[-1]!r}"
    return None


def _parse_ip4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(_QNUM.match(p) for p in parts)


def _parse_dual_cidr(rest: str) -> tuple[str, int | None, int | None, str | None]:
    """Split 'domain/24//64' into (domain, 24, 64, error)."""
    cidr4 = cidr6 = None
    match = re.search(r"(/(\d+))?(//(\d+))?$", rest)
    domain = rest
    if match and match.group(0):
        domain = rest[: match.start()]
        if match.group(2) is not None:
            if not _CIDR4.match(match.group(2)) or int(match.group(2)) > 32:
                return domain, None, None, f"invalid IPv4 prefix length /{match.group(2)}"
            cidr4 = int(match.group(2))
        if match.group(4) is not None:
            six = match.group(4)
            if (six != "0" and six.startswith("0")) or int(six) > 128:
                return domain, None, None, f"invalid IPv6 prefix length //{six}"
            cidr6 = int(six)
    if domain.endswith("/"):
        return domain, None, None, "invalid prefix length"
    return domain, cidr4, cidr6, None


def _mechanism(raw: str, index: int) -> Term:
    match = _MECH.match(raw)
    if not match:
        return Term(raw, index, "mechanism", raw, error="unknown term")
    qualifier, name, rest = match.group(1), match.group(2).lower(), match.group(3)
    if name not in MECHANISMS:
        return Term(raw, index, "mechanism", name, qualifier, error=f"unknown mechanism {name!r}")

    def term(
        value: str | None = None,
        c4: int | None = None,
        c6: int | None = None,
        error: str | None = None,
    ) -> Term:
        return Term(raw, index, "mechanism", name, qualifier, value, c4, c6, error)

    if name == "all":
        return term(error="'all' takes no argument" if rest else None)
    if name in ("include", "exists"):
        if not rest.startswith(":"):
            return term(error=f"{name} requires ':domain'")
        value = rest[1:]
        return term(value, error=check_domain_spec(value))
    if name == "ptr":
        if not rest:
            return term()
        if not rest.startswith(":"):
            return term(error="ptr takes ':domain'")
        return term(rest[1:], error=check_domain_spec(rest[1:]))
    if name in ("a", "mx"):
        if rest and rest[0] not in ":/":
            return term(error=f"unknown mechanism {name + rest!r}")
        spec = rest[1:] if rest.startswith(":") else rest
        domain, c4, c6, error = _parse_dual_cidr(spec)
        if error:
            return term(domain or None, error=error)
        if rest.startswith(":"):
            return term(domain, c4, c6, check_domain_spec(domain))
        if domain:
            return term(domain, error="invalid argument")
        return term(None, c4, c6)
    # ip4 / ip6
    if not rest.startswith(":"):
        return term(error=f"{name} requires ':address'")
    value = rest[1:]
    address, _, prefix = value.partition("/")
    if name == "ip4":
        if not _parse_ip4(address):
            return term(value, error=f"invalid IPv4 address {address!r}")
        if prefix and (not _CIDR4.match(prefix) or int(prefix) > 32):
            return term(value, error=f"invalid IPv4 prefix length /{prefix}")
        return term(value, int(prefix) if prefix else 32)
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return term(value, error=f"invalid IPv6 address {address!r}")
    if prefix and (
        not prefix.isdigit() or (prefix != "0" and prefix.startswith("0")) or int(prefix) > 128
    ):
        return term(value, error=f"invalid IPv6 prefix length /{prefix}")
    return term(value, None, int(prefix) if prefix else 128)


def _modifier(raw: str, index: int, name: str, value: str) -> Term:
    lname = name.lower()
    if lname in ("redirect", "exp"):
        return Term(raw, index, "modifier", lname, value=value, error=check_domain_spec(value))
    return Term(
        raw,
        index,
        "modifier",
        lname,
        value=value,
        error=check_macro_string(value, allow_exp_letters=True),
    )


def parse_spf(text: str) -> SpfRecord:
    """Parse one SPF record; problems that make check_host() return permerror are listed."""
    errors: list[str] = []
    if not text.isascii():
        errors.append("non-ASCII characters (SPF records are 7-bit ASCII, RFC 7208 3.1)")
    if not is_spf(text):
        return SpfRecord(text, (), ("does not start with 'v=spf1'",))
    body = text[6:]
    terms: list[Term] = []
    seen_modifiers: set[str] = set()
    for index, raw in enumerate(p for p in body.split(" ") if p):
        if any(ord(c) < 0x21 or ord(c) > 0x7E for c in raw) and not errors:
            errors.append(f"control or non-ASCII characters inside the term '{raw}'")
        modifier = _MODIFIER.match(raw)
        if modifier:
            term = _modifier(raw, index, modifier.group(1), modifier.group(2))
            if term.name in ("redirect", "exp"):
                if term.name in seen_modifiers:
                    errors.append(f"{term.name}= appears more than once")
                seen_modifiers.add(term.name)
        else:
            term = _mechanism(raw, index)
        terms.append(term)
    return SpfRecord(text, tuple(terms), tuple(errors))
