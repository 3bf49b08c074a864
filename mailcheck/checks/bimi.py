"""BIMI: the default._bimi record, the SVG logo and the mark certificate, DMARC eligibility."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailcheck.catalog import finding
from mailcheck.checks import libs
from mailcheck.checks.dmarc import AppliedPolicy
from mailcheck.checks.mta_sts import FetchOptions, fetch_failure, fetch_with
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.escape import decode
from mailcheck.model import Finding, Section, Status
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.crawl import Crawler
from mailcheck.records.bimi import BimiRecord, is_bimi, parse_bimi

if TYPE_CHECKING:
    from mailcheck.net.http import HttpResult

LOGO_MAX_BYTES = 32 * 1024
EVIDENCE_MAX_BYTES = 64 * 1024


class BimiCheck:
    family = "bimi"

    def __init__(
        self, domain: str, crawler: Crawler, options: FetchOptions, selector: str = "default"
    ) -> None:
        self.domain = domain
        # the BIMI-Selector header's s= value (--bimi-selector); receivers use default without it
        self.selector = selector
        self.crawler = crawler
        self.options = options
        self.answer: Answer | None = None
        self.logo: HttpResult | None = None
        self.evidence: HttpResult | None = None

    def start(self) -> None:
        self.crawler.ask(self.record_name, "TXT", self._on_txt)

    @property
    def record_name(self) -> str:
        return f"{self.selector}._bimi.{self.domain}"

    def records(self) -> list[BimiRecord]:
        if self.answer is None:
            return []
        return [parse_bimi(decode(t)) for t in self.answer.texts() if is_bimi(decode(t))]

    def _on_txt(self, answer: Answer) -> None:
        self.answer = answer
        records = self.records()
        if len(records) != 1:
            return
        record = records[0]
        self.crawler.spawn(libs.load_checkdmarc, lambda _none: None)
        engine, opts = self.crawler.engine, self.options
        if record.logo.lower().startswith("https://"):
            url = record.logo
            self.crawler.spawn(
                lambda: fetch_with(
                    url, engine, opts, max_bytes=LOGO_MAX_BYTES, accept="image/svg+xml"
                ),
                self._on_logo,
            )
        if record.evidence.lower().startswith("https://"):
            url_a = record.evidence
            self.crawler.spawn(
                lambda: fetch_with(url_a, engine, opts, max_bytes=EVIDENCE_MAX_BYTES),
                self._on_evidence,
            )

    def _on_logo(self, result: HttpResult) -> None:
        self.logo = result

    def _on_evidence(self, result: HttpResult) -> None:
        self.evidence = result

    # -- judgement --------------------------------------------------------------------

    def section(self, dmarc_policy: AppliedPolicy) -> Section:
        records = self.records()
        where = record_location(self.answer, zone_files(self.crawler), "v=bimi1")
        findings = located(self._findings(records, dmarc_policy), where)
        data: dict[str, Any] = {"record": records[0].text if len(records) == 1 else None}
        return Section("bimi", "BIMI", tuple(findings), "", data)

    def _findings(self, records: list[BimiRecord], dmarc_policy: AppliedPolicy) -> list[Finding]:
        answer = self.answer
        assert answer is not None
        name = self.record_name
        if answer.outcome.is_error:
            return [
                finding(
                    "bimi.record", Status.ERROR, f"could not look up {name}: {answer.describe()}"
                )
            ]
        if not records:
            where = "" if self.selector == "default" else f" at {name}"
            return [finding("bimi.record", Status.INFO, f"no BIMI record{where} (optional)")]
        if len(records) > 1:
            return [
                finding(
                    "bimi.record",
                    Status.FAIL,
                    f"{len(records)} BIMI records at {name}: none is used",
                )
            ]
        record = records[0]
        evidence = [record.text]
        if record.syntax:
            # eligibility is judged too: fixing the record alone may not be enough
            return [
                *(finding("bimi.record", Status.FAIL, p, evidence=evidence) for p in record.syntax),
                *self._eligibility(dmarc_policy),
            ]
        if record.declined:
            return [
                finding(
                    "bimi.record",
                    Status.INFO,
                    "declination record: the domain publishes no logo",
                    evidence=evidence,
                )
            ]
        out = [
            finding(
                "bimi.record",
                Status.PASS,
                f"l={record.logo or '(none)'} a={record.evidence or '(none)'}",
                evidence=evidence,
            )
        ]
        out.extend(self._eligibility(dmarc_policy))
        out.extend(self._logo())
        out.extend(self._evidence())
        return out

    @staticmethod
    def _eligibility(applied: AppliedPolicy) -> list[Finding]:
        """BIMI needs an enforced DMARC policy: the one that applies to this name (sp= for a
        subdomain under its parent's record, np= for a name that does not exist)."""
        if applied.unknown:
            return [
                finding(
                    "bimi.eligible",
                    Status.ERROR,
                    "could not determine BIMI eligibility: the DMARC policy is unknown",
                )
            ]
        policy = applied.policy
        where = f"{applied.tag}={policy} from {applied.record_name}" if policy else ""
        reasons = []
        if policy not in ("quarantine", "reject"):
            shown = where or "missing"
            reasons.append(
                f"the DMARC policy is {policy or 'missing'} ({shown}; quarantine or reject needed)"
                if policy
                else "there is no DMARC policy (quarantine or reject needed)"
            )
        pct = applied.tags.get("pct", "100").strip()
        # RFC 7489: pct below 100 applies the policy to part of the failing mail only; a value
        # out of range is ignored by receivers (so it reduces nothing)
        if pct.isdigit() and int(pct) < 100:
            reasons.append(
                f"pct={pct} applies the policy to {pct}% of failing mail only (pct=100 needed)"
            )
        if reasons:
            return [
                finding(
                    "bimi.eligible",
                    Status.FAIL,
                    "not BIMI-eligible: " + "; ".join(reasons),
                    hint="Move the DMARC policy that applies to this domain to quarantine or "
                    "reject, without pct= below 100.",
                )
            ]
        return [
            finding("bimi.eligible", Status.PASS, f"DMARC {where} makes the domain BIMI-eligible")
        ]

    def _logo(self) -> list[Finding]:
        result = self.logo
        if result is None:
            return []
        if result.error:
            return [fetch_failure("bimi.logo", result.url, result)]
        out = []
        media = result.content_type.split(";")[0].strip().lower()
        if media != "image/svg+xml":
            out.append(
                finding(
                    "bimi.logo",
                    Status.WARN,
                    f"Content-Type is {result.content_type or 'missing'}, not image/svg+xml",
                )
            )
        bimi = libs.bimi()
        try:
            meta = bimi.get_svg_metadata(result.body)
        except libs.bimi_errors() as exc:
            return [*out, finding("bimi.logo", Status.FAIL, f"logo: {libs.library_error(exc)}")]
        problems = bimi.check_svg_requirements(meta)
        if problems:
            out.extend(finding("bimi.logo", Status.FAIL, f"logo: {p}") for p in problems)
        else:
            out.append(
                finding(
                    "bimi.logo",
                    Status.PASS,
                    (
                        f"SVG Tiny PS logo ({meta.get('filesize', '?')}, "
                        f"title {meta.get('title', '')!r})"
                    ),
                )
            )
        return out

    def _evidence(self) -> list[Finding]:
        result = self.evidence
        if result is None:
            return [
                finding(
                    "bimi.evidence",
                    Status.INFO,
                    "no a= mark certificate: Gmail and Apple Mail show logos only "
                    "with a VMC or CMC",
                )
            ]
        if result.error:
            return [fetch_failure("bimi.evidence", result.url, result)]
        try:
            meta = libs.bimi().get_certificate_metadata(result.body, domain=self.domain)
        except libs.bimi_errors() as exc:
            return [
                finding(
                    "bimi.evidence",
                    Status.FAIL,
                    f"mark certificate does not parse: {libs.library_error(exc)}",
                )
            ]
        errors = meta.get("validation_errors", [])
        out = [finding("bimi.evidence", Status.FAIL, e) for e in errors]
        out.extend(finding("bimi.evidence", Status.WARN, w) for w in meta.get("warnings", []))
        if not errors:
            out.append(finding("bimi.evidence", Status.PASS, "mark certificate is valid"))
        return out
