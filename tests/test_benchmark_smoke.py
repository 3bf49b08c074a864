"""The benchmark command runs end to end with tiny sizes and prints every figure with its target.

Nothing here judges speed (the machine is shared, figures are noise at these sizes): it checks
that `python benchmarks/run.py` still measures what the README says it measures.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import mtas
from tests.conftest import ROOT

RUN = ROOT / "benchmarks" / "run.py"
KNOT = shutil.which("knotd", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))


def bench(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [sys.executable, str(RUN), *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result, json.loads(out.read_text())


@pytest.mark.timeout(1200)
def test_tiny_run_prints_every_figure_with_its_target_and_peer(tmp_path: Path) -> None:
    result, doc = bench(
        ["--runs", "1", "--rtt", "5", "--bulk", "3+5", "--messages", "4", "--keys", "2"]
        + ([] if KNOT else ["--allow-python-dns"]),
        tmp_path,
    )
    rows = {row["name"]: row for row in doc["rows"]}
    expected = {
        "mailcheck --version": "python -c pass",
        "mailcheck --help": "python -c pass",
        "one TAB completion (explain spf.)": "python -c pass",
        "domain bench.test at 0 ms RTT": "checkdmarc",
        "domain bench.test at 5 ms RTT": "checkdmarc",
        "3 domains at 5 ms: wall": "checkdmarc est.",
        "3 domains at 5 ms: peak memory": "",
        "5 domains at 5 ms: wall": "checkdmarc est.",
        "5 domains at 5 ms: peak memory": "",
        "verify 4 messages, JSON output": "mailauth",
        "verify 4 messages, text output": "mailauth",
        "DNS queries for DKIM keys per run": "",
        f"trace to {'Postfix' if mtas.available() else 'aiosmtpd'}": "swaks",
    }
    for name, peer in expected.items():
        matches = [row for key, row in rows.items() if key.startswith(name)]
        assert len(matches) == 1, (name, sorted(rows))
        row = matches[0]
        assert row["target"], name
        assert row["runs"] >= 1 and math.isfinite(row["median"]), row
        assert row["min"] <= row["median"] <= row["max"], row
        assert row["peer"].startswith(peer), row
        if peer in ("python -c pass", "checkdmarc"):
            assert row["peer_median"] is not None and row["peer_median"] > 0, row
        # a peer that could not be measured says why, and its target is left unjudged
        if peer in ("mailauth", "swaks") and row["peer_median"] is None:
            assert ":" in row["peer"] and row["met"] is None, row
        assert name in result.stdout
    # the domain targets are for a real round trip: at 0 ms the row only explains
    zero = next(row for key, row in rows.items() if key.startswith("domain bench.test at 0 ms"))
    assert zero["target"] == "none (fixed cost)" and zero["met"] is None, zero
    assert "fixed cost" in zero["note"], zero
    rtt = next(row for key, row in rows.items() if key.startswith("domain bench.test at 5 ms"))
    assert "10x checkdmarc" in rtt["target"] and rtt["met"] in (True, False), rtt
    assert rows["DNS queries for DKIM keys per run"]["median"] == 2
    assert rows["DNS queries for DKIM keys per run"]["met"] is True
    # Knot serves the figures where it is installed (CI installs it); never unlabelled
    assert doc["dns"] == "Knot (knotd) on loopback" if KNOT else "NOT Knot" in str(doc["dns"])
    assert "delay proxy" in result.stdout and "us per query at 0 ms" in result.stdout


@pytest.mark.timeout(600)
def test_without_knot_it_says_how_to_install_it_or_labels_the_fallback(tmp_path: Path) -> None:
    missing = {"KNOTD": str(tmp_path / "no-knotd")}
    result = subprocess.run(
        [sys.executable, str(RUN), "--only", "bulk", "--bulk", "2", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **missing},
        check=False,
    )
    assert result.returncode != 0
    assert "apt-get install knot" in result.stderr
    assert "Traceback" not in result.stderr
    fallback, doc = bench(
        ["--only", "bulk", "--bulk", "2", "--runs", "1", "--allow-python-dns"], tmp_path, missing
    )
    assert "NOT Knot" in str(doc["dns"]) and "apt-get install knot" in fallback.stdout
    assert [row["name"] for row in doc["rows"]] == [
        "2 domains at 30 ms: wall",
        "2 domains at 30 ms: peak memory",
    ]
