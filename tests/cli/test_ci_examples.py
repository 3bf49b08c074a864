"""The CI examples run as written: each one's install step in a clean virtual environment
(installing this checkout in place of the release, offline from any code host), then its
mailcheck steps, and the pre-commit example through pre-commit itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mailcheck.gating.expectations import tomllib
from tests.conftest import ROOT
from tests.dnsserver import DnsServer

CI = ROOT / "examples" / "ci"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RELEASE = f"{PROJECT['name']}=={PROJECT['version']}"
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def checkout_copy(target: Path) -> Path:
    """The files a clone of this checkout would have (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What MAILCHECK_SOURCE names: this checkout, as a pip requirement."""
    copy = checkout_copy(tmp_path_factory.mktemp("checkout"))
    return f"{PROJECT['name']} @ {copy.as_uri()}"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtual environment: nothing of this project's .venv in it."""
    where = tmp_path_factory.mktemp("clean") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where / "bin"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    """The published DNS: the example zones under unsigned com., net. and org. zones."""
    parents = tmp_path_factory.mktemp("tlds")
    for tld in ("com", "net", "org"):
        (parents / f"{tld}.zone").write_text(
            f"$ORIGIN {tld}.\n$TTL 3600\n@ SOA ns.{tld}. h.{tld}. 1 7200 3600 1209600 3600\n"
            f"@ NS ns.{tld}.\nns A 192.0.2.99\n"
        )
    zones = sorted((ROOT / "examples" / "zones").glob("*.zone")) + sorted(parents.glob("*.zone"))
    with DnsServer(zones) as server:
        yield server


def run(command: str, cwd: Path, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MAILCHECK_", "GITHUB_"))}
    full.update({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1", **env})
    full.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=full, capture_output=True, text=True, timeout=600
    )


def zone_repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "zones", tmp_path / "zones")
    shutil.copy(CI / "mailcheck.toml", tmp_path / "mailcheck.toml")
    return tmp_path


def test_examples_name_sources_that_exist() -> None:
    for path in sorted(CI.glob("*.y*ml")):
        text = path.read_text()
        assert ".invalid" not in text, path
        assert not re.search(r"^\s*rev:\s*v\d", text, re.MULTILINE), f"{path}: an untagged rev"
    github = (CI / "github-actions.yml").read_text()
    gitlab = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["mailcheck"]
    assert f'"${{MAILCHECK_SOURCE:-{RELEASE}}}"' in github
    assert gitlab["variables"]["MAILCHECK_SOURCE"] == RELEASE
    # python:3.12-slim has no git: nothing in the job may need it
    assert gitlab["image"] == "python:3.12-slim"
    commands = " ".join(gitlab["before_script"] + gitlab["script"])
    assert "git" not in commands.replace("--format", "").split() and "git+" not in commands


def test_pre_commit_example_is_the_shipped_hook() -> None:
    config = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    [hook] = repo["hooks"]
    [shipped] = [h for h in HOOKS if h["id"] == hook["id"]]
    for key in ("entry", "language", "files", "require_serial", "name", "args"):
        assert hook.get(key) == shipped.get(key), key
    assert hook["additional_dependencies"] == [RELEASE]


@pytest.mark.timeout(900)  # pip installs into a clean environment
def test_github_actions_steps(venv: Path, source: str, live: DnsServer, tmp_path: Path) -> None:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = workflow["jobs"]["mailcheck"]["steps"]
    [install] = [s for s in steps if s.get("name") == "Install mailcheck"]
    assert install["env"]["MAILCHECK_SOURCE"] == "${{ vars.MAILCHECK_SOURCE }}"
    result = run(install["run"], tmp_path, venv, MAILCHECK_SOURCE=source)
    assert result.returncode == 0, result.stdout + result.stderr
    installed = run("command -v mailcheck && mailcheck -V", tmp_path, venv)
    assert installed.stdout.splitlines() == [
        str(venv / "mailcheck"),
        f"mailcheck {PROJECT['version']}",
    ]
    repo = zone_repo(tmp_path)
    gate, sarif = [s["run"] for s in steps if "mailcheck domain" in s.get("run", "")]
    result = run(gate, repo, venv, MAILCHECK_NAMESERVER=live.address)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(sarif, repo, venv, MAILCHECK_NAMESERVER=live.address)
    assert result.returncode == 0 and (repo / "mailcheck.sarif").stat().st_size > 0


@pytest.mark.timeout(900)  # pip installs into a clean environment
def test_gitlab_steps(venv: Path, source: str, live: DnsServer, tmp_path: Path) -> None:
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["mailcheck"]
    for line in job["before_script"]:
        result = run(line, tmp_path, venv, MAILCHECK_SOURCE=source)
        assert result.returncode == 0, result.stdout + result.stderr
    repo = zone_repo(tmp_path)
    for line in job["script"]:
        result = run(line, repo, venv, MAILCHECK_NAMESERVER=live.address)
        assert result.returncode == 0, line + result.stdout + result.stderr
    assert (repo / "mailcheck.xml").read_text().startswith("<?xml")


@pytest.mark.timeout(900)  # pip installs into a clean environment
def test_pre_commit_example(source: str, live: DnsServer, tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    repo = zone_repo(tmp_path / "zones-repo")
    text = (CI / "pre-commit-config.yaml").read_text()
    assert f'"{RELEASE}"' in text
    (repo / ".pre-commit-config.yaml").write_text(text.replace(f'"{RELEASE}"', f'"{source}"'))
    home = tmp_path / "pre-commit-home"
    # the baseline as the example's comment says to create it, then committed with the zones
    [baseline] = [
        line.lstrip("# ").strip() for line in text.splitlines() if "> mailcheck-baseline" in line
    ]
    for step in (
        f"{Path(sys.executable).parent}/{baseline}",
        "git init -q . && git add . && git -c user.name=ci -c user.email=ci@localhost "
        "commit -q -m zones",
        f"{pre_commit} run --files zones/example.com.zone",
    ):
        result = run(
            step,
            repo,
            Path(sys.executable).parent,
            PRE_COMMIT_HOME=str(home),
            MAILCHECK_NAMESERVER=live.address,
        )
        assert result.returncode == 0, step + result.stdout + result.stderr
    assert "mailcheck (mail records in zone files)" in result.stdout
