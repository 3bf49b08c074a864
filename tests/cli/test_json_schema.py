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


def test_questions_asked_with_the_do_bit_are_marked(run_cli: CliRun, dns_server: DnsServer) -> None:
    """The DNSSEC check asks MX, SOA and TXT again with the DO bit: -v showed each twice, as
    if duplicated. Text marks them +dnssec; JSON query entries have "dnssec": true."""
    args = ("domain", "clean.test", "--nameserver", dns_server.address, "--verbose")
    text = run_cli(*args).stdout.splitlines()
    log = text[text.index("DNS queries") :]
    asked = [line.split("  ")[1] for line in log if line.startswith("  clean.test ")]
    assert "clean.test MX NOERROR" in asked and "clean.test MX +dnssec NOERROR" in asked
    assert "clean.test TXT NOERROR" in asked and "clean.test TXT +dnssec NOERROR" in asked
    assert len(asked) == len(set(asked)), asked  # no line looks like another
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    jsonschema.validate(doc, schema())
    queries = doc["reports"][0]["queries"]
    mx = [q.get("dnssec", False) for q in queries if (q["name"], q["type"]) == ("clean.test", "MX")]
    assert mx == [False, True]
    keys = [(q["name"], q["type"], q.get("dnssec", False)) for q in queries]
    assert len(keys) == len(set(keys))
