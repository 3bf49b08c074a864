"""TLS reporting (RFC 8460): the _smtp._tls record and its report URIs."""

from __future__ import annotations

from mailcheck.catalog import finding
from mailcheck.checks import libs
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.escape import decode
from mailcheck.model import Finding, Section, Status
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.crawl import Crawler


class TlsRptCheck:
    family = "tls-rpt"

    def __init__(self, domain: str, crawler: Crawler) -> None:
        self.domain = domain
        self.crawler = crawler
        self.answer: Answer | None = None

    def start(self) -> None:
        self.crawler.ask(f"_smtp._tls.{self.domain}", "TXT", self._on_txt)

    def _on_txt(self, answer: Answer) -> None:
        self.answer = answer
        if self._records():
            self.crawler.spawn(libs.load_checkdmarc, lambda _none: None)

    def _records(self) -> list[str]:
        if self.answer is None:
            return []
        return [decode(t) for t in self.answer.texts() if decode(t).startswith("v=TLSRPTv1")]

    def section(self, *, mta_sts: bool, dane: bool) -> Section:
        records = self._records()
        data = {"record": records[0] if len(records) == 1 else None}
        where = record_location(self.answer, zone_files(self.crawler), "v=tlsrptv1")
        findings = located(self._findings(records, mta_sts, dane), where)
        return Section("tls-rpt", "TLS-RPT", findings, "", data)

    def _findings(self, records: list[str], mta_sts: bool, dane: bool) -> list[Finding]:
        answer = self.answer
        assert answer is not None
        name = f"_smtp._tls.{self.domain}"
        if answer.outcome.is_error:
            return [
                finding(
                    "tls-rpt.record", Status.ERROR, f"could not look up {name}: {answer.describe()}"
                )
            ]
        if not records:
            uses = " and ".join(x for x, on in (("MTA-STS", mta_sts), ("DANE", dane)) if on)
            if uses:
                return [
                    finding(
                        "tls-rpt.missing",
                        Status.WARN,
                        f"{uses} deployed without TLS reporting: you will not hear "
                        "about failed TLS deliveries",
                    )
                ]
            return [finding("tls-rpt.missing", Status.INFO, "no TLS reporting record")]
        if len(records) > 1:
            return [
                finding(
                    "tls-rpt.record",
                    Status.FAIL,
                    f"{len(records)} TLS-RPT records at {name}: senders ignore them",
                    evidence=list(records),
                )
            ]
        try:
            parsed = libs.tls_reporting().parse_smtp_tls_reporting_record(records[0])
        except libs.tls_reporting_errors() as exc:
            return [
                finding(
                    "tls-rpt.record",
                    Status.FAIL,
                    f"invalid record: {libs.library_error(exc)}",
                    evidence=[records[0]],
                )
            ]
        uris = parsed["tags"]["rua"]["value"]
        out = [
            finding(
                "tls-rpt.record",
                Status.PASS,
                f"reports go to {', '.join(uris)}",
                evidence=[records[0]],
            )
        ]
        out.extend(finding("tls-rpt.record", Status.WARN, w) for w in parsed["warnings"])
        return out
