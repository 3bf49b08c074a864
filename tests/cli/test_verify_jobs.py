"""verify --jobs: a process pool gives the serial path's reports, in order, one query per key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.mailgen import arc_chain, message, received, sign
from tests.zonegen import Generated


def _mailbox(folder: Path, gen: Generated) -> Path:
    """Every kind of verdict, many times over: pass, body changed, each key type, a missing
    key, no signature, ARC, and files that are no message at all."""
    kinds: list[bytes] = [
        sign(gen, message(received=[received()], extra=["Return-Path: <bounce@dkim.test>"])),
        sign(gen, message()).replace(b"the report", b"the r3port"),
        sign(gen, message(), selector="rsa1024"),
        sign(gen, message(), selector="ed"),
        sign(gen, message(), selector="missing", key_selector="rsa2048"),
        message(sender="nobody@clean.test"),
        arc_chain(gen, sign(gen, message()), 2),
        b"not a message at all",
    ]
    maildir = folder / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for index in range(120):
        (maildir / "cur" / f"{index:04d}.eml").write_bytes(kinds[index % len(kinds)])
    return maildir


def _without_timing(doc: dict[str, Any]) -> dict[str, Any]:
    for report in doc["reports"]:
        report.pop("duration_ms", None)
    doc.pop("duration_ms", None)
    # cache hits count how often a process asked its own cache: more processes, other counts
    doc["dns"].pop("cache_hits")
    return doc


@pytest.mark.timeout(180)
def test_jobs_give_the_serial_reports(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    maildir = _mailbox(tmp_path, generated)
    args = ["verify", str(maildir), "--nameserver", dns_server.address, "--timeout", "0.5"]
    serial = run_cli(*args, "--jobs", "1", "--format", "json", timeout=150)
    pooled = run_cli(*args, "--jobs", "3", "--format", "json", timeout=150)
    assert serial.returncode == pooled.returncode == 1, serial.stderr + pooled.stderr
    one, three = (
        _without_timing(json.loads(serial.stdout)),
        _without_timing(json.loads(pooled.stdout)),
    )
    assert [r["subject"] for r in three["reports"]] == [r["subject"] for r in one["reports"]]
    verdicts = {r["data"]["verdict"] for r in one["reports"]}
    assert len(verdicts) >= 5  # the mailbox really holds different cases
    assert three == one  # every report, the summary and the DNS counts alike
    # the pool's workers ask through the parent: each key once for the whole run
    assert three["dns"]["queries"] == one["dns"]["queries"]
    text_one = run_cli(*args, "--jobs", "1", timeout=150)
    text_three = run_cli(*args, "--jobs", "3", timeout=150)
    assert text_three.stdout == text_one.stdout and text_three.returncode == 1


def _session_processes(session: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.timeout(60)
def test_one_ctrl_c_ends_the_workers_too(
    generated: Generated, zone_dir: Path, tmp_path: Path
) -> None:
    maildir = _mailbox(tmp_path, generated)
    # Every answer takes a second: the run is surely under way, workers waiting on DNS.
    with DnsServer(sorted(zone_dir.glob("*.zone")), delay=1.0) as slow:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mailcheck", "verify", str(maildir), "--jobs", "2"),
                *("--nameserver", slow.address, "--format", "jsonl"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while len(_session_processes(process.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_session_processes(process.pid)) >= 3  # the parent and two workers
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
        assert process.returncode == 130 and b"mailcheck: interrupted" in err
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(process.pid) == []


@pytest.mark.timeout(60)
def test_a_lone_message_is_shown_whole_with_jobs(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    """Workers send back each message's line, not its report; the run's first message
    comes whole, so one message given with --jobs still prints its full report."""
    path = tmp_path / "one.eml"
    path.write_bytes(sign(generated, message(received=[received()])))
    args = ["verify", str(path), "--nameserver", dns_server.address, "--timeout", "0.5"]
    serial = run_cli(*args, "--jobs", "1", timeout=50)
    pooled = run_cli(*args, "--jobs", "2", timeout=50)
    assert serial.returncode == pooled.returncode == 0, serial.stderr + pooled.stderr
    assert pooled.stdout == serial.stdout
    assert "DKIM" in pooled.stdout and "Summary:" not in pooled.stdout
