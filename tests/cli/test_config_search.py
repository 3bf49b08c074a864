"""The expectations file is found where users keep it, named with -v, and checked whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import EXAMPLES, CliRun

ZONES = str(EXAMPLES / "zones")
STRICT = '[domains."example.com"]\nmx = ["mx9.example.com"]\n'


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "zones" / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def _check(run_cli: CliRun, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "domain",
        "example.com",
        "--offline",
        "--zone",
        ZONES,
        "--only",
        "policy",
        "-v",
        *extra,
        cwd=cwd,
    )


def test_found_from_a_subfolder_and_named(run_cli: CliRun, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "mailcheck.toml").write_text(STRICT)
    result = _check(run_cli, repo / "zones" / "sub")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "policy.mx" in result.stdout
    assert "mailcheck: expectations: ../../mailcheck.toml" in result.stderr.splitlines()
    # the nearest file wins: a mailcheck.toml beside the zones overrides the root's
    (repo / "zones" / "mailcheck.toml").write_text('[defaults]\ndmarc-policy = "none"\n')
    nearer = _check(run_cli, repo / "zones" / "sub")
    assert "mailcheck: expectations: ../mailcheck.toml" in nearer.stderr
    assert nearer.returncode == 0, nearer.stdout


def test_pyproject_table_up_the_tree(run_cli: CliRun, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "zones"\n\n[tool.mailcheck.domains."example.com"]\n'
        'mx = ["mx9.example.com"]\n'
    )
    # a pyproject.toml without the table does not stop the search
    (repo / "zones" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    result = _check(run_cli, repo / "zones" / "sub")
    assert result.returncode == 1 and "policy.mx" in result.stdout
    assert "mailcheck: expectations: ../../pyproject.toml" in result.stderr


def test_search_stops_at_the_repository_root(run_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "mailcheck.toml").write_text(STRICT)  # outside the repository
    repo = _repo(tmp_path)
    result = _check(run_cli, repo / "zones")
    assert result.returncode == 0, result.stdout
    assert "mailcheck: expectations: none found" in result.stderr
    quiet = run_cli("domain", "example.com", "--offline", "--zone", ZONES, cwd=repo / "zones")
    assert "expectations" not in quiet.stderr  # named only with -v


def test_every_problem_reported_at_once(run_cli: CliRun, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "mailcheck.toml").write_text(
        '[defaults]\ndmarc-policy = "strict"\nspf-max-lookupz = 3\n\n'
        '[domains."example.com"]\nmx = "mx.example.com"\n\n'
        '[[waivers]]\nid = "spf.softfail-all"\nreason = "moving"\nwhen = 1\n'
    )
    result = _check(run_cli, repo)
    assert result.returncode == 2 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors == [
        "mailcheck: error: mailcheck.toml:2: dmarc-policy must be one of none, quarantine, "
        "reject, not 'strict'",
        "mailcheck: error: mailcheck.toml:3: unknown key 'spf-max-lookupz' in [defaults]",
        'mailcheck: error: mailcheck.toml:6: mx must be a list of names, e.g. ["a.example.com"]',
        "mailcheck: error: mailcheck.toml:11: unknown key 'when' in [[waivers]]",
        "mailcheck: error: mailcheck.toml: 4 problems",
    ]
    assert "Traceback" not in result.stderr
