"""`mailcheck verify` end to end: inputs (file, stdin, Maildir, mbox), formats, exit codes,
and input files left exactly as they were."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.mailgen import HOSTILE, hostile_message, message, received, sign, tamper_signature
from tests.zonegen import Generated


def ns(server: DnsServer) -> list[str]:
    return ["--nameserver", server.address, "--timeout", "0.5"]


@pytest.fixture
def good(generated: Generated) -> bytes:
    return sign(
        generated, message(received=[received()], extra=["Return-Path: <bounce@dkim.test>"])
    )


# delivered by a host dkim.test's SPF does not list: with the signature broken, nothing aligned
# passes (without a Received header SPF is not evaluated and DMARC is "unknown", exit 3)
FORGER = received(ip="203.0.113.200", helo="forger.test")


@pytest.fixture
def bad(generated: Generated) -> bytes:
    signed = sign(generated, message(received=[FORGER], extra=["Return-Path: <bounce@dkim.test>"]))
    return signed.replace(b"the report", b"the r3port")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_passing_message_exits_0(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    path = write(tmp_path / "good.eml", good)
    before = digest(path)
    result = run_cli("verify", str(path), *ns(dns_server))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DMARC pass" in result.stdout and "DKIM 1 of 1 passing, 1 aligned" in result.stdout
    assert digest(path) == before


def test_failing_message_exits_1(
    run_cli: CliRun, dns_server: DnsServer, bad: bytes, tmp_path: Path
) -> None:
    result = run_cli("verify", str(write(tmp_path / "bad.eml", bad)), *ns(dns_server))
    assert result.returncode == 1
    assert "DMARC fail → reject" in result.stdout and "body hash did not verify" in result.stdout


def test_unknown_sender_is_not_a_dmarc_fail(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    """Unsigned, and no connecting IP: an aligned SPF pass could still make DMARC pass, so
    the verdict is "could not determine" (exit 3), never "fail → reject" (exit 1)."""
    path = write(tmp_path / "draft.eml", message())
    result = run_cli("verify", str(path), *ns(dns_server))
    assert result.returncode == 3, result.stdout
    assert "DMARC unknown   (SPF not evaluated, DKIM 0 of 0 passing" in result.stdout
    assert re.search(
        r"ERROR +dmarc\.result +dkim\.test: unknown: could not determine", result.stdout
    )
    assert "fail → reject" not in result.stdout
    # an IP without MAIL FROM or HELO names no identity: still not evaluated, never "none"
    ip_only = run_cli("verify", str(path), *ns(dns_server), "--ip", "192.0.2.10")
    assert ip_only.returncode == 3, ip_only.stdout
    assert "SPF not evaluated" in ip_only.stdout and "for <> (bounce" not in ip_only.stdout
    assert re.search(r"SKIP +spf\.client +192\.0\.2\.10 \(from --ip\): no identity", ip_only.stdout)
    # given the whole envelope, SPF decides: dkim.test lists only its MX, so DMARC fails
    known = run_cli(
        "verify", str(path), *ns(dns_server), "--ip", "192.0.2.99", "--mail-from", "b@dkim.test"
    )
    assert known.returncode == 1, known.stdout
    assert "DMARC fail → reject   (SPF fail" in known.stdout


def test_dns_error_exits_3(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    data = tamper_signature(sign(generated, message()), b"s=rsa2048", b"s=broken")
    result = run_cli("verify", str(write(tmp_path / "m.eml", data)), *ns(dns_server))
    assert result.returncode == 3, result.stdout
    assert "temperror" in result.stdout


def test_stdin_and_json(run_cli: CliRun, dns_server: DnsServer, good: bytes) -> None:
    result = run_cli("verify", "-", *ns(dns_server), "--format", "json", input=good.decode("utf-8"))
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema())
    assert doc["command"] == "verify" and doc["reports"][0]["subject"] == "<stdin>"
    assert doc["messages"]["dmarc"] == {"pass": 1}


def test_maildir_summary_and_jsonl(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, bad: bytes, tmp_path: Path
) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    write(maildir / "cur" / "1.eml", good)
    write(maildir / "cur" / "2.eml", bad)
    write(maildir / "new" / "3.eml", good)
    write(maildir / "tmp" / "ignored.eml", b"not delivered yet")
    text = run_cli("verify", str(maildir), *ns(dns_server))
    assert text.returncode == 1
    summary = text.stdout[text.stdout.index("Summary: 3 messages") :]
    assert "pass" in summary and "failing → reject" in summary
    assert "DKIM by signing domain" in summary and "dkim.test" in summary
    lines = run_cli("verify", str(maildir), *ns(dns_server), "--format", "jsonl").stdout
    reports = [json.loads(line) for line in lines.splitlines()]
    assert [Path(r["subject"]).name for r in reports] == ["1.eml", "2.eml", "3.eml"]


def test_keys_fetched_once_across_messages(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    one, five = tmp_path / "one", tmp_path / "five"
    for folder, count in ((one, 1), (five, 5)):
        folder.mkdir()
        for index in range(count):
            write(folder / f"{index}.eml", good)
    first = json.loads(run_cli("verify", str(one), *ns(dns_server), "--format", "json").stdout)
    many = json.loads(run_cli("verify", str(five), *ns(dns_server), "--format", "json").stdout)
    assert many["messages"]["messages"] == 5
    # every DNS question (the key among them) is asked once however many messages need it
    assert many["dns"]["queries"] == first["dns"]["queries"]
    assert many["dns"]["cache_hits"] > first["dns"]["cache_hits"]


def test_mbox_with_broken_separator(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    lf = good.replace(b"\r\n", b"\n")
    body = (
        b"From bounce@dkim.test Sat Nov 28 08:00:00 2026\n" + lf + b"\n"
        b"From bounce@dkim.test Sat Nov 28 08:01:00 2026\n"
        + lf
        + b"From broken separator without a blank line before it\n"
        + lf
    )
    path = write(tmp_path / "box.mbox", body)
    result = run_cli("verify", str(path), *ns(dns_server), "--format", "jsonl")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["subject"] for r in reports] == [f"{path} #1", f"{path} #2"]
    assert result.returncode in (0, 1)  # the joined second message may fail its signature


def test_mbox_after_a_byte_order_mark_is_read_as_an_mbox(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    """An mbox saved with a UTF-8 BOM before its first "From " line was one message whose
    first line was the separator: "not an email message: no header fields" (FAIL, exit 1),
    from a file and from stdin alike."""
    box = b"\xef\xbb\xbf" + _mbox([good, good], rb"^(From )")
    path = write(tmp_path / "bom.mbox", box)
    for source, stdin, label in ((str(path), None, str(path)), ("-", box, "<stdin>")):
        args = ("verify", source, *ns(dns_server), "--format", "json")
        result = run_cli(*args, input=None if stdin is None else stdin.decode("utf-8"))
        doc = json.loads(result.stdout)
        assert [r["subject"] for r in doc["reports"]] == [f"{label} #1", f"{label} #2"]
        assert [r["status"] for r in doc["reports"]] == ["pass", "pass"], result.stdout
        assert result.returncode == 0


def _message_findings(doc: dict) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [
        (f["id"], f["status"], f["summary"])
        for r in doc["reports"]
        for s in r["sections"]
        for f in s["findings"]
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("", "it is empty"),
        ("just some text\nno header at all\n", "no header fields"),
        ("\x00\x01\x02\xff binary", "no header fields"),
        ("\nhello, a body without headers\n", "no header fields (it starts with an empty line)"),
    ],
)
def test_non_message_named_or_on_stdin_is_an_input_error(
    run_cli: CliRun, tmp_path: Path, data: str, reason: str
) -> None:
    """It was a message.format FAIL (exit 1), as if a message had failed authentication.
    A file named on the command line or stdin is an input error, exit 2, before anything is
    printed, in every format; inside a folder the entry is that message's finding."""
    folder = tmp_path / "folder"
    folder.mkdir()
    path = write(folder / "odd.eml", data.encode("utf-8", "surrogateescape"))
    hint = (
        "mailcheck: hint: Give the raw message as received, with all its headers (.eml), a "
        "Maildir or an mbox file"
    )
    for args, stdin, label in (([str(path)], None, str(path)), (["-"], data, "<stdin>")):
        for fmt in ("text", "json"):
            result = run_cli("verify", *args, "--offline", "--format", fmt, input=stdin)
            assert (result.returncode, result.stdout) == (2, ""), result.stderr
            error = f"mailcheck: error: {label}: not an email message: {reason}"
            assert result.stderr.splitlines() == [error, hint]
    # named with a good message before it: refused before the good one is reported
    good = write(tmp_path / "good.eml", message())
    both = run_cli("verify", str(good), str(path), "--offline")
    assert (both.returncode, both.stdout) == (2, "")
    in_folder = run_cli("verify", str(folder), "--offline", "--format", "json")
    assert in_folder.returncode == 1, in_folder.stderr
    summary = f"not an email message: {reason}"
    assert _message_findings(json.loads(in_folder.stdout)) == [("message.format", "fail", summary)]


@pytest.mark.timeout(60)
def test_unreadable_maildir_entries_do_not_stop_the_run(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    import os

    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    write(maildir / "cur" / "1-good.eml", good)
    (maildir / "cur" / "2-dangling.eml").symlink_to(maildir / "nowhere.eml")
    (maildir / "cur" / "3-directory.eml").mkdir()
    os.mkfifo(maildir / "cur" / "4-fifo.eml")  # reading it would block forever
    write(maildir / "new" / "5-good.eml", good)
    result = run_cli("verify", str(maildir), *ns(dns_server), "--format", "json")
    assert result.returncode == 3, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    found = {Path(r["subject"]).name: _message_findings({"reports": [r]}) for r in doc["reports"]}
    assert found["2-dangling.eml"] == [
        (
            "message.read",
            "error",
            f"could not read it: dangling symbolic link (to {maildir / 'nowhere.eml'})",
        )
    ]
    assert found["3-directory.eml"] == [
        ("message.read", "error", "could not read it: a directory, not a message file")
    ]
    assert found["4-fifo.eml"] == [
        ("message.read", "error", "could not read it: a named pipe (FIFO), not a message file")
    ]
    assert doc["messages"]["dmarc"] == {"not evaluated": 3, "pass": 2}
    assert doc["messages"]["not_evaluated"] == {"unreadable": 3}
    text = run_cli("verify", str(maildir), *ns(dns_server))
    assert text.returncode == 3
    lines = text.stdout.splitlines()
    assert lines[0].split() == [
        "result",
        "message",
        "from",
        "subject",
        "DMARC",
        "DKIM",
        "SPF",
        "ARC",
    ]
    assert [line.split()[0] for line in lines[1:6]] == ["PASS", "PASS", "ERROR", "ERROR", "ERROR"]
    assert "Summary: 5 messages" in text.stdout and "Not evaluated 3 unreadable" in text.stdout


def test_huge_header_section_is_too_large_not_missing_from(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    padding = b"".join(b"X-Padding-%d: %s\r\n" % (i, b"p" * 990) for i in range(2048))
    path = write(tmp_path / "huge.eml", padding + good)  # From: lies beyond 2 MB
    result = run_cli("verify", str(path), *ns(dns_server), "--format", "json")
    assert result.returncode == 3
    findings = _message_findings(json.loads(result.stdout))
    assert findings == [
        (
            "message.too-large",
            "error",
            "the header section is larger than 1 MB (the limit): not evaluated, rather than "
            "judged on part of it",
        )
    ]
    text = run_cli("verify", str(path), *ns(dns_server)).stdout
    assert "no From:" not in text and "message.too-large" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify"], "no message given"),
        (["verify", "/no/such.eml"], "/no/such.eml: no such file or folder"),
        (["verify", "x.eml", "--ip", "nope"], "not an IP address"),
        (["verify", "x.eml", "--helo", "a.test"], "need --ip"),
    ],
)
def test_usage_errors(run_cli: CliRun, args: list[str], message: str) -> None:
    result = run_cli(*args, "--offline")
    assert result.returncode == 2 and message in result.stderr


def test_large_message(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    body = (b"x" * 76 + b"\r\n") * (50 * 1024 * 1024 // 78)
    data = sign(generated, message(body=body))
    path = write(tmp_path / "big.eml", data)
    result = run_cli("verify", str(path), *ns(dns_server), "--format", "json", timeout=120)
    doc = json.loads(result.stdout)
    dkim = next(s for s in doc["reports"][0]["sections"] if s["family"] == "dkim")
    assert dkim["data"]["signatures"][0]["result"] == "pass"


def test_forged_received_spf_spoof_exits_1(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Path
) -> None:
    """An unsigned spoof of a p=reject domain whose only Received: is our server's (from
    203.0.113.200), followed by a forged Received-SPF: pass for an authorised IP."""
    forged = (
        "Received-SPF: pass (mx.receiver.test: domain of alice@clean.test designates "
        "192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=alice@clean.test;"
    )
    data = message(
        sender="alice@clean.test",
        received=[received(ip="203.0.113.200", helo="spoofer.test"), forged],
        extra=["Return-Path: <alice@clean.test>"],
    )
    path = write(tmp_path / "spoof.eml", data)
    result = run_cli("verify", str(path), *ns(dns_server))
    assert result.returncode == 1, result.stdout
    assert "DMARC fail → reject" in result.stdout
    assert "SPF fail" in result.stdout
    assert "auth-results.forged" in result.stdout
    doc = json.loads(run_cli("verify", str(path), *ns(dns_server), "--format", "json").stdout)
    assert doc["exit_code"] == 1
    spf = next(s for s in doc["reports"][0]["sections"] if s["family"] == "spf")
    assert (spf["data"]["ip"], spf["data"]["result"]) == ("203.0.113.200", "fail")
    claims = next(s for s in doc["reports"][0]["sections"] if s["family"] == "auth-results")
    [forged] = [f for f in claims["findings"] if f["id"] == "auth-results.forged"]
    assert "client-ip=192.0.2.10, but the message came from 203.0.113.200" in forged["summary"]


def _mbox(messages: list[bytes], quote: bytes) -> bytes:
    """An mbox as a writer of that kind makes it: LF line ends, body lines quoted."""
    out = b""
    for data in messages:
        lf = data.replace(b"\r\n", b"\n")
        head, _, body = lf.partition(b"\n\n")
        body = re.sub(quote, rb">\1", body, flags=re.MULTILINE)
        out += b"From bounce@dkim.test Sat Nov 28 08:00:00 2026\n" + head + b"\n\n" + body + b"\n"
    return out


@pytest.mark.parametrize(
    ("kind", "quote", "body", "args"),
    [
        # mboxo quotes only "From " lines
        ("mboxo", rb"^(From )", b"From the desk of Alice:\r\nhello\r\n", []),
        # mboxrd quotes ">From " lines too, so a quoted line survives the round trip
        ("mboxrd", rb"^(>*From )", b"From the desk of Alice:\r\n>From your mail:\r\n", []),
        # mboxo leaves ">>From " as it was: auto would take it for mboxrd, the option says
        ("mboxo", rb"^(From )", b"From me\r\n>>From an old quote\r\n", ["--mbox-format", "mboxo"]),
    ],
)
def test_mbox_from_lines_are_not_a_body_change(
    run_cli: CliRun,
    dns_server: DnsServer,
    generated: Generated,
    tmp_path: Path,
    kind: str,
    quote: bytes,
    body: bytes,
    args: list[str],
) -> None:
    signed = sign(generated, message(body=body))
    path = write(tmp_path / f"{kind}.mbox", _mbox([signed, signed], quote))
    assert b"\n>From " in path.read_bytes()
    result = run_cli("verify", str(path), *ns(dns_server), *args, "--format", "json")
    doc = json.loads(result.stdout)
    rows = [
        s["data"]["signatures"][0]["result"]
        for r in doc["reports"]
        for s in r["sections"]
        if s["family"] == "dkim"
    ]
    assert rows == ["pass", "pass"], result.stdout
    notes = [f[2] for f in _message_findings(doc) if f[0] == "message.format"]
    assert notes and notes[0].startswith(f"from an {kind} mbox (")


def test_wrong_mbox_format_is_a_body_change(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    """The third case above without the option: the test would not fail if the option did
    nothing."""
    signed = sign(generated, message(body=b"From me\r\n>>From an old quote\r\n"))
    path = write(tmp_path / "o.mbox", _mbox([signed], rb"^(From )"))
    doc = json.loads(run_cli("verify", str(path), *ns(dns_server), "--format", "json").stdout)
    dkim = next(s for s in doc["reports"][0]["sections"] if s["family"] == "dkim")
    assert dkim["data"]["signatures"][0]["result"] == "fail"


def test_many_messages_one_line_each_failures_last_then_summary(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, bad: bytes, tmp_path: Path
) -> None:
    folder = tmp_path / "box"
    folder.mkdir()
    write(folder / "a-bad.eml", bad)
    for index in range(3):
        write(folder / f"b-good-{index}.eml", good)
    result = run_cli("verify", str(folder), *ns(dns_server))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    table = lines[1 : lines.index("")]
    assert [line.split()[:2] for line in table] == [
        ["PASS", "b-good-0.eml"],
        ["PASS", "b-good-1.eml"],
        ["PASS", "b-good-2.eml"],
        ["FAIL", "a-bad.eml"],
    ]
    assert table[0].split()[2:] == [
        "alice@dkim.test",
        "Quarterly",
        "report",
        "pass",
        "1/1",
        "aligned",
        "pass",
        "-",
    ]
    assert table[3].split()[5:] == ["fail→reject", "0/1", "fail", "-"]
    assert "body hash" not in result.stdout  # the details are for -v
    summary = "\n".join(lines[lines.index("") + 1 :])
    assert summary.startswith("Summary: 4 messages\nDMARC         3 pass, 1 fail")
    assert "SPF           3 pass, 1 fail" in summary
    assert "ARC           4 none" in summary
    verbose = run_cli("verify", str(folder), *ns(dns_server), "-v")
    assert verbose.stdout.count("From: alice@dkim.test   DMARC") == 4
    assert "body hash did not verify" in verbose.stdout and "Summary: 4 messages" in verbose.stdout


def test_many_messages_table_decodes_encoded_subjects(
    run_cli: CliRun, dns_server: DnsServer, tmp_path: Path
) -> None:
    """The table showed RFC 2047 subjects as they came (=?UTF-8?B?...?=); decoded, they are
    still escaped, and a word that cannot be decoded is shown as it came."""
    folder = tmp_path / "box"
    folder.mkdir()
    subjects = {
        "a.eml": "=?UTF-8?B?w6l0w6k=?= =?UTF-8?Q?_caf=C3=A9?=",
        "b.eml": "=?UTF-8?B?G1syShs=?=x",  # ESC [2J ESC: decoded, then escaped
        "c.eml": "=?UTF-8?B?!!!?= =?nope?Q?a?=",
    }
    for name, subject in subjects.items():
        write(folder / name, message(subject=subject))
    result = run_cli("verify", str(folder), *ns(dns_server))
    lines = result.stdout.splitlines()
    assert "" in lines, result.stdout + result.stderr
    table = {line.split()[1]: line for line in lines[1 : lines.index("")]}
    assert "été café" in table["a.eml"], table
    assert "\\x1b[2J\\x1bx" in table["b.eml"] and "\x1b" not in result.stdout
    assert "=?UTF-8?B?!!!?= =?nope?Q?a?=" in table["c.eml"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("many", "args", "first_output"),
    [
        (False, [], "DMARC pass"),
        (True, [], "result  message"),
        (False, ["--format", "jsonl"], '{"schema_version"'),
        (True, ["-v"], "DMARC pass"),
        (True, ["--format", "json"], '"schema_version"'),
    ],
)
def test_spinner_never_lands_inside_the_report(
    dns_server: DnsServer,
    good: bytes,
    tmp_path: Path,
    many: bool,
    args: list[str],
    first_output: str,
) -> None:
    """On a terminal stdout and stderr share the screen: the spinner is erased before the
    report starts, and never drawn again after it."""
    import pty
    import subprocess

    folder = tmp_path / "box"
    folder.mkdir()
    for index in range(3 if many else 1):
        write(folder / f"{index}.eml", good)
    target = str(folder) if many else str(folder / "0.eml")
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env["COLUMNS"] = "200"
    process = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "verify", target, *ns(dns_server), *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=30) in (0, 1)
    screen = b"".join(chunks).decode("utf-8", "replace")
    start = screen.index(first_output)
    before, after = screen[:start], screen[start:]
    # the spinner says "working…"; the bar for 3 messages counts "N/3"
    drawn = re.compile(r"working|\b\d/3\b")
    assert not drawn.search(after)
    spinner = max((m.start() for m in drawn.finditer(before)), default=-1)
    if spinner >= 0:  # drawn (it may not be, on a fast run): then erased before the report
        assert "\x1b[2K" in before[spinner:]


_OUR_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def _raw_controls(text: str) -> list[str]:
    """Lines that still hold a byte a terminal acts on, once our own colour codes are gone."""
    return [
        line
        for line in _OUR_COLOURS.sub("", text).splitlines()
        if re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", line)
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["one"],
        ["one", "-v"],
        ["folder"],
        ["folder", "-v"],
        *(["folder", "--format", f] for f in ("json", "jsonl", "markdown", "github", "junit")),
    ],
)
def test_hostile_headers_never_reach_the_terminal(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path, args: list[str]
) -> None:
    """Every row of every verify table (signatures, hops, findings, the one-line-per-message
    table, the summary's signers, -v's DNS queries) with colour forced."""
    folder = tmp_path / "box"
    folder.mkdir()
    one = write(folder / "1.eml", hostile_message())
    write(folder / f"2{HOSTILE}.eml", hostile_message())
    write(folder / "3.eml", good)
    target = str(one) if args[0] == "one" else str(folder)
    result = run_cli(
        "verify",
        target,
        *ns(dns_server),
        "--color",
        "always",
        *args[1:],
        env={"FORCE_COLOR": "1", "NO_COLOR": ""},
    )
    assert result.returncode in (1, 3), result.stderr
    assert result.stderr == ""
    assert _raw_controls(result.stdout) == []
    if "--format" not in args:  # shown, as escapes (other formats add their own quoting)
        assert "\\x1b[2J\\x1b]0\\x07\\x9b" in result.stdout
    assert not re.search(r"\bb'[^']*'|\bb\"[^\"]*\"", result.stdout)
    if args[1:] in ([], ["-v"]):
        assert "\x1b[" in result.stdout  # the colour really was forced
        # the tag values of the signature table, each escaped
        for shown in ("dkim\\x1b[2j", "rsa2048\\x1b[2J", "rsa-sha256\\x1b[2J", "1\\x1b[2J"):
            assert shown in result.stdout or args[0] == "folder", shown


def test_verbose_shows_the_dns_queries(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    path = write(tmp_path / "good.eml", good)
    plain = run_cli("verify", str(path), *ns(dns_server))
    assert "DNS queries" not in plain.stdout
    verbose = run_cli("verify", str(path), *ns(dns_server), "-v")
    assert verbose.returncode == 0
    queries = verbose.stdout[verbose.stdout.index("DNS queries") :]
    for name in ("rsa2048._domainkey.dkim.test", "_dmarc.dkim.test", "dkim.test"):
        assert re.search(rf"^  {re.escape(name)} TXT NOERROR", queries, re.MULTILINE), name
    doc = json.loads(run_cli("verify", str(path), *ns(dns_server), "-v", "--format", "json").stdout)
    names = {q["name"] for q in doc["reports"][0]["queries"]}
    assert "rsa2048._domainkey.dkim.test" in names


@pytest.mark.timeout(60)
def test_a_pipe_named_on_the_command_line_is_read(
    run_cli: CliRun, dns_server: DnsServer, good: bytes, tmp_path: Path
) -> None:
    """verify <(command): a FIFO the user names is read like stdin (only one found inside a
    folder is refused, so that it cannot hang the run)."""
    import subprocess

    path = write(tmp_path / "good.eml", good)
    result = subprocess.run(
        [
            "bash",
            "-c",
            f'exec "$0" -m mailcheck verify <(cat {path}) "$@"',
            sys.executable,
            *ns(dns_server),
        ],
        capture_output=True,
        text=True,
        timeout=50,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DMARC pass" in result.stdout


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args", [["-f", "json"], ["-f", "jsonl"], ["-f", "json", "--jobs", "2"]])
def test_message_reports_claim_no_dns_counts_of_their_own(
    run_cli: CliRun, args: list[str], tmp_path: Path
) -> None:
    """Each message report said {"queries": 0, "errors": 0} while the run asked 7 questions
    (with a dead resolver too): a message has no count of its own (what it asks depends on
    the messages verified before it in its process), so only the run's count is given."""
    import socket

    root = Path(__file__).resolve().parents[2]
    mail = [str(root / "examples/messages" / n) for n in ("signed.eml", "tampered.eml")]
    zones = ["--offline", "--zone", str(root / "examples/zones")]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
        black_hole.bind(("127.0.0.1", 0))  # never read: every query goes unanswered
        dead = ["-n", f"127.0.0.1:{black_hole.getsockname()[1]}", "--timeout", "0.2"]
        for source, code in ((zones, 0), (dead, 3)):
            result = run_cli("verify", *mail, *source, *args)
            assert result.returncode in (code, 1), result.stderr
            lines = result.stdout.splitlines()
            docs = [json.loads(line) for line in lines] if "jsonl" in args else []
            if not docs:
                whole = json.loads(result.stdout)
                jsonschema.validate(whole, schema())
                docs = whole["reports"]
                counted = whole["dns"]
                if source is dead:
                    assert counted["errors"] == counted["queries"] > 0
                else:
                    assert counted["queries"] == 7
            assert [d["kind"] for d in docs] == ["message", "message"]
            assert [d.get("dns") for d in docs] == [None, None]


def _dkim_with_key(run_cli: CliRun, tmp_path: Path, record: str) -> dict[str, Any]:
    """The dkim.signature finding of a message signed (badly: b= is not checked before the
    key) by sel._domainkey.k.test, whose key record is `record`, read from a zone file."""
    chunks = " ".join(f'"{record[i : i + 250]}"' for i in range(0, len(record), 250))
    zone = tmp_path / "k.zone"
    zone.write_text(
        "$ORIGIN k.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n"
        f"sel._domainkey TXT {chunks}\n"
    )
    mail = tmp_path / "k.eml"
    mail.write_bytes(
        b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=k.test; s=sel;"
        b" h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
        b"From: a@k.test\r\nTo: b@example.org\r\nSubject: hi\r\n\r\n"
    )
    result = run_cli("verify", str(mail), "--zone", str(zone), "--offline", "--format", "json")
    assert result.returncode == 1, result.stderr
    [report] = json.loads(result.stdout)["reports"]
    [dkim] = [f for s in report["sections"] for f in s["findings"] if f["id"] == "dkim.signature"]
    assert dkim["status"] == "fail"
    found: dict[str, Any] = dkim
    return found


def test_a_key_cryptography_cannot_load_is_a_permerror(run_cli: CliRun, tmp_path: Path) -> None:
    """An EC key on a curve of its own (explicit parameters) published as a DKIM key: a
    DKIM permerror naming it, not an internal error (cryptography raises a class of its own)."""
    from tests.zonegen import EXPLICIT_CURVE_KEY

    dkim = _dkim_with_key(run_cli, tmp_path, f"v=DKIM1; k=rsa; p={EXPLICIT_CURVE_KEY}")
    assert dkim["summary"].endswith(
        "permerror: key unusable: p= holds a public key that is not RSA"
    )


def _spki_with_and_without_null() -> tuple[str, str]:
    """A 2048-bit RSA key as published, and the same key with its AlgorithmIdentifier
    leaving out the NULL parameters (RFC 3279 wants them): cryptography reads both, dkimpy
    cannot parse the second."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    der = (
        rsa.generate_private_key(65537, 2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    head = bytes.fromhex("30820122300d06092a864886f70d0101010500")
    assert der.startswith(head)
    bare = bytes.fromhex("30820120300b06092a864886f70d010101") + der[len(head) :]
    return base64.b64encode(der).decode(), base64.b64encode(bare).decode()


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        # named as `mailcheck domain` names it (dkim.key-invalid), before dkimpy reads it
        ("v=DKIM1; p={key}", "key unusable: p= is not the DER RFC 3279 requires"),
        ("v=DKIM2; p={good}", "key unusable: v=DKIM2 is not DKIM1"),
    ],
)
def test_a_key_dkimpy_cannot_use_is_a_permerror_not_a_failed_signature(
    run_cli: CliRun, tmp_path: Path, record: str, reason: str
) -> None:
    """A key record the verifier cannot use (a key dkimpy cannot parse, v= not DKIM1) said
    "fail: signature did not verify (a signed header changed, or a wrong key)": the
    signature was never checked; RFC 6376 6.1.2 makes it a permanent error about the key."""
    good, bare = _spki_with_and_without_null()
    dkim = _dkim_with_key(run_cli, tmp_path, record.format(key=bare, good=good))
    assert f"rsa-sha256 relaxed/relaxed: permerror: {reason}" in dkim["summary"]
    assert "MII" not in dkim["summary"]  # the key's base64 is not repeated in the summary


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_address_literal_mail_from_is_spf_none_not_an_error(run_cli: CliRun, fmt: str) -> None:
    """A MAIL FROM at an address literal has no SPF record to check (RFC 7208 4.3: "none"):
    pyspf asked DNS for "[192.0.2.10]" TXT, which --offline cannot answer, so a message
    that passes DMARC by its DKIM signature was SPF temperror and exit 3."""
    root = Path(__file__).resolve().parents[2]
    result = run_cli(
        "verify",
        str(root / "examples/messages/signed.eml"),
        *("--offline", "--zone", str(root / "examples/zones"), "--format", fmt),
        *("--ip", "192.0.2.10", "--helo", "mx1.example.com", "--mail-from", "b@[192.0.2.10]"),
    )
    assert result.returncode == 0, result.stdout
    if fmt == "json":
        [report] = json.loads(result.stdout)["reports"]
        [spf] = [s for s in report["sections"] if s["family"] == "spf"]
        assert spf["data"]["result"] == "none"
        assert "RFC 7208 §4.3: no SPF record can apply" in spf["data"]["explanation"]
    else:
        assert "DMARC pass   (SPF none, DKIM 1 of 1 passing, 1 aligned)" in result.stdout
