"""`mailcheck verify` end to end: inputs (file, stdin, Maildir, mbox), formats, exit codes,
and input files left exactly as they were."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.mailgen import message, received, sign, tamper_signature
from tests.zonegen import Generated


def ns(server: DnsServer) -> list[str]:
    return ["--nameserver", server.address, "--timeout", "0.5"]


@pytest.fixture
def good(generated: Generated) -> bytes:
    return sign(
        generated, message(received=[received()], extra=["Return-Path: <bounce@dkim.test>"])
    )


@pytest.fixture
def bad(generated: Generated) -> bytes:
    return sign(generated, message()).replace(b"the report", b"the r3port")


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


def test_not_a_message_exits_2(run_cli: CliRun, tmp_path: Path) -> None:
    garbage = write(tmp_path / "garbage.bin", bytes(range(256)) * 16)
    result = run_cli("verify", str(garbage), "--offline")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"mailcheck: error: {garbage}: not an email message")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify"], "no message given"),
        (["verify", "/no/such.eml"], "no such file"),
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
