"""`--bimi-selector NAME`: the record at NAME._bimi.DOMAIN, as a receiver reading the
BIMI-Selector header would look it up, instead of only default._bimi."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRun

ZONE = """$ORIGIN sel.example.
$TTL 300
@           SOA  ns1 hostmaster 2026120101 7200 3600 1209600 3600
            NS   ns1
            NS   ns2
ns1         A    192.0.2.53
ns2         A    198.51.100.53
@           MX   10 mx
mx          A    192.0.2.10
@           TXT  "v=spf1 mx -all"
_dmarc      TXT  "v=DMARC1; p=reject"
brand._bimi TXT  "v=BIMI1; l=http://logo.sel.example/brand.svg"
"""


def _bimi(run_cli: CliRun, tmp_path: Path, *extra: str) -> list[dict[str, str]]:
    zone = tmp_path / "sel.zone"
    zone.write_text(ZONE)
    result = run_cli(
        "domain", "sel.example", "--offline", "--zone", str(zone), "--only", "bimi",
        "-f", "json", *extra,
    )  # fmt: skip
    doc = json.loads(result.stdout)
    [section] = [s for s in doc["reports"][0]["sections"] if s["family"] == "bimi"]
    return list(section["findings"])


def test_named_selector_is_looked_up(run_cli: CliRun, tmp_path: Path) -> None:
    findings = _bimi(run_cli, tmp_path, "--bimi-selector", "brand")
    [record] = [f for f in findings if f["id"] == "bimi.record"]
    assert record["status"] == "fail"
    assert "http://logo.sel.example/brand.svg" in json.dumps(record)


def test_default_selector_without_the_option(run_cli: CliRun, tmp_path: Path) -> None:
    assert _bimi(run_cli, tmp_path) == [
        {
            "id": "bimi.record",
            "status": "info",
            "summary": "no BIMI record (optional)",
            "refs": _bimi(run_cli, tmp_path)[0]["refs"],
            "location": {"source": str(tmp_path / "sel.zone"), "line": None},
        }
    ]


def test_missing_named_selector_says_where_it_looked(run_cli: CliRun, tmp_path: Path) -> None:
    [record] = _bimi(run_cli, tmp_path, "--bimi-selector", "Other")
    assert record["status"] == "info"
    assert record["summary"] == "no BIMI record at other._bimi.sel.example (optional)"


def test_bad_selector_is_a_usage_error(run_cli: CliRun) -> None:
    result = run_cli("domain", "sel.example", "--offline", "--bimi-selector", "a b")
    assert result.returncode == 2
    assert result.stderr.startswith("mailcheck: error: --bimi-selector 'a b' is not a selector")
