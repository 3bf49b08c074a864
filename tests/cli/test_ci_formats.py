"""Every command's report in every CI format: JUnit (parsed strictly), SARIF (validated
against the OASIS schema), GitHub workflow commands (and the step summary), Markdown; with
hostile DNS text escaped and zone-file lines carried through."""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from tests.conftest import ROOT, CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import free_port

EXAMPLES = ROOT / "examples"
SARIF_SCHEMA = json.loads(
    (ROOT / "tests/conformance/data/sarif/sarif-2.1.0-rtm.5.json").read_text()
)
FORMATS = ("junit", "sarif", "github", "markdown")

Command = Callable[[CliRun, str], Any]


def domain(run_cli: CliRun, fmt: str) -> Any:
    return run_cli(
        "domain",
        "broken.example.org",
        "example.com",
        "--offline",
        "--zone",
        "examples/zones",
        "--format",
        fmt,
    )


def verify(run_cli: CliRun, fmt: str) -> Any:
    return run_cli(
        "verify",
        str(EXAMPLES / "messages/tampered.eml"),
        str(EXAMPLES / "messages/signed.eml"),
        "--offline",
        "--zone",
        "examples/zones",
        "--format",
        fmt,
    )


def trace(run_cli: CliRun, fmt: str) -> Any:
    return run_cli("trace", "127.0.0.1", "--port", str(free_port()), "--format", fmt)


def send(run_cli: CliRun, fmt: str) -> Any:
    return run_cli(
        "send",
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.net",
        "--offline",
        "--zone",
        "examples/zones",
        "--dry-run",
        "--save",
        # a fresh folder each time: --save never overwrites, so a reused name would fail
        str(Path(tempfile.mkdtemp(prefix="mailcheck-ci-format-")) / f"{fmt}.eml"),
        "--format",
        fmt,
    )


COMMANDS: dict[str, Command] = {"domain": domain, "verify": verify, "trace": trace, "send": send}


def as_json(run_cli: CliRun, command: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(COMMANDS[command](run_cli, "json").stdout)
    return doc


def statuses(doc: dict[str, Any]) -> list[str]:
    return [f["status"] for r in doc["reports"] for s in r["sections"] for f in s["findings"]]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_junit(run_cli: CliRun, command: str, tmp_path: Path) -> None:
    result = COMMANDS[command](run_cli, "junit")
    assert result.returncode in (0, 1, 3), result.stderr
    ET.fromstring(result.stdout.encode())  # noqa: S314  (our own output: well-formed?)
    path = tmp_path / "report.xml"
    path.write_text(result.stdout)
    xml = JUnitXml.fromfile(str(path))
    found = statuses(as_json(run_cli, command))
    failures = errors = skipped = tests = 0
    for suite in xml:
        for case in suite:
            tests += 1
            kinds = {type(r) for r in case.result}
            failures += Failure in kinds
            errors += Error in kinds
            skipped += Skipped in kinds
    assert tests == len(found)
    assert failures == found.count("fail")
    assert errors == found.count("error")
    assert skipped == found.count("skip")
    assert int(xml.failures) == failures and int(xml.errors) == errors


def test_junit_warn_is_a_failure_with_fail_on_warn(run_cli: CliRun, tmp_path: Path) -> None:
    result = run_cli(
        "domain",
        "broken.example.org",
        "--offline",
        "--zone",
        "examples/zones",
        "--format",
        "junit",
        "--fail-on",
        "warn",
    )
    doc = json.loads(
        run_cli(
            "domain",
            "broken.example.org",
            "--offline",
            "--zone",
            "examples/zones",
            "--format",
            "json",
        ).stdout
    )
    path = tmp_path / "r.xml"
    path.write_text(result.stdout)
    xml = JUnitXml.fromfile(str(path))
    assert int(xml.failures) == statuses(doc).count("warn") + statuses(doc).count("fail") > 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_sarif_validates(run_cli: CliRun, command: str) -> None:
    result = COMMANDS[command](run_cli, "sarif")
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    run = log["runs"][0]
    found = statuses(as_json(run_cli, command))
    assert len(run["results"]) == sum(found.count(s) for s in ("fail", "error", "warn"))
    assert run["invocations"][0]["exitCode"] == result.returncode
    rules = run["tool"]["driver"]["rules"]
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]


def test_sarif_points_at_zone_lines(run_cli: CliRun) -> None:
    log = json.loads(domain(run_cli, "sarif").stdout)
    located = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]
        for r in log["runs"][0]["results"]
        if "physicalLocation" in r["locations"][0]
    }
    spf = located["spf.lookup-limit"]
    assert spf["artifactLocation"]["uri"] == "examples/zones/broken.example.org.zone"
    zone = (ROOT / spf["artifactLocation"]["uri"]).read_text().splitlines()
    assert zone[spf["region"]["startLine"] - 1].strip().startswith('TXT   "v=spf1')
    dmarc = located["dmarc.policy-none"]
    assert zone[dmarc["region"]["startLine"] - 1].startswith("_dmarc")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_github_commands(run_cli: CliRun, command: str, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    runner = COMMANDS[command]
    result = runner(_with_env(run_cli, {"GITHUB_STEP_SUMMARY": str(summary)}), "github")
    lines = result.stdout.splitlines()
    found = statuses(as_json(run_cli, command))
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == sum(found.count(s) for s in ("fail", "error", "warn"))
    assert sum(line.startswith("::error ") for line in commands) == found.count(
        "fail"
    ) + found.count("error")
    assert lines[-1].startswith(f"mailcheck {command}: ")
    text = summary.read_text()
    assert text.startswith("earlier step\n") and f"### mailcheck {command}:" in text


def test_github_annotation_points_at_the_zone_line(run_cli: CliRun) -> None:
    lines = domain(run_cli, "github").stdout.splitlines()
    [spf] = [line for line in lines if "title=mailcheck spf.lookup-limit" in line]
    assert spf.startswith("::error file=examples/zones/broken.example.org.zone,line=8,")


def test_annotations_name_the_domain_once(run_cli: CliRun, tmp_path: Path) -> None:
    """A summary that already leads with the domain is not prefixed with it again."""
    zone = tmp_path / "dup.zone"
    zone.write_text(
        "$ORIGIN dup.test.\n$TTL 300\n@ SOA ns1 host 1 7200 3600 1209600 3600\n@ NS ns1\n"
        'ns1 A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.2\n@ TXT "v=spf1 bogus -all"\n'
    )
    args = ("domain", "dup.test", "--offline", "--zone", str(zone), "--only", "spf.syntax")
    github = run_cli(*args, "--format", "github").stdout.splitlines()[0]
    assert github.endswith(
        "::dup.test: bogus: unknown mechanism 'bogus'%0AFix the term as the message says."
    )
    sarif = json.loads(run_cli(*args, "--format", "sarif").stdout)
    [result] = sarif["runs"][0]["results"]
    assert result["message"]["text"] == "dup.test: bogus: unknown mechanism 'bogus'"


def test_hostile_text_is_escaped(run_cli: CliRun, dns_server: DnsServer, tmp_path: Path) -> None:
    def run(fmt: str) -> str:
        result = run_cli(
            "domain", "hostile.test", "--nameserver", dns_server.address, "--format", fmt
        )
        return str(result.stdout)

    markdown = run("markdown")
    # the SPF record's [bold red] markup is shown, escaped: no link, no emphasis
    assert "\\[bold" in markdown and re.search(r"(?<!\\)\[bold", markdown) is None
    assert "\x1b" not in markdown and "\x17" not in markdown
    github = run("github")
    for line in github.splitlines()[:-1]:
        assert line.startswith(("::error ", "::warning ")), line
    junit = run("junit")
    ET.fromstring(junit.encode())  # noqa: S314  (our own output)
    assert "\x17" not in junit and "\x1b" not in junit
    sarif = json.loads(run("sarif"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)


def _with_env(run_cli: CliRun, env: dict[str, str]) -> CliRun:
    def run(*args: str, **kwargs: Any) -> Any:
        merged = {**env, **(kwargs.pop("env", None) or {})}
        return run_cli(*args, env=merged, **kwargs)

    return run


def test_sarif_names_the_projects_real_homepage(run_cli: CliRun) -> None:
    """Code-scanning UIs link the tool's informationUri: it is the Homepage in pyproject.toml."""
    import tomllib

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    homepage = urls["Homepage"]
    assert homepage.startswith("https://") and ".invalid" not in homepage
    driver = json.loads(domain(run_cli, "sarif").stdout)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == homepage
