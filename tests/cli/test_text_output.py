"""Text output a person reads in a terminal: verdict first and last, worst first, locations,
no trailing spaces, no name cut in two, --quiet, --fail-on never, for every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, CliRun
from tests.dnsserver import DnsServer

BROKEN = ("domain", "broken.example.org", "--offline", "--zone", str(EXAMPLES / "zones"))
RANK = {"FAIL": 0, "ERROR": 1, "WARN": 2, "INFO": 3, "SKIP": 4, "WAIVED": 4, "PASS": 5}
FINDING = re.compile(r"^  (FAIL|ERROR|WARN|INFO|SKIP|PASS|WAIVED) +([a-z0-9-]+\.[a-z0-9.-]+)")


def findings_json(run_cli: CliRun, *args: str) -> list[dict[str, object]]:
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    return [f for report in doc["reports"] for s in report["sections"] for f in s["findings"]]


@pytest.mark.parametrize("columns", [80, 100])
def test_domain_text_fits_a_terminal(run_cli: CliRun, columns: int) -> None:
    result = run_cli(*BROKEN, env={"COLUMNS": str(columns)})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [n for n, line in enumerate(lines) if line != line.rstrip()] == []
    # every word of every summary and hint is printed whole: names, records and paths are
    # wrapped at spaces only, never cut (a word may run past the edge instead)
    words = {w.lower() for line in lines for w in line.split()}
    for item in findings_json(run_cli, *BROKEN):
        hint = item.get("hint", "") if item["status"] in ("warn", "fail", "error") else ""
        for text in (item["summary"], hint):
            missing = [w for w in str(text).split() if w.lower() not in words]
            assert missing == [], (item["id"], missing)
    long_name = "broken.example.org._report._dmarc.thirdparty.example.net"
    assert any(long_name in line.split() for line in lines)
    # only a word longer than the room runs past the edge
    for line in lines:
        if len(line) > columns:
            assert len(max(line.split(), key=len)) > columns - 40, line
    # the SPF record in the heading continues under itself, not at column 0
    spf = next(n for n, line in enumerate(lines) if line.startswith("SPF   v=spf1"))
    assert lines[spf + 1].startswith("      include:")
    # the include tree keeps its drawing on continuation lines
    start = lines.index("  include tree") + 1
    tree = lines[start : lines.index("", start)]
    assert tree[1].startswith("  ├── ") and any(line.startswith("  └── ") for line in tree)
    continued = [line for line in tree if not line.lstrip(" │").startswith(("├", "└"))][1:]
    assert continued and all(line.startswith(("  │   ", "      ")) for line in continued)
    assert any(line.startswith("  │   ") and "a:out" in line for line in continued)


def test_a_huge_record_heads_its_section_in_a_few_lines(run_cli: CliRun, tmp_path: Path) -> None:
    """A 20 KB SPF record (legal over TCP) was printed whole as the SPF heading: screens of
    addresses before the first finding. -v still shows it whole."""
    strings = " ".join(
        '"' + " ".join(f"ip4:198.51.{n % 250}.{m}" for m in range(12)) + ' "' for n in range(100)
    )
    zone = tmp_path / "huge.test.zone"
    zone.write_text(
        "$ORIGIN huge.test.\n$TTL 300\n@ SOA ns hm 1 7200 3600 1209600 3600\n@ NS ns\n"
        f'ns A 192.0.2.1\n@ TXT "v=spf1 " {strings} "-all"\n'
    )
    args = ("domain", "huge.test", "--offline", "--zone", str(zone), "--only", "spf")
    result = run_cli(*args, "--no-config")
    block = result.stdout.split("\n\n")[1].splitlines()
    heading = " ".join(
        line.strip() for line in block[: block.index(next(filter(FINDING.match, block)))]
    )
    assert heading.startswith("SPF   v=spf1 ip4:198.51.0.0 ")
    assert len(heading) < 500
    doc = json.loads(run_cli(*args, "--no-config", "-f", "json").stdout)
    size = len(doc["reports"][0]["sections"][0]["headline"])  # JSON keeps the whole record
    assert heading.endswith(f"… ({size} characters; -v shows all)")
    verbose = run_cli(*args, "--no-config", "-v").stdout
    assert "198.51.99.11 -all" in verbose.split("\n\n")[1]


def test_verdict_first_and_last_worst_first(run_cli: CliRun) -> None:
    result = run_cli(*BROKEN, env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL  broken.example.org   6 FAIL  6 WARN")
    failing = sorted(
        {str(f["id"]) for f in findings_json(run_cli, *BROKEN) if f["status"] == "fail"}
    )
    assert len(failing) == 6
    # the closing summary: the verdict again and every FAIL id, within the last few lines of
    # a 40-line terminal
    last = max(n for n, line in enumerate(lines) if line.startswith("FAIL  broken.example.org"))
    assert last > 0 and len(lines) - last <= 6
    closing = " ".join(lines[last:])
    assert all(i in closing for i in failing), closing
    assert "mailcheck explain" in lines[-1]
    # within each section: FAIL and ERROR first, PASS last; one column for every summary
    columns = set()
    section: list[int] = []
    for line in [*lines, ""]:
        match = FINDING.match(line)
        if match:
            section.append(RANK[match.group(1)])
            rest = line[match.end(2) :]
            columns.add(len(line) - len(rest.lstrip()))
        elif not line.startswith(" "):
            assert section == sorted(section), line
            section = []
    assert len(columns) == 1, columns


def test_zone_file_locations_like_a_compiler(run_cli: CliRun) -> None:
    text = run_cli(*BROKEN).stdout
    zone = EXAMPLES / "zones" / "broken.example.org.zone"
    lines = zone.read_text().splitlines()
    found = re.findall(rf"at ({re.escape(str(zone))}):(\d+)$", text, re.MULTILINE)
    assert found, text
    for _path, number in found:
        assert lines[int(number) - 1].strip()  # a real line of the file
    dmarc = next(n for n, line in enumerate(lines, 1) if line.startswith("_dmarc"))
    block = text[text.index("FAIL   dmarc.rua-unauthorized") :].split("\n  WARN", 1)[0]
    assert f"at {zone}:{dmarc}\n" in block, block


def test_hints_start_with_a_capital_letter(run_cli: CliRun) -> None:
    text = run_cli(*BROKEN).stdout
    hints = re.findall(r"→ (\S)", text)
    assert hints and all(not c.islower() for c in hints), hints


def test_quiet_shows_only_warn_and_worse(run_cli: CliRun) -> None:
    quiet = run_cli(*BROKEN, "--quiet")
    assert quiet.returncode == 1
    shown = {m.group(1) for line in quiet.stdout.splitlines() if (m := FINDING.match(line))}
    assert shown == {"FAIL", "WARN"}
    assert quiet.stdout.startswith("FAIL  broken.example.org")
    assert "include tree" not in quiet.stdout and "TLS-RPT" not in quiet.stdout
    assert len(quiet.stdout.splitlines()) < len(run_cli(*BROKEN).stdout.splitlines()) * 0.7
    # the machine formats stay complete
    assert len(findings_json(run_cli, *BROKEN, "-q")) == len(findings_json(run_cli, *BROKEN))


def test_fail_on_never_reports_without_failing(run_cli: CliRun) -> None:
    result = run_cli(*BROKEN, "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("FAIL  broken.example.org")


def test_fail_on_never_keeps_inconclusive(run_cli: CliRun) -> None:
    # nothing answers for this domain offline: could not determine, exit 3, never 0
    result = run_cli(
        "domain",
        "unknown.example",
        "--nameserver",
        "127.0.0.1:9",
        "--timeout",
        "0.1",
        "--deadline",
        "2",
        "--fail-on",
        "never",
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("ERROR unknown.example")


def test_many_domains_end_with_one_summary(run_cli: CliRun) -> None:
    result = run_cli(
        "domain",
        "example.com",
        "broken.example.org",
        "--offline",
        "--zone",
        str(EXAMPLES / "zones"),
        env={"COLUMNS": "80"},
    )
    tail = result.stdout[result.stdout.index("\nSummary\n") :].splitlines()
    assert tail[2].startswith("  FAIL  broken.example.org")
    assert any(line.startswith("  OK    example.com") for line in tail)
    assert tail[-1] == "2 subjects: 1 FAIL, 1 OK"


def test_verify_verdict_first_and_last(run_cli: CliRun) -> None:
    result = run_cli(
        "verify",
        str(EXAMPLES / "messages" / "tampered.eml"),
        "--offline",
        "--zone",
        str(EXAMPLES / "zones"),
        env={"COLUMNS": "80"},
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("FAIL  ") and "tampered.eml" in lines[0]
    assert any(line.startswith("FAIL  ") for line in lines[-4:])
    assert "dkim.signature" in "\n".join(lines[-4:])
    assert [line for line in lines if line != line.rstrip()] == []
    quiet = run_cli(
        "verify",
        str(EXAMPLES / "messages" / "tampered.eml"),
        "--offline",
        "--zone",
        str(EXAMPLES / "zones"),
        "-q",
    )
    assert "PASS   " not in quiet.stdout and "INFO   " not in quiet.stdout
    never = run_cli(
        "verify",
        str(EXAMPLES / "messages" / "tampered.eml"),
        "--offline",
        "--zone",
        str(EXAMPLES / "zones"),
        "--fail-on",
        "never",
    )
    assert never.returncode == 0


def test_verify_points_at_header_lines(run_cli: CliRun, tmp_path: Path) -> None:
    message = (EXAMPLES / "messages" / "tampered.eml").read_bytes()
    # a folded field above moves the signature down: the line is counted, not guessed
    copy = tmp_path / "moved.eml"
    copy.write_bytes(b"X-Note: one\r\n two\r\n\tthree\r\n" + message)
    original = message.split(b"\n").index(
        next(line for line in message.split(b"\n") if line.startswith(b"DKIM-Signature:"))
    )
    for path, line in (
        (EXAMPLES / "messages" / "tampered.eml", original + 1),
        (copy, original + 4),
    ):
        result = run_cli("verify", str(path), "--offline", "--zone", str(EXAMPLES / "zones"))
        block = result.stdout[result.stdout.index("FAIL   dkim.signature") :]
        assert f"at {path}:{line}\n" in block.split("\n\n", 1)[0], block
    # stdin has no file to point at
    piped = run_cli(
        "verify", "-", "--offline", "--zone", str(EXAMPLES / "zones"), input=message.decode()
    )
    assert "dkim.signature" in piped.stdout and "\n    " in piped.stdout
    assert not re.search(r"at \S+:\d+$", piped.stdout, re.MULTILINE)


def _in_a_terminal(*args: str) -> str:
    """Run with stdout and stderr on one pseudo-terminal, as a person sees it."""
    import os
    import pty
    import subprocess
    import sys

    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "FORCE_COLOR")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"})
    process = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


def test_spinner_never_shares_a_line_with_the_report() -> None:
    raw = _in_a_terminal(*BROKEN)
    assert "looking up records" in raw  # the spinner was drawn on the terminal
    for line in raw.replace("\r\n", "\n").split("\n"):
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line).split("\r")[-1]
        if "broken.example.org   6 FAIL" in shown:
            assert shown.startswith("FAIL  broken.example.org"), repr(line)
            assert "looking up" not in line, repr(line)


def test_color_never_means_no_escape_codes_and_no_spinner() -> None:
    raw = _in_a_terminal(*BROKEN, "--color", "never")
    assert "\x1b" not in raw and "looking up" not in raw
    assert raw.startswith("FAIL  broken.example.org")


def test_progress_bar_cleared_before_each_report() -> None:
    """verify -v prints each message's full report while the run goes on."""
    messages = [str(EXAMPLES / "messages" / n) for n in ("tampered.eml", "signed.eml")]
    zones = str(EXAMPLES / "zones")
    raw = _in_a_terminal("verify", *messages, "--offline", "--zone", zones, "-v")
    starts = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line).split("\r")[-1]
        if ".eml   From:" in shown:
            starts.append(shown[:6])
    assert starts == ["FAIL  ", "OK    "], raw


@pytest.mark.parametrize("columns", [80, 100])
def test_trace_text_layout(run_cli: CliRun, dns_server: DnsServer, columns: int) -> None:
    from tests.smtpfixtures import Certificates, server_context, start_smtp

    certs = Certificates()
    server = start_smtp(starttls=server_context(certs.good), auth=True, name="mx.smtp-good.test")
    try:
        args = ("trace", "smtp-good.test", "--port", str(server.port), "--nameserver")
        args += (dns_server.address, "--step-timeout", "2")
        result = run_cli(*args, env={"COLUMNS": str(columns)})
        quiet = run_cli(*args, "-q", "--fail-on", "never")
    finally:
        server.stop()
    lines = result.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    verdict = lines[0].split()[0]
    assert verdict in ("OK", "WARN", "FAIL", "ERROR") and "smtp-good.test" in lines[0]
    assert any(line.startswith(f"{verdict.ljust(5)} smtp-good.test") for line in lines[-5:])
    # the conversation first, then the findings; a transcript line wraps at spaces only
    first_said = next(n for n, line in enumerate(lines) if " S: 220" in line)
    first_finding = next(n for n, line in enumerate(lines) if FINDING.match(line))
    assert first_said < first_finding
    assert " C: STARTTLS" in result.stdout
    assert " S: " not in quiet.stdout and quiet.returncode == 0
