"""Reports in the formats CI systems read: JUnit XML, SARIF 2.1.0, GitHub workflow commands
and Markdown. Every command's reports render in each; text from servers, DNS records and
messages is escaped for the target format (XML, JSON, workflow commands, Markdown)."""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from mailcheck import __version__
from mailcheck.escape import printable_lines
from mailcheck.model import STATUS_ORDER, ExitCode, Finding, Report, Status, count_statuses

# [project.urls] Homepage in pyproject.toml (a test keeps the two equal)
INFORMATION_URI = "https://pypi.org/project/mailcheck-cli/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
REGRESSIONS = ("regression.new", "regression.worse")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# A run that ended with a verdict (the tool worked; the findings may still fail)
_FINISHED = (ExitCode.OK, ExitCode.FAILED, ExitCode.INCONCLUSIVE)


def _label(report: Report) -> str:
    return report.display or report.subject


def _about(report: Report, item: Finding) -> str:
    """The finding's summary, led by what it is about (once: many summaries already are,
    as "label: ..." or as a sentence about it, "label is ...")."""
    label = _label(report)
    if item.summary.startswith((f"{label}: ", f"{label} ")):
        return item.summary
    return f"{label}: {item.summary}"


def _items(reports: Sequence[Report]) -> Iterator[tuple[Report, str, Finding]]:
    for report in reports:
        for section in report.sections:
            for item in section.findings:
                yield report, section.family, item


# With --fail-on regression, what the gate decided: "decided" (new or worse: errors),
# "inconclusive" (warnings), "known" (problems the baseline had too: notices), "note" (see
# NOTES: notices), or None.
_DECIDED = ("regression.new", "regression.worse")

# INFO findings every CI format shows as a notice, with or without the gate: they change how
# the rest of the report reads (a domain the baseline lacks: every problem of it counts as
# new). A notice changes no exit code.
NOTES = frozenset({"regression.no-baseline"})


def _gate_items(
    reports: Sequence[Report],
) -> Iterator[tuple[Report, str, Finding, str | None]]:
    """Each finding once, with the gate's verdict on it: a new or worse problem is shown as
    its regression.* finding (not again as itself); unchanged problems are "known"."""
    for report in reports:
        baseline = report.data.get("baseline") or {}
        decided = {tuple(k) for k in baseline.get("decided", [])}
        counts: dict[tuple[str, str], int] = {}
        for section in report.sections:
            for item in section.findings:
                if item.id in _DECIDED:
                    yield report, section.family, item, "decided"
                    continue
                if item.id == "regression.inconclusive":
                    yield report, section.family, item, "inconclusive"
                    continue
                if item.id in NOTES:
                    yield report, section.family, item, "note"
                    continue
                if item.id.startswith("regression."):
                    yield report, section.family, item, None
                    continue
                pair = (item.id, item.subject)
                n = counts.get(pair, 0)
                counts[pair] = n + 1
                if (item.id, item.subject, n) in decided:
                    continue  # shown once, as its regression.new / regression.worse
                known = item.status in (Status.FAIL, Status.ERROR, Status.WARN)
                yield report, section.family, item, "known" if known else None


def gate_counts(reports: Sequence[Report]) -> dict[str, int]:
    counts = {"decided": 0, "inconclusive": 0, "known": 0, "note": 0}
    for _r, _f, _item, verdict in _gate_items(reports):
        if verdict is not None:
            counts[verdict] += 1
    fixed = sum(1 for r in reports for f in r.findings() if f.id == "regression.fixed")
    unknown = sum(1 for r in reports for f in r.findings() if f.id == "regression.no-baseline")
    return {**counts, "fixed": fixed, "not-in-baseline": unknown}


def _gate_line(reports: Sequence[Report]) -> str:
    c = gate_counts(reports)
    line = (
        f"{c['decided']} new or worse, {c['inconclusive']} inconclusive, "
        f"{c['known']} known (unchanged), {c['fixed']} fixed"
    )
    if c["not-in-baseline"]:
        line += f"; {c['not-in-baseline']} not in the baseline (all their problems count as new)"
    return line


def _level(item: Finding) -> str | None:
    """How a CI format shows a finding outside the gate: "error", "warning", "note" or None."""
    return "note" if item.id in NOTES else _LEVELS.get(item.status)


def _annotated(
    reports: Sequence[Report], *, regression: bool
) -> Iterator[tuple[Report, str, Finding, str]]:
    """The findings SARIF and GitHub annotate, each with its level ("error", "warning" or
    "note"): with --fail-on regression, what the gate decided; else by status (and NOTES)."""
    if regression:
        for report, family, item, verdict in _gate_items(reports):
            level = _GATE_LEVELS.get(verdict or "")
            if level is not None:
                yield report, family, item, level
        return
    for report, family, item in _items(reports):
        level = _level(item)
        if level is not None:
            yield report, family, item, level


def _text(item: Finding) -> str:
    """Summary, hint and references as plain text lines."""
    lines = [item.summary]
    if item.details:
        lines.append(item.details)
    if item.hint:
        lines.append(f"Fix: {item.hint}")
    lines.extend(f"Evidence: {e}" for e in item.evidence)
    if item.location is not None:
        lines.append(f"Record: {item.location}")
    if item.refs:
        lines.append(f"References: {', '.join(item.refs)}")
    lines.append(f"More: mailcheck explain {item.id}")
    return "\n".join(lines)


# -- JUnit XML ------------------------------------------------------------------------


def junit(
    command: str,
    reports: Sequence[Report],
    *,
    fail_on: Status = Status.FAIL,
    regression: bool = False,
) -> str:
    """One testsuite per report and one testcase per finding: FAIL (and WARN with
    --fail-on warn) are failures, ERROR errors, SKIP skipped; the rest pass. With
    --fail-on regression, exactly the new and worse findings are failures."""
    import xml.etree.ElementTree as ET

    def clean(text: str) -> str:
        # control bytes and bidi shown as escapes; what XML 1.0 cannot hold replaced
        return _XML_BAD.sub("\ufffd", printable_lines(text))

    root = ET.Element("testsuites", name=f"mailcheck {command}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=clean(_label(report)))
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="command", value=command)
        ET.SubElement(props, "property", name="status", value=report.status.value)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        seen: dict[str, int] = {}
        for section in report.sections:
            for item in section.findings:
                name = item.id + (f" [{item.subject}]" if item.subject else "")
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > 1:
                    name += f" #{seen[name]}"
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=clean(f"mailcheck.{command}.{_label(report)}.{section.family}"),
                    name=clean(name),
                    time="0",
                )
                counts["tests"] += 1
                if regression:
                    failing = item.id in REGRESSIONS and item.status in _LEVELS
                else:
                    failing = item.status is Status.FAIL or (
                        item.status is Status.WARN and fail_on is Status.WARN
                    )
                if failing:
                    counts["failures"] += 1
                    node = ET.SubElement(
                        case, "failure", message=clean(item.summary), type=item.status.value
                    )
                    node.text = clean(_text(item))
                elif item.status is Status.ERROR and (
                    not regression or item.id == "regression.inconclusive"
                ):
                    counts["errors"] += 1
                    node = ET.SubElement(case, "error", message=clean(item.summary), type="error")
                    node.text = clean(_text(item))
                elif item.status is Status.SKIP:
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=clean(item.summary))
                else:
                    out = ET.SubElement(case, "system-out")
                    out.text = clean(f"{item.status.word}: {_text(item)}")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{report.duration:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# -- SARIF 2.1.0 ----------------------------------------------------------------------

_LEVELS = {Status.FAIL: "error", Status.ERROR: "error", Status.WARN: "warning"}


def _artifact_uri(source: str) -> dict[str, str]:
    path = Path(source)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return {"uri": path.as_uri()}
    posix = PurePosixPath(*path.parts).as_posix()
    # a file name that is not UTF-8 keeps its bytes (percent-encoded), as as_uri() does
    return {"uri": quote(posix, errors="surrogateescape"), "uriBaseId": "%SRCROOT%"}


_GATE_LEVELS = {"decided": "error", "inconclusive": "warning", "known": "note", "note": "note"}


def sarif(
    command: str, reports: Sequence[Report], exit_code: int, *, regression: bool = False
) -> dict[str, Any]:
    """A SARIF log: one run, a rule per check id that produced a FAIL, ERROR or WARN (or a
    note of NOTES), and a result for each of those; with --zone, results point at the zone
    file and line. With --fail-on regression, new and worse problems are errors,
    inconclusive comparisons warnings and problems the baseline had too notes, each finding
    once."""
    from mailcheck.catalog import CHECKS

    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for report, family, item, level in _annotated(reports, regression=regression):
        if item.id not in index:
            spec = CHECKS.get(item.id)
            index[item.id] = len(rules)
            rule: dict[str, Any] = {
                "id": item.id,
                "name": item.id.replace(".", "/"),
                "shortDescription": {"text": spec.title if spec else item.id},
                "helpUri": f"{INFORMATION_URI}#{item.id}",
                "properties": {"tags": [family]},
            }
            if spec is not None:
                rule["fullDescription"] = {"text": spec.explain}
                help_text = spec.hint or spec.explain
                if spec.refs:
                    help_text += f" ({', '.join(spec.refs)})"
                rule["help"] = {"text": help_text}
            rules.append(rule)
        result: dict[str, Any] = {
            "ruleId": item.id,
            "ruleIndex": index[item.id],
            "level": level,
            "message": {"text": _about(report, item)},
            "partialFingerprints": {
                "mailcheckFinding/v1": hashlib.sha256(
                    f"{report.subject}|{item.id}|{item.subject}".encode("utf-8", "surrogatepass")
                ).hexdigest()
            },
            "properties": {"status": item.status.value, "subject": _label(report)},
        }
        if item.location is not None:
            physical: dict[str, Any] = {"artifactLocation": _artifact_uri(item.location.source)}
            if item.location.line is not None:
                physical["region"] = {"startLine": item.location.line}
            result["locations"] = [{"physicalLocation": physical}]
        else:
            result["locations"] = [
                {"logicalLocations": [{"name": _label(report), "kind": report.kind}]}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mailcheck",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"mailcheck/{command}/"},
                "invocations": [
                    {"executionSuccessful": exit_code in _FINISHED, "exitCode": exit_code}
                ],
                "results": results,
            }
        ],
    }


# -- GitHub Actions workflow commands -------------------------------------------------


def _gh_data(text: str) -> str:
    text = printable_lines(text)  # the log shows ESC sequences as colours and links
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


_GH_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}


def github(command: str, reports: Sequence[Report], *, regression: bool = False) -> str:
    """`::error file=F,line=N,title=ID::message` lines for FAIL/ERROR, `::warning` for WARN,
    `::notice` for NOTES. With --fail-on regression: `::error` for new or worse problems,
    `::warning` for inconclusive comparisons, `::notice` for problems the baseline had too
    (and NOTES); each once."""
    lines = []
    for report, _family, item, level in _annotated(reports, regression=regression):
        kind = _GH_LEVELS[level]
        props = []
        if item.location is not None:
            props.append(f"file={_gh_property(item.location.source)}")
            if item.location.line is not None:
                props.append(f"line={item.location.line}")
        props.append(f"title={_gh_property(f'mailcheck {item.id}')}")
        message = _about(report, item)
        if item.hint:
            message += f"\n{item.hint}"
        lines.append(f"::{kind} {','.join(props)}::{_gh_data(message)}")
    if regression:
        lines.append(f"mailcheck {command}: {len(reports)} report(s), {_gate_line(reports)}")
        return "\n".join(lines) + "\n"
    counts = count_statuses([f for _r, _fam, f in _items(reports)])
    total = ", ".join(f"{counts[s]} {s.value}" for s in STATUS_ORDER if counts[s])
    lines.append(f"mailcheck {command}: {len(reports)} report(s), {total or 'no findings'}")
    return "\n".join(lines) + "\n"


def write_step_summary(markdown_text: str) -> None:
    """Append to $GITHUB_STEP_SUMMARY when GitHub Actions provides it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown_text + "\n")


# -- Markdown -------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
_ICONS = {
    Status.FAIL: "❌ FAIL",
    Status.ERROR: "⛔ ERROR",
    Status.WARN: "⚠️ WARN",
    Status.INFO: "\N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16} INFO",
    Status.PASS: "✅ PASS",
    Status.SKIP: "⏭️ SKIP",
}


def md_escape(text: str) -> str:
    """Untrusted text, inert in Markdown and HTML: no links, emphasis, tables or tags."""
    escaped = html.escape(printable_lines(text), quote=False)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    return escaped.replace("\r", "").replace("\n", "<br>")


def markdown(command: str, reports: Sequence[Report], *, regression: bool = False) -> str:
    """For pull-request comments and job summaries: problems first, the rest folded. With
    --fail-on regression it opens with what the gate decided."""
    out = []
    if regression:
        out.append(f"**mailcheck {command} gate**: {md_escape(_gate_line(reports))}\n")
    for report in reports:
        findings = list(report.findings())
        counts = count_statuses(findings)
        tally = ", ".join(f"{counts[s]} {s.word}" for s in STATUS_ORDER if counts[s])
        out.append(
            f"### mailcheck {command}: {md_escape(_label(report))} "
            f"({_ICONS[report.status]})\n\n{tally or 'no findings'}\n"
        )
        # problems, and the notes that say how to read them, are not folded away
        problems = [f for f in findings if _level(f) is not None]
        rest = [f for f in findings if _level(f) is None]
        if problems:
            out.append(_table(problems))
        if rest:
            out.append(
                f"<details><summary>{len(rest)} passing or informational</summary>\n\n"
                + _table(rest)
                + "\n</details>\n"
            )
    return "\n".join(out)


def _table(findings: Sequence[Finding]) -> str:
    rows = ["| status | check | finding |", "|---|---|---|"]
    for item in findings:
        text = md_escape(item.summary)
        if item.location is not None:
            text += f" <br><sub>{md_escape(str(item.location))}</sub>"
        if item.hint and _level(item) is not None:
            text += f" <br><sub>{md_escape(item.hint)}</sub>"
        rows.append(f"| {_ICONS[item.status]} | `{item.id}` | {text} |")
    return "\n".join(rows) + "\n"
