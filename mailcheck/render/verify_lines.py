"""Many messages at a glance: one line per message, then the run's summary (text output)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.control import strip_control_codes
from rich.table import Table
from rich.text import Span, Text

from mailcheck.escape import decode_words, printable
from mailcheck.model import Report, Status
from mailcheck.render.text import emit

_STYLES = {
    Status.PASS: "green",
    Status.INFO: "cyan",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "magenta",
    Status.SKIP: "dim",
}
_RESULT_STYLES = {
    "pass": "green",
    "fail": "red",
    "softfail": "yellow",
    "permerror": "red",
    "temperror": "magenta",
}


@dataclass(frozen=True)
class MessageLine:
    """What one line says about one message (every string already escaped)."""

    status: Status
    label: str
    sender: str
    subject: str
    dmarc: str
    dkim: str
    spf: str
    arc: str
    problem: str = ""  # a message that could not be evaluated: why


def _label(source: str, message_id: str) -> str:
    """The file name (a Maildir's folder adds nothing); an mbox entry keeps its number."""
    if source in ("<stdin>",) and message_id:
        return printable(message_id)
    if " #" in source:
        path, _, number = source.rpartition(" #")
        return printable(f"{Path(path).name} #{number}")
    return printable(Path(source).name or source)


def message_line(report: Report) -> MessageLine:
    """The line of a report as it came from verify: every string shown is escaped here
    (escaping the whole report for one line cost more than verifying the message)."""
    sections = {s.family: s for s in report.sections}
    head = sections["message"].data if "message" in sections else {}
    label = _label(report.subject, str(head.get("message_id", "")))
    status = report.status
    if "dmarc" not in sections:  # not evaluated: unreadable, too large, not a message
        problem = next(
            (f.summary for f in report.findings() if f.status in (Status.FAIL, Status.ERROR)),
            "not evaluated",
        )
        return MessageLine(
            status,
            label,
            printable(str(head.get("from_address") or head.get("from", ""))),
            printable(decode_words(str(head.get("subject", "")))),
            "",
            "",
            "",
            "",
            printable(str(problem)),
        )
    dmarc = sections["dmarc"].data
    result = printable(str(dmarc.get("result", "?")))
    if result == "fail":
        result = f"fail→{printable(str(dmarc.get('disposition', 'none')))}"
    rows = sections["dkim"].data.get("signatures", []) if "dkim" in sections else []
    passing = sum(1 for r in rows if r.result == "pass")
    dkim = f"{passing}/{len(rows)}" if rows else "-"
    if rows and dmarc.get("dkim_aligned"):
        dkim += " aligned"
    spf = printable(str(sections["spf"].data.get("result", "-"))) if "spf" in sections else "-"
    arc = printable(str(sections["arc"].data.get("cv", "-"))) if "arc" in sections else "-"
    return MessageLine(
        status,
        label,
        printable(str(head.get("from_address") or head.get("from", ""))),
        printable(decode_words(str(head.get("subject", "")))),
        result,
        dkim,
        spf,
        arc,
    )


_NAMES = ("DMARC", "DKIM", "SPF", "ARC")


def _results(line: MessageLine) -> tuple[str, str, str, str]:
    return line.dmarc, line.dkim, line.spf, line.arc


def _widths(total: int, lines: list[MessageLine]) -> tuple[list[int], list[int]]:
    """Column widths from what the lines hold, like a table; when the terminal is too
    narrow the file name gives way first (Maildir names say little), then Subject, then
    From, each down to a readable width before any goes further."""
    evaluated = [_results(line) for line in lines if not line.problem]
    fixed = [max([len(name)] + [len(row[i]) for row in evaluated]) for i, name in enumerate(_NAMES)]
    wanted = [
        min(40, max([len("message")] + [len(line.label) for line in lines])),
        min(40, max([len("from")] + [len(line.sender) for line in lines])),
        min(60, max([len("subject")] + [len(line.subject) for line in lines])),
    ]
    room = total - 8 - 4 - sum(width + 2 for width in fixed)
    over = sum(wanted) - room
    for index, least in ((0, 12), (2, 16), (1, 16), (2, 10), (0, 8), (1, 12)):
        if over <= 0:
            break
        give = max(0, min(over, wanted[index] - least))
        wanted[index] -= give
        over -= give
    return wanted, fixed


def _cell(text: str, width: int) -> str:
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(0, width - 1)] + "…"


_ORDER = {Status.PASS: 0, Status.INFO: 0, Status.SKIP: 0, Status.WARN: 1, Status.ERROR: 2}


def render_lines(
    console: Console, lines: list[MessageLine], passing_left: int = 0, others_left: int = 0
) -> None:
    """A header, then one line per message: passing first, failing last, where the summary
    that follows keeps them on the screen. Within a group, the order they were read in.
    `*_left`: lines not kept (a huge mailbox), said where they would have been."""
    (label_w, sender_w, subject_w), fixed = _widths(console.width, lines)
    head = "  ".join(
        [
            "result",
            _cell("message", label_w),
            _cell("from", sender_w),
            _cell("subject", subject_w),
            *(_cell(name, width) for name, width in zip(_NAMES, fixed, strict=True)),
        ]
    )
    console.print(Text(head.rstrip(), style="bold"), no_wrap=True, crop=True)
    widths = (label_w, sender_w, subject_w, *fixed)
    ordered = sorted(lines, key=lambda item: _ORDER.get(item.status, 3))
    batch: list[Text] = []
    for index, line in enumerate(ordered):
        batch.append(_line_text(line, widths))
        last_passing = _ORDER.get(line.status, 3) == 0 and (
            index + 1 == len(ordered) or _ORDER.get(ordered[index + 1].status, 3) > 0
        )
        if last_passing and passing_left:
            batch.append(Text(f"… {passing_left} more passing (--format jsonl lists all)"))
        if len(batch) >= _BATCH:
            _print(console, batch)
    _print(console, batch)
    if others_left:
        console.print(Text(f"… {others_left} more not passing (--format jsonl lists all)"))


# Lines handed to rich at once: one print per line cost as much as verifying the message;
# rich crops each line of a multi-line Text on its own, so the output is the same.
_BATCH = 256


def _print(console: Console, batch: list[Text]) -> None:
    if batch:
        console.print(Text("\n").join(batch), no_wrap=True, crop=True, overflow="ellipsis")
        batch.clear()


def _line_text(line: MessageLine, widths: tuple[int, ...]) -> Text:
    label_w, sender_w, subject_w, *fixed = widths
    parts = [
        ("  " + _cell(line.label, label_w) + "  ", ""),
        (_cell(line.sender, sender_w) + "  ", ""),
    ]
    if line.problem:
        parts.append((line.problem, _STYLES[line.status]))
    else:
        parts.append((_cell(line.subject, subject_w), ""))
        for width, value in zip(fixed, _results(line), strict=True):
            parts.append(("  ", ""))
            word = value.split("→")[0].split(" ")[0]
            parts.append((_cell(value, width), _RESULT_STYLES.get(word, "")))
    # One Text made at once, as Text.append would make it piece by piece (that cost as
    # much per line as the rest of printing it): the same text, the same spans.
    first = strip_control_codes(line.status.word.ljust(6))
    pieces = [first]
    spans: list[Span] = []
    offset = len(first)
    for piece, style in parts:
        piece = strip_control_codes(piece)
        if style and piece:
            spans.append(Span(offset, offset + len(piece), style))
        pieces.append(piece)
        offset += len(piece)
    text = Text("".join(pieces), style=_STYLES[line.status], spans=spans)
    text.rstrip()
    return text


def _counts(title: str, counts: Mapping[str, int]) -> Text:
    out = Text(title.ljust(14), style="bold")
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    parts = [f"{n} {name}" for name, n in ranked]
    out.append(", ".join(parts) if parts else "-")
    return out


_SIGNER_ROWS = 12


def render_verify_summary(console: Console, tally: Mapping[str, Any]) -> None:
    """Totals for the run: DMARC (with dispositions), SPF, ARC, unreadable, DKIM by signer."""
    console.print()
    console.print(Text(f"Summary: {tally['messages']} messages", style="bold"))
    dmarc = dict(tally["dmarc"])
    line = _counts("DMARC", dmarc)
    failing = tally.get("dmarc_fail_disposition", {})
    if failing:
        line.append("   (failing → " + ", ".join(f"{d}: {n}" for d, n in failing.items()) + ")")
    console.print(line)
    console.print(_counts("SPF", tally.get("spf", {})))
    console.print(_counts("ARC", tally.get("arc", {})))
    problems = tally.get("not_evaluated", {})
    if problems:
        console.print(_counts("Not evaluated", problems))
    signers = Table(title="DKIM by signing domain", title_justify="left")
    signers.add_column("d=")
    results = sorted({r for c in tally["dkim_by_domain"].values() for r in c})
    for result in results:
        signers.add_column(result, justify="right")
    # the signers with failures first, then the busiest: a screenful, not hundreds of rows
    domains = sorted(
        tally["dkim_by_domain"].items(),
        key=lambda item: (
            -sum(n for r, n in item[1].items() if r != "pass"),
            -sum(item[1].values()),
        ),
    )
    for domain, counts in domains[:_SIGNER_ROWS]:
        signers.add_row(Text(printable(domain)), *(str(counts.get(r, 0)) for r in results))
    if len(domains) > _SIGNER_ROWS:
        signers.add_row(Text(f"… {len(domains) - _SIGNER_ROWS} more (--format json has all)"))
    if domains:
        console.print()
        emit(console, signers)
