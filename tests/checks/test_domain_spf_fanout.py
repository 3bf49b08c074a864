"""One hostile SPF tree costs bounded work: 60 includes of 60 a: terms each (3,600 terms, every
one a question unless bounded) give a bounded number of questions, findings, memory and
output, and the lookup count says "at least"."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from mailcheck.checks.spf_tree import MAX_QUESTIONS
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain import parse_domain
from mailcheck.render.jsonfmt import report_dict
from mailcheck.services.domain import DomainRequest, check_domain

INCLUDES = 60
TERMS = 60


def txt(text: str) -> str:
    """A TXT value split into strings of at most 255 bytes, split at spaces."""
    parts, current = [], ""
    for word in text.split(" "):
        piece = (" " if current else "") + word
        if len(current) + len(piece) > 250:
            parts.append(current + " ")
            current = word
        else:
            current += piece
    parts.append(current)
    return " ".join(f'"{p}"' for p in parts)


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = [
        "$ORIGIN fan.test.",
        "$TTL 300",
        "@ SOA ns.fan.test. h.fan.test. 1 7200 3600 1209600 300",
        "@ NS ns.fan.test.",
        "ns A 127.0.0.1",
    ]
    root = " ".join(f"include:i{n}.fan.test" for n in range(INCLUDES))
    lines.append(f"@ TXT {txt('v=spf1 ' + root + ' -all')}")
    for n in range(INCLUDES):
        terms = " ".join(f"a:h{n}-{t}.fan.test" for t in range(TERMS))
        lines.append(f"i{n} TXT {txt('v=spf1 ' + terms + ' -all')}")
    path = tmp_path_factory.mktemp("fan") / "fan.test.zone"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.timeout(60)
def test_fan_out_is_bounded(zone: Path) -> None:
    engine = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    tracemalloc.start()
    with engine:
        report = check_domain(parse_domain("fan.test"), engine, DomainRequest(families=("spf",)))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # questions: the tree's budget plus the root's own (TXT, SPF) and a few more
    assert len(report.queries) <= MAX_QUESTIONS + 10, len(report.queries)
    assert peak < 64 * 1024 * 1024, peak
    [limit] = [f for f in report.findings() if f.id == "spf.lookup-limit"]
    assert limit.status.value == "fail"
    assert limit.summary.startswith(f"{INCLUDES + INCLUDES * TERMS} DNS-querying terms")
    # per-id findings are capped, with one finding counting the rest
    spf = [f for f in report.findings() if f.family == "spf"]
    assert len(spf) <= 30, len(spf)
    size = len(json.dumps(report_dict(report)))
    assert size < 256 * 1024, size
    # what was not asked is unknown, not void: the void count says "at least"
    [voids] = [f for f in report.findings() if f.id == "spf.void-lookups"]
    assert voids.status.value in ("error", "fail", "warn")
    assert "not followed" in voids.summary or voids.status.value != "error"
