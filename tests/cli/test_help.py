"""Help that reads well and usage errors in one style, for the program and every command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mailcheck import __version__
from tests.conftest import CliRun

COMMANDS = ("domain", "verify", "trace", "send", "explain", "schema")


@pytest.mark.parametrize("columns", ["80", "100"])
def test_bracketed_text_and_format_choices_survive(run_cli: CliRun, columns: str) -> None:
    result = run_cli("domain", "--help", env={"COLUMNS": columns})
    assert result.returncode == 0
    assert "[tool.mailcheck]" in result.stdout  # not eaten as rich markup
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "text, json, jsonl, junit, sarif, github, markdown or html" in text
    # the CI-gate example, whole
    assert "--baseline live --fail-on regression" in text


def test_version_short_and_long(run_cli: CliRun) -> None:
    for flag in ("-V", "--version"):
        result = run_cli(flag)
        assert (result.returncode, result.stdout) == (0, f"mailcheck {__version__}\n")


def test_bare_mailcheck_prints_help_to_stderr(run_cli: CliRun) -> None:
    result = run_cli()
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Usage: mailcheck" in result.stderr and "domain" in result.stderr


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["domian"], "no such command 'domian'", "'mailcheck --help'"),
        (["domain", "--bogus"], "no such option: --bogus", "'mailcheck domain --help'"),
        (["verify", "-Z"], "no such option: -Z", "'mailcheck verify --help'"),
        (["domain", "x.example", "--format", "xml"], "'xml' is not one of", "domain --help"),
        (["trace", "--port", "abc", "h"], "'abc' is not a valid", "trace --help"),
        (["explain", "a", "b", "c"], "unexpected extra argument", "explain --help"),
    ],
)
def test_usage_errors_in_one_style(
    run_cli: CliRun, args: list[str], message: str, hint: str
) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("mailcheck: error: ") and message in lines[0]
    assert lines[1].startswith("mailcheck: hint: Run ") and hint in lines[1]
    assert "╭" not in result.stderr and "Traceback" not in result.stderr


def _complete_fish(line: str) -> list[str]:
    """What the program answers fish at a TAB press (the protocol the fish script uses)."""
    env = {
        **os.environ,
        "_MAILCHECK_COMPLETE": "complete_fish",
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        "_TYPER_COMPLETE_ARGS": line,
        "COLUMNS": "80",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from mailcheck.cli import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=30,
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize("command", ["domain", "verify", "trace", "send"])
def test_fish_candidates_are_all_real(command: str) -> None:
    lines = _complete_fish(f"mailcheck {command} --")
    assert len(lines) > 10
    # one candidate per line: a description wrapped onto a second line would be offered
    # as a bogus candidate (it was: "--fail-on regression in CI.")
    assert all(line.startswith("-") for line in lines), [x for x in lines if x[:1] != "-"]
    config = [line for line in lines if line.startswith("--config\t")]
    assert command != "domain" or "[tool.mailcheck]" in config[0]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("domain", "example.com", "--offline", "--timeout", "nan"), "--timeout"),
        (("domain", "example.com", "--offline", "--deadline", "inf"), "--deadline"),
        (("trace", "mx.example.com", "--step-timeout", "nan"), "--step-timeout"),
        (("send", "--from", "a@b.test", "--to", "c@d.test", "--timeout", "inf"), "--timeout"),
        (("report", "x.xml", "--max-unaligned", "nan"), "--max-unaligned"),
    ],
)
def test_numbers_that_are_not_finite_are_usage_errors(
    run_cli: CliRun, args: tuple[str, ...], option: str
) -> None:
    """A nan timeout compares false with every bound and would wait forever."""
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"mailcheck: error: invalid value for '{option}': '")
    assert "is not a finite number" in result.stderr


def _help_on_a_terminal(args: list[str]) -> str:
    """What `mailcheck ARGS` writes to a terminal (a pseudo-terminal: colours on)."""
    import pty
    import select

    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", *args], stdout=child, stderr=child, env=env
    )
    os.close(child)
    out = b""
    try:
        while select.select([main], [], [], 60)[0]:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed its side
                break
            if not data:
                break
            out += data
    finally:
        os.close(main)
        process.wait(timeout=60)
    return out.decode().replace("\r\n", "\n")


@pytest.mark.parametrize("command", ["", *COMMANDS, "report"])
def test_help_lines_end_at_their_text(run_cli: CliRun, command: str) -> None:
    """rich pads every line of the help to the full width (36 lines of `domain --help`
    ended in spaces), in a pipe and on a terminal, between its colour codes there."""
    import re

    piped = run_cli(*([command] if command else []), "--help")
    assert piped.returncode == 0
    assert [line for line in piped.stdout.splitlines() if line.endswith(" ")] == []
    shown = _help_on_a_terminal([*([command] if command else []), "--help"])
    assert "\x1b[" in shown and "Usage" in shown
    padded = re.compile(r" (?:\x1b\[[0-9;]*m)*$")
    assert [line for line in shown.splitlines() if padded.search(line)] == []
