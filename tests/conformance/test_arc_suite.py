"""The ARC validation test suite (data/arc, licence in data/arc/LICENSE.txt), run through
mailcheck's ARC path: dkimpy's arc_verify with every key answered by our DNS engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dns.name
import dns.rdata
import dns.rdatatype
import pytest
import yaml

from mailcheck.checks.signatures import verify_arc
from mailcheck.net.dns import DnsEngine, Outcome, Record
from mailcheck.net.dns.zones import SourceAnswer

SUITE = Path(__file__).parent / "data" / "arc" / "arc-draft-validation-tests.yml"
EXPECTED = {"pass": "pass", "fail": "fail", "none": "none", "": "fail"}


class TxtSource:
    label = "arc-suite"

    def __init__(self, records: dict[str, str]) -> None:
        self.records = {k.lower().rstrip("."): v for k, v in records.items()}

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool:
        return True

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> SourceAnswer:
        key = name.to_text(omit_final_dot=True).lower()
        value = self.records.get(key)
        if value is None:
            return SourceAnswer(Outcome.NXDOMAIN)
        if rdtype != dns.rdatatype.TXT:
            return SourceAnswer(Outcome.NODATA)
        chunks = [value[i : i + 250] for i in range(0, len(value), 250)]
        rd = dns.rdata.from_text("IN", "TXT", " ".join(f'"{c}"' for c in chunks))
        return SourceAnswer(Outcome.NOERROR, (Record(key, "TXT", 300, rd.to_text(), rd),))


def _load() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    cases = []
    with SUITE.open() as handle:
        for scenario in yaml.safe_load_all(handle):
            records = scenario.get("txt-records") or {}
            for test_id, test in scenario["tests"].items():
                cases.append((test_id, test, records))
    return cases


CASES = _load()


def test_suite_is_complete() -> None:
    assert len(CASES) == 171


@pytest.mark.parametrize(("test_id", "test", "records"), CASES, ids=[c[0] for c in CASES])
def test_arc_validation(test_id: str, test: dict[str, Any], records: dict[str, str]) -> None:
    engine = DnsEngine([TxtSource(records)], upstream=None)
    message = (test.get("message") or "").encode()
    result = verify_arc(message, engine)
    expected = EXPECTED[str(test["cv"] or "").strip().lower()]
    assert result.cv == expected, f"{test_id}: {test.get('description')}: {result.reason}"
