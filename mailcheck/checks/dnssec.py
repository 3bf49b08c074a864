"""DNSSEC of the domain's and MX hosts' zones (verified with dnspython) and DANE TLSA (RFC 7672)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.model import Finding, Section, Status
from mailcheck.net.dns.answer import Answer, Outcome, Record
from mailcheck.net.dns.crawl import Crawler

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "full certificate", 1: "SubjectPublicKeyInfo"}
MATCHING = {0: "exact", 1: "SHA-256", 2: "SHA-512"}


def ancestors(name: str) -> list[str]:
    labels = name.rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


@dataclass
class ZoneProbe:
    """The questions that find a name's zone and whether it is signed."""

    name: str
    soa: dict[str, Answer] = field(default_factory=dict)
    dnskey: dict[str, Answer] = field(default_factory=dict)
    ds: dict[str, Answer] = field(default_factory=dict)
    sample: dict[str, Answer] = field(default_factory=dict)
    sample_types: tuple[str, ...] = ()

    def ask(self, crawler: Crawler, sample_types: tuple[str, ...]) -> None:
        """SOA at the name and its ancestors; then DNSKEY and DS at the apex only."""
        self.sample_types = sample_types
        names = ancestors(self.name)
        waiting = len(names)

        def on_soa(candidate: str, answer: Answer) -> None:
            nonlocal waiting
            self.soa[candidate] = answer
            waiting -= 1
            if waiting == 0:
                apex = self.apex()
                if apex is not None:
                    crawler.store(apex, "DNSKEY", self.dnskey, apex, dnssec=True)
                    crawler.store(apex, "DS", self.ds, apex, dnssec=True)

        for candidate in names:
            crawler.ask(candidate, "SOA", functools.partial(on_soa, candidate), dnssec=True)
        for rdtype in sample_types:
            crawler.store(self.name, rdtype, self.sample, rdtype, dnssec=True)

    def apex(self) -> str | None:
        for candidate in ancestors(self.name):
            answer = self.soa.get(candidate)
            if answer is not None and answer.records and answer.records[0].owner == candidate:
                return candidate
        return None


@dataclass(frozen=True)
class ZoneVerdict:
    """Whether a zone is signed and validates: its state, apex and the AD flag seen."""

    state: str  # signed | unanchored | unsigned | island | bogus | error
    apex: str | None
    detail: str
    ad: bool | None = None

    @property
    def secure(self) -> bool:
        return self.state == "signed"


def _why_bogus(exc: Exception, signatures: tuple[Record, ...]) -> str:
    """Why a signature did not verify, in the user's words: expired or not yet valid, or the
    records changed after signing, or dnspython's own reason."""
    return _expiry_problem(signatures) or (
        "it does not match the records (changed after signing?)"
        if "no RRSIGs validated" in str(exc)
        else str(exc)
    )


def _expiry_problem(signatures: tuple[Record, ...]) -> str:
    """Why every signature is outside its validity window, or "" if one is inside it."""
    import time

    now = time.time()
    problems = []
    for sig in signatures:
        if sig.rdata.expiration < now:
            problems.append(
                "expired on "
                + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(sig.rdata.expiration))
            )
        elif sig.rdata.inception > now:
            problems.append(
                "not valid before "
                + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(sig.rdata.inception))
            )
        else:
            return ""
    return "the signature " + "; ".join(problems) if problems else ""


def _rrset(records: tuple[Record, ...]) -> Any:
    import dns.rrset

    first = records[0]
    return dns.rrset.from_rdata_list(first.owner + ".", first.ttl, [r.rdata for r in records])


def verify(probe: ZoneProbe) -> ZoneVerdict:
    """Check DS -> DNSKEY -> RRSIG for the zone holding probe.name, with dnspython."""
    apex = probe.apex()
    soa_errors = [a for a in probe.soa.values() if a.outcome.is_error]
    if apex is None:
        if soa_errors:
            return ZoneVerdict(
                "error", None, f"could not find the zone: {soa_errors[0].error_text()}"
            )
        return ZoneVerdict("unsigned", None, "no zone apex (SOA) found above the name")
    dnskey, ds = probe.dnskey[apex], probe.ds[apex]
    if dnskey.outcome.is_error:
        return ZoneVerdict("error", apex, dnskey.error_text())
    ad = dnskey.authenticated
    if ds.outcome is Outcome.OFFLINE:
        # Checking a zone file offline: its parent (and the DS) is not available.
        if not dnskey.records:
            return ZoneVerdict("unsigned", apex, f"{apex} has no DNSKEY", ad)
        return _chain(probe, apex, dnskey, None, ad)
    if ds.outcome.is_error:
        return ZoneVerdict("error", apex, ds.error_text())
    if not ds.records and not dnskey.records:
        return ZoneVerdict("unsigned", apex, f"{apex} is not signed (no DS, no DNSKEY)", ad)
    if not ds.records:
        return ZoneVerdict(
            "island",
            apex,
            f"{apex} publishes DNSKEY but its parent has no DS "
            "for it: validating resolvers treat it as unsigned",
            ad,
        )
    if not dnskey.records:
        return ZoneVerdict(
            "bogus", apex, f"the parent has a DS for {apex} but {apex} serves no DNSKEY", ad
        )
    return _chain(probe, apex, dnskey, ds, ad)


def _chain(
    probe: ZoneProbe, apex: str, dnskey: Answer, ds: Answer | None, ad: bool | None
) -> ZoneVerdict:
    import dns.dnssec
    import dns.exception
    import dns.name
    import dns.rdatatype

    zone = dns.name.from_text(apex + ".")
    keys = _rrset(dnskey.records)
    matched = [] if ds is not None else list(dnskey.records)
    for ds_record in ds.records if ds is not None else ():
        for key in dnskey.records:
            try:
                made = dns.dnssec.make_ds(zone, key.rdata, ds_record.rdata.digest_type)
            except (ValueError, dns.exception.DNSException):
                continue
            if made == ds_record.rdata:
                matched.append(key)
    if not matched:
        return ZoneVerdict("bogus", apex, f"no DNSKEY of {apex} matches the DS at its parent", ad)
    if not dnskey.signatures:
        return ZoneVerdict("bogus", apex, f"the DNSKEY set of {apex} carries no RRSIG", ad)
    try:
        dns.dnssec.validate(keys, _rrset(dnskey.signatures), {zone: _rrset(tuple(matched))})
    except dns.exception.ValidationFailure as exc:
        why = _expiry_problem(dnskey.signatures) or str(exc)
        return ZoneVerdict(
            "bogus", apex, f"the DNSKEY signature of {apex} does not verify: {why}", ad
        )
    for rdtype in probe.sample_types:  # a fixed order: never the order answers arrived in
        answer = probe.sample[rdtype]
        if not answer.records:
            continue
        if not answer.signatures:
            return ZoneVerdict("bogus", apex, f"{answer.name} {rdtype} carries no RRSIG", ad)
        try:
            dns.dnssec.validate(_rrset(answer.records), _rrset(answer.signatures), {zone: keys})
        except dns.exception.ValidationFailure as exc:
            why = _why_bogus(exc, answer.signatures)
            return ZoneVerdict(
                "bogus",
                apex,
                f"the signature over {answer.name} {rdtype} does not verify: {why}",
                ad,
            )
        return _signed(apex, ds is not None, f" → RRSIG over {answer.name} {rdtype}", ad)
    return _signed(apex, ds is not None, "", ad)


def tlsa_unknown(name: str, host: str, answer: Answer, verdict: ZoneVerdict) -> str | None:
    """The words for a TLSA lookup that failed (SERVFAIL, timeout) where it matters: in a
    signed zone a DANE sender defers the mail then (RFC 7672 section 2.2), so the lookup's
    failure is the host's state for them, not a detail. None when the zone is not signed
    (senders do not use TLSA there) or the lookup answered."""
    if not answer.outcome.is_error or verdict.state not in ("signed", "bogus", "error"):
        return None
    senders = "DANE senders defer mail to this host (RFC 7672 §2.2)"
    if verdict.state == "error":
        senders = f"if {host}'s zone is signed, {senders} (the zone: {verdict.detail})"
    return f"could not determine the TLSA records at {name}: {answer.describe()}; {senders}"


def verify_rrset(probe: ZoneProbe, answer: Answer) -> ZoneVerdict:
    """The zone's verdict, then the RRSIG over `answer` (a TLSA set) with the zone's keys: a
    signed zone can still serve one RRset whose signature is forged or expired."""
    import dns.dnssec
    import dns.exception
    import dns.name

    verdict = verify(probe)
    apex = verdict.apex
    if verdict.state not in ("signed", "unanchored") or apex is None or not answer.records:
        return verdict
    owner = answer.records[0].owner
    if owner != apex and not owner.endswith("." + apex):
        return verdict  # another zone's records: not ours to vouch for here
    what = f"{owner} {answer.rdtype}"
    if not answer.signatures:
        return ZoneVerdict("bogus", apex, f"{what} carries no RRSIG", verdict.ad)
    zone = dns.name.from_text(apex + ".")
    try:
        dns.dnssec.validate(
            _rrset(answer.records),
            _rrset(answer.signatures),
            {zone: _rrset(probe.dnskey[apex].records)},
        )
    except dns.exception.ValidationFailure as exc:
        why = _why_bogus(exc, answer.signatures)
        return ZoneVerdict(
            "bogus", apex, f"the signature over {what} does not verify: {why}", verdict.ad
        )
    return dataclasses.replace(verdict, detail=f"{verdict.detail} → RRSIG over {what}")


def _signed(apex: str, anchored: bool, tail: str, ad: bool | None) -> ZoneVerdict:
    if anchored:
        return ZoneVerdict("signed", apex, f"DS at the parent → DNSKEY{tail} verified", ad)
    return ZoneVerdict(
        "unanchored",
        apex,
        f"DNSKEY{tail} verified; the parent zone (and its "
        "DS) is not available offline, so the chain is not anchored",
        ad,
    )


@dataclass
class MxDane:
    """An MX host's DNSSEC probe and TLSA answer, for its DANE judgement."""

    host: str
    probe: ZoneProbe
    tlsa: Answer | None = None


class DnssecCheck:
    family = "dnssec"

    def __init__(self, domain: str, crawler: Crawler) -> None:
        self.domain = domain
        self.crawler = crawler
        self.probe = ZoneProbe(domain)
        self.hosts: list[MxDane] = []
        self._tlsa: dict[str, Answer] = {}

    def start(self) -> None:
        self.probe.ask(self.crawler, ("MX", "TXT"))
        self.crawler.ask(self.domain, "MX", self._on_mx)

    def _on_mx(self, answer: Answer) -> None:
        # here, not at the top: `trace` uses this module's zone probe, not the MX check
        from mailcheck.checks.mx import MAX_HOSTS

        # the same hosts the MX check follows: the most preferred, at most MAX_HOSTS
        records = sorted(answer.records, key=lambda r: (r.rdata.preference, r.text))
        names: list[str] = []
        for record in records:
            name = record.rdata.exchange.to_text(omit_final_dot=True).lower()
            if name != "." and name not in names:
                names.append(name)
        for host in sorted(names[:MAX_HOSTS]):
            item = MxDane(host, ZoneProbe(host))
            item.probe.ask(self.crawler, ("A",))
            self.crawler.store(f"_25._tcp.{host}", "TLSA", self._tlsa, host, dnssec=True)
            self.hosts.append(item)

    @functools.cached_property
    def verdict(self) -> ZoneVerdict:
        return verify(self.probe)

    def host_verdict(self, item: MxDane) -> ZoneVerdict:
        return verify(item.probe)

    @property
    def has_dane(self) -> bool:
        return any(a.records for a in self._tlsa.values())

    # -- judgement --------------------------------------------------------------------

    def section(self) -> Section:
        findings = [self._zone_finding("dnssec.zone", self.domain, self.verdict)]
        dane: list[Finding] = []
        tlsa_data = []
        for item in self.hosts:
            verdict = self.host_verdict(item)
            findings.append(self._zone_finding("dnssec.mx-zone", item.host, verdict))
            tlsa = self._tlsa.get(item.host)
            dane.extend(self._dane(item.host, tlsa, verdict))
            if tlsa is not None:
                tlsa_data.append({"host": item.host, "records": [r.text for r in tlsa.records]})
        if (
            self.hosts
            and not any(t["records"] for t in tlsa_data)
            and not any(f.status is Status.ERROR for f in dane)
        ):
            dane.append(
                finding(
                    "dane.tlsa",
                    Status.INFO,
                    "no TLSA records at _25._tcp of any MX host: DANE not deployed",
                )
            )
        data = {
            "zone": self.verdict.apex,
            "state": self.verdict.state,
            "resolver_ad": self.verdict.ad,
            "tlsa": tlsa_data,
        }
        # the domain's own DNSKEY record (there is none unless the domain is a zone apex)
        where = record_location(self.probe.dnskey.get(self.domain), zone_files(self.crawler))
        findings = list(located(findings + dane, where))
        return Section("dnssec", "DNSSEC / DANE", tuple(findings), self.verdict.state, data)

    @staticmethod
    def _zone_finding(check_id: str, name: str, verdict: ZoneVerdict) -> Finding:
        subject = name if check_id == "dnssec.mx-zone" else ""
        ad = {
            True: "; the resolver also validated it (AD flag)",
            False: "; the resolver did not set the AD flag (it does not validate)",
            None: "",
        }[verdict.ad]
        if verdict.state == "signed":
            return finding(
                check_id,
                Status.PASS,
                (
                    f"{name}: zone {verdict.apex} is signed: {verdict.detail} "
                    f"here with dnspython{ad}"
                ),
                details="Anchored at the DS record as the resolver returned it; "
                "the chain above the parent is not walked.",
                subject=subject,
            )
        if verdict.state == "unanchored":
            return finding(
                check_id,
                Status.INFO,
                f"{name}: zone {verdict.apex} is signed: {verdict.detail}",
                subject=subject,
            )
        if verdict.state == "unsigned":
            return finding(
                check_id,
                Status.INFO,
                f"{name}: not DNSSEC-signed ({verdict.detail})",
                subject=subject,
            )
        if verdict.state == "island":
            return finding(
                check_id,
                Status.WARN,
                f"{name}: {verdict.detail}",
                hint="Publish the DS record at your registrar.",
                subject=subject,
            )
        if verdict.state == "error":
            return finding(
                check_id,
                Status.ERROR,
                f"{name}: could not determine: {verdict.detail}",
                subject=subject,
            )
        return finding(
            check_id,
            Status.FAIL,
            f"{name}: DNSSEC is broken: {verdict.detail}",
            hint="Validating resolvers answer SERVFAIL for this zone: re-sign it or "
            "fix the DS at the parent.",
            subject=subject,
        )

    def _dane(self, host: str, tlsa: Answer | None, verdict: ZoneVerdict) -> list[Finding]:
        if tlsa is None:
            return []
        name = f"_25._tcp.{host}"
        if tlsa.outcome.is_error:
            said = tlsa_unknown(name, host, tlsa, verdict) or f"{name}: {tlsa.describe()}"
            return [finding("dane.tlsa", Status.ERROR, said, subject=host)]
        if not tlsa.records:
            return []
        out: list[Finding] = []
        if verdict.state == "bogus":
            out.append(
                finding(
                    "dane.no-dnssec",
                    Status.FAIL,
                    (
                        f"{name} has TLSA records but {host}'s zone fails DNSSEC validation "
                        f"({verdict.detail}): DANE senders must not deliver to {host} and "
                        "defer the mail (RFC 7672 §2.2)"
                    ),
                    subject=host,
                )
            )
        elif not verdict.secure:
            out.append(
                finding(
                    "dane.no-dnssec",
                    Status.WARN,
                    f"{name} has TLSA records but {host}'s zone is not validly "
                    "signed: senders ignore them",
                    subject=host,
                )
            )
        usable = 0
        for record in tlsa.records:
            out.extend(self._tlsa_record(host, record))
            if record.rdata.usage in (2, 3):
                usable += 1
        if usable == 0:
            out.append(
                finding(
                    "dane.usage",
                    Status.FAIL,
                    f"{name}: no usable TLSA record for SMTP (only PKIX-TA/PKIX-EE)",
                    subject=host,
                )
            )
        return out

    @staticmethod
    def _tlsa_record(host: str, record: Record) -> list[Finding]:
        rd = record.rdata
        label = (
            f"{rd.usage} {rd.selector} {rd.mtype} "
            f"({USAGES.get(rd.usage, '?')}, {SELECTORS.get(rd.selector, '?')}, "
            f"{MATCHING.get(rd.mtype, '?')})"
        )
        if rd.usage not in USAGES or rd.selector not in SELECTORS or rd.mtype not in MATCHING:
            return [
                finding(
                    "dane.tlsa", Status.FAIL, f"{host}: TLSA {label}: unknown value", subject=host
                )
            ]
        if rd.usage in (0, 1):
            return [
                finding(
                    "dane.usage",
                    Status.WARN,
                    f"{host}: TLSA {label}: SMTP clients treat PKIX usages as unusable "
                    "(RFC 7672 §3.1.3)",
                    subject=host,
                )
            ]
        if rd.mtype == 0:
            return [
                finding(
                    "dane.tlsa",
                    Status.WARN,
                    f"{host}: TLSA {label}: full data breaks at every renewal; use "
                    "SHA-256 (matching type 1)",
                    subject=host,
                )
            ]
        return [finding("dane.tlsa", Status.PASS, f"{host}: TLSA {label}", subject=host)]
