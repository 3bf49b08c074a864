"""SMTP TLS reports (RFC 8460 §4): JSON to dataclasses, pure, and which check explains each
result type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailcheck.escape import clip_words
from mailcheck.feedback.aggregate import ReportError

MAX_POLICIES = 1000
MAX_DETAILS = 10_000

# RFC 8460 §4.3 result types -> the mailcheck check that explains (and re-tests) them.
EXPLAINED_BY = {
    "starttls-not-supported": "tls.starttls",
    "certificate-host-mismatch": "tls.hostname",
    "certificate-expired": "tls.expiry",
    "certificate-not-trusted": "tls.certificate",
    "validation-failure": "tls.certificate",
    "tlsa-invalid": "dane.tlsa",
    "dnssec-invalid": "dnssec.mx-zone",
    "dane-required": "dane.tlsa",
    "sts-policy-fetch-error": "mta-sts.policy-fetch",
    "sts-policy-invalid": "mta-sts.policy-syntax",
    "sts-webpki-invalid": "mta-sts.policy-fetch",
}
# which command runs that check
COMMAND_FOR = {"tls": "trace", "dane": "trace", "dnssec": "domain", "mta-sts": "domain"}


@dataclass(frozen=True)
class FailureDetail:
    """One failure-details entry of a TLS report (RFC 8460)."""

    result_type: str
    sending_mta_ip: str
    receiving_mx: str
    receiving_helo: str
    receiving_ip: str
    count: int
    additional: str
    reason_code: str


@dataclass(frozen=True)
class TlsPolicy:
    """One policy of a TLS report with its success and failure counts."""

    policy_type: str  # sts | tlsa | no-policy-found
    domain: str
    strings: tuple[str, ...]
    mx_hosts: tuple[str, ...]
    successes: int
    failures: int
    details: tuple[FailureDetail, ...]


@dataclass(frozen=True)
class TlsReport:
    """An SMTP TLS report (RFC 8460), as read from its JSON."""

    source: str
    org_name: str
    report_id: str
    contact: str
    start: str
    end: str
    policies: tuple[TlsPolicy, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.org_name.lower(), self.report_id)


def looks_like_tlsrpt(tree: Any) -> bool:
    return isinstance(tree, Mapping) and "policies" in tree and "organization-name" in tree


# RFC 8460 §4.4: the top-level fields of a report, and those it cannot be read without
TLSRPT_FIELDS = ("organization-name", "date-range", "contact-info", "report-id", "policies")
_NEEDED = ("organization-name", "report-id", "policies")
# the names a DMARC aggregate report in JSON is known by (RFC 9990's XML elements)
_DMARC_FIELDS = ("feedback", "report_metadata", "policy_published")


def looks_like_dmarc_json(tree: Any) -> bool:
    return isinstance(tree, Mapping) and any(name in tree for name in _DMARC_FIELDS)


def not_a_report(tree: Any) -> str:
    """Why JSON that is read as neither kind of report is none, by what it looks like: a TLS
    report missing what it cannot be read without (naming it), else neither kind."""
    present = [n for n in TLSRPT_FIELDS if isinstance(tree, Mapping) and n in tree]
    missing = [n for n in _NEEDED if n not in present]
    if present and missing:
        names = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
        return f"no {names}: an incomplete SMTP TLS report (it has {', '.join(present)})"
    return "JSON that is neither a DMARC aggregate report nor an SMTP TLS report"


def _str(tree: Mapping[str, Any], name: str, required: bool = False) -> str:
    value = tree.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        if required:
            raise ReportError(f"TLS report without {name}")
        return ""
    return value.strip()


def _count(tree: Mapping[str, Any], name: str) -> int:
    value = tree.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(f"{name} is not a count: {str(value)[:40]!r}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value[:100] if isinstance(v, (str, int)))


def parse_tlsrpt(tree: Any, source: str) -> TlsReport:
    if not looks_like_tlsrpt(tree):
        raise ReportError("JSON that is not an SMTP TLS report")
    policies = tree.get("policies")
    if not isinstance(policies, list):
        raise ReportError("TLS report whose policies is not a list")
    if len(policies) > MAX_POLICIES:
        raise ReportError(f"{len(policies)} policies (more than {MAX_POLICIES})")
    dates = tree.get("date-range") if isinstance(tree.get("date-range"), Mapping) else {}
    return TlsReport(
        source=source,
        org_name=_str(tree, "organization-name", required=True),
        report_id=_str(tree, "report-id", required=True),
        contact=_str(tree, "contact-info"),
        start=_str(dates, "start-datetime"),
        end=_str(dates, "end-datetime"),
        policies=tuple(_policy(p) for p in policies),
    )


def _policy(entry: Any) -> TlsPolicy:
    if not isinstance(entry, Mapping):
        raise ReportError("a TLS report policy entry that is not an object")
    policy = entry.get("policy")
    summary = entry.get("summary")
    if not isinstance(policy, Mapping) or not isinstance(summary, Mapping):
        raise ReportError("a TLS report policy entry without policy or summary")
    details = entry.get("failure-details", [])
    if not isinstance(details, list) or len(details) > MAX_DETAILS:
        raise ReportError("failure-details is not a list (or far too long)")
    return TlsPolicy(
        policy_type=_str(policy, "policy-type", required=True).lower(),
        domain=_str(policy, "policy-domain", required=True).lower().rstrip("."),
        strings=_strings(policy.get("policy-string")),
        mx_hosts=_strings(policy.get("mx-host")),
        successes=_count(summary, "total-successful-session-count"),
        failures=_count(summary, "total-failure-session-count"),
        details=tuple(_detail(d) for d in details),
    )


def _detail(entry: Any) -> FailureDetail:
    if not isinstance(entry, Mapping):
        raise ReportError("a failure-details entry that is not an object")
    return FailureDetail(
        result_type=_str(entry, "result-type", required=True).lower(),
        sending_mta_ip=_str(entry, "sending-mta-ip"),
        receiving_mx=_str(entry, "receiving-mx-hostname").rstrip("."),
        receiving_helo=_str(entry, "receiving-mx-helo"),
        receiving_ip=_str(entry, "receiving-ip"),
        count=_count(entry, "failed-session-count"),
        additional=_str(entry, "additional-information"),
        reason_code=_str(entry, "failure-reason-code"),
    )


def load_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ReportError(f"not valid JSON ({clip_words(str(exc), 120)})") from None
