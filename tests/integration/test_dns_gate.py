"""Gating a DNS change in CI, end to end: a DNS-as-code repository (the zone files of
examples/zones plus examples/ci/mailcheck.toml), the live DNS served by a server on loopback,
and the commands of the shipped GitHub Actions and GitLab CI examples run as they are, on a
harmless change and on changes that break the expectations."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.cli.test_json_schema import schema
from tests.conftest import ROOT
from tests.dnsserver import DnsServer

EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """The published state: the example zones as they are in the repository, under
    unsigned com., net. and org. zones (so DS questions have an answer, as on the Internet)."""
    parents = tmp_path_factory.mktemp("tlds")
    for tld in ("com", "net", "org"):
        (parents / f"{tld}.zone").write_text(
            f"$ORIGIN {tld}.\n$TTL 3600\n@ SOA ns.{tld}. h.{tld}. 1 7200 3600 1209600 3600\n"
            f"@ NS ns.{tld}.\nns A 192.0.2.99\n"
        )
    zones = sorted((EXAMPLES / "zones").glob("*.zone")) + sorted(parents.glob("*.zone"))
    with DnsServer(zones) as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "zones", tmp_path / "zones")
    shutil.copy(EXAMPLES / "ci" / "mailcheck.toml", tmp_path / "mailcheck.toml")
    return tmp_path


def edit(repo: Path, old: str, new: str) -> None:
    zone = repo / "zones" / "example.com.zone"
    text = zone.read_text()
    assert old in text
    zone.write_text(text.replace(old, new))


def shell(command: str, repo: Path, live: DnsServer) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "MAILCHECK_NAMESERVER": live.address,
        "NO_COLOR": "1",
    }
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )


def github_steps() -> list[str]:
    workflow = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["mailcheck"]["steps"]
    return [s["run"] for s in steps if "mailcheck domain" in s.get("run", "")]


def gitlab_script() -> list[str]:
    pipeline = yaml.safe_load((EXAMPLES / "ci" / "gitlab-ci.yml").read_text())
    return [line for line in pipeline["mailcheck"]["script"] if "mailcheck domain" in line]


SPF = '"v=spf1 mx include:_spf.example.net -all"'
SPF_HEAVY = (
    '"v=spf1 mx a a:mx1.example.com a:mx2.example.com a:ns1.example.com mx:example.net '
    'a:mx1.example.net a:example.com include:_spf.example.net -all"'
)


def test_harmless_change_passes(repo: Path, live: DnsServer) -> None:
    edit(
        repo,
        "ns1         A",
        'www         A     192.0.2.80\n_github-challenge TXT "x1"\nns1         A',
    )
    gate, sarif_step = github_steps()
    result = shell(gate, repo, live)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error" not in result.stdout
    assert shell(sarif_step, repo, live).returncode == 0
    log = json.loads((repo / "mailcheck.sarif").read_text())
    assert log["runs"][0]["results"] == []


def test_spf_over_budget_fails_on_the_changed_line(repo: Path, live: DnsServer) -> None:
    edit(repo, SPF, SPF_HEAVY)
    gate, sarif_step = github_steps()
    result = shell(gate, repo, live)
    assert result.returncode == 1, result.stdout + result.stderr
    [annotation] = [
        line
        for line in result.stdout.splitlines()
        if "title=mailcheck regression.new" in line and "policy.spf-lookups" in line
    ]
    assert annotation.startswith("::error file=zones/example.com.zone,line=9,")
    assert "over the budget of 8" in annotation
    # the SARIF step still writes its file, pointing at the same line
    assert shell(sarif_step, repo, live).returncode == 0
    log = json.loads((repo / "mailcheck.sarif").read_text())
    located = [
        r["locations"][0]["physicalLocation"]
        for r in log["runs"][0]["results"]
        if r["ruleId"] == "policy.spf-lookups"
    ]
    assert located == [
        {
            "artifactLocation": {"uri": "zones/example.com.zone", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 9},
        }
    ]


def test_weaker_dmarc_fails_in_gitlab_junit(repo: Path, live: DnsServer) -> None:
    edit(repo, "p=reject; rua", "p=none; rua")
    [command] = gitlab_script()
    result = shell(command, repo, live)
    assert result.returncode == 1, result.stderr
    root = ET.fromstring((repo / "mailcheck.xml").read_bytes())  # noqa: S314  (our output)
    failures = {
        case.get("name"): case.find("failure").get("message")  # type: ignore[union-attr]
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }
    # with --fail-on regression, the failures are exactly what the change made new or worse
    assert sorted(failures) == [
        "regression.new [dmarc.policy-none]",
        "regression.new [policy.dmarc-policy]",
    ], failures
    assert "weaker than the expected p=reject" in failures["regression.new [policy.dmarc-policy]"]


def run_json(repo: Path, live: DnsServer, *args: str) -> tuple[int, dict[str, Any], str]:
    command = " ".join(["mailcheck", "domain", "example.com", "--format", "json", *args])
    result = shell(command, repo, live)
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.returncode, doc, result.stderr


def test_saved_baseline_report(repo: Path, live: DnsServer) -> None:
    code, _doc, _err = run_json(repo, live, "> live.json")
    assert code == 0
    edit(repo, SPF, SPF_HEAVY)
    code, doc, _ = run_json(
        repo, live, "--zone zones/example.com.zone --baseline live.json --fail-on regression"
    )
    assert code == 1
    jsonschema.validate(doc, schema())
    baseline = doc["reports"][0]["data"]["baseline"]
    assert baseline["source"] == "live.json"
    assert baseline["spf_lookups"] == {"before": 2, "after": 9}
    assert "policy.spf-lookups" in baseline["new"]
    changes = [
        f["summary"]
        for s in doc["reports"][0]["sections"]
        if s["family"] == "regression"
        for f in s["findings"]
    ]
    assert any(c.startswith("SPF record: ") for c in changes)
    # without --fail-on regression the policy failure fails the run anyway
    code, _doc, _ = run_json(repo, live, "--zone zones/example.com.zone --baseline live.json")
    assert code == 1


def run_domains(repo: Path, live: DnsServer, args: str) -> subprocess.CompletedProcess[str]:
    (repo / "domains.txt").write_text("example.com\nexample.net\n")
    return shell(f"mailcheck domain {args}", repo, live)


def regression_findings(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (f["id"], f["status"], f["summary"])
        for s in report["sections"]
        if s["family"] == "regression"
        for f in s["findings"]
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
@pytest.mark.parametrize(
    ("held", "domains"),
    [
        ("its reports are of example.net", ["example.net"]),
        ("its reports are of example.net, example.org", ["example.org", "example.net"]),
        ("it holds no report", []),
    ],
    ids=["other-domain", "other-domains", "no-report"],
)
def test_a_baseline_of_other_domains_is_an_input_error(
    repo: Path, live: DnsServer, fmt: str, held: str, domains: list[str]
) -> None:
    """A baseline saved for other domains (or none) cannot gate this one: every finding would
    be "new", or a clean domain would pass a comparison that compares nothing. One line and
    exit 2 in every format, before any DNS question, naming what it holds."""
    made = shell("mailcheck domain example.net --format json", repo, live)
    assert made.returncode in (0, 1), made.stderr
    doc = json.loads(made.stdout)
    [report] = doc["reports"]
    doc["reports"] = [{**report, "subject": name} for name in domains]
    (repo / "other.json").write_text(json.dumps(doc))
    args = "example.com --zone zones/example.com.zone --baseline other.json --fail-on regression"
    asked = live.queries
    result = shell(f"mailcheck domain {args} --format {fmt}", repo, live)
    assert live.queries == asked  # said before any DNS question
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"mailcheck: error: --baseline other.json: no report of example.com in it ({held}): "
        "nothing to compare",
        "mailcheck: hint: Save a baseline of these domains: mailcheck domain ... --format json "
        "--fail-on never > other.json",
    ]


def test_a_long_list_missing_from_the_baseline_stays_one_line(repo: Path, live: DnsServer) -> None:
    made = shell("mailcheck domain example.net --format json > net.json", repo, live)
    assert made.returncode in (0, 1), made.stderr
    (repo / "many.txt").write_text("".join(f"d{i}.example.com\n" for i in range(1, 8)))
    result = shell("mailcheck domain --from-file many.txt --baseline net.json", repo, live)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "mailcheck: error: --baseline net.json: no report of d1.example.com, d2.example.com, "
        "d3.example.com, d4.example.com, d5.example.com and 2 more in it (its reports are of "
        "example.net): nothing to compare"
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_domain_new_to_the_baseline_has_only_new_problems(
    repo: Path, live: DnsServer, fmt: str
) -> None:
    """A domain added to a --from-file list, checked with domains the baseline holds: every
    problem of it is new (a weakened policy must not pass the gate), said once on stderr and
    as a note in its report; its records are not shown as changes from "(none)"."""
    made = shell("mailcheck domain example.net --format json > net.json", repo, live)
    assert made.returncode in (0, 1), made.stderr
    edit(repo, "p=reject", "p=none")
    args = "--from-file domains.txt --zone zones --baseline net.json --fail-on regression"
    result = run_domains(repo, live, f"{args} --format {fmt}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "mailcheck: warning: --baseline net.json: no report of example.com in it: every "
        "problem of that domain counts as new"
    ]
    note = "example.com is not in the baseline (net.json): every problem counts as new"
    if fmt == "text":
        assert " ".join(result.stdout.split()).count(note) == 1
        assert "(none) →" not in result.stdout
        return
    com, net = json.loads(result.stdout)["reports"]
    assert (com["subject"], net["subject"]) == ("example.com", "example.net")
    changes = regression_findings(com)
    assert changes[0] == ("regression.no-baseline", "info", note)
    assert ("regression.new", "fail") in {(i, s) for i, s, t in changes if "dmarc-policy" in t}
    assert not [c for c in changes if c[0] in ("regression.record", "regression.spf-lookups")]
    assert com["data"]["baseline"]["new"]
    # example.net is in the baseline and unchanged: compared, nothing new, no note, no lines
    assert regression_findings(net) == []
    assert net["data"]["baseline"]["new"] == []
    # example.com unchanged, still new to that baseline: no problem of it, nothing new: exit 0
    edit(repo, "p=none", "p=reject")
    result = run_domains(repo, live, f"{args} --format {fmt}")
    assert result.returncode == 0, result.stdout + result.stderr


SPF_ONE_MORE = '"v=spf1 mx a:mx1.example.com include:_spf.example.net -all"'


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_spf_lookup_count_is_shown_only_when_it_changed(
    repo: Path, live: DnsServer, fmt: str
) -> None:
    """A domain the change leaves alike has no "Changes" lines (an INFO "2 → 2" on every
    domain was noise in every CI log); one lookup more shows the count before and after, WARN,
    which is not a new problem: --fail-on regression passes."""
    made = shell("mailcheck domain example.com --format json > saved.json", repo, live)
    assert made.returncode == 0, made.stderr
    command = (
        "COLUMNS=100 mailcheck domain example.com --zone zones/example.com.zone "
        f"--baseline saved.json --fail-on regression --format {fmt}"
    )
    same = shell(command, repo, live)
    assert same.returncode == 0, same.stdout + same.stderr
    if fmt == "text":
        assert "Changes against" not in same.stdout
        assert "SPF DNS lookups" not in same.stdout
    else:
        [report] = json.loads(same.stdout)["reports"]
        assert regression_findings(report) == []
        assert report["data"]["baseline"]["spf_lookups"] == {"before": 2, "after": 2}
    edit(repo, SPF, SPF_ONE_MORE)
    changed = shell(command, repo, live)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    if fmt == "text":
        section = changed.stdout.split("\n\nChanges against saved.json\n")[1].split("\n\n")[0]
        assert section.splitlines() == [
            "  WARN   regression.spf-lookups  SPF DNS lookups: 2 → 3 (limit 10)",
            "                                 → Keep the count well under 10: providers add "
            "lookups to their",
            "                                 includes without notice. (RFC 7208 §4.6.4)",
            "  INFO   regression.record       SPF record: 'v=spf1 mx include:_spf.example.net "
            "-all' → 'v=spf1 mx",
            "                                 a:mx1.example.com include:_spf.example.net -all'",
        ]
        return
    [report] = json.loads(changed.stdout)["reports"]
    assert regression_findings(report) == [
        (
            "regression.record",
            "info",
            "SPF record: 'v=spf1 mx include:_spf.example.net -all' → "
            "'v=spf1 mx a:mx1.example.com include:_spf.example.net -all'",
        ),
        ("regression.spf-lookups", "warn", "SPF DNS lookups: 2 → 3 (limit 10)"),
    ]
    assert report["data"]["baseline"]["spf_lookups"] == {"before": 2, "after": 3}


def test_a_domain_new_to_the_baseline_is_no_gate_error(repo: Path, live: DnsServer) -> None:
    """The note on a domain the baseline lacks is INFO, its own id: GitHub and SARIF showed it
    as a new problem (an `::error`, a SARIF error, "1 new or worse") when it was
    regression.new; `--skip regression.no-baseline` hides it and nothing else."""
    made = shell("mailcheck domain example.net --format json > net.json", repo, live)
    assert made.returncode in (0, 1), made.stderr
    args = "--from-file domains.txt --zone zones --baseline net.json --fail-on regression"
    result = run_domains(repo, live, f"{args} --format github")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("::error")], lines
    assert lines[-1].startswith("mailcheck domain: 2 report(s), 0 new or worse, 0 inconclusive")
    result = run_domains(repo, live, f"{args} --format sarif")
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads(result.stdout)["runs"][0]["results"]
    assert [r for r in results if r["level"] == "error"] == []
    assert [r["ruleId"] for r in results if r["ruleId"].startswith("regression.")] == [
        "regression.no-baseline"
    ]
    result = run_domains(repo, live, f"{args} --format json --skip regression.no-baseline")
    com, _net = json.loads(result.stdout)["reports"]
    assert regression_findings(com) == []
    explained = shell("mailcheck explain regression.no-baseline", repo, live)
    assert explained.returncode == 0
    assert "Domain not in the baseline" in explained.stdout


NOTE = "example.com is not in the baseline (net.json): every problem counts as new"


@pytest.mark.parametrize("gate", [True, False])
@pytest.mark.parametrize("fmt", ["github", "sarif", "junit", "markdown"])
def test_every_ci_format_shows_the_note_on_a_domain_new_to_the_baseline(
    repo: Path, live: DnsServer, fmt: str, gate: bool
) -> None:
    """The note said on stderr is in every CI format too, as a notice (GitHub `::notice`,
    SARIF `note`; a passing JUnit test case, an unfolded Markdown row), with and without
    --fail-on regression: GitHub and SARIF left it out (it is INFO). It fails nothing."""
    made = shell("mailcheck domain example.net --format json > net.json", repo, live)
    assert made.returncode in (0, 1), made.stderr
    fail_on = "--fail-on regression" if gate else "--fail-on never"
    args = f"--from-file domains.txt --zone zones --baseline net.json {fail_on} --format {fmt}"
    result = run_domains(repo, live, args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("no report of example.com in it") == 1
    if fmt == "github":
        notes = [line for line in result.stdout.splitlines() if "no-baseline" in line]
        assert notes == [f"::notice title=mailcheck regression.no-baseline::{NOTE}"]
        if gate:
            assert result.stdout.splitlines()[-1].endswith(
                "; 1 not in the baseline (all their problems count as new)"
            )
    elif fmt == "sarif":
        doc = json.loads(result.stdout)
        notes = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "regression.no-baseline"]
        assert [(r["level"], r["message"]["text"]) for r in notes] == [("note", NOTE)]
        assert notes[0]["locations"][0]["logicalLocations"][0]["name"] == "example.com"
        assert doc["runs"][0]["invocations"][0]["exitCode"] == 0
    elif fmt == "junit":
        root = ET.fromstring(result.stdout)  # noqa: S314  (our output)
        [case] = root.findall(".//testcase[@name='regression.no-baseline']")
        assert [child.tag for child in case] == ["system-out"]
        assert (case.findtext("system-out") or "").startswith(f"INFO: {NOTE}\n")
        assert root.get("failures") == "0"
    else:
        # in the table of what to look at, not folded among the passing findings
        com = result.stdout.split("### mailcheck domain: example.com")[1].split("### ")[0]
        table, _, folded = com.partition("<details>")
        assert "`regression.no-baseline`" in table
        assert "no-baseline" not in folded
        if gate:
            assert "1 not in the baseline" in result.stdout.splitlines()[0]


IDN_ZONE = """$ORIGIN xn--bcher-kva.example.com.
$TTL 3600
@      SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 3600
@      NS  ns1.example.com.
@      NS  ns2.example.com.
@      MX  10 mx1.example.com.
@      TXT "v=spf1 mx -all"
_dmarc TXT "v=DMARC1; p=reject"
"""


@pytest.mark.parametrize(
    ("domain", "written"),
    [
        ("example.com", "EXAMPLE.COM."),
        ("xn--bcher-kva.example.com", "bücher.example.com"),
        ("bücher.example.com", "XN--BCHER-KVA.Example.Com."),
    ],
)
def test_baseline_subjects_are_matched_as_domain_names(
    repo: Path, live: DnsServer, domain: str, written: str
) -> None:
    """A hand-edited baseline names its domain as a person writes it (capitals, a trailing
    dot, the other form of an IDN): that is the domain checked, compared as with the saved
    file (the DMARC record change shown), not a domain new to the baseline."""
    saved_as = "example.com" if domain == "example.com" else "xn--bcher-kva.example.com"
    zone = repo / "zones" / f"{saved_as}.zone"
    if domain != "example.com":
        zone.write_text(IDN_ZONE)
    command = f"mailcheck domain {domain} --zone zones --format json"
    made = shell(f"{command} --fail-on never > saved.json", repo, live)
    assert made.returncode == 0, made.stderr
    zone.write_text(zone.read_text().replace("p=reject", "p=none"))
    gate = f"{command} --baseline saved.json --fail-on regression"
    as_saved = shell(gate, repo, live)
    doc = json.loads((repo / "saved.json").read_text())
    assert doc["reports"][0]["subject"] == saved_as
    doc["reports"][0]["subject"] = written
    (repo / "saved.json").write_text(json.dumps(doc, ensure_ascii=False))
    hand_edited = shell(gate, repo, live)
    assert as_saved.returncode == 1, as_saved.stdout + as_saved.stderr
    assert hand_edited.returncode == 1, hand_edited.stdout + hand_edited.stderr
    assert hand_edited.stderr == as_saved.stderr == ""
    [before], [after] = (json.loads(r.stdout)["reports"] for r in (as_saved, hand_edited))
    changes = regression_findings(after)
    assert changes == regression_findings(before)
    assert after["data"]["baseline"] == before["data"]["baseline"]
    assert ("regression.new", "warn") in {(i, s) for i, s, _ in changes}
    assert any(t.startswith("DMARC record: 'v=DMARC1; p=reject") for _, _, t in changes)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_live_baseline_holds_every_domain_checked(
    repo: Path, live: DnsServer, fmt: str
) -> None:
    """--baseline live checks the same domains against the DNS: none is ever missing from it,
    so nothing is said about it, and only the change counts."""
    edit(repo, "p=reject", "p=none")
    args = "--from-file domains.txt --zone zones --baseline live --fail-on regression"
    result = run_domains(repo, live, f"{args} --format {fmt}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not in the baseline" not in result.stdout + result.stderr
    assert "no report of" not in result.stderr
    if fmt == "text":
        assert "Changes against the live DNS" in result.stdout
        return
    com, net = json.loads(result.stdout)["reports"]
    assert sorted(com["data"]["baseline"]["new"]) == ["dmarc.policy-none", "policy.dmarc-policy"]
    assert net["data"]["baseline"]["new"] == []


def test_fixing_a_problem_is_reported_as_fixed(repo: Path, live: DnsServer) -> None:
    edit(repo, "p=reject; rua", "p=none; rua")
    code, _doc, _ = run_json(repo, live, "--zone zones/example.com.zone > weak.json")
    assert code == 1  # p=none breaks the expectation
    edit(repo, "p=none; rua", "p=reject; rua")
    code, doc, _ = run_json(
        repo, live, "--zone zones/example.com.zone --baseline weak.json --fail-on regression"
    )
    assert code == 0
    fixed = [
        f["summary"]
        for s in doc["reports"][0]["sections"]
        for f in s["findings"]
        if f["id"] == "regression.fixed"
    ]
    assert any(text.startswith("fixed: dmarc.policy-none") for text in fixed), fixed
    assert any(text.startswith("fixed: policy.dmarc-policy") for text in fixed), fixed


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (
            '{"schema_version": 0, "command": "domain", "reports": []}',
            "--zone zones/example.com.zone --baseline old.json",
            "written with report schema version 0",
        ),
        (
            "not json",
            "--zone zones/example.com.zone --baseline old.json",
            "not a mailcheck JSON report",
        ),
        (
            "[" * 100_000,
            "--zone zones/example.com.zone --baseline old.json",
            "not a mailcheck JSON report (nested too deeply)",
        ),
        ("", "--zone zones/example.net.zone --baseline live", "no --zone file covers example.com"),
        ("", "--baseline live", "compares --zone files with the live DNS"),
        ("", "--fail-on regression", "--fail-on regression needs --baseline"),
    ],
)
def test_bad_baselines(repo: Path, live: DnsServer, setup: str, args: str, message: str) -> None:
    if setup:
        (repo / "old.json").write_text(setup)
    code, _doc, err = run_json(repo, live, args)
    assert code == 2 and message in err, err
    assert "Traceback" not in err


@pytest.mark.timeout(480)  # pre-commit builds the hook's environment: minutes on a busy machine
def test_pre_commit_hook(
    repo: Path, live: DnsServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pre-commit itself installs the hook from this repository and runs it on zone files,
    with regression semantics against the committed baseline report: an old problem does
    not block a harmless commit, a new one does, a missing baseline says how to make one."""
    cache = tmp_path_factory.mktemp("pre-commit-home")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    def hook() -> subprocess.CompletedProcess[str]:
        command = (
            f"{BIN / 'pre-commit'} try-repo {ROOT} mailcheck-zone --files zones/example.com.zone"
        )
        env_line = f"PRE_COMMIT_HOME={cache} "
        return shell(env_line + command, repo, live)

    git("init", "-q")
    git("config", "user.email", "ci@example.invalid")
    git("config", "user.name", "ci")
    git("add", ".")
    git("commit", "-q", "-m", "zones")
    result = hook()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "--baseline mailcheck-baseline.json: no such file" in result.stdout
    assert "--format json --fail-on never > mailcheck-baseline.json" in result.stdout
    # an old problem, accepted into the baseline as the README says
    edit(repo, "p=reject; rua", "p=none; rua")
    made = shell(
        "mailcheck domain --from-zones zones/example.com.zone --format json "
        "> mailcheck-baseline.json",
        repo,
        live,
    )
    assert made.returncode == 1  # p=none breaks the expectation: the old problem
    git("add", ".")
    git("commit", "-q", "-m", "baseline")
    edit(repo, "ns1         A", "www         A     192.0.2.80\nns1         A")
    git("add", ".")
    result = hook()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mailcheck (mail records in zone files)" in result.stdout
    edit(repo, SPF, SPF_HEAVY)
    git("add", ".")
    result = hook()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "regression.new" in result.stdout and "Failed" in result.stdout
    assert "policy.spf-lookups" in result.stdout


def dead_resolver() -> str:
    from tests.smtpfixtures import free_port

    return f"127.0.0.1:{free_port()}"


def gate_summary(doc: dict[str, Any]) -> dict[str, Any]:
    baseline: dict[str, Any] = doc["reports"][0]["data"]["baseline"]
    return baseline


def test_errors_in_the_baseline_make_the_gate_inconclusive(repo: Path, live: DnsServer) -> None:
    """A baseline saved while the DNS failed: nothing is "new" against it, nothing "fixed"."""
    shell(
        f"mailcheck domain example.com --nameserver {dead_resolver()} --timeout 0.2 "
        "--deadline 5 --format json > broken.json",
        repo,
        live,
    )
    edit(repo, "p=reject; rua", "p=none; rua")
    code, doc, err = run_json(
        repo, live, "--zone zones/example.com.zone --baseline broken.json --fail-on regression"
    )
    assert code == 3, err
    summary = gate_summary(doc)
    assert summary["new"] == [] and summary["worse"] == [] and summary["fixed"] == []
    assert "dmarc.policy-none" in summary["inconclusive"]
    # JUnit: an inconclusive comparison is an error, never a failure
    shell(
        "mailcheck domain example.com --zone zones/example.com.zone --baseline broken.json "
        "--fail-on regression --format junit > gate.xml",
        repo,
        live,
    )
    root = ET.fromstring((repo / "gate.xml").read_bytes())  # noqa: S314  (our output)
    assert root.get("failures") == "0"
    assert int(root.get("errors") or 0) >= 1
    # without errors, the same change is new: exit 1
    code, _doc, _ = run_json(repo, live, "> good.json")
    code, doc, _ = run_json(
        repo, live, "--zone zones/example.com.zone --baseline good.json --fail-on regression"
    )
    assert code == 1 and "dmarc.policy-none" in gate_summary(doc)["new"]


def test_errors_now_are_never_new_and_absence_never_fixed(repo: Path, live: DnsServer) -> None:
    code, _doc, _ = run_json(repo, live, "> good.json")
    assert code == 0
    # the same zone, but every name outside it fails to resolve now
    code, doc, _ = run_json(
        repo,
        live,
        f"--zone zones/example.com.zone --nameserver {dead_resolver()} --timeout 0.2 "
        "--baseline good.json --fail-on regression",
    )
    summary = gate_summary(doc)
    assert summary["new"] == [] and summary["worse"] == []
    assert summary["inconclusive"], summary
    assert code == 3


def test_selectors_probed_on_one_side_only_are_not_fixed(repo: Path, live: DnsServer) -> None:
    code, _doc, _ = run_json(repo, live, "--selector mail --selector nothere > sel.json")
    assert code == 1  # no key at nothere
    code, doc, _ = run_json(
        repo, live, "--zone zones/example.com.zone --baseline sel.json --fail-on regression"
    )
    summary = gate_summary(doc)
    assert "dkim.key-missing" not in summary["fixed"], summary
    assert code == 0


def test_github_annotations_follow_the_gate(repo: Path, live: DnsServer) -> None:
    """Known problems are notices, new ones errors, each finding once; the summary line
    counts what the gate decided."""
    edit(repo, "p=reject; rua", "p=none; rua")
    run_json(repo, live, "--zone zones/example.com.zone > weak.json")
    edit(repo, SPF, SPF_HEAVY)
    result = shell(
        "GITHUB_STEP_SUMMARY=summary.md mailcheck domain example.com "
        "--zone zones/example.com.zone --baseline weak.json --fail-on regression --format github",
        repo,
        live,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    # the job summary opens with what the gate decided
    summary = (repo / "summary.md").read_text()
    assert summary.startswith("**mailcheck domain gate**: ")
    assert " new or worse, 0 inconclusive, " in summary.splitlines()[0]
    lines = result.stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    assert errors and all("title=mailcheck regression.new" in line for line in errors), errors
    assert any("policy.spf-lookups" in line for line in errors)
    notices = [line for line in lines if line.startswith("::notice")]
    assert any("title=mailcheck policy.dmarc-policy" in line for line in notices), lines
    assert not any("policy.dmarc-policy" in line for line in errors)
    # the new problem is annotated once, as regression.new, not again as itself
    assert not any("title=mailcheck policy.spf-lookups" in line for line in lines)
    assert lines[-1].startswith(f"mailcheck domain: 1 report(s), {len(errors)} new or worse, ")
    sarif = shell(
        "mailcheck domain example.com --zone zones/example.com.zone --baseline weak.json "
        "--fail-on regression --format sarif",
        repo,
        live,
    )
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["regression.new"] == "error"
    assert levels["policy.dmarc-policy"] == "note"
    assert "policy.spf-lookups" not in levels
