"""The JSON output validates against the schema shipped in the package."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from mailcheck.catalog import CHECKS
from tests.conftest import CliRun
from tests.dnsserver import DnsServer


def schema() -> dict:  # type: ignore[type-arg]
    text = resources.files("mailcheck").joinpath("data/report.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "domains", [["clean.test"], ["spf-limit.test", "hostile.test", "bücher.test", "mxslow.test"]]
)
def test_domain_json_validates(run_cli: CliRun, dns_server: DnsServer, domains: list[str]) -> None:
    result = run_cli(
        "domain",
        *domains,
        "--nameserver",
        dns_server.address,
        "--timeout",
        "0.3",
        "--format",
        "json",
        "--verbose",
    )
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema())
    for report in doc["reports"]:
        for section in report["sections"]:
            for finding in section["findings"]:
                assert finding["id"] in CHECKS


def test_jsonl_lines_validate(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli(
        "domain",
        "clean.test",
        "nullmx.test",
        "--nameserver",
        dns_server.address,
        "--format",
        "jsonl",
    )
    report_schema = {**schema()["$defs"]["report"], "$defs": schema()["$defs"]}
    for line in result.stdout.splitlines():
        jsonschema.validate(json.loads(line), report_schema)


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
