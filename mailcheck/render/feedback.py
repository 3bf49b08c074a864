"""`mailcheck report` for people (summary first, then each domain's failing sources) and as
CSV for spreadsheets (one row per source per aggregate report)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mailcheck.escape import printable
from mailcheck.model import Report, Section, Status
from mailcheck.render.text import (
    STYLES,
    counts_text,
    emit,
    finding_lines,
    section_lines,
    status_text,
    verdict_word,
    wrap,
)

_VERDICT_WORD = {
    "ready": ("READY", Status.PASS),
    "review": ("REVIEW", Status.WARN),
    "not-ready": ("NOT READY", Status.WARN),
    "final": ("AT REJECT", Status.INFO),
    "no-data": ("NO DATA", Status.INFO),
}
IN_TABLE = ("report.failing-source", "report.recheck")
MAX_ROWS = 25


def _t(value: Any, limit: int | None = 120) -> Text:
    return Text(printable(str(value if value is not None else ""), limit=limit))


def _section(report: Report) -> Section | None:
    return next((s for s in report.sections if s.family == "report"), None)


def render_run(console: Console, reports: Sequence[Report], *, verbose: bool = False) -> None:
    _summary(console, reports)
    for report in reports:
        if _section(report) is None:
            continue  # --only/--skip left nothing of it
        console.print()
        if report.kind == "dmarc-report":
            _domain(console, report, verbose)
        else:
            _plain(console, report, verbose)


def _summary(console: Console, reports: Sequence[Report]) -> None:
    dmarc = [r for r in reports if r.kind == "dmarc-report"]
    if dmarc:
        table = Table(title="DMARC readiness", title_justify="left", title_style="bold")
        for column in ("domain", "policy", "period", "messages", "failing", "verdict"):
            if column == "verdict":
                table.add_column(column, overflow="fold", ratio=1)
                continue
            table.add_column(
                column,
                overflow="fold",
                justify="right" if column in ("messages", "failing") else "left",
            )
        for report in dmarc:
            section = _section(report)
            if section is None:
                continue
            data = section.data
            word, status = _VERDICT_WORD[data["verdict"]["state"]]
            verdict = Text(word, style=STYLES[status])
            verdict.append("  " + printable(data["verdict"]["short"]))
            period = data["period"]
            from mailcheck.feedback.aggregate import iso_day

            begin, end = iso_day(period["begin"])[:10], iso_day(period["end"])[:10]
            table.add_row(
                _t(report.subject),
                _t(f"p={data['policy']['p']}"),
                Text(begin if begin == end else f"{begin} to {end}"),
                Text(str(data["messages"])),
                Text(f"{data['unaligned_percent']:.1f}%"),
                verdict,
            )
        emit(console, table)
    others = [r for r in reports if r.kind != "dmarc-report"]
    if others:
        table = Table(title="Other reports", title_justify="left", title_style="bold", box=None)
        for column in ("kind", "subject", "result", "summary"):
            table.add_column(column, overflow="fold")
        for report in others:
            section = _section(report)
            table.add_row(
                Text(report.kind),
                _t(report.display or report.subject),
                status_text(report.status),
                _t(section.headline if section else ""),
            )
        emit(console, table)
    if not reports:
        console.print(Text("no reports found"))


def _domain(console: Console, report: Report, verbose: bool) -> None:
    section = _section(report)
    if section is None:
        return
    emit(console, wrap(_headline(report), console.width, indent=6))
    emit(console, wrap(Text("  " + section.headline, style="dim"), console.width, indent=2))
    for key, label in (("reporters", "by reporter"), ("days", "by day")):
        entries = section.data[key]
        if len(entries) > 1:
            parts = [
                f"{printable(e.get('reporter') or e.get('day') or '', limit=40)} {e['messages']}"
                f" ({100 * e['passing'] / e['messages'] if e['messages'] else 0:.0f}% pass)"
                for e in entries[:8]
            ]
            emit(
                console,
                wrap(Text(f"  {label}: " + ", ".join(parts), style="dim"), console.width, indent=4),
            )
    shown = [f for f in section.findings if f.id not in IN_TABLE]
    if shown:
        width = max((len(f.id) for f in shown), default=8)
        emit(
            console,
            [x for f in shown for x in finding_lines(f, width, console.width, verbose=verbose)],
        )
    failing = section.data["failing"]
    if failing:
        console.print()
        console.print(Text("Failing sources", style="bold"))
        emit(console, _failing_table(failing, verbose))
    console.print()
    emit(console, _org_table(section.data["organizations"], verbose))


def _headline(report: Report) -> Text:
    line = verdict_word(report) + Text("  ")
    line.append(printable(report.display or report.subject), style="bold")
    line.append("   ")
    line.append_text(counts_text(list(report.findings())))
    return line


def _failing_table(rows: list[dict[str, Any]], verbose: bool) -> Table:
    """One entry per failing source, worst first: who, how much, why, what to fix, and today."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(overflow="fold")
    limit = len(rows) if verbose else MAX_ROWS
    for row in rows[:limit]:
        status = Status.WARN if row["legitimate"] else Status.INFO
        body = Text(printable(row["ip"], limit=60), style="bold")
        where = [row["ptr"], row["organization"]] if row["ptr"] else [row["organization"]]
        shown = ", ".join(where)
        body.append(" " + printable(shown if shown.startswith("(") else f"({shown})", limit=120))
        body.append("  From " + printable(row["header_from"], limit=80), style="dim")
        body.append("\n" + row["category"] + ": ", style=STYLES[status])
        body.append(printable(row["why"], limit=200))
        body.append("\n→ " + printable(row["fix"], limit=300), style="italic")
        if row["recheck"]:
            body.append("\nnow: " + printable(row["recheck"]["detail"], limit=300), style="dim")
        table.add_row(Text("  ") + status_text(status), Text(f"{row['messages']} msgs"), body)
    if len(rows) > limit:
        table.add_row(
            Text("  …"), Text(""), Text(f"{len(rows) - limit} more (--verbose, or --format csv)")
        )
    return table


def _org_table(orgs: list[dict[str, Any]], verbose: bool) -> Table:
    table = Table(
        title="Sources by organization (PTR)", title_justify="left", box=None, pad_edge=False
    )
    for column in ("organization", "sources", "messages", "DMARC pass"):
        table.add_column(
            column, overflow="fold", justify="left" if column == "organization" else "right"
        )
    limit = len(orgs) if verbose else MAX_ROWS
    for org in orgs[:limit]:
        percent = 100 * org["passing"] / org["messages"] if org["messages"] else 0.0
        table.add_row(
            _t(org["organization"]),
            Text(str(len(org["sources"]))),
            Text(str(org["messages"])),
            Text(f"{percent:.0f}%"),
        )
    if len(orgs) > limit:
        table.add_row(Text(f"… {len(orgs) - limit} more"))
    return table


def _plain(console: Console, report: Report, verbose: bool) -> None:
    emit(console, wrap(_headline(report), console.width, indent=6))
    width = max((len(f.id) for f in report.findings()), default=8)
    for section in report.sections:
        # the evidence is the point here: original headers, sending MTA -> receiving MX
        lines = section_lines(section, width, console.width, verbose=True, quiet=False)
        emit(console, lines)


# -- CSV ----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "domain",
    "reporter",
    "report_id",
    "begin",
    "end",
    "policy",
    "source_ip",
    "ptr",
    "organization",
    "count",
    "disposition",
    "dmarc",
    "dkim_aligned",
    "spf_aligned",
    "category",
    "header_from",
    "envelope_from",
    "dkim_results",
    "spf_results",
    "override_reasons",
)


def csv_cell(value: Any) -> str:
    """Escaped like every output, and never a formula to a spreadsheet (CWE-1236)."""
    text = printable("" if value is None else str(value))
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def write_csv(reports: Sequence[Report]) -> None:
    from mailcheck.feedback.aggregate import iso_day

    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        section = _section(report)
        if report.kind != "dmarc-report" or section is None:
            continue
        for item in section.data["reports"]:
            for row in item["rows"]:
                writer.writerow(
                    csv_cell(v)
                    for v in (
                        report.subject,
                        item["reporter"],
                        item["report_id"],
                        iso_day(item["begin"]),
                        iso_day(item["end"]),
                        item["policy"]["p"],
                        row["source_ip"],
                        row["ptr"],
                        row["organization"],
                        row["count"],
                        row["disposition"],
                        row["dmarc"],
                        row["dkim"],
                        row["spf"],
                        row["category"],
                        row["header_from"],
                        row["envelope_from"],
                        " ".join(
                            f"{d['domain']}/{d['selector'] or '-'}={d['result']}"
                            for d in row["dkim_auth"]
                        ),
                        " ".join(f"{s['domain']}={s['result']}" for s in row["spf_auth"]),
                        " ".join(r["type"] for r in row["reasons"]),
                    )
                )
    sys.stdout.flush()
