"""`mailcheck explain` and the check ids every command takes: width, empty ids, case."""

from __future__ import annotations

import json

import pytest

from mailcheck.catalog import CHECKS
from tests.conftest import EXAMPLES, CliRun


@pytest.mark.parametrize("columns", [50, 80])
@pytest.mark.parametrize("args", [("spf.lookup-limit",), ("dmarc",), ("--list",)])
def test_explain_wraps_to_columns(run_cli: CliRun, args: tuple[str, ...], columns: int) -> None:
    result = run_cli("explain", *args, env={"COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    too_long = [x for x in lines if len(x) > columns and " " in x.strip()]
    assert too_long == []
    assert [x for x in lines if x != x.rstrip()] == []
    # wrapped at spaces only: every word of the story is still there, whole
    words = set(result.stdout.split())
    spec = CHECKS["spf.lookup-limit" if args[0] == "spf.lookup-limit" else "dmarc.policy-none"]
    text = spec.title if args[0] == "--list" else spec.explain + " " + spec.hint
    assert [w for w in text.split() if w not in words] == []


def test_explain_fix_continues_under_its_text(run_cli: CliRun) -> None:
    lines = run_cli("explain", "spf.lookup-limit", env={"COLUMNS": "50"}).stdout.splitlines()
    fix = next(n for n, line in enumerate(lines) if line.startswith("Fix: "))
    assert lines[fix + 1].startswith("     ") and lines[fix + 1][5] != " "


def test_explain_without_columns_uses_the_default_width(run_cli: CliRun) -> None:
    result = run_cli("explain", "spf.lookup-limit", env={"COLUMNS": ""})
    assert max(len(x) for x in result.stdout.splitlines()) <= 100


@pytest.mark.parametrize("empty", ["", "  "])
def test_explain_empty_id_is_a_usage_error(run_cli: CliRun, empty: str) -> None:
    """It printed the whole list, as if no id had been given."""
    result = run_cli("explain", empty)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "mailcheck: error: an empty check id"
    assert "Traceback" not in result.stderr


COMMANDS = [
    ("domain", "x.test", "--offline"),
    ("verify", "/dev/null", "--offline"),
    ("trace", "mx.x.test", "--offline"),
    ("send", "--from", "a@b.test", "--to", "c@d.test", "--server", "127.0.0.1", "--offline"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("option", ["--skip", "--only"])
@pytest.mark.parametrize("value", ["", ",", " "])
def test_empty_selector_is_a_usage_error(
    run_cli: CliRun, command: tuple[str, ...], option: str, value: str
) -> None:
    """`--skip "$UNSET"` used to select nothing silently and run everything."""
    result = run_cli(*command, option, value, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"mailcheck: error: {option} '': an empty check id"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_unknown_selector_suggests_the_closest_id(
    run_cli: CliRun, command: tuple[str, ...]
) -> None:
    result = run_cli(*command, "--skip", "spf.lookuplimit", timeout=30)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "mailcheck: error: --skip 'spf.lookuplimit': no such check id or family",
        "mailcheck: hint: Did you mean 'spf.lookup-limit'? (see: mailcheck explain --list)",
    ]


def test_report_refuses_empty_and_foreign_selectors(run_cli: CliRun) -> None:
    empty = run_cli("report", "x.xml", "--only", "")
    assert empty.returncode == 2
    assert empty.stderr.startswith("mailcheck: error: --only '': an empty check id\n")
    foreign = run_cli("report", "x.xml", "--only", "report.aligment")
    assert foreign.returncode == 2 and "Did you mean 'report." in foreign.stderr


def test_list_of_one_family(run_cli: CliRun) -> None:
    """`--list dmarc` listed everything: the id was silently ignored."""
    result = run_cli("explain", "--list", "dmarc")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "]
    assert listed == sorted(i for i in CHECKS if i.startswith("dmarc."))
    wrong = run_cli("explain", "--list", "dmrac")
    assert wrong.returncode == 2 and "Did you mean 'dmarc'?" in wrong.stderr


def test_selectors_ignore_case_as_explain_does(run_cli: CliRun) -> None:
    """`explain SPF.PTR` worked while `--only SPF.PTR` was 'no such check id'."""
    args = ("domain", "broken.example.org", "--offline", "--zone", str(EXAMPLES / "zones"))
    upper = run_cli(*args, "--only", "SPF.PTR,Dmarc", "--format", "json")
    lower = run_cli(*args, "--only", "spf.ptr,dmarc", "--format", "json")
    assert upper.returncode == lower.returncode == 1, upper.stderr

    def ids(text: str) -> list[str]:
        doc = json.loads(text)
        return [f["id"] for r in doc["reports"] for s in r["sections"] for f in s["findings"]]

    assert ids(upper.stdout) == ids(lower.stdout) and "spf.ptr" in ids(upper.stdout)
