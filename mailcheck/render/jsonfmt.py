"""JSON output: an API with a schema_version, deterministic order, and never any ANSI."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from mailcheck import __version__
from mailcheck.model import STATUS_ORDER, Finding, QueryLine, Report, Section, count_statuses

SCHEMA_VERSION = 1


def _query(q: QueryLine) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": q.name,
        "type": q.rdtype,
        "outcome": q.outcome,
        "source": q.source,
        "ms": round(q.elapsed * 1000, 2),
        "answers": list(q.answers),
    }
    if q.dnssec:
        out["dnssec"] = True  # only when set: asked with the DO bit
    return out


def plain(value: Any) -> Any:
    """Section and report data as JSON values: typed rows (SignatureRow, SpfTreeNode ...)
    become the objects their to_json() gives, tuples lists."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    to_json = getattr(value, "to_json", None)
    return plain(to_json()) if callable(to_json) else value


def finding_dict(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": finding.id,
        "status": finding.status.value,
        "summary": finding.summary,
    }
    if finding.subject:
        out["subject"] = finding.subject
    if finding.details:
        out["details"] = finding.details
    if finding.evidence:
        out["evidence"] = list(finding.evidence)
    if finding.hint:
        out["hint"] = finding.hint
    if finding.refs:
        out["refs"] = list(finding.refs)
    if finding.location is not None:
        out["location"] = {"source": finding.location.source, "line": finding.location.line}
    if finding.waived:
        out["waived"] = finding.waived
    return out


def section_dict(section: Section) -> dict[str, Any]:
    out: dict[str, Any] = {
        "family": section.family,
        "title": section.title,
        "findings": [finding_dict(f) for f in section.findings],
    }
    if section.headline:
        out["headline"] = section.headline
    if section.data:
        out["data"] = plain(section.data)
    return out


def counts_dict(findings: Sequence[Finding]) -> dict[str, int]:
    counts = count_statuses(findings)
    return {status.value: counts[status] for status in STATUS_ORDER}


def report_dict(report: Report, *, verbose: bool = False) -> dict[str, Any]:
    findings = list(report.findings())
    out: dict[str, Any] = {
        "kind": report.kind,
        "subject": report.subject,
        "status": report.status.value,
        "counts": counts_dict(findings),
        "duration_ms": round(report.duration * 1000, 1),
        "sections": [section_dict(s) for s in report.sections],
    }
    if report.dns is not None:  # the run's counts are in the document's "dns"
        out["dns"] = {"queries": report.dns.queries, "errors": report.dns.errors}
    if report.display and report.display != report.subject:
        # a domain's Unicode form (IDN); for other reports, how the subject is shown
        out["subject_unicode" if report.kind == "domain" else "display"] = report.display
    if report.data:
        out["data"] = plain(report.data)
    if verbose:
        out["queries"] = [_query(q) for q in report.queries]
    return out


def document(
    command: str,
    reports: Sequence[Report],
    exit_code: int,
    extra: Mapping[str, Any] | None = None,
    *,
    verbose: bool = False,
) -> dict[str, Any]:
    findings = [f for r in reports for f in r.findings()]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mailcheck", "version": __version__},
        "command": command,
        "exit_code": exit_code,
        "summary": counts_dict(findings),
        "reports": [report_dict(r, verbose=verbose) for r in reports],
    }
    if extra:
        doc.update(extra)
    return doc


# What json.dumps leaves raw with ensure_ascii=False but a terminal (or a viewer) obeys:
# DEL, C1 controls (U+009B is CSI), bidi controls, line and paragraph separators; and lone
# surrogates (a byte that was not UTF-8, kept by surrogateescape), which are not Unicode.
# Compiled on first use (~1 ms): most documents are ASCII and never need it.
_UNSAFE = "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"


def dumps(doc: Mapping[str, Any], *, pretty: bool = True, margin: int = 0) -> str:
    """JSON text; every control character \\u-escaped (the values stay exactly as they were,
    but for a byte that was not UTF-8: JSON has no bytes, it reads \\xNN as printable() shows).
    `margin`: spaces before every line but the first (pretty text nested in a document)."""
    text = _encoded(doc, pretty)
    if margin:
        text = text.replace("\n", "\n" + " " * margin)  # no JSON string holds a raw line break
    if text.isascii() and "\x7f" not in text:
        return text  # none of the characters below (isascii is a flag of the string: free)
    # these characters can only occur inside JSON strings, where \uXXXX means the same
    return re.sub(_UNSAFE, _escaped, text)  # re's own cache keeps it compiled


def _encoded(doc: Mapping[str, Any], pretty: bool) -> str:
    """What json.dumps(doc, indent=2 or compact, ensure_ascii=False) writes, written by orjson:
    Python's json has no C encoder for indented output, and its Python one cost a verified
    message more than checking its signatures' RSA. orjson refuses a lone surrogate (a byte
    that was not UTF-8) and integers beyond 64 bits: json writes those."""
    import orjson

    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        return orjson.dumps(doc, option=option).decode()
    except orjson.JSONEncodeError:
        import json  # ~1.5 ms, for the rare document orjson refuses

        if pretty:
            return json.dumps(doc, indent=2, ensure_ascii=False)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        # strict parsers reject a lone surrogate even as \uXXXX: an undecodable byte is the
        # text \xNN, as printable() shows it (a JSON-encoded backslash, then xNN)
        return f"\\\\x{code - 0xDC00:02x}" if code >= 0xDC80 else f"\\\\u{code:04x}"
    return f"\\u{code:04x}"
