"""DMARC checks: RFC 9989 discovery (tree walk) and the policy; other tags in dmarc_tags,
report destinations in dmarc_reports."""

from __future__ import annotations

import functools
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.count import bounded
from mailcheck.checks.dmarc_reports import ReportDestinations
from mailcheck.checks.dmarc_tags import other_tags
from mailcheck.checks.dmarc_walk import (
    AppliedPolicy,
    Discovery,
    Level,
    discover,
    psl_org_domain,
    warm_psl,
)
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.escape import decode
from mailcheck.model import Finding, Location, Section, Status
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.crawl import Crawler
from mailcheck.records.dmarc import (
    POLICIES,
    DmarcRecord,
    is_dmarc,
    walk_targets,
)

__all__ = ["AppliedPolicy", "Discovery", "DmarcCheck", "Level", "discover", "psl_org_domain"]

_STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}


class DmarcCheck:
    family = "dmarc"

    def __init__(
        self, domain: str, crawler: Crawler, domain_exists: Any = None, check_reports: bool = True
    ) -> None:
        self.domain = domain
        self.crawler = crawler
        self.levels = [Level(name) for name in walk_targets(domain)]
        self.apex: Answer | None = None
        self.discovery: Discovery | None = None
        self.destinations = ReportDestinations(crawler)
        self._domain_exists = domain_exists
        self._check_reports = check_reports
        self._waiting = 0

    def start(self) -> None:
        warm_psl(self.domain)
        # Every name of the walk is known in advance: ask them all at once. Even a domain
        # with its own record needs the levels above for its Organizational Domain (4.10.2).
        self._ask(self.levels)
        self.crawler.ask(self.domain, "TXT", self._on_apex)

    def _on_apex(self, answer: Answer) -> None:
        self.apex = answer

    def _ask(self, levels: list[Level]) -> None:
        self._waiting += len(levels)
        for level in levels:
            self.crawler.ask(
                f"_dmarc.{level.name}", "TXT", functools.partial(self._on_level, level)
            )

    def _on_level(self, level: Level, answer: Answer) -> None:
        level.answer = answer
        level.records = [decode(t) for t in answer.texts() if is_dmarc(decode(t))]
        self._waiting -= 1
        if self._waiting == 0:
            self.discovery = discover(self.domain, self.levels)
            policy = self.discovery.policy_level
            if self._check_reports and policy is not None and policy.record is not None:
                self.destinations.ask(policy, policy.record, self._external)

    def _external(self, dest: str) -> bool | None:
        """Outside the Organizational Domain (authorisation needed, RFC 9990 4)? None when a
        level we could not ask might make the Organizational Domain broad enough to hold it."""
        disc = self.discovery
        org = disc.org_domain if disc else self.domain
        if dest == org or dest.endswith("." + org):
            return False
        unknown = [lv.name for lv in disc.unknown] if disc else []
        if any(dest == name or dest.endswith("." + name) for name in unknown):
            return None
        return True

    # -- judgement --------------------------------------------------------------------

    def section(self) -> Section:
        disc = self.discovery
        level = disc.policy_level if disc else None
        findings = located(bounded(self._findings()), self._location(level))
        data: dict[str, Any] = {
            "walk": [
                {
                    "name": f"_dmarc.{lv.name}",
                    "outcome": lv.answer.outcome.value,
                    "records": list(lv.records),
                }
                for lv in self.levels
                if lv.answer is not None
            ],
            "org_domain": disc.org_domain if disc else None,
            "org_domain_psl": psl_org_domain(self.domain),
        }
        headline = ""
        if level is not None and level.record is not None:
            data["record"] = level.record.text
            data["location"] = f"_dmarc.{level.name}"
            data["tags"] = dict(level.record.tags)
            tag, policy = self.applied(level)
            unknown = self.effective_policy().unknown  # the walk, or whether the name exists
            data["applied_tag"] = None if unknown else tag
            data["policy"] = None if unknown else policy
            headline = f"found at _dmarc.{level.name}"
        return Section("dmarc", "DMARC", tuple(findings), headline, data)

    def _location(self, level: Level | None) -> Location | None:
        """The zone file line of the record the policy came from, a parent's when inherited."""
        zones = zone_files(self.crawler)
        own = record_location(self.levels[0].answer, zones, "v=dmarc1")
        if own is not None and own.line is not None:
            return own
        used = level.answer if level is not None and level.record is not None else None
        found = record_location(used, zones, "v=dmarc1")
        if found is not None:
            return found
        # no policy record to name: the nearest parent record the walk found
        for parent in self.levels[1:]:
            if "." not in parent.name:
                break  # a top-level domain's record is never the domain's own
            found = record_location(parent.answer, zones, "v=dmarc1")
            if found is not None and found.line is not None:
                return found
        return own

    def effective_policy(self) -> AppliedPolicy:
        """The policy that applies to the domain, which tag and record it came from (BIMI)."""
        disc = self.discovery
        if disc is None or (self.levels[0].record is None and disc.unknown):
            return AppliedPolicy(None, None, "", {}, unknown=True)
        level = disc.policy_level
        if level is None or level.record is None:
            return AppliedPolicy(None, None, "", {})
        if self.existence_decides(level):
            return AppliedPolicy(None, None, "", {}, unknown=True)
        tag, policy = self.applied(level)
        return AppliedPolicy(tag, policy, f"_dmarc.{level.name}", dict(level.record.tags))

    def applied(self, level: Level) -> tuple[str, str | None]:
        record = level.record
        assert record is not None
        if level.name == self.domain:
            return "p", record.policy("p")
        exists = self._domain_exists() if callable(self._domain_exists) else True
        order = ("np", "sp", "p") if exists is False else ("sp", "p")
        for tag in order:
            if record.policy(tag) is not None:
                return tag, record.policy(tag)
        return "p", None

    def existence_decides(self, level: Level) -> bool:
        """True when np= and sp= differ for an inherited policy and whether the domain exists
        could not be determined: the policy that applies is then unknown."""
        record = level.record
        if record is None or level.name == self.domain or record.policy("np") is None:
            return False
        exists = self._domain_exists() if callable(self._domain_exists) else True
        if exists is not None:
            return False
        otherwise = record.policy("sp") or record.policy("p")
        return record.policy("np") != otherwise

    def _findings(self) -> list[Finding]:
        disc = self.discovery
        assert disc is not None
        out: list[Finding] = []
        own = self.levels[0]
        if len(own.records) > 1:
            out.append(
                finding(
                    "dmarc.multiple",
                    Status.FAIL,
                    f"{len(own.records)} DMARC records at _dmarc.{self.domain}: "
                    "receivers discard them all",
                    evidence=list(own.records),
                )
            )
        out.extend(self._apex())
        level = disc.policy_level
        if own.record is None and disc.unknown:
            # a level we could not ask may hold the record that decides (RFC 9989 4.10)
            err = disc.unknown[0].answer
            assert err is not None
            return [
                *out,
                finding(
                    "dmarc.record",
                    Status.ERROR,
                    f"could not determine the DMARC policy: {err.error_text()}",
                    evidence=[err.error_text()],
                ),
            ]
        if level is None or level.record is None:
            if disc.errors:
                err = disc.errors[0].answer
                assert err is not None
                return [
                    *out,
                    finding(
                        "dmarc.record",
                        Status.ERROR,
                        f"could not determine the DMARC policy: {err.error_text()}",
                        evidence=[err.error_text()],
                    ),
                ]
            if not any(f.id == "dmarc.multiple" for f in out):
                out.append(
                    finding(
                        "dmarc.missing",
                        Status.FAIL,
                        f"no DMARC record at _dmarc.{self.domain} or its parents",
                    )
                )
            return out
        record = level.record
        origin = self._origin(level)
        evidence = [record.text + (f"  ({origin})" if origin else "")]
        if level.name == self.domain:
            out.append(
                finding(
                    "dmarc.record", Status.PASS, f"found at _dmarc.{level.name}", evidence=evidence
                )
            )
        else:
            tag, policy = self.applied(level)
            closer = "".join(
                f"; _dmarc.{lv.name} is closer but receivers pass over it "
                f"({lv.name} is not the Organizational Domain)"
                for lv in disc.passed_over
            )
            out.append(
                finding(
                    "dmarc.inherited",
                    Status.INFO,
                    f"no record of its own: inherited from _dmarc.{level.name} "
                    f"({tag}={policy or 'none'} applies){closer}",
                    evidence=evidence
                    + [lv.records[0] + f"  (_dmarc.{lv.name})" for lv in disc.passed_over],
                )
            )
        out.extend(self._org_domain(disc))
        out.extend(self._tags(level, record))
        out.extend(self.destinations.findings(level, record, self._external, disc))
        return out

    @staticmethod
    def _origin(level: Level) -> str:
        if level.answer is None:
            return ""
        for rec in level.answer.records:
            if rec.origin is not None and is_dmarc(decode(rec.txt)):
                return str(rec.origin)
        return ""

    def _apex(self) -> list[Finding]:
        if self.apex is None or not self.apex.records:
            return []
        if any(is_dmarc(decode(t)) for t in self.apex.texts()):
            return [
                finding(
                    "dmarc.record-at-apex",
                    Status.WARN,
                    f"a v=DMARC1 record at {self.domain} itself has no effect",
                )
            ]
        return []

    def _org_domain(self, disc: Discovery) -> list[Finding]:
        psl = psl_org_domain(self.domain)
        level = disc.policy_level
        if disc.unknown:
            first = disc.unknown[0].answer
            why = first.outcome.value if first is not None else "no answer"
            names = ", ".join(f"_dmarc.{lv.name}" for lv in disc.unknown)
            return [
                finding(
                    "dmarc.org-domain",
                    Status.INFO,
                    f"Organizational Domain: {disc.org_domain} as far as the tree walk could "
                    f"tell; {names} could not be asked ({why})",
                )
            ]
        if psl == disc.org_domain:
            if disc.org_domain == self.domain:
                return []
            return [
                finding(
                    "dmarc.org-domain",
                    Status.INFO,
                    f"Organizational Domain: {disc.org_domain} (tree walk and Public "
                    "Suffix List agree)",
                )
            ]
        # RFC 7489: the author domain's record, else the PSL Organizational Domain's.
        legacy = (
            self.levels[0]
            if self.levels[0].record is not None
            else next((lv for lv in self.levels if lv.name == psl and lv.record is not None), None)
        )
        if legacy is not level:
            where = f"_dmarc.{legacy.name}" if legacy is not None else "no record"
            found = f"_dmarc.{level.name}" if level is not None else "no record"
            return [
                finding(
                    "dmarc.org-domain",
                    Status.WARN,
                    f"receivers disagree: RFC 9989 (tree walk) uses {found}, RFC 7489 "
                    f"(Public Suffix List, Organizational Domain {psl}) uses {where}",
                    hint="Publish a record at _dmarc." + self.domain + " so every "
                    "receiver finds the same policy.",
                )
            ]
        return [
            finding(
                "dmarc.org-domain",
                Status.INFO,
                f"Organizational Domain is {disc.org_domain} by the RFC 9989 tree walk "
                f"but {psl} by the Public Suffix List: relaxed alignment differs "
                "between receivers",
            )
        ]

    def _tags(self, level: Level, record: DmarcRecord) -> list[Finding]:
        out = []
        for problem in record.syntax:
            out.append(
                finding(
                    "dmarc.syntax",
                    Status.FAIL,
                    problem,
                    evidence=[record.text],
                )
            )
        for tag in record.duplicates:
            out.append(finding("dmarc.syntax", Status.FAIL, f"tag {tag}= appears more than once"))
        out.extend(self._policy(level, record))
        out.extend(other_tags(record))
        return out

    def _policy(self, level: Level, record: DmarcRecord) -> list[Finding]:
        """Judge the policy that applies to this domain: p= for its own record, sp= (np= for
        a name that does not exist) for a record inherited from a parent."""
        out = []
        if self.existence_decides(level):
            return [
                finding(
                    "dmarc.policy",
                    Status.ERROR,
                    f"could not determine whether np= or sp= applies (from _dmarc.{level.name}):"
                    f" whether {self.domain} exists is unknown (its MX lookup failed)",
                )
            ]
        tag, applied = self.applied(level)
        p = record.policy("p")
        inherited = level.name != self.domain
        where = f" (from _dmarc.{level.name})" if inherited else ""
        if applied is None:
            p_raw = record.get("p")
            has_rua = any(not u.error for u in record.uris("rua"))
            effect = "treated as p=none" if has_rua else "the record is ignored (no valid rua=)"
            what = "missing" if p_raw is None else f"invalid ({p_raw!r})"
            out.append(
                finding("dmarc.policy-invalid", Status.FAIL, f"p= is {what}{where}: {effect}")
            )
        elif applied == "none":
            subject = f"{self.domain}: " if inherited else ""
            out.append(
                finding(
                    "dmarc.policy-none",
                    Status.WARN,
                    f"{subject}{tag}=none applies{where}: failing mail is delivered; move to "
                    "quarantine, then reject",
                )
            )
        else:
            verb = "reject" if applied == "reject" else "quarantine"
            out.append(
                finding(
                    "dmarc.policy",
                    Status.PASS,
                    f"{tag}={applied} applies{where}: receivers {verb} mail that fails DMARC"
                    if inherited
                    else f"p={applied}: receivers {verb} mail that fails DMARC",
                )
            )
        if inherited:
            return out  # sp=/np= are judged above as what applies to this name
        base = _STRENGTH.get(p or "none", 0)
        for sub_tag in ("sp", "np"):
            raw = record.get(sub_tag)
            if raw is None:
                continue
            value = record.policy(sub_tag)
            if value is None:
                out.append(
                    finding(
                        "dmarc.subdomain-policy",
                        Status.WARN,
                        f"{sub_tag}={raw} is not one of {', '.join(POLICIES)}: ignored",
                    )
                )
            elif _STRENGTH[value] < base:
                scope = "subdomains" if sub_tag == "sp" else "non-existent subdomains"
                out.append(
                    finding(
                        "dmarc.subdomain-policy",
                        Status.WARN,
                        f"{sub_tag}={value} is weaker than p={p}: spoofed {scope} are not blocked",
                    )
                )
        return out
