"""`mailcheck report`: parse every report found, count duplicates once, look up PTRs and (with
--check-dns) today's SPF and DKIM, and return one Report per domain (plus inputs' problems)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from mailcheck.feedback.aggregate import AggregateReport, ReportError, parse_json, parse_xml
from mailcheck.feedback.failure import FailureReport, parse_arf
from mailcheck.feedback.judge import LEGITIMATE, REVIEW, Failing, Ptr, Recheck, summarise
from mailcheck.feedback.tlsrpt import (
    TlsReport,
    load_json,
    looks_like_dmarc_json,
    looks_like_tlsrpt,
    not_a_report,
    parse_tlsrpt,
)
from mailcheck.feedback.unpack import Blob, Item, Problem, Skipped
from mailcheck.model import Report
from mailcheck.net.dns.engine import DnsEngine

MAX_PTR = 5000  # reverse lookups per run; further sources show "(not looked up)"


@dataclass(frozen=True)
class ReportRequest:
    """What `report` does beyond reading: DNS checks, the unaligned-source limit."""

    lookups: bool = True  # PTR lookups (off with --offline)
    check_dns: bool = False
    max_unaligned: float | None = None


@dataclass
class Collected:
    """Everything read from the inputs of `report`, and what could not be read."""

    aggregate: list[AggregateReport] = field(default_factory=list)
    tls: list[TlsReport] = field(default_factory=list)
    failures: list[FailureReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # (kind, "reporter report-id", source, domain)
    duplicates: list[tuple[str, str, str, str]] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    carriers: dict[str, bool] = field(default_factory=dict)  # message id -> all its reports read

    def _first(self, kind: str, key: tuple[str, str], source: str, domain: str = "") -> bool:
        full = (kind, *key)
        if full in self.seen:
            self.duplicates.append((kind, f"{key[0]} {key[1]}", source, domain))
            return False
        self.seen.add(full)
        return True

    def add(self, item: Item) -> None:
        if isinstance(item, Skipped):
            self.skipped.append(item)
            return
        if isinstance(item, Problem):
            self.problems.append(item)
            if item.message_id:  # a message with an unreadable report stays where it is
                self.carriers[item.message_id] = False
            return
        try:
            self._parse(item)
        except Exception as exc:  # hostile input must not end the run; the type names the cause
            why = (
                str(exc)
                if isinstance(exc, ReportError)
                else (f"could not be read ({type(exc).__name__}: {exc})")
            )
            self.problems.append(Problem(item.source, why, refs=_format_refs(item)))
            if item.message_id:
                self.carriers[item.message_id] = False
            return
        if item.message_id:
            self.carriers.setdefault(item.message_id, True)

    def _parse(self, blob: Blob) -> None:
        if blob.kind == "xml":
            report = parse_xml(blob.data, blob.source)
            if self._first("aggregate", report.key, blob.source, report.policy.domain):
                self.aggregate.append(report)
        elif blob.kind == "json":
            tree = load_json(blob.data)
            if looks_like_tlsrpt(tree):
                tls = parse_tlsrpt(tree, blob.source)
                if self._first("tls", tls.key, blob.source):
                    self.tls.append(tls)
            elif looks_like_dmarc_json(tree):
                report = parse_json(blob.data, blob.source)
                if self._first("aggregate", report.key, blob.source, report.policy.domain):
                    self.aggregate.append(report)
            else:
                raise ReportError(not_a_report(tree))
        else:
            failure = parse_arf(blob.data, blob.source)
            if self._first("failure", failure.key, blob.source):
                self.failures.append(failure)


# JSON is the format of SMTP TLS reports (RFC 8460 §4); DMARC aggregate reports are XML
# (RFC 9990), read in JSON too when they look like one
_DMARC_JSON = (b'"feedback"', b'"report_metadata"', b'"policy_published"')


def _format_refs(blob: Blob) -> tuple[str, ...]:
    """The standard a report that could not be read is cited against: its format's."""
    if blob.kind == "json" and not any(mark in blob.data for mark in _DMARC_JSON):
        return ("RFC 8460 §4",)
    if blob.kind == "arf":
        return ("RFC 9991", "RFC 6591")
    return ()


def collect(items: Iterable[Item]) -> Collected:
    collected = Collected()
    for item in items:
        collected.add(item)
    return collected


# -- lookups ------------------------------------------------------------------------------


def lookup_ptrs(engine: DnsEngine, ips: Iterable[str]) -> dict[str, Ptr]:
    """Reverse names for every source, asked all at once through the engine."""
    import dns.reversename

    from mailcheck.net.dns.answer import Outcome

    wanted = sorted(set(ips))
    asked = wanted[:MAX_PTR]
    futures = {ip: engine.submit(dns.reversename.from_address(ip).to_text(), "PTR") for ip in asked}
    out: dict[str, Ptr] = {}
    for ip, future in futures.items():
        answer = future.result()
        if answer.outcome is Outcome.OFFLINE:
            out[ip] = Ptr("", "offline")
        elif answer.outcome.is_error:
            out[ip] = Ptr("", "error", answer.describe())
        elif answer.records:
            names = sorted(r.text.rstrip(".").lower() for r in answer.records)
            out[ip] = Ptr(names[0], "found")
        else:
            out[ip] = Ptr("", "none")
    return out


def recheck(engine: DnsEngine, failing: Failing) -> Recheck | None:
    """Today's SPF (check_host for the IP) and DKIM keys (selectors seen) for one source."""
    from mailcheck.checks.spf import evaluate
    from mailcheck.feedback.judge import org_domain as psl_org_domain

    if failing.category not in (*LEGITIMATE, *REVIEW):
        return None
    author = failing.header_from
    org = psl_org_domain(author)
    own = sorted(d for d in failing.envelope if d and psl_org_domain(d) == org) or [author]
    notes: list[str] = []
    spf_now = []
    for domain in own[:3]:
        result = evaluate(engine, failing.ip, f"postmaster@{domain}", domain)
        spf_now.append(result.result)
        notes.append(f"SPF check_host({failing.ip}, {domain}) now: {result.result}")
    keys = _dkim_now(engine, failing, org, notes)
    if "temperror" in spf_now or "unknown" in keys:
        return Recheck("unknown", "could not determine: " + "; ".join(notes))
    detail = "; ".join(notes)
    if failing.category == "spf-fail":
        if "pass" in spf_now:
            return Recheck("fixed", f"fixed since the report: {detail}")
        return Recheck("still-failing", f"still failing: {detail}")
    if failing.category == "dkim-broken":
        if "published" in keys:
            return Recheck("fixed", f"fixed since the report: {detail}")
        if "missing" in keys:
            return Recheck("still-failing", f"still failing: {detail}")
        return Recheck("not-dns", f"the key is published; the signature itself failed: {detail}")
    return Recheck(
        "not-dns",
        f"alignment is set at the sender (Return-Path or DKIM d=), not in your DNS: {detail}",
    )


def _dkim_now(engine: DnsEngine, failing: Failing, org: str, notes: list[str]) -> set[str]:
    from mailcheck.escape import decode
    from mailcheck.feedback.judge import org_domain as psl_org_domain
    from mailcheck.records.dkim import looks_like_dkim, parse_dkim_key

    states: set[str] = set()
    for domain, selector, result in sorted(failing.dkim_seen):
        if not selector or result == "pass" or psl_org_domain(domain) != org:
            continue
        name = f"{selector}._domainkey.{domain}"
        answer = engine.resolve(name, "TXT")
        if answer.outcome.is_error:
            notes.append(f"DKIM key {name}: {answer.describe()}")
            states.add("unknown")
            continue
        texts = [decode(t) for t in answer.texts() if looks_like_dkim(decode(t))]
        key = parse_dkim_key(texts[0]) if len(texts) == 1 else None
        if key is None or key.revoked or key.error:
            why = "none" if not texts else "unusable"
            notes.append(f"DKIM key {name}: {why} (was {result})")
            states.add("missing")
        elif result in ("fail",):
            notes.append(f"DKIM key {name}: published (the signature failed: {result})")
            states.add("present")
        else:
            notes.append(f"DKIM key {name}: published now (was {result})")
            states.add("published")
    return states


# -- the whole run ----------------------------------------------------------------------------


def build_reports(
    collected: Collected, engine: DnsEngine | None, request: ReportRequest
) -> Iterator[Report]:
    from mailcheck.feedback.findings import (
        aggregate_report,
        failure_reports,
        input_report,
        tls_reports,
    )
    from mailcheck.feedback.judge import org_domain as psl_org_domain

    ips = {row.source_ip for r in collected.aggregate for row in r.rows}
    ips |= {f.source_ip for f in collected.failures if f.source_ip}
    ptrs = lookup_ptrs(engine, ips) if engine is not None and request.lookups else {}
    summaries = summarise(collected.aggregate, ptrs, psl_org_domain)
    for domain in sorted(summaries):
        summary = summaries[domain]
        if request.check_dns and engine is not None:
            for failing in summary.failing.values():
                failing.recheck = recheck(engine, failing)
        reports = [r for r in collected.aggregate if r.policy.domain == domain]
        duplicates = [d[2] for d in collected.duplicates if d[0] == "aggregate" and d[3] == domain]
        yield aggregate_report(summary, reports, ptrs, request, duplicates)
    yield from failure_reports(collected.failures, ptrs)
    yield from tls_reports(collected.tls)
    extra = input_report(collected)
    if extra is not None:
        yield extra
