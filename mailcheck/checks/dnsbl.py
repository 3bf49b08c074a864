"""DNS blocklists (RFC 5782): addresses and the domain asked under each list's zone, answers
decoded by the list's documented return codes; refusals and DNS failures are never "listed"."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field, replace

from mailcheck.catalog import finding
from mailcheck.escape import decode
from mailcheck.model import Finding, Report, Section, Status
from mailcheck.net.address import address_key
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.crawl import Crawler
from mailcheck.net.dns.engine import DnsEngine

MAX_SUBJECTS = 64  # addresses asked per domain: every list is asked about each one

# Documented return codes of the default lists (their public usage pages).
_SPAMHAUS_ERRORS = {
    "127.255.255.252": "query refused: typing error in the DNSBL name",
    "127.255.255.254": "query refused: asked through a public or open resolver",
    "127.255.255.255": "query refused: too many queries (rate limited)",
}
_ZEN = {
    "127.0.0.2": "SBL: a known spam source or spam operation",
    "127.0.0.3": "SBL CSS: snowshoe spam",
    "127.0.0.4": "XBL: an exploited host (malware, botnet, open proxy)",
    "127.0.0.5": "XBL: an exploited host",
    "127.0.0.6": "XBL: an exploited host",
    "127.0.0.7": "XBL: an exploited host",
    "127.0.0.9": "SBL DROP: a hijacked or spammer-operated netblock",
    "127.0.0.10": "PBL: an end-user range that should not send mail directly (ISP policy)",
    "127.0.0.11": "PBL: an end-user range that should not send mail directly",
}
_DBL = {
    "127.0.1.2": "spam domain",
    "127.0.1.4": "phishing domain",
    "127.0.1.5": "malware domain",
    "127.0.1.6": "botnet command-and-control domain",
    "127.0.1.102": "abused legitimate domain (spam)",
    "127.0.1.103": "abused redirector or URL shortener",
    "127.0.1.104": "abused legitimate domain (phishing)",
    "127.0.1.105": "abused legitimate domain (malware)",
    "127.0.1.106": "abused legitimate domain (botnet C&C)",
}


@dataclass(frozen=True)
class Blocklist:
    """One list: its zone, whether it lists addresses or domains, and its return codes."""

    zone: str
    kind: str = "ip"  # "ip" | "domain"
    ipv6: bool = False  # answers nibble-reversed IPv6 queries
    codes: tuple[tuple[str, str], ...] = ()  # 127.x answer -> meaning
    refusals: tuple[tuple[str, str], ...] = ()  # 127.x answers that mean "not answered"
    bitmask: tuple[tuple[int, str], ...] = ()  # URIBL/SURBL style: bits of the last octet

    def meaning(self, code: str) -> tuple[bool, str]:
        """(refused, text) for one A record of an answer."""
        refusals = dict(self.refusals)
        if code in refusals:
            return True, refusals[code]
        if code.startswith("127.255.255."):
            return True, "query refused or rate limited (127.255.255.x)"
        codes = dict(self.codes)
        if code in codes:
            return False, codes[code]
        if self.bitmask:
            last = int(code.rsplit(".", 1)[1])
            names = [name for bit, name in self.bitmask if last & bit]
            if names:
                return False, "listed: " + ", ".join(names)
        if self.codes or self.bitmask:
            return False, "listed (an undocumented return code)"
        return False, "listed"


KNOWN = {
    "zen.spamhaus.org": Blocklist(
        "zen.spamhaus.org", "ip", True, tuple(_ZEN.items()), tuple(_SPAMHAUS_ERRORS.items())
    ),
    "bl.spamcop.net": Blocklist(
        "bl.spamcop.net", "ip", False, (("127.0.0.2", "listed by SpamCop user reports"),)
    ),
    "dbl.spamhaus.org": Blocklist(
        "dbl.spamhaus.org", "domain", False, tuple(_DBL.items()), tuple(_SPAMHAUS_ERRORS.items())
    ),
    "multi.uribl.com": Blocklist(
        "multi.uribl.com",
        "domain",
        False,
        (),
        (("127.0.0.1", "query refused: your resolver is blocked (public resolver or volume)"),),
        ((2, "URIBL black"), (4, "URIBL grey"), (8, "URIBL red")),
    ),
}
DEFAULT_IP_ZONES = ("zen.spamhaus.org", "bl.spamcop.net")
DEFAULT_DOMAIN_ZONES = ("dbl.spamhaus.org", "multi.uribl.com")


def blocklists(
    ip_zones: tuple[str, ...] = DEFAULT_IP_ZONES,
    domain_zones: tuple[str, ...] = DEFAULT_DOMAIN_ZONES,
    ip6_zones: tuple[str, ...] = (),
) -> tuple[Blocklist, ...]:
    """The lists to ask: known ones with their codes, others decoded generically."""
    out = []
    for zone in ip_zones:
        known = KNOWN.get(zone)
        out.append(
            known if known and known.kind == "ip" else Blocklist(zone, "ip", zone in ip6_zones)
        )
    for zone in domain_zones:
        known = KNOWN.get(zone)
        out.append(known if known and known.kind == "domain" else Blocklist(zone, "domain"))
    return tuple(out)


def query_name(subject: str, zone: str) -> str:
    """RFC 5782 §2.1/§2.4: reversed octets (IPv4) or nibbles (IPv6) under the zone."""
    ip = ipaddress.ip_address(subject)
    if ip.version == 4:
        return ".".join(reversed(str(ip).split("."))) + "." + zone
    return ".".join(reversed(ip.exploded.replace(":", ""))) + "." + zone


@dataclass(frozen=True)
class Subject:
    """What a blocklist is asked about, and why it is (the record it came from)."""

    value: str  # an address, or the domain for domain lists
    why: str  # "MX mx1.example.com", "SPF ip4:192.0.2.1", "connecting IP"


@dataclass
class _Asked:
    """One blocklist question about one subject, with its answers once they come."""

    subject: Subject
    blocklist: Blocklist
    answer: Answer | None = None
    reason: Answer | None = None  # the TXT record a list publishes beside a listing


@dataclass
class DnsblRun:
    """Asks every list about every subject at once through the engine, then judges."""

    engine: DnsEngine
    lists: tuple[Blocklist, ...]
    asked: list[_Asked] = field(default_factory=list)
    probes: dict[str, Answer] = field(default_factory=dict)  # zone -> its RFC 5782 test probe
    unasked_v6: list[str] = field(default_factory=list)  # lists that answer IPv4 only

    def run(self, addresses: list[Subject], domain: str | None) -> None:
        crawler = Crawler(self.engine)
        for blocklist in self.lists:
            if blocklist.kind == "ip":
                # RFC 5782 §5: 127.0.0.1 must never be listed; a list that lists it lists everyone
                probe = query_name("127.0.0.1", blocklist.zone)
                crawler.store(probe, "A", self.probes, blocklist.zone)
                for subject in addresses:
                    if ipaddress.ip_address(subject.value).version == 6 and not blocklist.ipv6:
                        if blocklist.zone not in self.unasked_v6:
                            self.unasked_v6.append(blocklist.zone)
                        continue
                    self._ask(
                        crawler, subject, blocklist, query_name(subject.value, blocklist.zone)
                    )
            elif domain is not None:
                # RFC 5782 §5: the name "invalid" must never be listed
                crawler.store(f"invalid.{blocklist.zone}", "A", self.probes, blocklist.zone)
                subject = Subject(domain, "the domain")
                self._ask(crawler, subject, blocklist, f"{domain}.{blocklist.zone}")
        crawler.run()

    def _ask(self, crawler: Crawler, subject: Subject, blocklist: Blocklist, name: str) -> None:
        item = _Asked(subject, blocklist)
        self.asked.append(item)
        crawler.ask(name, "A", functools.partial(_put, crawler, name, item))

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        broken = self._broken_lists(out)
        for kind in ("ip", "domain"):
            check_id = f"dnsbl.{kind}"
            items = [a for a in self.asked if a.blocklist.kind == kind]
            if not items:
                continue
            listed: list[tuple[str, list[str]]] = []
            errors: list[str] = []
            for item in items:
                if item.blocklist.zone in broken:
                    continue
                verdict = _verdict(item)
                if verdict is None:
                    continue
                refused, text = verdict
                if refused:
                    errors.append(text)
                else:
                    listed.append((text, _reasons(item)))
            out.extend(finding(check_id, Status.FAIL, t, evidence=why) for t, why in listed)
            out.extend(finding(check_id, Status.ERROR, t) for t in sorted(set(errors)))
            if not listed and not errors and not broken & {i.blocklist.zone for i in items}:
                zones = sorted({i.blocklist.zone for i in items})
                what = {i.subject.value for i in items}
                noun = "address" if len(what) == 1 else "addresses"
                shown = f"{len(what)} {noun}" if kind == "ip" else ", ".join(sorted(what))
                text = f"{shown} not listed on {', '.join(zones)}"
                if kind == "ip" and self.unasked_v6:
                    only4 = ", ".join(self.unasked_v6)
                    text += f" (IPv6 addresses not asked: {only4} answer IPv4 only)"
                out.append(finding(check_id, Status.PASS, text))
        return out

    def _broken_lists(self, out: list[Finding]) -> set[str]:
        broken = set()
        for zone, probe in sorted(self.probes.items()):
            if probe.exists:
                codes = ", ".join(r.text for r in probe.records)
                blocklist = next(b for b in self.lists if b.zone == zone)
                refused = all(blocklist.meaning(r.text)[0] for r in probe.records)
                why = (
                    f"{zone} refuses our queries ({blocklist.meaning(probe.records[0].text)[1]})"
                    if refused
                    else f"{zone} lists its never-listed test entry ({probe.name} -> {codes}): "
                    "it answers for everything (a dead or hijacked list); its answers are ignored"
                )
                out.append(finding("dnsbl.list", Status.ERROR, why))
                broken.add(zone)
        return broken


def _reasons(item: _Asked) -> list[str]:
    """The list's own words (its TXT record, often a lookup URL), shown literally."""
    if item.reason is None or not item.reason.exists:
        return []
    return sorted(f"{item.blocklist.zone} says: {decode(t)}" for t in item.reason.texts())


def _codes(answer: Answer) -> list[str]:
    """The answer's addresses in numeric order (servers shuffle them; reports must not)."""
    texts = [r.text for r in answer.records]
    return sorted(texts, key=address_key)


def _put(crawler: Crawler, name: str, item: _Asked, answer: Answer) -> None:
    item.answer = answer
    if answer.exists:
        crawler.ask(name, "TXT", functools.partial(_reason, item))


def _reason(item: _Asked, answer: Answer) -> None:
    item.reason = answer


def _verdict(item: _Asked) -> tuple[bool, str] | None:
    """(refused or failed, message), or None when not listed."""
    answer = item.answer
    zone = item.blocklist.zone
    who = f"{item.subject.value} ({item.subject.why})"
    if answer is None or answer.outcome.is_error:
        detail = answer.describe() if answer is not None else "not asked"
        return True, f"could not ask {zone} about {who}: {detail}"
    if answer.outcome in (Outcome.NXDOMAIN, Outcome.NODATA) or not answer.records:
        return None
    meanings = []
    for code in _codes(answer):
        if not code.startswith("127."):
            return True, f"{zone} answered {code} for {who}: not a blocklist code (RFC 5782 §2.3)"
        refused, text = item.blocklist.meaning(code)
        if refused:
            return True, f"{zone} did not answer for {who}: {code} {text}"
        meanings.append(f"{code} {text}")
    return False, f"{who} is listed on {zone}: " + "; ".join(meanings)


def domain_subjects(
    mx_ips: list[tuple[str, str]], spf_terms: list[tuple[str, str]]
) -> tuple[list[Subject], tuple[str, ...]]:
    """(addresses to ask, SPF ranges not asked): MX host addresses and single SPF ip4/ip6."""
    subjects: dict[str, Subject] = {}
    skipped = []
    # per host in address order: the order records arrive in must not show in the report
    ordered = sorted(mx_ips, key=lambda pair: address_key(pair[1]))
    hosts = list(dict.fromkeys(host for host, _address in mx_ips))
    for host, address in sorted(ordered, key=lambda pair: hosts.index(pair[0])):
        subjects.setdefault(address, Subject(address, f"MX {host}"))
    for raw, value in spf_terms:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            continue
        if network.num_addresses == 1:
            address = str(network.network_address)
            subjects.setdefault(address, Subject(address, f"SPF {raw}"))
        else:
            skipped.append(raw)
    return list(subjects.values())[:MAX_SUBJECTS], tuple(skipped)


def check_blocklists(
    engine: DnsEngine,
    lists: tuple[Blocklist, ...],
    subjects: list[Subject],
    domain: str | None = None,
    skipped: tuple[str, ...] = (),
) -> Section:
    """Ask every list about every subject (blocking) and judge: the "dnsbl" section."""
    run = DnsblRun(engine, lists)
    run.run(subjects, domain)
    findings = run.findings()
    asked = ", ".join(f"{s.value} ({s.why})" for s in subjects) or "no address"
    text = f"asked about {asked}" + (f" and {domain}" if domain else "")
    if skipped:
        text += f"; SPF ranges not asked (lists answer one address at a time): {', '.join(skipped)}"
    findings.insert(0, finding("dnsbl.subjects", Status.INFO, text))
    listed = []
    for item in run.asked:
        verdict = _verdict(item)
        if verdict is not None and not verdict[0] and item.answer is not None:
            listed.append(
                {
                    "subject": item.subject.value,
                    "zone": item.blocklist.zone,
                    "codes": _codes(item.answer),
                }
            )
    data = {"lists": [b.zone for b in lists], "listed": listed}
    headline = ", ".join(b.zone for b in lists)
    return Section("dnsbl", "Blocklists", tuple(findings), headline, data)


def with_blocklists(report: Report, engine: DnsEngine, lists: tuple[Blocklist, ...]) -> Report:
    """verify --dnsbl: the connecting IP (as the SPF section found it) asked of the lists."""
    ip = next((s.data.get("ip") for s in report.sections if s.family == "spf"), None)
    if not ip:
        note = finding(
            "dnsbl.subjects",
            Status.SKIP,
            "no connecting IP known (no Received header from your server, no --ip)",
        )
        added = Section("dnsbl", "Blocklists", (note,))
    else:
        ip_lists = tuple(b for b in lists if b.kind == "ip")  # no domain to ask about here
        added = check_blocklists(engine, ip_lists, [Subject(str(ip), "connecting IP")])
    return replace(report, sections=(*report.sections, added))
