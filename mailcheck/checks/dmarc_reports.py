"""DMARC report destinations (rua=, ruf=): each domain accepts mail, and one outside the
Organizational Domain has authorised the reports (RFC 9990 4)."""

from __future__ import annotations

from collections.abc import Callable

from mailcheck.catalog import finding
from mailcheck.checks.dmarc_walk import Discovery, Level
from mailcheck.escape import decode
from mailcheck.model import Finding, Status
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.crawl import Crawler
from mailcheck.records.dmarc import DmarcRecord, ReportUri, is_dmarc

# Report domains looked up (MX, A, AAAA, authorisation): bounded work for a hostile record.
MAX_DESTINATIONS = 10

# Is a report domain outside the Organizational Domain? None: could not be determined.
External = Callable[[str], "bool | None"]


class ReportDestinations:
    """The lookups about one record's report domains, and the judgement over them."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.authorizations: dict[str, Answer] = {}
        self.report_mx: dict[str, dict[str, Answer]] = {}
        self.unchecked_destinations = 0

    def ask(self, level: Level, record: DmarcRecord, external: External) -> None:
        """Ask each report domain's MX and addresses, and an external one's authorisation."""
        for uri in record.uris("rua") + record.uris("ruf"):
            if uri.error or uri.scheme != "mailto" or not uri.domain:
                continue
            dest = uri.domain
            if dest not in self.report_mx and len(self.report_mx) >= MAX_DESTINATIONS:
                self.unchecked_destinations += 1
                continue
            if dest not in self.report_mx:
                self.report_mx[dest] = {}
                for rdtype in ("MX", "A", "AAAA"):
                    self.crawler.store(dest, rdtype, self.report_mx[dest], rdtype)
            if external(dest) is not False and dest not in self.authorizations:
                name = f"{level.name}._report._dmarc.{dest}"
                self.crawler.store(name, "TXT", self.authorizations, dest)

    def findings(
        self, level: Level, record: DmarcRecord, external: External, disc: Discovery | None
    ) -> list[Finding]:
        """rua/ruf present, and for each destination: usable, accepting mail, authorised."""
        out = []
        rua = record.uris("rua")
        if not rua:
            out.append(
                finding("dmarc.no-rua", Status.WARN, "no rua=: you receive no aggregate reports")
            )
        ruf = record.uris("ruf")
        if ruf:
            out.append(
                finding(
                    "dmarc.ruf",
                    Status.INFO,
                    f"ruf= asks for failure reports ({len(ruf)} destination"
                    f"{'s' if len(ruf) > 1 else ''}); few receivers send them",
                )
            )
        seen: set[str] = set()
        for tag, uris in (("rua", rua), ("ruf", ruf)):
            for uri in uris:
                out.extend(self._uri(level, tag, uri, seen, external, disc))
        if self.unchecked_destinations:
            out.append(
                finding(
                    "dmarc.report-uri",
                    Status.WARN,
                    f"{self.unchecked_destinations} more report destinations not checked (the "
                    f"first {MAX_DESTINATIONS} domains are); receivers need honour only two",
                    hint="List one or two report addresses.",
                )
            )
        return out

    def _uri(
        self,
        level: Level,
        tag: str,
        uri: ReportUri,
        seen: set[str],
        external_to: External,
        disc: Discovery | None,
    ) -> list[Finding]:
        shown = uri.raw
        if uri.error:
            return [finding("dmarc.report-uri", Status.FAIL, f"{tag}: '{shown}' {uri.error}")]
        if uri.scheme != "mailto":
            return [
                finding(
                    "dmarc.report-uri",
                    Status.INFO,
                    f"{tag}: '{shown}': receivers need only support mailto:",
                )
            ]
        dest = uri.domain
        if dest in seen:
            return []
        seen.add(dest)
        out = self._accepts_mail(tag, dest)
        external = external_to(dest)
        if external is False:
            return out  # inside one Organizational Domain: no authorisation needed
        answer = self.authorizations.get(dest)
        record_name = f"{level.name}._report._dmarc.{dest}"
        if answer is None:
            return out
        authorised = not answer.outcome.is_error and any(
            is_dmarc(decode(t)) for t in answer.texts()
        )
        if external is None and not authorised:
            level_error = disc.unknown[0].answer if disc and disc.unknown else None
            why = level_error.error_text() if level_error else "part of the walk failed"
            out.append(
                finding(
                    "dmarc.rua-unauthorized",
                    Status.ERROR,
                    f"could not determine whether {dest} is inside the Organizational Domain "
                    f"(and needs no authorisation): {why}",
                )
            )
            return out
        if answer.outcome.is_error:
            out.append(
                finding(
                    "dmarc.rua-unauthorized",
                    Status.ERROR,
                    f"could not check the authorisation of {dest}: {answer.describe()}",
                    evidence=[answer.error_text()],
                )
            )
        elif any(is_dmarc(decode(t)) for t in answer.texts()):
            out.append(
                finding(
                    "dmarc.rua-unauthorized",
                    Status.PASS,
                    f"{dest} accepts reports for {level.name}",
                    evidence=[f'{record_name} TXT "v=DMARC1"'],
                )
            )
        else:
            out.append(
                finding(
                    "dmarc.rua-unauthorized",
                    Status.FAIL,
                    f"{dest} has not authorised reports for {level.name}",
                    hint=f'ask them to publish {record_name} TXT "v=DMARC1"',
                )
            )
        return out

    def _accepts_mail(self, tag: str, dest: str) -> list[Finding]:
        answers = self.report_mx.get(dest, {})
        mx = answers.get("MX")
        if mx is None:
            return []
        if mx.outcome.is_error:
            return [
                finding(
                    "dmarc.report-domain-mail",
                    Status.ERROR,
                    f"{tag}: could not check whether {dest} accepts mail: {mx.describe()}",
                )
            ]
        if mx.outcome is Outcome.NXDOMAIN:
            return [
                finding(
                    "dmarc.report-domain-mail",
                    Status.FAIL,
                    f"{tag}: report domain {dest} does not exist",
                )
            ]
        hosts = [r.rdata.exchange.to_text(omit_final_dot=True) for r in mx.records]
        if hosts == ["."]:
            return [
                finding(
                    "dmarc.report-domain-mail",
                    Status.FAIL,
                    f"{tag}: report domain {dest} publishes a null MX (accepts no mail)",
                )
            ]
        if not hosts and not any(
            answers.get(t) is not None and answers[t].records for t in ("A", "AAAA")
        ):
            return [
                finding(
                    "dmarc.report-domain-mail",
                    Status.FAIL,
                    f"{tag}: report domain {dest} has no MX and no address",
                )
            ]
        return []
