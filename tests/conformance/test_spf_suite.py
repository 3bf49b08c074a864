"""The RFC 7208 test suite (openspf.org, release 2014.04), run through mailcheck's SPF path:
check_host() by pyspf with every DNS lookup answered by our engine, the suite's zone data
served as an engine source. Licence: data/spf/rfc7208-tests.LICENSE.

The suite's drivers give a name's record list special meaning, reproduced here: "TIMEOUT"
makes every type not listed before it time out; a record of value TIMEOUT does so for its
type; SPF (type 99) records are also served as TXT unless the name lists TXT records itself;
names not in the data do not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SPF
import dns.rdtypes.ANY.TXT
import pytest
import yaml

from mailcheck.checks.spf import evaluate
from mailcheck.net.dns import DnsEngine, Outcome, Record
from mailcheck.net.dns.answer import CnameLink
from mailcheck.net.dns.zones import SourceAnswer

SUITE = Path(__file__).parent / "data" / "spf" / "rfc7208-tests.yml"


def _bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _rdata(rdtype: str, value: Any) -> Any:
    if rdtype in ("TXT", "SPF"):
        strings = [value] if isinstance(value, str) else list(value)
        cls = dns.rdtypes.ANY.TXT.TXT if rdtype == "TXT" else dns.rdtypes.ANY.SPF.SPF
        return cls(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), [_bytes(s) for s in strings])
    if rdtype == "MX":
        return dns.rdata.from_text("IN", "MX", f"{value[0]} {value[1].rstrip('.')}.")
    if rdtype in ("PTR", "CNAME"):
        return dns.rdata.from_text("IN", rdtype, value.rstrip(".") + ".")
    return dns.rdata.from_text("IN", rdtype, str(value))


class SuiteSource:
    """Answers for every name, from one scenario's `zonedata`."""

    label = "rfc7208-suite"

    def __init__(self, zonedata: dict[str, list[Any]]) -> None:
        self.data: dict[str, list[Any]] = {}
        for name, entries in zonedata.items():
            has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
            expanded: list[Any] = []
            generated: list[Any] = []
            for entry in entries:
                expanded.append(entry)
                if isinstance(entry, dict) and "SPF" in entry and not has_txt:
                    generated.append({"TXT": entry["SPF"]})
            self.data[name.lower().rstrip(".")] = expanded + generated

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool:
        return True

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> SourceAnswer:
        # Raw labels: the suite has names with spaces and "%" that presentation form escapes.
        key = ".".join(label.decode("latin-1") for label in name.labels if label).lower()
        wanted = dns.rdatatype.to_text(rdtype)
        entries = self.data.get(key)
        if entries is None:
            return SourceAnswer(Outcome.NXDOMAIN)
        records = []
        cname = None
        for entry in entries:
            if entry == "TIMEOUT":
                if not records:
                    return SourceAnswer(Outcome.TIMEOUT, detail="suite TIMEOUT")
                break
            ((kind, value),) = entry.items()
            if value == "TIMEOUT" and kind == wanted:
                return SourceAnswer(Outcome.TIMEOUT, detail="suite TIMEOUT")
            if kind == "CNAME" and wanted != "CNAME":
                cname = value
            if kind != wanted or value == "NONE" or value == []:
                # A record with no strings cannot exist on the wire; pyspf skips it too.
                continue
            rd = _rdata(kind, value)
            records.append(Record(key, kind, 300, rd.to_text(), rd))
        if records:
            return SourceAnswer(Outcome.NOERROR, tuple(records))
        if cname is not None:
            target = dns.name.from_text(cname.rstrip(".") + ".")
            shown = target.to_text(omit_final_dot=True).lower()
            return SourceAnswer(
                Outcome.NOERROR, cnames=(CnameLink(key, shown),), continue_at=target
            )
        return SourceAnswer(Outcome.NODATA)


def _load() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    with SUITE.open("rb") as handle:
        for scenario in yaml.safe_load_all(handle):
            zonedata = scenario["zonedata"]
            for test_id, test in scenario["tests"].items():
                cases.append((test_id, test, zonedata))
    return cases


CASES = _load()


def test_suite_is_complete() -> None:
    assert len(CASES) == 203


@pytest.mark.parametrize(("test_id", "test", "zonedata"), CASES, ids=[c[0] for c in CASES])
def test_rfc7208(test_id: str, test: dict[str, Any], zonedata: dict[str, list[Any]]) -> None:
    engine = DnsEngine([SuiteSource(zonedata)], upstream=None)
    result = evaluate(
        engine, test["host"], test.get("mailfrom", ""), test["helo"], default_explanation="DEFAULT"
    )
    expected = test["result"]
    allowed = expected if isinstance(expected, list) else [expected]
    assert result.result in allowed, f"{test_id}: {test.get('description', '')}"
    if "explanation" in test:
        assert result.explanation == test["explanation"]
