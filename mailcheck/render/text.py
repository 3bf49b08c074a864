"""Text output with rich: verdict line, a section per family, status words always printed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from mailcheck.model import STATUS_ORDER, Finding, Report, Section, Status, count_statuses
from mailcheck.text import printable

STYLES = {
    Status.PASS: "green",
    Status.INFO: "cyan",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "magenta",
    Status.SKIP: "dim",
}


def status_text(status: Status) -> Text:
    return Text(status.word.ljust(5), style=STYLES[status])


def counts_text(findings: Sequence[Finding]) -> Text:
    counts = count_statuses(findings)
    out = Text()
    for status in STATUS_ORDER:
        if counts[status] and status is not Status.SKIP:
            if out:
                out.append("  ")
            out.append(f"{counts[status]} {status.word}", style=STYLES[status])
    return out


def headline(report: Report) -> Text:
    if report.kind == "message":
        line = Text(printable(report.subject), style="bold")
        verdict = report.data.get("verdict")
        if verdict:
            line.append("   " + str(verdict))
        line.append("   ")
        line.append_text(counts_text(list(report.findings())))
        return line
    title = Text(printable(report.display or report.subject), style="bold")
    if report.display and report.display != report.subject:
        title.append(f" ({report.subject})", style="dim")
    line = Text.assemble(title, "   ", counts_text(list(report.findings())))
    line.append(f"   ({report.dns.queries} queries, {report.duration:.2f} s)", style="dim")
    return line


def findings_table(findings: Sequence[Finding], *, verbose: bool) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="dim")
    table.add_column(overflow="fold")
    for item in findings:
        body = Text(item.summary)
        if item.hint and item.status in (Status.WARN, Status.FAIL, Status.ERROR):
            body.append("\n→ " + item.hint, style="italic")
        if item.refs and (verbose or item.status in (Status.FAIL, Status.WARN)):
            body.append(
                f" ({', '.join(item.refs)})" if item.hint else f"\n  ({', '.join(item.refs)})",
                style="dim",
            )
        if verbose:
            if item.details:
                body.append("\n" + item.details, style="dim")
            for line in item.evidence:
                body.append("\n" + line, style="dim")
        label = Text("WAIVED", style="dim") if item.waived else status_text(item.status)
        table.add_row(Text("  ") + label, Text(item.id), body)
    return table


def spf_tree(data: dict[str, Any]) -> Tree:
    def label(node: dict[str, Any], root: bool) -> Text:
        text = Text(node["label"])
        direct = node["direct_lookups"]
        sub = node["total_lookups"] - direct
        count = f"{direct} + {sub}" if sub else f"{direct}"
        if not root:
            count = f"1 + {node['total_lookups']}" if node["total_lookups"] else "1"
        text.append(f"   {count} lookup{'s' if count != '1' else ''}", style="dim")
        if node["status"] != "ok":
            text.append(f"   [{node['status']}]", style="yellow")
        if node["direct_terms"] and not root:
            text.append("   " + " ".join(node["direct_terms"]), style="dim")
        return text

    def add(branch: Tree, node: dict[str, Any]) -> None:
        for child in node["children"]:
            add(branch.add(label(child, False)), child)

    tree = Tree(label(data, True), guide_style="dim")
    if data["direct_terms"]:
        tree.add(
            Text(", ".join(data["direct_terms"]))
            + Text(f"   {data['direct_lookups']}", style="dim")
        )
    add(tree, data)
    return tree


def section_block(section: Section, *, verbose: bool, transcripts: bool = True) -> RenderableType:
    title = Text(section.title, style="bold")
    if section.headline:
        title.append("   " + section.headline)
    parts: list[RenderableType] = [title]
    if section.findings:
        parts.append(findings_table(section.findings, verbose=verbose))
    if section.family == "dkim" and section.data.get("signatures"):
        parts.append(Padding(signature_table(section.data["signatures"], verbose), (0, 0, 0, 2)))
    if transcripts and section.data.get("transcript"):
        parts.insert(1, Padding(transcript_table(section.data["transcript"]), (0, 0, 1, 2)))
    if section.family == "received" and section.data.get("hops"):
        parts.append(Padding(hop_table(section.data["hops"]), (0, 0, 0, 2)))
    tree = section.data.get("tree") if section.family == "spf" else None
    if tree and tree.get("children"):
        parts.append(Text("  include tree", style="dim"))
        parts.append(Padding(spf_tree(tree), (0, 0, 0, 2)))
    return Group(*parts)


def signature_table(rows: list[dict[str, Any]], verbose: bool = False) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    columns = ["#", "d=", "s=", "a=", "c=", "key", "l=", "result"] + (["h="] if verbose else [])
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        kind = {"rsa": "RSA", "ed25519": "Ed25519"}.get(row["key_type"] or "", "?")
        key = f"{kind} {row['key_bits']}" if row["key_bits"] and kind == "RSA" else kind
        status = _RESULT_STATUS.get(row["result"], Status.FAIL)
        # every tag value comes from the message: escaped, whatever the service did
        cells: list[Text | str] = [
            str(row["index"]),
            Text(printable(row["d"])),
            Text(printable(row["s"])),
            Text(printable(row["a"])),
            Text(printable(row["c"])),
            key,
            Text(printable(row["l"] or "")),
            Text(printable(row["result"]).upper(), style=STYLES[status]),
        ]
        if verbose:
            cells.append(Text(printable(":".join(row["h"]))))
        table.add_row(*cells)
    return table


_RESULT_STATUS = {"pass": Status.PASS, "temperror": Status.ERROR, "neutral": Status.INFO}


def hop_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("time", "+delay", "from", "by", "with", "TLS"):
        table.add_column(column, overflow="fold")
    for row in rows:
        delay = "" if row["delay"] is None else f"{row['delay']:+.0f} s"
        when = (row["time"] or "")[:19].replace("T", " ")
        tls = row["tls"] or ("yes" if row["encrypted"] else "no")
        source = row["from"]
        if row["ip"] and row["ip"] not in source:
            source = f"{source} [{row['ip']}]"
        table.add_row(
            printable(when),
            delay,
            Text(printable(source)),
            Text(printable(row["by"])),
            Text(printable(row["with"])),
            Text(printable(tls)),
        )
    return table


_WHO = {"C": ("C: ", "bold cyan"), "S": ("S: ", "green"), "*": ("", "dim italic")}


def transcript_table(lines: list[dict[str, Any]]) -> Table:
    """The conversation: time since connect, who spoke, the line exactly (escaped)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", no_wrap=True, style="dim")
    table.add_column(overflow="fold")
    previous = None
    for line in lines:
        ms = f"+{line['ms']:.0f} ms"
        prefix, style = _WHO.get(line["who"], ("", ""))
        shown_time = ms if ms != previous else ""
        previous = ms
        table.add_row(shown_time, Text(prefix + line["text"], style=style))
    return table


def queries_table(report: Report) -> Table:
    table = Table(title="DNS queries", title_justify="left", box=None, pad_edge=False)
    for column in ("name", "type", "outcome", "source", "ms", "answer"):
        table.add_column(column, overflow="fold", no_wrap=column in ("type", "ms"))
    for query in report.queries:
        answer = "; ".join(query.answers[:3]) + (" …" if len(query.answers) > 3 else "")
        table.add_row(
            Text(printable(query.name)),
            query.rdtype,
            query.outcome,
            Text(printable(query.source)),
            f"{query.elapsed * 1000:.1f}",
            Text(printable(answer, limit=120)),
        )
    return table


def render_report(console: Console, report: Report, *, verbose: bool = False) -> None:
    console.print(headline(report))
    for section in report.sections:
        if not section.findings and not section.headline:
            continue
        console.print()
        # a domain report shows its SMTP conversations only with --verbose
        transcripts = verbose or report.kind in ("trace", "send")
        console.print(section_block(section, verbose=verbose, transcripts=transcripts))
    if verbose and report.queries:
        console.print()
        console.print(queries_table(report))
    problem = next(
        (f for f in report.findings() if f.status in (Status.FAIL, Status.WARN, Status.ERROR)),
        None,
    )
    if problem is not None:
        console.print()
        console.print(
            Text(
                f"mailcheck explain {problem.id} (or any id above): what it means, why it "
                "matters, how to fix it",
                style="dim",
            )
        )


def render_summary(console: Console, reports: Sequence[Report]) -> None:
    """The table at the end of a many-subject run."""
    table = Table(title="Summary", title_justify="left")
    table.add_column("subject")
    table.add_column("result")
    for status in (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS):
        table.add_column(status.word, justify="right")
    for report in reports:
        counts = report.counts()
        table.add_row(
            Text(printable(report.display or report.subject)),
            status_text(report.status),
            *(str(counts[s]) for s in (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS)),
        )
    console.print(table)
