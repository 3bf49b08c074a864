"""Regression mode: what a proposed zone changes against a baseline (the live DNS, or a
saved JSON report). Both sides are compared in their JSON form, so a saved report and a
fresh run are handled alike: new and worse findings, fixed ones, changed records, and the
SPF lookup count before and after when it changed."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mailcheck.catalog import finding
from mailcheck.errors import InputError
from mailcheck.model import Finding, Location, Report, Section, Status
from mailcheck.records.domain_name import parse_domain

# (label, report dicts by domain): what a run is compared with
Baseline = tuple[str, dict[str, dict[str, Any]]]

_SEVERITY = {"pass": 0, "info": 0, "skip": 0, "warn": 1, "error": 2, "fail": 3}
_STATUS = {"warn": Status.WARN, "error": Status.ERROR, "fail": Status.FAIL}
_RECORDS = {
    "spf": "SPF record",
    "dmarc": "DMARC record",
    "mta-sts": "MTA-STS record",
    "tls-rpt": "TLS-RPT record",
    "bimi": "BIMI record",
}


# Check ids that answer one question about one subject: when one of them is reported on a
# side, not as ERROR, and none is ERROR, that side answered the question, so the absence of
# the others is known there, whatever else in the family could not be checked (an offline
# rua= domain does not make p=reject unknown).
OUTCOMES: tuple[frozenset[str], ...] = (
    frozenset({"dmarc.record", "dmarc.missing", "dmarc.multiple"}),
    frozenset({"dmarc.policy", "dmarc.policy-none", "dmarc.policy-invalid"}),
    frozenset({"spf.record", "spf.missing", "spf.multiple"}),
    frozenset(
        {"spf.all-pass", "spf.all-neutral", "spf.softfail-all", "spf.fail-all", "spf.all-missing"}
    ),
)


def _findings(report: Mapping[str, Any]) -> dict[tuple[str, str, int], Mapping[str, Any]]:
    """Findings keyed by (id, subject, n): the n-th finding of that id about that subject."""
    out: dict[tuple[str, str, int], Mapping[str, Any]] = {}
    for section in report.get("sections", []):
        for item in section.get("findings", []):
            if str(item.get("id", "")).startswith("regression."):
                continue
            check_id, subject = str(item.get("id")), str(item.get("subject", ""))
            n = 0
            while (check_id, subject, n) in out:
                n += 1
            out[(check_id, subject, n)] = item
    return out


def _location(item: Mapping[str, Any]) -> Location | None:
    """Where the finding's record is (a zone file line), so CI annotates the changed line."""
    where = item.get("location")
    if not isinstance(where, Mapping) or not where.get("source"):
        return None
    line = where.get("line")
    return Location(str(where["source"]), line if isinstance(line, int) else None)


def _section_data(report: Mapping[str, Any], family: str) -> Mapping[str, Any]:
    for section in report.get("sections", []):
        if section.get("family") == family:
            data: Mapping[str, Any] = section.get("data") or {}
            return data
    return {}


def _severity(item: Mapping[str, Any] | None) -> int:
    if item is None:
        return 0
    return _SEVERITY.get(str(item.get("status")), 0)


def _family(check_id: str) -> str:
    return check_id.split(".", 1)[0]


def _clean(report: Mapping[str, Any], family: str) -> bool:
    """Was the family checked on this side without errors (so an absent finding means the
    problem is really gone, not that the check could not be made)?"""
    for section in report.get("sections", []):
        if section.get("family") != family:
            continue
        return not any(f.get("status") == "error" for f in section.get("findings", []))
    # the domain section is there only when it has something to say
    return family == "domain"


def _answered(
    findings: Mapping[tuple[str, str, int], Mapping[str, Any]], check_id: str, subject: str
) -> bool:
    """On this side, was the question `check_id` answers for `subject` answered (another of
    its outcomes reported, none an ERROR), so that the finding's absence is known?"""
    group = next((g for g in OUTCOMES if check_id in g), None)
    if group is None:
        return False
    statuses = [
        str(item.get("status"))
        for (other, about, _n), item in findings.items()
        if other in group and about == subject
    ]
    return bool(statuses) and "error" not in statuses


def _probed(report: Mapping[str, Any], check_id: str, subject: str) -> bool:
    """The check was made with this parameter: a DKIM selector must have been probed."""
    if _family(check_id) != "dkim" or not subject:
        return True
    selectors = _section_data(report, "dkim").get("selectors")
    return not isinstance(selectors, list) or subject in selectors


def unknown_to_baseline(current: Mapping[str, Any]) -> dict[str, Any]:
    """What the baseline says of a domain it does not contain: every family checked, nothing
    found, so each problem now is new (and a clean domain passes the gate)."""
    families = {sec.get("family") for sec in current.get("sections", [])}
    families |= {_family(str(f.get("id"))) for f in _findings(current).values()}
    sections = [{"family": family, "findings": []} for family in sorted(map(str, families))]
    return {"subject": current.get("subject"), "sections": sections}


def compare(
    baseline: Mapping[str, Any], current: Mapping[str, Any], label: str
) -> tuple[list[Finding], dict[str, Any]]:
    """New, worse and fixed findings, and what could not be compared. An ERROR on either side
    (or a family with errors where a finding is absent, unless another outcome of the same
    question was reported there: OUTCOMES) makes that comparison inconclusive: errors are
    never "new", and their absence is never "fixed"."""
    before, after = _findings(baseline), _findings(current)
    out: list[Finding] = []
    summary: dict[str, Any] = {
        "source": label,
        "new": [],
        "worse": [],
        "fixed": [],
        "inconclusive": [],
        "decided": [],  # [id, subject, n] of current findings the gate judged new or worse
    }
    inconclusive: dict[str, str] = {}
    for key in sorted(set(before) | set(after)):
        check_id, subject, n = key
        then_item, now_item = before.get(key), after.get(key)
        then_status = str(then_item.get("status")) if then_item else None
        now_status = str(now_item.get("status")) if now_item else None
        family = _family(check_id)
        about = f" ({subject})" if subject else ""
        if "error" in (then_status, now_status):
            if _severity(then_item) or _severity(now_item):
                side = "now" if now_status == "error" else "in the baseline"
                item = now_item if now_status == "error" else then_item
                inconclusive.setdefault(
                    f"{check_id}{about}", f"ERROR {side}: {(item or {}).get('summary', '')}"
                )
            continue
        if (
            now_item is not None
            and then_item is None
            and not _clean(baseline, family)
            and not _answered(before, check_id, subject)
        ):
            if _severity(now_item):
                has_family = any(
                    sec.get("family") == family for sec in baseline.get("sections", [])
                )
                why = "had errors" if has_family else "was not checked (other options?)"
                inconclusive.setdefault(f"{check_id}{about}", f"in the baseline {family} {why}")
            continue
        if then_item is not None and now_item is None:
            if not _probed(current, check_id, subject):
                continue  # not asked this time (another selector list): neither fixed nor new
            if not _clean(current, family) and not _answered(after, check_id, subject):
                if _severity(then_item):
                    inconclusive.setdefault(
                        f"{check_id}{about}", f"{family} could not be checked now"
                    )
                continue
        now, then = _severity(now_item), _severity(then_item)
        if now_item is not None and now > then:
            status = _STATUS[str(now_item.get("status"))]
            summary["decided"].append([check_id, subject, n])
            if then == 0:
                summary["new"].append(check_id)
                out.append(
                    finding(
                        "regression.new",
                        status,
                        f"new {status.word}: {check_id}{about}: {now_item.get('summary', '')}",
                        subject=f"{check_id}{about}",
                        location=_location(now_item),
                    )
                )
            else:
                summary["worse"].append(check_id)
                out.append(
                    finding(
                        "regression.worse",
                        status,
                        f"{check_id}{about}: {str(then_status).upper()} → {status.word}: "
                        f"{now_item.get('summary', '')}",
                        subject=f"{check_id}{about}",
                        location=_location(now_item),
                    )
                )
        elif then_item is not None and then > now:
            summary["fixed"].append(check_id)
            out.append(
                finding(
                    "regression.fixed",
                    Status.PASS,
                    f"fixed: {check_id}{about} (was {str(then_status).upper()}: "
                    f"{then_item.get('summary', '')})",
                    subject=f"{check_id}{about}",
                )
            )
    for what, why in inconclusive.items():
        summary["inconclusive"].append(what)
        out.append(
            finding(
                "regression.inconclusive",
                Status.ERROR,
                f"could not compare {what}: {why}",
                subject=what,
            )
        )
    out.extend(_record_changes(baseline, current, summary))
    return out, summary


def _record_changes(
    baseline: Mapping[str, Any], current: Mapping[str, Any], summary: dict[str, Any]
) -> Iterator[Finding]:
    for family, name in _RECORDS.items():
        old = _section_data(baseline, family).get("record")
        new = _section_data(current, family).get("record")
        if old != new:
            yield finding(
                "regression.record",
                Status.INFO,
                f"{name}: {_shown(old)} → {_shown(new)}",
                subject=family,
            )
    old_mx = _mx(_section_data(baseline, "mx"))
    new_mx = _mx(_section_data(current, "mx"))
    if old_mx != new_mx:
        yield finding(
            "regression.record",
            Status.INFO,
            f"MX: {', '.join(old_mx) or '(none)'} → {', '.join(new_mx) or '(none)'}",
            subject="mx",
        )
    old_keys = _dkim(_section_data(baseline, "dkim"))
    new_keys = _dkim(_section_data(current, "dkim"))
    for selector in sorted(set(old_keys) | set(new_keys)):
        if old_keys.get(selector) != new_keys.get(selector):
            yield finding(
                "regression.record",
                Status.INFO,
                f"DKIM {selector}: {_shown(old_keys.get(selector))} → "
                f"{_shown(new_keys.get(selector))}",
                subject="dkim",
            )
    old_lookups = _section_data(baseline, "spf").get("lookups")
    new_lookups = _section_data(current, "spf").get("lookups")
    summary["spf_lookups"] = {"before": old_lookups, "after": new_lookups}
    # shown only when the count changed: "2 → 2" on every domain is noise in every CI log
    # (the JSON summary keeps both counts either way)
    if old_lookups != new_lookups:
        status = (
            Status.WARN
            if isinstance(old_lookups, int)
            and isinstance(new_lookups, int)
            and new_lookups > old_lookups
            else Status.INFO
        )
        yield finding(
            "regression.spf-lookups",
            status,
            f"SPF DNS lookups: {_count(old_lookups)} → {_count(new_lookups)} (limit 10)",
        )


def _mx(data: Mapping[str, Any]) -> list[str]:
    return [f"{h.get('preference')} {h.get('name')}" for h in data.get("hosts", [])]


def _dkim(data: Mapping[str, Any]) -> dict[str, str]:
    return {str(k.get("selector")): str(k.get("record")) for k in data.get("keys", [])}


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    text = str(value)
    return repr(text if len(text) <= 120 else text[:117] + "...")


def _count(value: object) -> str:
    return str(value) if value is not None else "-"


def with_changes(report: Report, findings: list[Finding], summary: dict[str, Any]) -> Report:
    label = summary["source"]
    section = Section("regression", f"Changes against {label}", tuple(findings))
    data = {**report.data, "baseline": summary}
    return dataclasses.replace(report, sections=(*report.sections, section), data=data)


def inconclusive(reports: list[Report]) -> bool:
    """A compared check had errors on either side: the gate cannot say (exit 3)."""
    return any(f.id == "regression.inconclusive" for r in reports for f in r.findings())


def regressed(reports: list[Report]) -> bool:
    """Anything new or worse (WARN and up): what --fail-on regression fails on."""
    bad = (Status.WARN, Status.ERROR, Status.FAIL)
    return any(
        f.id in ("regression.new", "regression.worse") and f.status in bad
        for r in reports
        for f in r.findings()
    )


def saved(spec: str, text: str, schema_version: int) -> Baseline:
    """The reports of a saved `mailcheck domain --format json` run (`text`, read from `spec`)
    of report schema `schema_version`, by domain."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--baseline {spec}: not a mailcheck JSON report ({exc})") from None
    except RecursionError:
        raise InputError(
            f"--baseline {spec}: not a mailcheck JSON report (nested too deeply)"
        ) from None
    if not isinstance(doc, dict) or "schema_version" not in doc or "reports" not in doc:
        raise InputError(f"--baseline {spec}: not a mailcheck JSON report (--format json)")
    if doc["schema_version"] != schema_version:
        raise InputError(
            f"--baseline {spec}: written with report schema version {doc['schema_version']}, "
            f"this mailcheck reads version {schema_version}",
            hint="save the baseline again with this version: mailcheck domain ... --format json",
        )
    if doc.get("command") != "domain":
        raise InputError(
            f"--baseline {spec}: a report of mailcheck {doc.get('command')}, not of domain"
        )
    reports = {_domain(r.get("subject")): r for r in doc["reports"] if isinstance(r, dict)}
    return spec, reports


def _domain(subject: object) -> str:
    """A report's subject as runs name their domains (lower-case ASCII, no trailing dot), so
    a hand-edited `EXAMPLE.COM.` or the Unicode form of an IDN is the domain it names; a
    subject that is no domain name is kept as it is (it matches no domain checked)."""
    text = str(subject)
    try:
        return parse_domain(text).ascii
    except InputError:
        return text


def _listed(names: Sequence[str], most: int = 5) -> str:
    """Names for a one-line message: the first `most`, then how many more."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"


def missing(baseline: Baseline, subjects: Sequence[str]) -> list[str]:
    """The domains of `subjects` the saved baseline holds no report of (each once, in order).
    A baseline that holds none of them is the wrong file (another domain's report, or an
    empty one): there is nothing to compare, so that is an input error, said before any DNS
    question. The domains it lacks among others it holds are new to it (added to a list)."""
    label, reports = baseline
    absent = list(dict.fromkeys(s for s in subjects if s not in reports))
    if not absent or len(absent) < len(set(subjects)):
        return absent
    held = f"its reports are of {_listed(sorted(reports))}" if reports else "it holds no report"
    raise InputError(
        f"--baseline {label}: no report of {_listed(absent)} in it ({held}): nothing to compare",
        hint="save a baseline of these domains: mailcheck domain ... --format json "
        f"--fail-on never > {label}",
    )


def not_held_warning(label: str, absent: Sequence[str]) -> str:
    """What a run says once when some of its domains are new to the baseline."""
    return (
        f"--baseline {label}: no report of {_listed(absent)} in it: "
        f"every problem of {'that domain' if len(absent) == 1 else 'those domains'} "
        "counts as new"
    )


def against(report: Report, current: dict[str, Any], baseline: Baseline) -> Report:
    """`report` (whose JSON form is `current`) with its changes against the baseline."""
    label, reports = baseline
    before = reports.get(report.subject)
    if before is None:
        # a domain the baseline does not know has no known problems: every one of them is
        # new; its records are not "changes" (the baseline says nothing of them)
        findings, summary = compare(unknown_to_baseline(current), current, label)
        note = finding(
            "regression.no-baseline",
            Status.INFO,
            f"{report.subject} is not in the baseline ({label}): every problem counts as new",
        )
        kept = [f for f in findings if f.id not in ("regression.record", "regression.spf-lookups")]
        return with_changes(report, [note, *kept], summary)
    findings, summary = compare(before, current, label)
    return with_changes(report, findings, summary)
