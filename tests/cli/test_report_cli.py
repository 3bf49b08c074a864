"""`mailcheck report` end to end: the sample reports, the readiness verdict on fixtures whose
answer is stated first, every output format, exit codes, and hostile reports."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, CliRun

REPORTS = EXAMPLES / "reports"
SAMPLES = [str(REPORTS), str(REPORTS / "Maildir")]
OFFLINE = ["--offline", "--zone", str(REPORTS / "dns")]


def row(
    ip: str,
    count: int,
    dkim: str = "fail",
    spf: str = "fail",
    auth: str = "",
    header_from: str = "ready.example",
    envelope: str = "",
    reason: str = "",
) -> str:
    return (
        f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>"
        f"<disposition>none</disposition><dkim>{dkim}</dkim><spf>{spf}</spf>{reason}"
        f"</policy_evaluated></row><identifiers><envelope_from>{envelope}</envelope_from>"
        f"<header_from>{header_from}</header_from></identifiers><auth_results>{auth}"
        "</auth_results></record>"
    )


def aggregate(domain: str, p: str, rows: list[str], report_id: str = "1") -> bytes:
    return (
        "<?xml version='1.0'?><feedback><report_metadata><org_name>rx.example</org_name>"
        f"<email>r@rx.example</email><report_id>{report_id}</report_id><date_range>"
        "<begin>1764460800</begin><end>1764547199</end></date_range></report_metadata>"
        f"<policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>{p}</p>"
        f"</policy_published>{''.join(rows)}</feedback>"
    ).encode()


SPF_PASS_OWN = "<spf><domain>{d}</domain><result>pass</result></spf>"


def run_json(run_cli: CliRun, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("report", *args, "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def section(doc: dict[str, Any], kind: str, subject: str) -> dict[str, Any]:
    for report in doc["reports"]:
        if report["kind"] == kind and report["subject"] == subject:
            return report["sections"][0]  # type: ignore[no-any-return]
    raise AssertionError(f"no {kind} report for {subject}")


# -- the judgement ----------------------------------------------------------------------


def test_readiness_not_ready_stated_first(run_cli: CliRun, tmp_path: Path) -> None:
    # Stated before computing: 100 aligned messages from our own server; 30 from an ESP whose
    # SPF passes for its own bounce domain (yours, not aligned) and 20 from a forger with no
    # authentication. p=quarantine would affect 50 of 150 messages from 2 sources; the 30
    # from the ESP make the domain not ready.
    own = SPF_PASS_OWN.format(d="ready.example")
    esp = SPF_PASS_OWN.format(d="bounce.esp.example")
    report = aggregate(
        "ready.example",
        "none",
        [
            row("192.0.2.1", 100, spf="pass", auth=own, envelope="ready.example"),
            row("198.51.100.9", 30, auth=esp, envelope="bounce.esp.example"),
            row("203.0.113.7", 20, envelope="spam.invalid"),
        ],
    )
    path = tmp_path / "r.xml"
    path.write_bytes(report)
    expected = (
        "not ready: p=quarantine would affect 50 of 150 messages from 2 sources; 30 messages "
        "from 1 source that authenticate but do not align (your senders, most likely): fix "
        "them first"
    )
    code, doc = run_json(run_cli, str(path), "--offline")
    data = section(doc, "dmarc-report", "ready.example")["data"]
    assert (data["verdict"]["state"], data["verdict"]["text"]) == ("not-ready", expected)
    assert [(f["ip"], f["category"], f["messages"]) for f in data["failing"]] == [
        ("198.51.100.9", "spf-unaligned", 30),
        ("203.0.113.7", "unauthenticated", 20),
    ]
    assert code == 0  # a WARN: only --fail-on warn or --max-unaligned make it fail


def test_readiness_ready_and_final_stated_first(run_cli: CliRun, tmp_path: Path) -> None:
    # Stated first: ready.example at p=none with only a forger failing (20 of 120) is ready
    # for quarantine; final.example at p=reject is at the last step, 5 of 45 failing.
    own = SPF_PASS_OWN.format(d="ready.example")
    (tmp_path / "a.xml").write_bytes(
        aggregate(
            "ready.example",
            "none",
            [row("192.0.2.1", 100, spf="pass", auth=own), row("203.0.113.7", 20)],
        )
    )
    (tmp_path / "b.xml").write_bytes(
        aggregate(
            "final.example",
            "reject",
            [
                row("192.0.2.2", 40, dkim="pass", header_from="final.example"),
                row("203.0.113.8", 5, header_from="final.example"),
            ],
            report_id="2",
        )
    )
    code, doc = run_json(run_cli, str(tmp_path), "--offline")
    ready = section(doc, "dmarc-report", "ready.example")["data"]["verdict"]
    assert (
        ready.pop("short")
        == "p=quarantine would affect 20 messages from 1 source, none authenticated"
    )
    assert ready == {
        "state": "ready",
        "text": "ready for p=quarantine: p=quarantine would affect 20 of 120 messages from 1 "
        "source (20 forwarded or unauthenticated), none of it authenticated mail",
    }
    final_section = section(doc, "dmarc-report", "final.example")
    final = final_section["data"]["verdict"]
    assert final_section["findings"][0]["status"] == "info"  # only a forger is rejected
    assert final.pop("short") == "5 messages from 1 source fail DMARC"
    assert final == {
        "state": "final",
        "text": "p=reject: 5 of 45 messages from 1 source failed DMARC",
    }
    assert code == 0


def test_samples_text_summary_first(run_cli: CliRun) -> None:
    result = run_cli("report", *SAMPLES, *OFFLINE)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("DMARC readiness")
    summary = out.split("Other reports")[0]
    assert "blog.example" in summary and "REVIEW" in summary
    assert "shop.example" in summary and "NOT READY" in summary
    # the failing sources, worst first, with PTR organisations from the zone
    table = out.split("Failing sources")[2]
    assert table.index("198.51.100.20") < table.index("203.0.113.80") < table.index("203.0.113.66")
    assert "o20.mta.sendfast.example" in table and "sendfast.example" in table
    assert "1 duplicate report(s) counted once" in out
    assert "mailcheck trace mx2.shop.example: see tls.expiry" in out
    assert "Subject: Invoice overdue" in out


def test_samples_check_dns(run_cli: CliRun) -> None:
    code, doc = run_json(run_cli, *SAMPLES, *OFFLINE, "--check-dns")
    failing = {
        f["ip"]: f["recheck"]
        for f in section(doc, "dmarc-report", "shop.example")["data"]["failing"]
    }
    assert failing["203.0.113.5"]["state"] == "fixed"  # the CRM's IP is in SPF now
    assert "check_host(203.0.113.5, shop.example) now: pass" in failing["203.0.113.5"]["detail"]
    assert failing["203.0.113.80"]["state"] == "fixed"  # the helpdesk key is published now
    assert failing["198.51.100.20"]["state"] == "not-dns"
    assert failing["203.0.113.66"] is None  # forgers are not re-checked
    assert code == 0


def test_check_dns_without_dns_is_inconclusive(run_cli: CliRun) -> None:
    """Unknown is never PASS: with no DNS at all the re-check could not determine anything."""
    result = run_cli("report", *SAMPLES, "--offline", "--check-dns", "--format", "json")
    doc = json.loads(result.stdout)
    rechecks = [
        f
        for s in doc["reports"]
        for sec in s["sections"]
        for f in sec["findings"]
        if f["id"] == "report.recheck"
    ]
    assert rechecks and all(f["status"] == "error" for f in rechecks)
    assert all("could not determine" in f["summary"] for f in rechecks)
    assert result.returncode == 3


@pytest.mark.parametrize(("limit", "code"), [("10", 1), ("30", 0)])
def test_max_unaligned(run_cli: CliRun, limit: str, code: int) -> None:
    result = run_cli("report", *SAMPLES, "--offline", "--max-unaligned", limit)
    assert result.returncode == code
    if code:
        assert "FAIL   report.unaligned" in result.stdout
        assert (
            "21.6%) failed DMARC" in result.stdout and "over --max-unaligned 10%" in result.stdout
        )


def test_fail_on_warn(run_cli: CliRun) -> None:
    assert run_cli("report", *SAMPLES, "--offline", "--fail-on", "warn").returncode == 1


# -- formats ------------------------------------------------------------------------------


def test_json_validates(run_cli: CliRun) -> None:
    code, doc = run_json(run_cli, *SAMPLES, *OFFLINE, "--check-dns")
    schema = json.loads(
        resources.files("mailcheck").joinpath("data/report.schema.json").read_text()
    )
    jsonschema.validate(doc, schema)
    data_schema = {**schema["$defs"]["aggregate_data"], "$defs": schema["$defs"]}
    for report in doc["reports"]:
        if report["kind"] == "dmarc-report":
            jsonschema.validate(report["sections"][0]["data"], data_schema)
    assert doc["command"] == "report" and code == 0
    shop = section(doc, "dmarc-report", "shop.example")["data"]
    assert shop["days"] == [
        {"day": "2025-11-29", "messages": 2122, "passing": 1800},
        {"day": "2025-11-30", "messages": 7832, "passing": 6000},
    ]
    assert [r["reporter"] for r in shop["reporters"]] == [
        "google.com",
        "Outlook.com",
        "receiver.example",
    ]
    assert doc["dns"]["queries"] > 0  # the PTRs, from the zone files
    # counted once, for the run: each report claimed {"queries": 0} of its own before
    assert all("dns" not in r for r in doc["reports"])
    kinds = sorted(r["kind"] for r in doc["reports"])
    assert kinds == ["dmarc-report", "dmarc-report", "failure-report", "report-input", "tls-report"]


def test_jsonl_one_report_per_line(run_cli: CliRun) -> None:
    result = run_cli("report", *SAMPLES, "--offline", "--format", "jsonl")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["command"] for line in lines] == ["report"] * 5


def test_csv_one_row_per_source_per_report(run_cli: CliRun) -> None:
    result = run_cli("report", *SAMPLES, *OFFLINE, "--format", "csv")
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # google 7 rows, Outlook 4 (shop) + 2 (blog), receiver.example 3; the duplicate once
    assert len(rows) == 16
    esp = [r for r in rows if r["source_ip"] == "198.51.100.20"]
    assert {r["reporter"] for r in esp} == {"google.com", "Outlook.com"}
    assert esp[0]["category"] == "spf-unaligned" and esp[0]["organization"] == "sendfast.example"
    assert esp[0]["dkim_results"] == "sendfast.example/sf1=pass"


def test_csv_says_on_stderr_what_has_no_row(run_cli: CliRun, tmp_path: Path) -> None:
    """A file that is no report has no row in the table: the exit code alone (3) would leave
    the user guessing, so the ERROR is one line on stderr; stdout stays a clean table."""
    good = REPORTS / "google.com!shop.example!1764460800!1764547199.xml.gz"
    (tmp_path / "good.xml.gz").write_bytes(good.read_bytes())
    (tmp_path / "broken.xml").write_bytes(b'<?xml version="1.0"?><feedback><report_metadata>')
    result = run_cli("report", str(tmp_path), *OFFLINE, "--format", "csv")
    assert result.returncode == 3
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 7 and {r["reporter"] for r in rows} == {"google.com"}
    assert result.stderr.splitlines() == [
        f"mailcheck: ERROR report.malformed: {tmp_path}/broken.xml: not well-formed XML "
        "(no element found: line 1, column 48)"
    ]


@pytest.mark.parametrize("fmt", ["junit", "sarif", "github", "markdown"])
def test_ci_formats(run_cli: CliRun, fmt: str) -> None:
    result = run_cli("report", *SAMPLES, "--offline", "--format", fmt, "--max-unaligned", "5")
    assert result.returncode == 1
    assert "report.readiness" in result.stdout and "report.unaligned" in result.stdout


def _mbox_verdicts(
    run_cli: CliRun, tmp_path: Path, start: bytes = b""
) -> tuple[int, dict[str, str]]:
    """The sample reports' messages as one mbox (after `start`): exit code, verdicts."""
    mbox = tmp_path / "reports.mbox"
    with mbox.open("wb") as handle:
        handle.write(start)
        for message in sorted((REPORTS / "Maildir" / "cur").iterdir()):
            handle.write(b"From dmarc@receiver.example Mon Dec  1 06:00:00 2025\n")
            handle.write(message.read_bytes().replace(b"\r\n", b"\n") + b"\n")
    code, doc = run_json(run_cli, str(mbox), "--offline")
    verdicts = {
        r["subject"]: r["sections"][0]["data"]["verdict"]["state"]
        for r in doc["reports"]
        if r["kind"] == "dmarc-report"
    }
    return code, verdicts


def test_mbox_and_stdin(run_cli: CliRun, tmp_path: Path) -> None:
    code, verdicts = _mbox_verdicts(run_cli, tmp_path)
    assert verdicts == {"blog.example": "review", "shop.example": "not-ready"}
    assert code == 0
    gz = (REPORTS / "google.com!shop.example!1764460800!1764547199.xml.gz").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "mailcheck", "report", "-", "--offline", "--format", "csv"],
        input=gz,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.decode().splitlines()) == 1 + 7


def test_mbox_after_a_byte_order_mark_is_read_as_an_mbox(run_cli: CliRun, tmp_path: Path) -> None:
    """An mbox of reports saved with a UTF-8 BOM before its first "From " line was one
    unreadable message: "no DMARC or TLS report found" (exit 2)."""
    code, verdicts = _mbox_verdicts(run_cli, tmp_path, b"\xef\xbb\xbf")
    assert verdicts == {"blog.example": "review", "shop.example": "not-ready"}
    assert code == 0


def test_no_report_at_all_is_an_input_error(run_cli: CliRun, tmp_path: Path) -> None:
    plain = tmp_path / "plain.eml"
    plain.write_bytes(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n")
    result = run_cli("report", str(plain), "--offline")
    assert result.returncode == 2
    assert result.stderr.startswith("mailcheck: error: no DMARC or TLS report found in ")


def test_usage_errors(run_cli: CliRun, tmp_path: Path) -> None:
    result = run_cli("report")
    assert result.returncode == 2 and "mailcheck: error: no reports given" in result.stderr
    result = run_cli("report", str(tmp_path / "nope.xml"))
    assert result.returncode == 2 and "no such file" in result.stderr
    result = run_cli("report", str(REPORTS), "--move-to", "Done")
    assert result.returncode == 2 and "go with --imap" in result.stderr
    result = run_cli("report", str(REPORTS), "--only", "spf")
    assert result.returncode == 2
    assert "mailcheck: error: --only 'spf': no such check id or family" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "csv", "json", "markdown"])
def test_only_and_skip(run_cli: CliRun, fmt: str) -> None:
    only = run_cli("report", *SAMPLES, "--offline", "--only", "report.readiness", "-f", fmt)
    assert only.returncode == 0 and "report.unaligned" not in only.stdout
    skip = run_cli("report", *SAMPLES, "--offline", "--skip", "report", "-f", fmt)
    assert skip.returncode == 0 and "report.readiness" not in skip.stdout


# -- hostile reports --------------------------------------------------------------------

ANSI = "\x1b[31mRED\x1b[0m"
MARKUP = "[bold red]markup[/bold red]"
EVIL = f"{ANSI}{MARKUP}\u202e"


def hostile_json_aggregate() -> bytes:
    """Every string field carries ANSI, rich markup and a bidi override."""
    tree = {
        "feedback": {
            "report_metadata": {
                "org_name": EVIL,
                "email": EVIL,
                "report_id": EVIL,
                "date_range": {"begin": 1764460800, "end": 1764547199},
                "error": [EVIL],
            },
            "policy_published": {"domain": f"evil.example{EVIL}", "p": "none"},
            "record": [
                {
                    "row": {
                        "source_ip": "203.0.113.13",
                        "count": 7,
                        "policy_evaluated": {
                            "disposition": EVIL,
                            "dkim": "fail",
                            "spf": "fail",
                            "reason": [{"type": EVIL, "comment": EVIL}],
                        },
                    },
                    "identifiers": {"header_from": EVIL, "envelope_from": EVIL},
                    "auth_results": {
                        "dkim": [{"domain": EVIL, "selector": EVIL, "result": "pass"}],
                        "spf": [{"domain": EVIL, "scope": "mfrom", "result": "pass"}],
                    },
                }
            ],
        }
    }
    return json.dumps(tree).encode()


def hostile_tls() -> bytes:
    tree = {
        "organization-name": EVIL,
        "report-id": EVIL,
        "contact-info": EVIL,
        "date-range": {"start-datetime": EVIL, "end-datetime": EVIL},
        "policies": [
            {
                "policy": {
                    "policy-type": "sts",
                    "policy-domain": f"evil.example{EVIL}",
                    "mx-host": [EVIL],
                    "policy-string": [EVIL],
                },
                "summary": {"total-successful-session-count": 1, "total-failure-session-count": 2},
                "failure-details": [
                    {
                        "result-type": EVIL,
                        "sending-mta-ip": EVIL,
                        "receiving-mx-hostname": EVIL,
                        "receiving-ip": EVIL,
                        "failed-session-count": 2,
                        "additional-information": EVIL,
                        "failure-reason-code": EVIL,
                    }
                ],
            }
        ],
    }
    return json.dumps(tree).encode()


def hostile_arf() -> bytes:
    evil = EVIL.encode()
    return (
        b"From: " + evil + b" <r@rx.example>\r\nMessage-ID: <x@rx.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: message/feedback-report\r\n\r\n"
        b"Feedback-Type: auth-failure\r\nAuth-Failure: " + evil + b"\r\n"
        b"Source-IP: 203.0.113.13\r\nReported-Domain: evil.example\r\n"
        b"Authentication-Results: " + evil + b"\r\n\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"From: " + evil + b" <a@evil.example>\r\nSubject: " + evil + b"\r\n\r\n--b--\r\n"
    )


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "agg.json.gz").write_bytes(gzip.compress(hostile_json_aggregate(), mtime=0))
    (folder / "tls.json").write_bytes(hostile_tls())
    (folder / "arf.eml").write_bytes(hostile_arf())
    markup_xml = aggregate(
        "markup.example",
        "none",
        [row("203.0.113.14", 3, header_from="[red]x[/red].example", envelope="[link=x]y[/link]")],
    ).replace(b"rx.example</org_name>", b"[blink]rx[/blink]</org_name>")
    (folder / "markup.xml").write_bytes(markup_xml)
    return folder


@pytest.mark.parametrize(
    "fmt", ["text", "json", "jsonl", "csv", "junit", "sarif", "github", "markdown"]
)
def test_hostile_strings_are_escaped_everywhere(
    run_cli: CliRun, hostile_dir: Path, fmt: str
) -> None:
    result = run_cli("report", str(hostile_dir), "--offline", "--format", fmt, "--verbose")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout.replace("\\u202e", "")
    if fmt in ("text", "csv"):
        assert "\\x1b[31mRED" in result.stdout  # shown, escaped
        assert MARKUP in result.stdout  # literally, never interpreted
        assert "[red]x[/red].example" in result.stdout
    if fmt == "text":
        assert "Subject: \\x1b[31mRED" in result.stdout  # the failure report's original header


def test_bombs_and_damage_are_per_report(run_cli: CliRun, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    good = (REPORTS / "google.com!shop.example!1764460800!1764547199.xml.gz").read_bytes()
    (folder / "1-good.xml.gz").write_bytes(good)
    (folder / "2-cut.xml.gz").write_bytes(good[:300])
    (folder / "3-laughs.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><feedback>&b;</feedback>'
    )
    (folder / "4-xxe.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<feedback>&x;</feedback>"
    )
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("r.xml", b"<" + b" " * (64 * 1024 * 1024))
    (folder / "5-bomb.zip").write_bytes(bomb.getvalue())
    (folder / "6-deep.xml").write_bytes(
        b"<feedback>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</feedback>"
    )
    # uncompressed, past the limit an archive's report has (it was parsed: ~11x in memory)
    (folder / "7-huge.xml").write_bytes(b"<feedback>" + b" " * (32 * 1024 * 1024))
    result = run_cli("report", str(folder), "--offline", "--format", "json")
    doc = json.loads(result.stdout)
    problems = {
        f["subject"].rsplit("/", 1)[-1]: f["summary"].split(": ", 1)[1]
        for f in section(doc, "report-input", "inputs")["findings"]
    }
    assert problems == {
        "2-cut.xml.gz": "gzip data is truncated (the stream ends before its end marker)",
        "3-laughs.xml": "XML refused: DTDForbidden (DTDs and entities are not allowed)",
        "4-xxe.xml": "XML refused: DTDForbidden (DTDs and entities are not allowed)",
        "5-bomb.zip": "zip member 'r.xml' expands past 32 MB: refused (a bomb?)",
        "6-deep.xml": "XML nested more than 16 levels deep: not a DMARC report",
        "7-huge.xml": "33554442 bytes of XML: more than a report may be (32 MB): refused",
    }
    assert "root:" not in result.stdout
    # the good report was still read and judged
    assert section(doc, "dmarc-report", "shop.example")["data"]["messages"] == 4097
    assert result.returncode == 3  # what could not be read leaves the run inconclusive


def test_unreadable_report_cites_its_own_format(run_cli: CliRun, tmp_path: Path) -> None:
    """A TLS report (JSON) that could not be read cited RFC 9990 §2.1 (DMARC); a parser
    error was cut mid-word ("... from a unicode stri")."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "1-tls.json").write_bytes(b'{"organization-name": "x", "policies": [')
    (folder / "2-deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (folder / "3-dmarc.xml").write_bytes(b"<feedback><report_metadata>")
    result = run_cli("report", str(folder), "--offline", "--format", "json")
    doc = json.loads(result.stdout)
    found = {
        f["subject"].rsplit("/", 1)[-1]: (f["summary"].split(": ", 1)[1], f["refs"])
        for f in section(doc, "report-input", "inputs")["findings"]
    }
    assert found["1-tls.json"][1] == ["RFC 8460 §4"]
    assert found["2-deep.json"] == (
        "not valid JSON (maximum recursion depth exceeded while decoding a JSON array from a "
        "unicode string)",
        ["RFC 8460 §4"],
    )
    assert found["3-dmarc.xml"][1] == ["RFC 9990 §2.1"]
    assert result.returncode == 3


def test_json_that_is_no_report_is_named_by_what_it_looks_like(
    run_cli: CliRun, tmp_path: Path
) -> None:
    """A TLS report (RFC 8460) without its policies, or any JSON that was neither kind, was
    "no report_metadata: not a DMARC aggregate report": DMARC named for a TLS report."""
    folder = tmp_path / "json"
    folder.mkdir()
    dates = {"start-datetime": "2025-12-01T00:00:00Z", "end-datetime": "2025-12-01T23:59:59Z"}
    no_policies = {"organization-name": "rx.example", "date-range": dates, "report-id": "r-1"}
    (folder / "1-no-policies.json").write_text(json.dumps(no_policies))
    (folder / "2-no-org.json").write_text(json.dumps({"report-id": "r-2", "policies": []}))
    (folder / "3-other.json").write_text(json.dumps({"name": "not a report"}))
    (folder / "4-list.json").write_text("[1, 2]")
    (folder / "5-dmarc.json").write_text(json.dumps({"policy_published": {"p": "none"}}))
    code, doc = run_json(run_cli, str(folder), "--offline")
    found = {
        f["subject"].rsplit("/", 1)[-1]: f["summary"].split(": ", 1)[1]
        for f in section(doc, "report-input", "inputs")["findings"]
    }
    neither = "JSON that is neither a DMARC aggregate report nor an SMTP TLS report"
    assert found == {
        "1-no-policies.json": "no policies: an incomplete SMTP TLS report (it has "
        "organization-name, date-range, report-id)",
        "2-no-org.json": "no organization-name: an incomplete SMTP TLS report (it has "
        "report-id, policies)",
        "3-other.json": neither,
        "4-list.json": neither,
        "5-dmarc.json": "no report_metadata: not a DMARC aggregate report",
    }
    assert code == 3


def test_byte_order_marks_and_utf16_reports_are_read(run_cli: CliRun, tmp_path: Path) -> None:
    """A UTF-16 report (with its BOM, as XML requires) was "no report found" (exit 2); a
    UTF-8 BOM then a line break before the declaration was "not well-formed XML", the BOM
    never named."""
    text = gzip.decompress(
        (REPORTS / "google.com!shop.example!1764460800!1764547199.xml.gz").read_bytes()
    ).decode()
    folder = tmp_path / "boms"
    folder.mkdir()
    (folder / "1-utf16.xml").write_bytes(text.replace('"UTF-8"', '"UTF-16"').encode("utf-16"))
    (folder / "2-bom-newline.xml").write_bytes(b"\xef\xbb\xbf\r\n" + text.encode())
    (folder / "3-utf16be.xml.gz").write_bytes(
        gzip.compress(b"\xfe\xff" + text.split("?>", 1)[1].encode("utf-16-be"))
    )
    (folder / "4-two-boms.xml").write_bytes(b"\xef\xbb\xbf" * 2 + text.encode())
    result = run_cli("report", str(folder), "--offline", "--format", "json")
    doc = json.loads(result.stdout)
    [problem] = section(doc, "report-input", "inputs")["findings"]
    assert problem["summary"] == (
        f"{folder}/4-two-boms.xml: not well-formed XML after the UTF-8 byte order mark at its "
        "start (not well-formed (invalid token): line 1, column 1)"
    )
    # three copies of one report: read, then counted once
    assert section(doc, "dmarc-report", "shop.example")["data"]["messages"] == 4097
    duplicates = [
        f
        for r in doc["reports"]
        for s in r["sections"]
        for f in s["findings"]
        if f["id"] == "report.duplicate"
    ]
    assert [f["summary"] for f in duplicates] == ["2 duplicate report(s) counted once"]


def test_tls_report_policy_types_point_at_checks(run_cli: CliRun, tmp_path: Path) -> None:
    def policy(kind: str, results: list[tuple[str, int]]) -> dict[str, Any]:
        return {
            "policy": {"policy-type": kind, "policy-domain": "dane.example", "mx-host": []},
            "summary": {
                "total-successful-session-count": 100,
                "total-failure-session-count": sum(n for _r, n in results),
            },
            "failure-details": [
                {
                    "result-type": result,
                    "sending-mta-ip": "198.51.100.1",
                    "receiving-mx-hostname": "mx.dane.example",
                    "failed-session-count": n,
                }
                for result, n in results
            ],
        }

    tree = {
        "organization-name": "Mail Receiver",
        "report-id": "t-1",
        "date-range": {
            "start-datetime": "2025-11-30T00:00:00Z",
            "end-datetime": "2025-11-30T23:59:59Z",
        },
        "policies": [
            policy("tlsa", [("tlsa-invalid", 4), ("dane-required", 1)]),
            policy("no-policy-found", []),
            policy("sts", [("sts-policy-fetch-error", 2), ("brand-new-type", 1)]),
        ],
    }
    (tmp_path / "tls.json.gz").write_bytes(gzip.compress(json.dumps(tree).encode(), mtime=0))
    code, doc = run_json(run_cli, str(tmp_path), "--offline")
    findings = section(doc, "tls-report", "dane.example")["findings"]
    got = [(f["id"], f["status"], f["summary"].split(":")[0], f.get("hint", "")) for f in findings]
    assert got == [
        ("report.tls-policy", "pass", "no-policy-found", ""),
        ("report.tls-policy", "warn", "sts", "Look at the failure result types below."),
        (
            "report.tls-failure",
            "warn",
            "sts sts-policy-fetch-error",
            "mailcheck domain DOMAIN: see mta-sts.policy-fetch "
            "(mailcheck explain mta-sts.policy-fetch)",
        ),
        (
            "report.tls-failure",
            "warn",
            "sts brand-new-type",
            "not a result type mailcheck knows (RFC 8460 §4.3 lists them)",
        ),
        ("report.tls-policy", "warn", "tlsa", "Look at the failure result types below."),
        (
            "report.tls-failure",
            "warn",
            "tlsa tlsa-invalid",
            "mailcheck trace mx.dane.example: see dane.tlsa (mailcheck explain dane.tlsa)",
        ),
        (
            "report.tls-failure",
            "warn",
            "tlsa dane-required",
            "mailcheck trace mx.dane.example: see dane.tlsa (mailcheck explain dane.tlsa)",
        ),
    ]
    assert code == 0


def test_dead_resolver_leaves_sources_ungrouped_not_failed(run_cli: CliRun) -> None:
    """Network trouble is never FAIL: PTRs that cannot be looked up are 'unknown'."""
    from tests.smtpfixtures import free_port

    result = run_cli(
        "report",
        str(REPORTS / "google.com!shop.example!1764460800!1764547199.xml.gz"),
        "--nameserver",
        f"127.0.0.1:{free_port()}",
        "--timeout",
        "0.2",
        "--deadline",
        "5",
        "--format",
        "json",
    )
    doc = json.loads(result.stdout)
    orgs = section(doc, "dmarc-report", "shop.example")["data"]["organizations"]
    assert [o["organization"] for o in orgs] == ["(PTR unknown)"]
    assert result.returncode == 0


def test_at_reject_own_senders_rejected_is_a_warning(run_cli: CliRun, tmp_path: Path) -> None:
    # Stated first: at p=reject, 12 messages from an ESP that passes SPF for its own domain
    # are rejected now: the verdict is final, but a WARN with what to fix.
    esp = SPF_PASS_OWN.format(d="bounce.esp.example")
    (tmp_path / "r.xml").write_bytes(
        aggregate(
            "strict.example",
            "reject",
            [
                row("192.0.2.3", 88, dkim="pass", header_from="strict.example"),
                row("198.51.100.9", 12, auth=esp, header_from="strict.example"),
            ],
        )
    )
    code, doc = run_json(run_cli, str(tmp_path), "--offline")
    readiness = section(doc, "dmarc-report", "strict.example")["findings"][0]
    assert readiness["status"] == "warn"
    assert readiness["summary"] == (
        "p=reject: 12 of 100 messages from 1 source failed DMARC; 12 of them from 1 "
        "authenticated sender"
    )
    assert readiness["hint"] == "Fix the senders listed: receivers reject their mail now."
    assert code == 0
