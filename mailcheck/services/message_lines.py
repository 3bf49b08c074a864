"""Point message findings at the header line they are about (FILE:LINE, as for zone files):
the n-th DKIM-Signature, the n-th Received, the From: and Authentication-Results fields."""

from __future__ import annotations

import dataclasses
import re

from mailcheck.model import Location, Report

HEAD_LIMIT = 1024 * 1024  # header fields beyond the first megabyte are not looked for
_NTH_SIGNATURE = re.compile(r"^#(\d+) ")
_NTH_RECEIVED = re.compile(r"Received header (\d+)\b")


def header_lines(data: bytes) -> dict[str, list[int]]:
    """Lower-case field name -> the line numbers (1-based) where each instance starts."""
    out: dict[str, list[int]] = {}
    for number, line in enumerate(data[:HEAD_LIMIT].splitlines(), 1):
        if not line.strip(b"\r\n"):
            break  # the blank line that ends the header
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the field above
        name, colon, _ = line.partition(b":")
        if colon and name and not any(c in name for c in b" \t"):
            out.setdefault(name.decode("ascii", "replace").lower(), []).append(number)
    return out


def _field_for(check_id: str, summary: str) -> tuple[str, int]:
    """(field name, 1-based instance) a finding is about, or ("", 0) when not one field;
    instance -1: the field, if the message has only one of them."""
    family = check_id.split(".", 1)[0]
    if family == "dkim":
        match = _NTH_SIGNATURE.match(summary)
        return ("dkim-signature", int(match.group(1))) if match else ("", 0)
    if check_id in ("spf.client", "spf.message") or family == "received":
        match = _NTH_RECEIVED.search(summary)
        return ("received", int(match.group(1))) if match else ("", 0)
    if family == "auth-results":
        return "authentication-results", -1
    if check_id == "message.from":
        return "from", -1
    return "", 0


def locate_message(report: Report, data: bytes, path: str) -> Report:
    """The report with `path:LINE` on each finding whose header field is known."""
    lines = header_lines(data)
    sections = []
    for section in report.sections:
        findings = []
        for item in section.findings:
            name, instance = _field_for(item.id, item.summary)
            found = lines.get(name, [])
            if instance == -1 and len(found) == 1:
                instance = 1
            if item.location is None and 0 < instance <= len(found):
                item = dataclasses.replace(item, location=Location(path, found[instance - 1]))
            findings.append(item)
        sections.append(dataclasses.replace(section, findings=tuple(findings)))
    return dataclasses.replace(report, sections=tuple(sections))
