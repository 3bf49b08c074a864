"""The RFC 9989 DMARC tree walk: the levels asked, the Organizational Domain (4.10.2), the
record whose policy applies, and the Public Suffix List answer RFC 7489 receivers use."""

from __future__ import annotations

import contextlib
import functools
import threading
from dataclasses import dataclass, field
from typing import Any

from mailcheck.net.dns.answer import Answer
from mailcheck.records.dmarc import DmarcRecord, parse_dmarc

_PSL_LOCK = threading.Lock()
_RULES: list[list[str]] = []  # the bundled list's rules, read once per process
_BY_TLD: dict[str, Any] = {}  # top-level label -> PublicSuffixList of that label's rules
_MAX_TLDS = 4096  # bound: a bulk run may name any number of made-up top-level labels


def _rules() -> list[str]:
    """The bundled list's rules, normalised as PublicSuffixList() normalises them."""
    with _PSL_LOCK:
        if not _RULES:
            from publicsuffixlist import PSLFILE

            with open(PSLFILE, "rb") as file:
                lines = file.read().decode("utf8", "surrogateescape").splitlines()
            _RULES.append(
                [
                    rule
                    for rule in (line.lower().split(" ")[0].rstrip() for line in lines)
                    if rule and not rule.startswith("//")
                ]
            )
        return _RULES[0]


def _psl(domain: str = "example.com") -> Any:
    """A PublicSuffixList holding the rules of `domain`'s top-level label: the only ones that
    can match a name under it (a rule matches label by label from the right), so its answers
    are the whole list's. Parsing the whole list cost a one-domain run ~15 ms of CPU (the
    parser punycodes each of ~10,000 rules) while its first DNS answers were due."""
    tld = _tld(domain)
    with _PSL_LOCK:
        found = _BY_TLD.get(tld)
    if found is not None:
        return found
    forms = _forms(tld)
    found = _parse_psl(forms, _rules() if len(_BY_TLD) < _SCAN_TLDS else _indexed(forms))
    with _PSL_LOCK:
        if len(_BY_TLD) >= _MAX_TLDS:
            _BY_TLD.clear()
        return _BY_TLD.setdefault(tld, found)


_SCAN_TLDS = 8  # top-level labels looked up by a pass over all rules; then by an index
_INDEX: list[dict[str, list[str]]] = []  # last label of each rule -> those rules


def _indexed(forms: set[str]) -> list[str]:
    """The rules whose last label is one of `forms` (a label's spellings): a bulk run over many
    top-level labels reads the list once, not once per label."""
    with _PSL_LOCK:
        if not _INDEX:
            index: dict[str, list[str]] = {}
            for rule in _RULES[0] if _RULES else []:
                index.setdefault(rule.rsplit(".", 1)[-1].lstrip("!"), []).append(rule)
            _INDEX.append(index)
    index = _INDEX[0]
    return [rule for form in forms for rule in index.get(form, [])]


def _tld(domain: str) -> str:
    return domain.rstrip(".").rsplit(".", 1)[-1].lower()


def warm_psl(domain: str) -> None:
    """Load the list's rules for `domain` in a thread, while DNS answers travel."""
    if _tld(domain) not in _BY_TLD:
        threading.Thread(target=_psl, args=(domain,), daemon=True).start()


def _parse_psl(forms: set[str], rules: list[str]) -> Any:
    """The rules under a top-level label (`forms`: its ASCII and Unicode spellings), with the
    punycoded form of each rule that is not ASCII, as PublicSuffixList() adds them."""
    from publicsuffixlist import PublicSuffixList, encode_idn

    suffixes = tuple("." + form for form in forms)
    chosen = [rule for rule in rules if rule in forms or rule.endswith(suffixes)]
    encoded = []
    for rule in chosen:
        if not rule.isascii():
            bare = encode_idn(rule.lstrip("!"))
            encoded.append("!" + bare if rule.startswith("!") else bare)
    return PublicSuffixList(chosen + encoded, accept_encoded_idn=False)


def _forms(tld: str) -> set[str]:
    """A top-level label as the list may spell it: ASCII (xn--) and Unicode."""
    from publicsuffixlist import encode_idn

    forms = {tld}
    if tld.startswith("xn--"):
        with contextlib.suppress(UnicodeError):
            forms.add(tld.encode("ascii").decode("idna"))
    elif not tld.isascii():
        with contextlib.suppress(UnicodeError, ValueError):
            forms.add(encode_idn(tld))
    return forms


def psl_org_domain(domain: str) -> str:
    """RFC 7489 Organizational Domain: the public suffix plus one label."""
    found = _psl(domain).privatesuffix(domain)
    return str(found) if found else domain


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> DmarcRecord:
    return parse_dmarc(text)


@dataclass
class Level:
    """One level of the DMARC tree walk: the name asked and its DMARC records."""

    name: str
    answer: Answer | None = None
    records: list[str] = field(default_factory=list)

    @property
    def record(self) -> DmarcRecord | None:
        return _parse_cached(self.records[0]) if len(self.records) == 1 else None


@dataclass(frozen=True)
class Discovery:
    """What RFC 9989 section 4.10 makes of the walk. `passed_over` are records closer to the
    domain than the policy record that receivers do not use; `unknown` are the levels whose
    answer could change the outcome but could not be had."""

    policy_level: Level | None
    org_domain: str
    psd_level: Level | None
    errors: tuple[Level, ...]
    passed_over: tuple[Level, ...] = ()
    unknown: tuple[Level, ...] = ()


def org_domain_of(domain: str, levels: list[Level]) -> tuple[str, Level | None]:
    """RFC 9989 4.10.2, walking up from the domain: the first psd=n record's domain; one label
    below the first psd=y record; otherwise the record with the fewest labels."""
    found = [lv for lv in levels if lv.record is not None]
    for level in found:
        psd = (level.record.get("psd") or "").strip().lower() if level.record else ""
        if psd == "n":
            return level.name, None
        if psd == "y":
            if level.name == domain:
                return domain, level
            extra = domain[: -len(level.name) - 1].split(".")[-1]
            return f"{extra}.{level.name}", level
    return (found[-1].name if found else domain), None


def _undetermined(levels: list[Level]) -> tuple[Level, ...]:
    """The failed levels that could change the outcome: those closer to the domain than the
    first psd=n or psd=y record (which ends the walk whatever lies above it)."""
    out = []
    for level in levels:
        if level.answer is not None and level.answer.outcome.is_error:
            out.append(level)
        elif level.record is not None and (level.record.get("psd") or "").strip().lower() in (
            "n",
            "y",
        ):
            break
    return tuple(out)


def discover(domain: str, levels: list[Level]) -> Discovery:
    errors = tuple(lv for lv in levels if lv.answer is not None and lv.answer.outcome.is_error)
    unknown = _undetermined(levels)
    org, psd_level = org_domain_of(domain, levels)
    own = levels[0] if levels and levels[0].record is not None else None
    if own is not None:
        # the domain's own record decides its policy whatever lies above; only the
        # Organizational Domain (alignment, report authorisation) depends on the rest
        return Discovery(own, org, psd_level, errors, unknown=unknown)
    policy = next((lv for lv in levels if lv.name == org and lv.record is not None), psd_level)
    closer = []
    for level in levels[1:]:
        if level is policy:
            break
        if level.record is not None:
            closer.append(level)
    # a level that failed might hold the record that decides: unknown, unless it lies above
    # a psd=n or psd=y record (which ends the walk whatever is above it)
    return Discovery(policy, org, psd_level, errors, tuple(closer), unknown)


def unknown_names(disc: Discovery) -> str:
    """The levels that could not be asked, with why, for "could not determine" messages."""
    return "; ".join(
        f"_dmarc.{lv.name}: {lv.answer.describe()}" for lv in disc.unknown if lv.answer is not None
    )


@dataclass(frozen=True)
class AppliedPolicy:
    """The DMARC policy that applies to one name: the tag (p, sp, np), its value, the record
    it came from and that record's tags; `unknown` when the walk could not tell."""

    tag: str | None
    policy: str | None
    record_name: str
    tags: dict[str, str]
    unknown: bool = False
