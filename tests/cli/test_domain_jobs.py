"""domain --jobs: the one-process reports from worker processes; Ctrl-C, deadline, a dead worker."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mailcheck.net.dns import DnsOptions
from mailcheck.services.domain_pool import default_jobs, share
from tests.cli.test_verify_jobs import _session_processes
from tests.conftest import CliRun
from tests.dnsserver import DnsServer

DOMAINS = 40


def _zone(folder: Path) -> tuple[Path, Path]:
    """Domains of several kinds (good, no DMARC, a broken SPF, no mail at all), many times."""
    lines = [
        "$ORIGIN jobs.test.",
        "$TTL 300",
        "@ SOA ns.jobs.test. host.jobs.test. 1 3600 600 86400 300",
        "@ NS ns.jobs.test.",
        "ns A 127.0.0.1",
        "mx A 192.0.2.25",
        '_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"',
    ]
    for i in range(DOMAINS):
        kind = i % 4
        lines.append(f"d{i} MX 10 mx.jobs.test.")
        if kind == 0:
            lines += [
                f'd{i} TXT "v=spf1 include:_spf.jobs.test -all"',
                f'_dmarc.d{i} TXT "v=DMARC1; p=reject"',
            ]
        elif kind == 1:
            lines.append(f'd{i} TXT "v=spf1 include:_spf.jobs.test ~all"')
        elif kind == 2:
            lines += [
                f'd{i} TXT "v=spf1 include:missing.jobs.test -all"',
                f'_dmarc.d{i} TXT "v=DMARC1; p=none"',
            ]
    zone = folder / "jobs.zone"
    zone.write_text("\n".join(lines) + "\n")
    listing = folder / "domains.txt"
    listing.write_text("".join(f"d{i}.jobs.test\n" for i in range(DOMAINS)))
    return zone, listing


def _without_timing(doc: dict[str, Any]) -> dict[str, Any]:
    for report in doc["reports"]:
        report.pop("duration_ms", None)
    doc.pop("duration_ms", None)
    # each worker has its own cache: the shared names are asked once per process
    doc.pop("dns")
    return doc


@pytest.mark.timeout(240)
def test_jobs_give_the_one_process_reports(run_cli: CliRun, tmp_path: Path) -> None:
    zone, listing = _zone(tmp_path)
    with DnsServer([zone]) as server:
        args = ["domain", "--from-file", str(listing), "-n", server.address, "--no-config"]
        one = run_cli(*args, "--jobs", "1", "--format", "json", timeout=200)
        two = run_cli(*args, "--jobs", "2", "--format", "json", timeout=200)
        assert one.returncode == two.returncode == 1, one.stderr + two.stderr
        serial, pooled = (
            _without_timing(json.loads(one.stdout)),
            _without_timing(json.loads(two.stdout)),
        )
        assert [r["subject"] for r in serial["reports"]] == [
            f"d{i}.jobs.test" for i in range(DOMAINS)
        ]
        verdicts = {json.dumps(r["counts"], sort_keys=True) for r in serial["reports"]}
        assert len(verdicts) >= 3  # the list really holds different verdicts
        assert pooled == serial  # every report, in input order, and the summary
        # jsonl: as each domain finishes, the same reports
        lines = run_cli(*args, "--jobs", "2", "--format", "jsonl", timeout=200)
        assert lines.returncode == 1
        came = [json.loads(line) for line in lines.stdout.splitlines()]
        reports = {r["subject"]: r for r in came if "subject" in r}
        for report in reports.values():
            for key in ("duration_ms", "schema_version", "command"):  # on every JSON line
                report.pop(key, None)
        assert reports == {r["subject"]: r for r in serial["reports"]}
        text_one = run_cli(*args, "--jobs", "1", timeout=200)
        text_two = run_cli(*args, "--jobs", "2", timeout=200)
        # the closing line counts each process's own queries and the time: not compared
        untimed = re.compile(r"\([\d,]+ (DNS )?quer(y|ies)[^)]*\)")
        assert untimed.sub("", text_two.stdout) == untimed.sub("", text_one.stdout)
        assert text_two.returncode == 1


def _start(listing: Path, server: DnsServer, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "mailcheck", "domain", "--from-file", str(listing)),
            *("-n", server.address, "--format", "jsonl", "--no-config", *extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )


def _workers_up(process: subprocess.Popen[bytes], deadline: float) -> list[int]:
    while len(_session_processes(process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    found = _session_processes(process.pid)
    assert len(found) >= 3  # the parent and two workers
    return [pid for pid in found if pid != process.pid]


@pytest.mark.timeout(60)
def test_one_ctrl_c_ends_the_workers_too(tmp_path: Path) -> None:
    zone, listing = _zone(tmp_path)
    # every answer takes a second: the workers are surely waiting on DNS
    with DnsServer([zone], delay=1.0) as slow:
        process = _start(listing, slow, "--jobs", "2")
        deadline = time.monotonic() + 30
        _workers_up(process, deadline)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
        assert process.returncode == 130 and b"mailcheck: interrupted" in err
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(process.pid) == []


@pytest.mark.timeout(60)
def test_a_worker_killed_ends_the_run_with_one_line(tmp_path: Path) -> None:
    zone, listing = _zone(tmp_path)
    with DnsServer([zone], delay=1.0) as slow:
        process = _start(listing, slow, "--jobs", "2")
        deadline = time.monotonic() + 30
        workers = _workers_up(process, deadline)
        time.sleep(0.5)
        os.kill(workers[0], signal.SIGKILL)
        _, err = process.communicate(timeout=20)
        text = err.decode()
        assert process.returncode == 4, text
        assert "a domain worker process ended (exit code -9) while checking d" in text
        assert "Traceback" not in text
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _session_processes(process.pid) == []


@pytest.mark.timeout(60)
def test_the_whole_run_deadline_holds_in_every_worker(tmp_path: Path) -> None:
    zone, listing = _zone(tmp_path)
    with DnsServer([zone], delay=3.0) as slow:
        started = time.monotonic()
        process = _start(listing, slow, "--jobs", "2", "--deadline", "2")
        out, err = process.communicate(timeout=40)
        took = time.monotonic() - started
    reports = [json.loads(line) for line in out.splitlines() if b'"subject"' in line]
    assert process.returncode == 3, err.decode()
    assert len(reports) == DOMAINS
    # nothing could be asked in time: every domain is ERROR (could not determine), not FAIL
    assert {r["status"] for r in reports} == {"error"}
    assert not any(r["counts"]["fail"] for r in reports)
    assert took < 30  # bounded by --deadline, not by 40 domains of 3-second answers


def test_the_totals_the_user_asked_for_are_split_among_the_workers() -> None:
    options = DnsOptions(concurrency=64, max_qps=10.0)
    mine, parallel = share(options, 16, 2)
    assert (mine.concurrency, mine.max_qps, parallel) == (32, 5.0, 8)
    mine, parallel = share(DnsOptions(concurrency=3), 1, 4)
    assert (mine.concurrency, mine.max_qps, parallel) == (1, None, 1)
    assert default_jobs(20) == 1  # a short list: one process
