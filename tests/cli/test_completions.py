"""Shell completion: the scripts in completions/ are what the program generates, they
complete for real in bash, and --install-completion installs them; `mailcheck schema`."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailcheck.render import Format
from tests.conftest import ROOT, CliRun

spec = importlib.util.spec_from_file_location(
    "update_completions", ROOT / "scripts/update_completions.py"
)
assert spec is not None and spec.loader is not None
generator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generator)

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(("name", "shell"), sorted(generator.SCRIPTS.items()))
def test_completion_scripts_match_the_program(name: str, shell: str) -> None:
    shipped = (ROOT / "completions" / name).read_text()
    assert shipped == generator.generate(shell), (
        f"completions/{name} drifted; run scripts/update_completions.py"
    )


def bash_complete(line: str) -> list[str]:
    """Source the shipped bash script and press TAB after `line`."""
    words = line.split(" ")
    script = (
        f"source {ROOT / 'completions' / 'mailcheck.bash'}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_mailcheck_completion mailcheck\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "--norc", "--noprofile"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=30,
    )
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_values_and_ids() -> None:
    assert bash_complete("mailcheck ver") == ["verify"]
    assert {"domain", "verify", "trace", "send", "explain", "schema"} <= set(
        bash_complete("mailcheck ")
    )
    assert "--from-file" in bash_complete("mailcheck domain --fr")
    assert bash_complete("mailcheck domain --format ") == [f.value for f in Format]
    assert bash_complete("mailcheck explain spf.lookup") == ["spf.lookup-limit"]
    assert bash_complete("mailcheck domain --only dmarc,spf.lookup") == ["dmarc,spf.lookup-limit"]
    assert "--dkim-selector" in bash_complete("mailcheck send --dkim")


def fish_complete(line: str) -> list[str]:
    script = f"source {ROOT / 'completions' / 'mailcheck.fish'}; complete -C '{line}'"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["fish", "--no-config", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=30,
    )
    return [line.split("\t")[0] for line in result.stdout.splitlines() if line]


def test_fish_completes_for_real() -> None:
    if shutil.which("fish") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide fish (.ci/run installs it)")
        pytest.skip("fish is not installed")
    assert fish_complete("mailcheck ver") == ["verify"]
    assert fish_complete("mailcheck explain spf.lookup") == ["spf.lookup-limit"]
    assert sorted(fish_complete("mailcheck trace --tls ")) == [
        "auto",
        "implicit",
        "none",
        "starttls",
    ]


def test_zsh_protocol_answers() -> None:
    """What the zsh script evaluates at each TAB: an _arguments call with the candidates."""
    env = {
        **os.environ,
        "_TYPER_COMPLETE_ARGS": "mailcheck send --dkim-sel",
        "_MAILCHECK_COMPLETE": "complete_zsh",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from mailcheck.cli import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.stdout.startswith("_arguments") and '"--dkim-selector"' in result.stdout


def test_install_completion(tmp_path: Path) -> None:
    # typer detects the shell from the process tree (shellingham), so run it from bash as a
    # user does: the test then does not depend on what started pytest
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        ["bash", "-c", '"$0" -m mailcheck --install-completion; exit $?', sys.executable],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "bash completion installed" in result.stdout
    installed = tmp_path / ".bash_completions" / "mailcheck.sh"
    assert (
        installed.read_text().strip() == (ROOT / "completions/mailcheck.bash").read_text().strip()
    )
    assert str(installed) in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize("flag", ["--install-completion", "--show-completion"])
def test_a_shell_name_after_the_completion_flags_is_refused(
    run_cli: CliRun, tmp_path: Path, flag: str
) -> None:
    """typer acts on the flag for the shell running the program, whatever follows it: asked
    for zsh from bash, it installed bash's script. A word after it is a usage error, and
    nothing is written."""
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli(flag, "zsh", env={"HOME": str(home)})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mailcheck: error: {flag} takes nothing after it (got 'zsh'): it is for the shell it "
        "runs in\nmailcheck: hint: For another shell, copy its script from completions/ "
        "(README: Shell completion)\n"
    )
    assert list(home.iterdir()) == []


def test_schema_command_prints_the_shipped_schema(run_cli: CliRun) -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    shipped = (ROOT / "mailcheck" / "data" / "report.schema.json").read_text()
    assert json.loads(result.stdout) == json.loads(shipped)
    assert json.loads(result.stdout)["$schema"].endswith("2020-12/schema")
