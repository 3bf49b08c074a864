"""Judged report data to Reports: findings with stable ids, and the rows JSON and CSV carry.
Every untrusted string passes printable() before it enters a finding."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mailcheck.catalog import finding
from mailcheck.escape import printable
from mailcheck.feedback.aggregate import AggregateReport, iso_day
from mailcheck.feedback.judge import (
    CATEGORY_TEXT,
    LEGITIMATE,
    DomainSummary,
    Failing,
    Ptr,
    classify,
    readiness,
    source_org,
)
from mailcheck.feedback.tlsrpt import COMMAND_FOR, EXPLAINED_BY
from mailcheck.model import Finding, Report, Section, Status

if TYPE_CHECKING:
    from mailcheck.feedback.failure import FailureReport
    from mailcheck.feedback.tlsrpt import TlsReport
    from mailcheck.services.report import Collected, ReportRequest

MAX_SOURCE_FINDINGS = 50
_VERDICT_STATUS = {
    "ready": Status.PASS,
    "review": Status.WARN,
    "not-ready": Status.WARN,
    "final": Status.INFO,
    "no-data": Status.INFO,
}
_RECHECK_STATUS = {
    "fixed": Status.PASS,
    "still-failing": Status.WARN,
    "unknown": Status.ERROR,
    "not-dns": Status.INFO,
}


def _p(text: str) -> str:
    return printable(text, limit=300)


def clean(value: Any) -> Any:
    """Structured data for JSON and CSV, every string escaped like the findings (no control,
    bidi or undecodable characters survive into any format)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def _source_label(ip: str, ptr: Ptr) -> str:
    return f"{ip} ({ptr.name})" if ptr.name else ip


def _org_of(name: str) -> str:
    from mailcheck.feedback.judge import org_domain

    return org_domain(name)


def aggregate_report(
    summary: DomainSummary,
    reports: Sequence[AggregateReport],
    ptrs: Mapping[str, Ptr],
    request: ReportRequest,
    duplicates: Sequence[str],
) -> Report:
    verdict = readiness(summary)
    status = _VERDICT_STATUS[verdict.state]
    hint: str | None = None if verdict.state in ("not-ready", "review") else ""
    if verdict.state == "final" and summary.volume(LEGITIMATE)[0]:
        # at p=reject, your own unaligned senders are being rejected right now
        status = Status.WARN
        hint = "Fix the senders listed: receivers reject their mail now."
    findings: list[Finding] = [finding("report.readiness", status, _p(verdict.text), hint=hint)]
    findings.append(_unaligned(summary, request.max_unaligned))
    failing = summary.failing_sorted()
    for item in failing[:MAX_SOURCE_FINDINGS]:
        findings.append(_failing_finding(item))
        if item.recheck is not None:
            findings.append(
                finding(
                    "report.recheck",
                    _RECHECK_STATUS[item.recheck.state],
                    _p(f"{_source_label(item.ip, item.ptr)}: {item.recheck.detail}"),
                    subject=_p(item.ip),
                    hint="" if item.recheck.state in ("fixed", "not-dns") else None,
                )
            )
    if len(failing) > MAX_SOURCE_FINDINGS:
        rest = failing[MAX_SOURCE_FINDINGS:]
        findings.append(
            finding(
                "report.failing-source",
                Status.INFO,
                f"and {len(rest)} more failing sources ({sum(f.messages for f in rest)} "
                "messages): see --format json or csv",
                hint="",
            )
        )
    if duplicates:
        findings.append(
            finding(
                "report.duplicate",
                Status.INFO,
                f"{len(duplicates)} duplicate report(s) counted once",
                evidence=[_p(d) for d in duplicates[:20]],
            )
        )
    begin, end = iso_day(summary.begin)[:10], iso_day(summary.end)[:10]
    reporters = sorted({r.org_name for r in reports})
    policy = f"p={summary.policy}" + (
        f" pct={summary.pct}" if summary.pct not in (None, 100) else ""
    )
    headline = _p(
        f"{policy}   {begin} to {end}   {len(reports)} report(s) from "
        f"{len(reporters)} reporter(s)   {summary.total} messages, "
        f"{summary.passing} passing DMARC"
    )
    data = {
        "domain": summary.domain,
        "policy": {"p": summary.policy, "pct": summary.pct, "testing": summary.testing},
        "next_step": summary.next_step,
        "verdict": {"state": verdict.state, "text": verdict.text, "short": verdict.short},
        "period": {"begin": summary.begin, "end": summary.end},
        "messages": summary.total,
        "passing": summary.passing,
        "unaligned_percent": round(summary.unaligned_percent, 2),
        "dispositions": dict(sorted(summary.dispositions.items())),
        "overrides": dict(sorted(summary.overrides.items())),
        "days": [
            {"day": day, "messages": n, "passing": ok}
            for day, (n, ok) in sorted(summary.days.items())
        ],
        "reporters": [
            {"reporter": name, "messages": n, "passing": ok}
            for name, (n, ok) in sorted(summary.reporters.items(), key=lambda i: (-i[1][0], i[0]))
        ],
        "organizations": _organizations(summary),
        "failing": [_failing_dict(f) for f in failing],
        "reports": [_report_dict(r, ptrs) for r in reports],
    }
    section = Section("report", "DMARC aggregate reports", tuple(findings), headline, clean(data))
    return Report(
        kind="dmarc-report",
        subject=_p(summary.domain),
        sections=(section,),
        data={"verdict": verdict.state},
        dns=None,  # the run's queries are counted once, at the top: none is this report's own
    )


def _unaligned(summary: DomainSummary, limit: float | None) -> Finding:
    percent = summary.unaligned_percent
    legit_n, _m = summary.volume(LEGITIMATE)
    text = (
        f"{summary.unaligned} of {summary.total} messages ({percent:.1f}%) failed DMARC; "
        f"{legit_n} of them from senders that authenticate as another domain"
    )
    if limit is not None and percent > limit:
        return finding("report.unaligned", Status.FAIL, f"{text}: over --max-unaligned {limit:g}%")
    status = Status.PASS if summary.unaligned == 0 else Status.INFO
    suffix = f" (limit {limit:g}%)" if limit is not None else ""
    return finding("report.unaligned", status, text + suffix, hint="")


def _failing_finding(item: Failing) -> Finding:
    status = Status.WARN if item.category in LEGITIMATE else Status.INFO
    org = f", {item.org}" if item.org and not item.org.startswith("(") else ""
    summary = (
        f"{_source_label(item.ip, item.ptr)}{org}: {item.messages} message(s) From "
        f"{item.header_from}: {CATEGORY_TEXT[item.category]}: {item.why}"
    )
    evidence = [f"disposition {k}: {v}" for k, v in sorted(item.dispositions.items())]
    evidence += [f"DKIM d={d} s={s or '-'}: {r}" for d, s, r in sorted(item.dkim_seen)]
    return finding(
        "report.failing-source",
        status,
        _p(summary),
        hint=_p(item.fix),
        subject=_p(item.ip),
        evidence=[_p(e) for e in evidence],
    )


def _failing_dict(item: Failing) -> dict[str, Any]:
    return {
        "ip": item.ip,
        "ptr": item.ptr.name or None,
        "ptr_state": item.ptr.state,
        "organization": item.org,
        "header_from": item.header_from,
        "messages": item.messages,
        "category": item.category,
        "legitimate": item.category in LEGITIMATE,
        "why": item.why,
        "fix": item.fix,
        "dispositions": dict(sorted(item.dispositions.items())),
        "recheck": None
        if item.recheck is None
        else {"state": item.recheck.state, "detail": item.recheck.detail},
    }


def _organizations(summary: DomainSummary) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for source in summary.sources.values():
        groups[source.org].append(source)
    out = []
    for org, sources in groups.items():
        messages = sum(s.messages for s in sources)
        out.append(
            {
                "organization": org,
                "messages": messages,
                "passing": sum(s.passing for s in sources),
                "sources": [
                    {
                        "ip": s.ip,
                        "ptr": s.ptr.name or None,
                        "messages": s.messages,
                        "passing": s.passing,
                    }
                    for s in sorted(sources, key=lambda s: (-s.messages, s.ip))
                ],
            }
        )
    return sorted(out, key=lambda o: (-o["messages"], o["organization"]))


def _report_dict(report: AggregateReport, ptrs: Mapping[str, Ptr]) -> dict[str, Any]:
    pol = report.policy
    rows = []
    for row in report.rows:
        ptr = ptrs.get(row.source_ip, Ptr())
        host = source_org(ptr, _org_of) if ptr.state == "found" else ""
        category = "" if row.passes else classify(row, pol.adkim, pol.aspf, _org_of, host)[0]
        rows.append(
            {
                "source_ip": row.source_ip,
                "ptr": ptr.name or None,
                "organization": source_org(ptr, _org_of),
                "count": row.count,
                "disposition": row.disposition,
                "dkim": row.dkim,
                "spf": row.spf,
                "dmarc": "pass" if row.passes else "fail",
                "category": category or None,
                "header_from": row.header_from,
                "envelope_from": row.envelope_from,
                "envelope_to": row.envelope_to,
                "reasons": [{"type": t, "comment": c} for t, c in row.reasons],
                "dkim_auth": [
                    {"domain": d.domain, "selector": d.selector, "result": d.result}
                    for d in row.dkim_auth
                ],
                "spf_auth": [
                    {"domain": s.domain, "scope": s.scope, "result": s.result} for s in row.spf_auth
                ],
            }
        )
    return {
        "reporter": report.org_name,
        "email": report.email,
        "report_id": report.report_id,
        "begin": report.begin,
        "end": report.end,
        "source": report.source,
        "policy": {
            "domain": pol.domain,
            "p": pol.p,
            "sp": pol.sp,
            "adkim": pol.adkim,
            "aspf": pol.aspf,
            "pct": pol.pct,
        },
        "errors": list(report.errors),
        "rows": rows,
    }


# -- failure reports ----------------------------------------------------------------------

SHOWN_HEADERS = ("from", "to", "subject", "date", "message-id", "return-path", "dkim-signature")


def failure_reports(failures: Sequence[FailureReport], ptrs: Mapping[str, Ptr]) -> Iterator[Report]:
    by_domain: dict[str, list[FailureReport]] = defaultdict(list)
    for item in failures:
        by_domain[item.reported_domain or "(unknown domain)"].append(item)
    for domain in sorted(by_domain):
        items = by_domain[domain]
        groups: dict[str, list[FailureReport]] = defaultdict(list)
        for item in items:
            groups[item.source_ip or "(no Source-IP)"].append(item)
        findings = []
        for ip in sorted(groups, key=lambda k: (-len(groups[k]), k)):
            group = groups[ip]
            ptr = ptrs.get(ip, Ptr())
            kinds = Counter(g.auth_failure or g.feedback_type or "?" for g in group)
            first = group[0]
            evidence = []
            for name, value in first.original_headers:
                if name.lower() in SHOWN_HEADERS:
                    evidence.append(_p(f"{name}: {value}"))
            if first.auth_results:
                evidence.append(_p(f"Authentication-Results: {first.auth_results}"))
            evidence.append(_p(f"reported by {first.reporter} ({first.source})"))
            org = f", {_org_of(ptr.name)}" if ptr.name else ""
            summary = (
                f"{_source_label(ip, ptr)}{org}: {len(group)} failure report(s), "
                + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
            )
            if first.dkim_domain:
                summary += f"; DKIM d={first.dkim_domain} s={first.dkim_selector or '-'}"
            findings.append(
                finding(
                    "report.failure",
                    Status.WARN,
                    _p(summary),
                    subject=_p(ip),
                    evidence=evidence,
                )
            )
        data = {
            "reports": [
                {
                    "source": f.source,
                    "reporter": f.reporter,
                    "feedback_type": f.feedback_type,
                    "auth_failure": f.auth_failure,
                    "source_ip": f.source_ip,
                    "ptr": ptrs.get(f.source_ip, Ptr()).name or None,
                    "arrival": f.arrival,
                    "original_mail_from": f.original_mail_from,
                    "delivery_result": f.delivery_result,
                    "dkim_domain": f.dkim_domain,
                    "dkim_selector": f.dkim_selector,
                    "identity_alignment": f.identity_alignment,
                    "authentication_results": f.auth_results,
                    "original_headers": [[n, v] for n, v in f.original_headers],
                }
                for f in items
            ]
        }
        headline = f"{len(items)} failure report(s) from {len(groups)} source(s)"
        section = Section("report", "DMARC failure reports", tuple(findings), headline, clean(data))
        yield Report(kind="failure-report", subject=_p(domain), sections=(section,), dns=None)


# -- TLS reports --------------------------------------------------------------------------


def tls_reports(reports: Sequence[TlsReport]) -> Iterator[Report]:
    by_domain: dict[str, list[tuple[TlsReport, Any]]] = defaultdict(list)
    for report in reports:
        for policy in report.policies:
            by_domain[policy.domain].append((report, policy))
    for domain in sorted(by_domain):
        entries = by_domain[domain]
        findings: list[Finding] = []
        per_type: dict[str, list[tuple[TlsReport, Any]]] = defaultdict(list)
        for report, policy in entries:
            per_type[policy.policy_type].append((report, policy))
        rows = []
        for kind in sorted(per_type):
            items = per_type[kind]
            ok = sum(p.successes for _r, p in items)
            bad = sum(p.failures for _r, p in items)
            total = ok + bad
            mx = sorted({m for _r, p in items for m in p.mx_hosts})
            status = Status.PASS if bad == 0 else Status.WARN
            text = f"{kind}: {total} sessions, {bad} failed" + (
                f" ({100 * bad / total:.1f}%)" if total else ""
            )
            if mx:
                text += f"; mx {', '.join(mx[:5])}"
            findings.append(
                finding("report.tls-policy", status, _p(text), hint="" if not bad else None)
            )
            findings.extend(_tls_failures(kind, items))
            rows.append({"policy_type": kind, "successful": ok, "failed": bad, "mx_hosts": mx})
        reporters = sorted({r.org_name for r, _p2 in entries})
        headline = _p(
            f"{len({id(r) for r, _x in entries})} TLS report(s) from {', '.join(reporters[:5])}"
        )
        data = {
            "policies": rows,
            "reports": [
                {"reporter": r.org_name, "report_id": r.report_id, "start": r.start, "end": r.end}
                for r in dict.fromkeys(r for r, _x in entries)
            ],
        }
        section = Section("report", "SMTP TLS reports", tuple(findings), headline, clean(data))
        yield Report(kind="tls-report", subject=_p(domain), sections=(section,), dns=None)


def _tls_failures(kind: str, items: Sequence[tuple[TlsReport, Any]]) -> Iterator[Finding]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    reporters: dict[str, set[str]] = defaultdict(set)
    for report, policy in items:
        for detail in policy.details:
            grouped[detail.result_type].append(detail)
            reporters[detail.result_type].add(report.org_name)
    for result_type in sorted(grouped, key=lambda t: -sum(d.count for d in grouped[t])):
        details = grouped[result_type]
        count = sum(d.count for d in details)
        mxs = sorted({d.receiving_mx or d.receiving_ip or "?" for d in details})
        senders = sorted({d.sending_mta_ip for d in details if d.sending_mta_ip})
        check = EXPLAINED_BY.get(result_type)
        if check:
            command = COMMAND_FOR.get(check.split(".")[0], "domain")
            target = mxs[0] if command == "trace" and mxs[0] != "?" else "DOMAIN"
            hint = f"mailcheck {command} {target}: see {check} (mailcheck explain {check})"
        else:
            hint = "not a result type mailcheck knows (RFC 8460 §4.3 lists them)"
        evidence = [
            f"{d.sending_mta_ip or '?'} -> {d.receiving_mx or '?'} "
            f"[{d.receiving_ip or '?'}] helo {d.receiving_helo or '-'}: {d.count} session(s)"
            + (f"; {d.additional}" if d.additional else "")
            + (f"; {d.reason_code}" if d.reason_code else "")
            for d in details[:20]
        ]
        yield finding(
            "report.tls-failure",
            Status.WARN,
            _p(
                f"{kind} {result_type}: {count} session(s) to {', '.join(mxs[:5])} from "
                f"{len(senders)} sending MTA(s), reported by "
                + ", ".join(sorted(reporters[result_type]))
            ),
            hint=_p(hint),
            evidence=[_p(e) for e in evidence],
        )


# -- inputs -------------------------------------------------------------------------------


def input_report(collected: Collected) -> Report | None:
    findings: list[Finding] = []
    for problem in collected.problems:
        findings.append(
            finding(
                problem.check_id,
                Status.ERROR,
                _p(f"{problem.source}: {problem.message}"),
                hint=problem.hint or None,
                subject=_p(problem.source),
                refs=problem.refs,
            )
        )
    if collected.skipped:
        findings.append(
            finding(
                "report.no-report",
                Status.INFO,
                f"{len(collected.skipped)} input(s) held no report",
                evidence=[_p(f"{s.source}: {s.message}") for s in collected.skipped[:20]],
            )
        )
    if not findings:
        return None
    section = Section("report", "Inputs", tuple(findings))
    return Report(kind="report-input", subject="inputs", sections=(section,), dns=None)
