"""Expectations for `mailcheck domain`: `mailcheck.toml` (or `[tool.mailcheck]` in
pyproject.toml). Parsed strictly: an unknown key or a wrong value is an error naming the file,
the line and the key. Pure: the caller reads the file.

    [defaults]                       # every domain below (and any domain checked)
    dmarc-policy = "quarantine"      # at least: none < quarantine < reject
    spf-max-lookups = 8

    [domains."example.com"]
    mx = ["mx1.example.com", "mx2.example.com"]
    spf-require-includes = ["_spf.example.net"]
    spf-forbid-includes = ["sendgrid.net"]
    dkim-selectors = ["mail"]
    dkim-min-bits = 2048
    mta-sts-mode = "enforce"

    [domains."parked.example.com"]
    no-mail = true

    [dnsbl]                          # lists for --dnsbl (default: a small documented set)
    ip-zones = ["zen.spamhaus.org", "bl.spamcop.net"]
    ip6-zones = ["zen.spamhaus.org"] # of those, the lists that answer IPv6 queries
    domain-zones = ["dbl.spamhaus.org"]

    [[waivers]]
    id = "spf.softfail-all"
    domain = "example.com"           # optional: every domain
    reason = "moving to -all after the migration"
    expires = 2027-03-31             # optional
"""

from __future__ import annotations

import datetime
import difflib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mailcheck.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

Where = Callable[[int | None], str]  # a line number -> "path:line" for messages


class ConfigError(InputError):
    """Every problem of an expectations file at once (each names its file and line)."""

    def __init__(self, path: str, problems: list[InputError]) -> None:
        first = problems[0]
        if len(problems) == 1:
            super().__init__(first.message, first.hint)
        else:
            super().__init__(f"{path}: {len(problems)} problems", "fix them all, then run again")
        self.problems = tuple(problems)


DMARC_LEVELS = ("none", "quarantine", "reject")
MTA_STS_MODES = ("none", "testing", "enforce")


@dataclass(frozen=True)
class Expectations:
    """What the expectations file requires of one domain."""

    dmarc_policy: str | None = None
    spf_max_lookups: int | None = None
    spf_require_includes: tuple[str, ...] = ()
    spf_forbid_includes: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()
    dkim_min_bits: int | None = None
    mx: tuple[str, ...] | None = None
    mta_sts_mode: str | None = None
    no_mail: bool | None = None

    @property
    def empty(self) -> bool:
        return self == Expectations()

    def over(self, base: Expectations) -> Expectations:
        """These settings, falling back to `base` for those not given."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        default = Expectations()
        changes = {k: v for k, v in given.items() if v != getattr(default, k)}
        return replace(base, **changes)


@dataclass(frozen=True)
class Waiver:
    """A finding the expectations file accepts, until a date, with the reason."""

    id: str
    reason: str
    domain: str | None = None
    expires: datetime.date | None = None
    line: int | None = None

    def applies(self, check_id: str, domain: str) -> bool:
        return self.id == check_id and (self.domain is None or self.domain == domain)


@dataclass(frozen=True)
class DnsblZones:
    """[dnsbl]: the blocklist zones --dnsbl asks (None: the default list)."""

    ip_zones: tuple[str, ...] | None = None
    ip6_zones: tuple[str, ...] = ()
    domain_zones: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Config:
    """The expectations file: defaults, per-domain expectations, waivers, blocklists."""

    path: str
    defaults: Expectations = Expectations()
    domains: dict[str, Expectations] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    dnsbl: DnsblZones = DnsblZones()

    def expectations(self, domain: str) -> Expectations:
        own = self.domains.get(domain)
        return own.over(self.defaults) if own is not None else self.defaults


_KEYS = {
    "dmarc-policy": "dmarc_policy",
    "spf-max-lookups": "spf_max_lookups",
    "spf-require-includes": "spf_require_includes",
    "spf-forbid-includes": "spf_forbid_includes",
    "dkim-selectors": "dkim_selectors",
    "dkim-min-bits": "dkim_min_bits",
    "mx": "mx",
    "mta-sts-mode": "mta_sts_mode",
    "no-mail": "no_mail",
}
_WAIVER_KEYS = ("id", "reason", "domain", "expires")


class _Lines:
    """Line numbers for error messages: tomllib gives them only for syntax errors."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table(self, header: str) -> int | None:
        pattern = re.compile(r"^\s*\[\[?\s*" + header + r"\s*\]\]?\s*(#.*)?$")
        return next((i + 1 for i, line in enumerate(self.lines) if pattern.match(line)), None)

    def key(self, key: str, after: int | None) -> int | None:
        pattern = re.compile(r'^\s*"?' + re.escape(key) + r'"?\s*=')
        for number in range((after or 0), len(self.lines)):
            if pattern.match(self.lines[number]):
                return number + 1
        return after


def parse(text: str, path: str, *, pyproject: bool = False) -> Config:
    """The configuration in `text`; InputError (exit 2) names path:line and the problem."""
    try:
        document = tomllib.loads(text)
    except RecursionError:
        raise InputError(f"{path}: not valid TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        text_error = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", text_error)
        if match:
            reason = text_error[: match.start()].strip()
            raise InputError(
                f"{path}:{match.group(1)}: not valid TOML: {reason} (column {match.group(2)})"
            ) from None
        raise InputError(f"{path}: not valid TOML: {text_error}") from None
    lines = _Lines(text)
    prefix = r"tool\.mailcheck\." if pyproject else ""
    if pyproject:
        document = document.get("tool", {}).get("mailcheck", {})

    def where(line: int | None) -> str:
        return f"{path}:{line}" if line else path

    problems: list[InputError] = []
    for key in document:
        if key not in ("defaults", "domains", "waivers", "dnsbl"):
            line = lines.key(key, lines.table(r"tool\.mailcheck") if pyproject else None)
            problems.append(
                InputError(
                    f"{where(line)}: unknown key {key!r}",
                    hint='the top level holds [defaults], [domains."NAME"], [dnsbl] '
                    "and [[waivers]]",
                )
            )
    defaults = Expectations()
    if "defaults" in document:
        header = lines.table(prefix + "defaults")
        defaults = _expectations(document["defaults"], "defaults", lines, header, where, problems)
    domains: dict[str, Expectations] = {}
    try:
        tables = _table(document.get("domains", {}), "domains", where, None)
    except InputError as exc:
        problems.append(exc)
        tables = {}
    for name, table in tables.items():
        from mailcheck.records.domain_name import parse_domain

        header = lines.table(prefix + r"domains\.\"?" + re.escape(name) + r"\"?")
        try:
            ascii_name = parse_domain(name).ascii
        except InputError as exc:
            problems.append(InputError(f"{where(header)}: [domains.{name!r}]: {exc.message}"))
            continue
        domains[ascii_name] = _expectations(
            table, f"domains.{name}", lines, header, where, problems
        )
    waivers = _waivers(document.get("waivers", []), lines, prefix, where, problems)
    dnsbl = DnsblZones()
    if "dnsbl" in document:
        try:
            dnsbl = _dnsbl(document["dnsbl"], lines, lines.table(prefix + "dnsbl"), where)
        except InputError as exc:
            problems.append(exc)
    if problems:
        raise ConfigError(path, problems)
    return Config(path, defaults, domains, waivers, dnsbl)


_DNSBL_KEYS = ("ip-zones", "ip6-zones", "domain-zones")


def _dnsbl(table: Any, lines: _Lines, header: int | None, where: Where) -> DnsblZones:
    values: dict[str, tuple[str, ...]] = {}
    for key, value in _table(table, "dnsbl", where, header).items():
        line = lines.key(key, header)
        if key not in _DNSBL_KEYS:
            raise InputError(
                f"{where(line)}: unknown key {key!r} in [dnsbl]",
                hint=f"known keys: {', '.join(_DNSBL_KEYS)}",
            )
        zones = _value("zones", value, f"{where(line)}: {key}")
        for zone in zones:
            labels = zone.split(".")
            if len(labels) < 2 or not all(
                0 < len(x) < 64 and x.replace("-", "").replace("_", "").isalnum() and x.isascii()
                for x in labels
            ):
                raise InputError(f"{where(line)}: {key}: {zone!r} is not a DNS zone name")
        values[key.replace("-", "_")] = zones
    return DnsblZones(**values)


def _table(value: Any, name: str, where: Where, line: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{where(line)}: {name} must be a table")
    return value


def _expectations(
    table: Any,
    name: str,
    lines: _Lines,
    header: int | None,
    where: Where,
    problems: list[InputError],
) -> Expectations:
    values: dict[str, Any] = {}
    try:
        items = _table(table, name, where, header).items()
    except InputError as exc:
        problems.append(exc)
        return Expectations()
    for key, value in items:
        line = lines.key(key, header)
        if key not in _KEYS:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(_KEYS))
            problems.append(
                InputError(
                    f"{where(line)}: unknown key {key!r} in [{name}]",
                    hint=f"{hint} known keys: {known}".strip(),
                )
            )
            continue
        try:
            values[_KEYS[key]] = _value(key, value, f"{where(line)}: {key}")
        except InputError as exc:
            problems.append(exc)
    return Expectations(**values)


def _value(key: str, value: Any, label: str) -> Any:
    if key == "dmarc-policy":
        if value not in DMARC_LEVELS:
            raise InputError(f"{label} must be one of {', '.join(DMARC_LEVELS)}, not {value!r}")
        return value
    if key == "mta-sts-mode":
        if value not in MTA_STS_MODES:
            raise InputError(f"{label} must be one of {', '.join(MTA_STS_MODES)}, not {value!r}")
        return value
    if key in ("spf-max-lookups", "dkim-min-bits"):
        limit = 10 if key == "spf-max-lookups" else 16384
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            raise InputError(f"{label} must be a whole number from 0 to {limit}, not {value!r}")
        return value
    if key == "no-mail":
        if not isinstance(value, bool):
            raise InputError(f"{label} must be true or false, not {value!r}")
        return value
    # lists of names
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f'{label} must be a list of names, e.g. ["a.example.com"]')
    return tuple(v.strip().rstrip(".").lower() for v in value)


def _waivers(
    value: Any, lines: _Lines, prefix: str, where: Where, problems: list[InputError]
) -> tuple[Waiver, ...]:
    if not isinstance(value, list):
        problems.append(InputError(f"{where(None)}: waivers must be written [[waivers]]"))
        return ()
    out = []
    for number, item in enumerate(value):
        try:
            out.append(_waiver(number, item, lines, prefix, where, problems))
        except InputError as exc:
            problems.append(exc)
    return tuple(out)


def _waiver(
    number: int, item: Any, lines: _Lines, prefix: str, where: Where, problems: list[InputError]
) -> Waiver:
    headers = [
        i + 1
        for i, line in enumerate(lines.lines)
        if re.match(r"^\s*\[\[\s*" + prefix + r"waivers\s*\]\]", line)
    ]
    line = headers[number] if number < len(headers) else None
    if not isinstance(item, dict):
        raise InputError(f"{where(line)}: each waiver is a [[waivers]] table")
    for key in item:
        if key not in _WAIVER_KEYS:
            problems.append(
                InputError(
                    f"{where(lines.key(key, line))}: unknown key {key!r} in [[waivers]]",
                    hint=f"known keys: {', '.join(_WAIVER_KEYS)}",
                )
            )
    check_id, reason = item.get("id"), item.get("reason")
    if not isinstance(check_id, str) or not check_id:
        raise InputError(f'{where(line)}: a waiver needs id = "CHECK.ID"')
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(f"{where(line)}: the waiver for {check_id} needs a reason")
    expires = item.get("expires")
    if expires is not None and not (
        isinstance(expires, datetime.date) and not isinstance(expires, datetime.datetime)
    ):
        raise InputError(f"{where(line)}: expires must be a date, e.g. 2027-03-31")
    domain = item.get("domain")
    if domain is not None:
        from mailcheck.records.domain_name import parse_domain

        domain = parse_domain(str(domain)).ascii
    return Waiver(check_id, reason.strip(), domain, expires, line)
