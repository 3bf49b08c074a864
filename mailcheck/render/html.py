"""HTML output: one self-contained page (inline CSS, no scripts, no external assets) to share."""

from __future__ import annotations

import datetime
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mailcheck import __version__
from mailcheck.escape import printable
from mailcheck.model import (
    STATUS_ORDER,
    Finding,
    Report,
    Section,
    Status,
    TranscriptLine,
    count_statuses,
)
from mailcheck.render import counted

# Colours repeat the status word, never replace it (the page must survive being printed).
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;
color:#1b1b1b;background:#fff;padding:0 1em}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1.05em;margin:1.2em 0 .3em}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;vertical-align:top;padding:.2em .5em}
tr+tr td{border-top:1px solid #eee}code,pre,.id{font-family:ui-monospace,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.4em;margin:.3em 0}
.st{font-weight:bold;white-space:nowrap}.pass{color:#17692c}.info{color:#0b5f8a}
.warn{color:#8a5a00}.fail{color:#b00020}.error{color:#7a1fa2}.skip{color:#666}
.hint{font-style:italic}.refs,.meta{color:#555}.headline{color:#333;font-family:monospace}
"""


def esc(value: object) -> str:
    """Untrusted text for HTML: control bytes shown as escapes, then HTML-escaped (quotes too)."""
    return html.escape(printable(str(value)), quote=True)


def _status(status: Status, waived: str = "") -> str:
    word = "WAIVED" if waived else status.word
    return f'<span class="st {status.value}">{word}</span>'


def _counts(findings: Iterable[Finding]) -> str:
    counts = count_statuses(findings)
    parts = [
        f'<span class="{s.value}">{counts[s]} {s.word}</span>'
        for s in STATUS_ORDER
        if counts[s] and s is not Status.SKIP
    ]
    return " ".join(parts) or "no findings"


def _finding_row(item: Finding) -> str:
    body = [esc(item.summary)]
    if item.subject:
        body.insert(0, f"<span class='meta'>{esc(item.subject)}:</span> ")
    if item.hint:
        body.append(f'<div class="hint">→ {esc(item.hint)}</div>')
    if item.refs:
        body.append(f'<div class="refs">{esc(", ".join(item.refs))}</div>')
    if item.waived:
        body.append(f'<div class="meta">waived: {esc(item.waived)}</div>')
    if item.details:
        body.append(f"<pre>{esc(item.details)}</pre>")
    if item.evidence:
        body.append(
            f"<details><summary>evidence</summary><pre>{_lines(item.evidence)}</pre></details>"
        )
    if item.location is not None:
        body.append(f'<div class="meta">{esc(item.location)}</div>')
    return (
        f"<tr><td>{_status(item.status, item.waived)}</td>"
        f'<td class="id">{esc(item.id)}</td><td>{"".join(body)}</td></tr>'
    )


def _data_block(data: Mapping[str, Any]) -> str:
    """Structured section data a reader acts on (a proposed record, a conversation), literally."""
    out = ""
    transcript = data.get("transcript")
    if transcript:
        lines = []
        for line in transcript:
            if isinstance(line, TranscriptLine):
                who = {"C": "C: ", "S": "S: "}.get(line.who, "")
                lines.append(f"+{line.ms:.0f} ms  {who}{line.text}")
        out += f"<pre>{_lines(lines)}</pre>"
    proposal = data.get("flattening")
    if isinstance(proposal, Mapping) and proposal.get("record"):
        out += f"<p>proposed record:</p><pre>{esc(proposal['record'])}</pre>"
    return out


def _lines(lines: Iterable[str]) -> str:
    """Each line escaped on its own: a newline inside a line is shown, never obeyed."""
    return "\n".join(esc(line) for line in lines)


def _section(section: Section) -> str:
    head = f"<h3>{esc(section.title)}"
    if section.headline:
        head += f' <span class="headline">{esc(section.headline)}</span>'
    head += "</h3>"
    rows = "".join(_finding_row(f) for f in section.findings)
    table = f"<table>{rows}</table>" if rows else ""
    return head + table + _data_block(section.data)


def _report(report: Report, verbose: bool) -> str:
    title = esc(report.display or report.subject)
    if report.display and report.display != report.subject:
        title += f' <span class="meta">({esc(report.subject)})</span>'
    queries = (
        counted(report.dns.queries, "query", "queries") + ", " if report.dns is not None else ""
    )
    parts = [
        f"<section><h2>{title}</h2>",
        f"<p>{_status(report.status)} &nbsp; {_counts(report.findings())}"
        f' <span class="meta">({queries}{report.duration:.2f} s)</span></p>',
    ]
    verdict = report.data.get("verdict")
    if verdict:
        parts.append(f"<p>{esc(verdict)}</p>")
    parts.extend(_section(s) for s in report.sections)
    if verbose and report.queries:
        rows = "".join(
            f"<tr><td>{esc(q.name)}</td><td>{esc(q.rdtype)}{' +dnssec' if q.dnssec else ''}</td>"
            f"<td>{esc(q.outcome)}</td>"
            f"<td>{esc(q.source)}</td><td>{esc('; '.join(q.answers))}</td></tr>"
            for q in report.queries
        )
        parts.append(f"<h3>DNS queries</h3><table>{rows}</table>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(
    command: str, reports: Sequence[Report], exit_code: int, *, verbose: bool = False
) -> str:
    """The whole run as one HTML document (UTF-8); every untrusted string is escaped."""
    findings = [f for r in reports for f in r.findings()]
    subjects = ", ".join(r.display or r.subject for r in reports[:3])
    if len(reports) > 3:
        subjects += f" and {len(reports) - 3} more"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(_report(r, verbose) for r in reports)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        # no network at all: a shared report must not call home or load anything
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>mailcheck {esc(command)}: {esc(subjects)}</title>\n"
        f"<style>{_CSS}</style></head><body>\n"
        f"<h1>mailcheck {esc(command)}: {esc(subjects)}</h1>\n"
        f'<p>{_counts(findings)} <span class="meta">exit code {exit_code}; '
        f"mailcheck {esc(__version__)}; {now}</span></p>\n"
        f"{body}\n"
        "</body></html>\n"
    )
