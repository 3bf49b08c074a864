"""Text output with rich: verdict first and last, a section per family, status words always printed.

Lines are laid out here, not by rich tables: words are wrapped at spaces only (a DNS name, a
record to publish or a file path runs past the edge rather than being split), continuation
lines keep their indent and tree drawing, and no line ends in spaces.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from mailcheck.escape import clip, printable
from mailcheck.model import (
    STATUS_ORDER,
    Finding,
    ReceivedHop,
    Report,
    Section,
    SignatureRow,
    SpfTreeNode,
    Status,
    TranscriptLine,
    count_statuses,
)
from mailcheck.render import counted

STYLES = {
    Status.PASS: "green",
    Status.INFO: "cyan",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "magenta",
    Status.SKIP: "dim",
}
# Within a section: what needs attention first, what is fine last
SECTION_ORDER = {
    s: i
    for i, s in enumerate(
        (Status.FAIL, Status.ERROR, Status.WARN, Status.INFO, Status.SKIP, Status.PASS)
    )
}
# Summaries line up in one column across sections, up to this id width
MAX_ID_WIDTH = 26
# a section's heading (an SPF record, a list of hosts) stays a few lines: a 20 KB record
# filled screens before the first finding; -v shows it whole, as the evidence does
HEADLINE_LIMIT = 400
TREE_BRANCHES = 20  # the include tree's branches shown under one record without -v
QUIET_RANK = Status.WARN.rank


def styled(text: str, style: str) -> Text:
    """A piece of a line whose style stays its own when more is appended to it."""
    out = Text()
    out.append(text, style=style)
    return out


def status_text(status: Status) -> Text:
    return styled(status.word.ljust(5), STYLES[status])


def verdict_word(report: Report) -> Text:
    """OK, WARN, ERROR or FAIL: the report's verdict in one word."""
    status = report.status
    word = "OK" if status in (Status.PASS, Status.INFO, Status.SKIP) else status.word
    return styled(word.ljust(5), STYLES[status] + " bold" if word != "OK" else "bold green")


def counts_text(findings: Iterable[Finding]) -> Text:
    counts = count_statuses(findings)
    out = Text()
    for status in STATUS_ORDER:
        if counts[status] and status is not Status.SKIP:
            if out:
                out.append("  ")
            out.append(f"{counts[status]} {status.word}", style=STYLES[status])
    return out


# -- line layout -------------------------------------------------------------------------


def wrap(text: Text, width: int, indent: int = 0, first: int | None = None) -> list[Text]:
    """Split at spaces into lines of at most `width` cells; words are never cut.

    `first` is the room on the first line (default `width`); `indent` spaces start every
    continuation line. A word longer than the room gets a line of its own and runs past it.
    """
    out: list[Text] = []
    room = width if first is None else first
    for paragraph in text.split("\n", allow_blank=True):
        plain = paragraph.plain
        words = [m.span() for m in re.finditer(r"\S+", plain)]
        if not words:
            out.append(Text(""))
            continue
        start, end = 0, words[0][1]
        for w_start, w_end in words[1:]:
            if w_end - start <= max(room, 1):
                end = w_end
                continue
            out.append(paragraph[start:end])
            room = width - indent
            start, end = w_start, w_end
        out.append(paragraph[start:end])
        room = width - indent
    for number, line in enumerate(out):
        line.rstrip()
        if number and indent:
            out[number] = Text(" " * indent) + line
    return out


def hanging(prefix: Text, body: Text, width: int) -> list[Text]:
    """`prefix` then `body`, whose continuation lines start under the body's first column."""
    indent = prefix.cell_len
    lines = wrap(body, width, indent=indent, first=width - indent)
    if not lines:
        return [prefix]
    return [prefix + lines[0], *lines[1:]]


def capitalized(hint: str) -> str:
    """A hint is a sentence: capital first letter, unless it starts with a name or a tag."""
    word = hint.split(" ", 1)[0]
    if word.isalpha() and word.islower() and word != "mailcheck":
        return hint[0].upper() + hint[1:]
    return hint


def emit(console: Console, item: RenderableType | list[Text]) -> None:
    """Print lines or a rich renderable without the spaces rich pads lines with."""
    if isinstance(item, list):
        for line in item:
            line.rstrip()
            console.print(line, soft_wrap=True)
        return
    options = console.options
    segments: list[Segment] = []
    for row in console.render_lines(item, options, pad=False):
        while row and not row[-1].text.rstrip():
            row.pop()
        if row and row[-1].text != row[-1].text.rstrip():
            last = row.pop()
            row.append(Segment(last.text.rstrip(), last.style, last.control))
        segments.extend(row)
        segments.append(Segment.line())
    console.print(_Segments(segments), soft_wrap=True)


class _Segments:
    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments

    def __rich_console__(self, console: Console, options: Any) -> Iterable[Segment]:
        yield from self.segments


# -- the report ----------------------------------------------------------------------------


def headline(report: Report) -> Text:
    line = verdict_word(report) + Text(" ")
    if report.kind == "message":
        line.append(printable(report.subject), style="bold")
        verdict = report.data.get("verdict")
        if verdict:
            line.append("   " + str(verdict))
        line.append("   ")
        line.append_text(counts_text(report.findings()))
        return line
    line.append(printable(report.display or report.subject), style="bold")
    if report.display and report.display != report.subject:
        line.append(f" ({report.subject})", style="dim")
    line.append("   ")
    line.append_text(counts_text(report.findings()))
    if report.dns is not None and (report.kind == "domain" or report.dns.queries):
        queries = counted(report.dns.queries, "query", "queries")
        line.append(f"   ({queries}, {report.duration:.2f} s)", style="dim")
    return line


def shown(findings: Iterable[Finding], quiet: bool) -> list[Finding]:
    """Worst first (stable within a status); with --quiet only WARN and worse."""
    kept = [f for f in findings if not quiet or (f.status.rank >= QUIET_RANK and not f.waived)]
    return sorted(kept, key=lambda f: SECTION_ORDER[f.status])


def finding_lines(
    item: Finding, id_width: int, width: int, *, verbose: bool, label_width: int = 5
) -> list[Text]:
    label = styled("WAIVED", "dim") if item.waived else status_text(item.status)
    prefix = Text("  ") + label + Text(" " * (label_width + 2 - label.cell_len))
    ident = Text(item.id)
    if ident.cell_len > id_width:
        # a long id gets its own line; the text starts in the common column below it
        lines = [prefix + ident]
        prefix = Text(" " * (prefix.cell_len + id_width + 2))
    else:
        lines = []
        prefix = prefix + ident + Text(" " * (id_width - ident.cell_len + 2))
    body = Text(item.summary)
    where = item.location
    # like a compiler: FILE:LINE of the record a problem is about, for terminals and editors
    if where is not None and (
        verbose or (where.line is not None and item.status.rank >= QUIET_RANK)
    ):
        body.append(f"\nat {where}", style="dim")
    if item.hint and item.status in (Status.WARN, Status.FAIL, Status.ERROR):
        body.append("\n→ " + capitalized(item.hint), style="italic")
    if item.refs and (verbose or item.status in (Status.FAIL, Status.WARN)):
        body.append(" " if item.hint else "\n", style="dim")
        body.append(f"({', '.join(item.refs)})", style="dim")
    if verbose:
        if item.details:
            body.append("\n" + item.details, style="dim")
        for line in item.evidence:
            body.append("\n" + line, style="dim")
    return lines + hanging(prefix, body, width)


def spf_tree_lines(tree: SpfTreeNode, width: int, *, verbose: bool = False) -> list[Text]:
    """The include tree drawn with guides; wrapped labels keep the guides of their branch.
    Without --verbose each record shows its first TREE_BRANCHES branches and counts the rest:
    a record of hundreds of includes drew hundreds of lines."""

    def label(node: SpfTreeNode, root: bool) -> Text:
        text = Text(node.label)
        direct = node.direct_lookups
        sub = node.total_lookups - direct
        count = f"{direct} + {sub}" if sub else f"{direct}"
        if not root:
            count = f"1 + {node.total_lookups}" if node.total_lookups else "1"
        text.append(f"   {count} lookup{'s' if count != '1' else ''}", style="dim")
        if node.status != "ok":
            text.append(f"   [{node.status}]", style="yellow")
        if node.direct_terms and not root:
            text.append("   " + " ".join(node.direct_terms), style="dim")
        return text

    out: list[Text] = []

    def draw(text: Text, lead: str, branch: str, below: str) -> None:
        first = styled(lead + branch, "dim")
        rest = styled(lead + below, "dim")
        lines = wrap(text, width - first.cell_len)
        out.append(first + lines[0])
        out.extend(rest + line for line in lines[1:])

    def add(node: SpfTreeNode, lead: str) -> None:
        children = node.children
        hidden = 0 if verbose else max(0, len(children) - TREE_BRANCHES)
        if hidden:
            children = children[:TREE_BRANCHES]
        for number, child in enumerate(children):
            last = number == len(children) - 1 and not hidden
            draw(
                label(child, False),
                lead,
                "└── " if last else "├── ",
                "    " if last else "│   ",
            )
            add(child, lead + ("    " if last else "│   "))
        if hidden:
            more = Text(f"… and {hidden} more (-v shows all)", style="dim")
            draw(more, lead, "└── ", "    ")

    draw(label(tree, True), "  ", "", "" if not tree.children else "│ ")
    if tree.direct_terms:
        terms = Text(", ".join(tree.direct_terms)) + Text(f"   {tree.direct_lookups}", style="dim")
        last = not tree.children
        draw(terms, "  ", "└── " if last else "├── ", "    " if last else "│   ")
    add(tree, "  ")
    return out


def section_lines(
    section: Section,
    id_width: int,
    width: int,
    *,
    verbose: bool,
    quiet: bool,
    label_width: int = 5,
    transcript: bool = False,
) -> list[Text]:
    """The heading, the conversation (trace, send), then the findings worst first."""
    title = styled(section.title, "bold")
    lines: list[Text] = []
    if section.headline:
        heading = section.headline
        if len(heading) > HEADLINE_LIMIT and not verbose:
            heading = f"{clip(heading, HEADLINE_LIMIT)} ({len(heading)} characters; -v shows all)"
        lines = hanging(title + Text("   "), Text(heading), width)
    else:
        lines = [title]
    if transcript and section.data.get("transcript"):
        lines.extend(transcript_lines(section.data["transcript"], width))
    for item in shown(section.findings, quiet):
        lines.extend(finding_lines(item, id_width, width, verbose=verbose, label_width=label_width))
    return lines


def _id_width(sections: Iterable[Section], quiet: bool) -> int:
    ids = [len(f.id) for s in sections for f in shown(s.findings, quiet)]
    fitting = [n for n in ids if n <= MAX_ID_WIDTH]
    return max(fitting, default=min(max(ids, default=8), MAX_ID_WIDTH))


def render_report(
    console: Console, report: Report, *, verbose: bool = False, quiet: bool = False
) -> None:
    width = console.width
    emit(console, wrap(headline(report), width, indent=6))
    visible = [
        s
        for s in report.sections
        if (s.findings or s.headline) and (not quiet or shown(s.findings, quiet))
    ]
    id_width = _id_width(visible, quiet)
    label_width = 6 if any(f.waived for s in visible for f in shown(s.findings, quiet)) else 5
    # a domain report shows its SMTP conversations only with --verbose
    transcripts = not quiet and (verbose or report.kind in ("trace", "send"))
    for section in visible:
        console.print()
        lines = section_lines(
            section,
            id_width,
            width,
            verbose=verbose,
            quiet=quiet,
            label_width=label_width,
            transcript=transcripts,
        )
        emit(console, lines)
        if quiet:
            continue
        if section.family == "dkim" and section.data.get("signatures"):
            emit(console, _indented(signature_table(section.data["signatures"], verbose)))
        if section.family == "received" and section.data.get("hops"):
            emit(console, _indented(hop_table(section.data["hops"])))
        tree = section.data.get("tree") if section.family == "spf" else None
        if isinstance(tree, SpfTreeNode) and tree.children:
            emit(console, [Text("  include tree", style="dim")])
            emit(console, spf_tree_lines(tree, width, verbose=verbose))
    if verbose and report.queries:
        console.print()
        emit(console, queries_lines(report, width))
    console.print()
    emit(console, closing_lines(report, width))


def _indented(table: Table) -> RenderableType:
    from rich.padding import Padding

    return Padding(table, (0, 0, 0, 2))


def problem_ids(report: Report) -> dict[Status, list[str]]:
    """The ids of FAIL and ERROR findings, in report order, `id (N)` when repeated."""
    out: dict[Status, list[str]] = {}
    for status in (Status.FAIL, Status.ERROR):
        counted = Counter(f.id for f in report.findings() if f.status is status)
        out[status] = [f"{i} ({n})" if n > 1 else i for i, n in counted.items()]
    return out


def closing_lines(report: Report, width: int) -> list[Text]:
    """The verdict again, after the last section, with every FAIL and ERROR id."""
    line = verdict_word(report) + Text(" ")
    line.append(printable(report.display or report.subject), style="bold")
    line.append("   ")
    line.append_text(counts_text(report.findings()))
    lines = wrap(line, width, indent=6)
    for status, ids in problem_ids(report).items():
        if ids:
            prefix = Text("      ") + status_text(status) + Text("  ")
            lines.extend(hanging(prefix, Text(", ".join(ids)), width))
    # the worst finding first (FAIL, then ERROR, then WARN), in report order within a status
    problems = [
        f for f in report.findings() if f.status in (Status.FAIL, Status.ERROR, Status.WARN)
    ]
    problem = min(problems, key=lambda f: SECTION_ORDER[f.status], default=None)
    if problem is not None:
        lines.extend(
            wrap(
                Text(
                    f"What an id means and how to fix it: mailcheck explain {problem.id}",
                    style="dim",
                ),
                width,
            )
        )
    return lines


def signature_table(rows: Sequence[SignatureRow], verbose: bool = False) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    columns = ["#", "d=", "s=", "a=", "c=", "key", "l=", "result"] + (["h="] if verbose else [])
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ("d=", "s="))
    for row in rows:
        kind = {"rsa": "RSA", "ed25519": "Ed25519"}.get(row.key_type or "", "?")
        key = f"{kind} {row.key_bits}" if row.key_bits and kind == "RSA" else kind
        status = _RESULT_STATUS.get(row.result, Status.FAIL)
        # every tag value comes from the message: escaped, whatever the caller did
        cells: list[Text | str] = [
            str(row.index),
            Text(printable(row.domain)),
            Text(printable(row.selector)),
            Text(printable(row.algorithm)),
            Text(printable(row.canonicalization)),
            key,
            Text(printable(row.body_length or "")),
            Text(printable(row.result).upper(), style=STYLES[status]),
        ]
        if verbose:
            cells.append(Text(printable(" ".join(row.signed_headers))))
        table.add_row(*cells)
    return table


_RESULT_STATUS = {"pass": Status.PASS, "temperror": Status.ERROR, "neutral": Status.INFO}


def hop_table(rows: Sequence[ReceivedHop]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("time", "+delay", "from", "by", "with", "TLS"):
        # "with" is a keyword (ESMTPSA, LMTP): a forged long one must not squeeze the rest out
        limit = 16 if column == "with" else None
        table.add_column(column, no_wrap=column in ("time", "+delay"), max_width=limit)
    for row in rows:
        delay = "" if row.delay is None else f"{row.delay:+.0f} s"
        # the time as the hop wrote it (its own offset), to the second
        when = row.time.isoformat()[:19].replace("T", " ") if row.time else ""
        tls = row.tls or ("yes" if row.encrypted else "no")
        source = row.helo
        if row.ip and row.ip not in source:
            source = f"{source} [{row.ip}]"
        table.add_row(
            when,
            delay,
            Text(printable(source)),
            Text(printable(row.by)),
            Text(printable(row.protocol)),
            Text(printable(tls)),
        )
    return table


_WHO = {"C": ("C: ", "bold cyan"), "S": ("S: ", "green"), "*": ("", "dim italic")}


def transcript_lines(lines: Sequence[TranscriptLine], width: int) -> list[Text]:
    """The conversation: time since connect, who spoke, the line exactly (escaped)."""
    times = [f"+{line.ms:.0f} ms" for line in lines]
    column = max((len(t) for t in times), default=0)
    out: list[Text] = []
    previous = None
    for ms, line in zip(times, lines, strict=True):
        prefix, style = _WHO.get(line.who, ("", ""))
        shown_time = ms if ms != previous else ""
        previous = ms
        lead = styled("  " + shown_time.rjust(column) + " ", "dim")
        text = Text(prefix + printable(line.text), style=style)
        out.extend(hanging(lead, text, width))
    out.append(Text(""))
    return out


def queries_lines(report: Report, width: int) -> list[Text]:
    """Every DNS query on a line of its own: names are never cut (the line wraps at spaces),
    the answers below it."""
    out = [styled("DNS queries", "bold")]
    for query in report.queries:
        head = Text("  " + printable(query.name) + " ")
        # +dnssec (as dig writes it): asked again with the DO bit, not a duplicate line
        dnssec = " +dnssec" if query.dnssec else ""
        head.append(f"{query.rdtype}{dnssec} {query.outcome}", style="bold")
        head.append(f"  {printable(query.source)}, {query.elapsed * 1000:.1f}\u00a0ms", style="dim")
        out.extend(wrap(head, width, indent=4))
        if query.answers:
            answer = "; ".join(query.answers[:3]) + (" …" if len(query.answers) > 3 else "")
            out.extend(hanging(Text("    → "), Text(printable(answer, limit=400)), width))
    return out


def render_summary(console: Console, reports: Sequence[Report]) -> None:
    """The end of a many-subject run: each subject's verdict and its FAIL and ERROR ids."""
    width = console.width
    emit(console, [Text("Summary", style="bold")])
    total = Counter(r.status for r in reports)
    for report in sorted(reports, key=lambda r: SECTION_ORDER[r.status]):
        line = Text("  ") + verdict_word(report) + Text(" ")
        line.append(printable(report.display or report.subject))
        counts = report.counts()
        parts = [
            f"{counts[s]} {s.word}" for s in (Status.FAIL, Status.ERROR, Status.WARN) if counts[s]
        ]
        if parts:
            line.append("   " + "  ".join(parts), style="dim")
        lines = [line]
        for status, ids in problem_ids(report).items():
            if ids:
                prefix = Text("        ") + status_text(status) + Text("  ")
                lines.extend(hanging(prefix, Text(", ".join(ids)), width))
        emit(console, lines)
    words = [
        f"{total[s]} {'OK' if s is Status.PASS else s.word}"
        for s in (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS)
        if total[s]
    ]
    emit(console, [Text(f"{len(reports)} subjects: " + ", ".join(words), style="bold")])
