"""The program's entry: -V/--version on every command, Ctrl-C at any moment of the start."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from mailcheck import __version__
from tests.conftest import ROOT, CliRun

COMMANDS = ("domain", "verify", "trace", "send", "report", "explain", "schema")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_on_every_command(run_cli: CliRun, command: str, flag: str) -> None:
    """People add -V to the command line they just ran: it was 'no such option: -V'."""
    result = run_cli(command, flag)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"mailcheck {__version__}\n",
        "",
    )


def test_version_after_other_arguments(run_cli: CliRun) -> None:
    """Eager: printed before the run and before any check of the other arguments."""
    result = run_cli("trace", "--port", "abc", "-V")
    assert (result.returncode, result.stdout) == (0, f"mailcheck {__version__}\n")
    result = run_cli("domain", "example.com", "--offline", "--version")
    assert (result.returncode, result.stdout) == (0, f"mailcheck {__version__}\n")


# `python -m mailcheck verify -`, paused where the entry point imports the CLI (~100 ms of
# imports, the moment a Ctrl-C used to print a traceback) until the test says "go"
PAUSED_IN_IMPORTS = """
import runpy, sys

class Pause:
    def find_spec(self, name, path=None, target=None):
        if name == "mailcheck.cli":
            sys.meta_path.remove(self)
            sys.stderr.write("importing the CLI\\n")
            sys.stderr.flush()
            sys.stdin.readline()
        return None

sys.meta_path.insert(0, Pause())
runpy.run_module("mailcheck", run_name="__main__", alter_sys=True)
"""


def _ending(signum: int) -> tuple[int, str]:
    return (130, "interrupted") if signum == signal.SIGINT else (143, "terminated")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_one_signal_during_the_imports(signum: int) -> None:
    """A Ctrl-C among the CLI's imports printed a Python traceback (SIGTERM: no message)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_IN_IMPORTS, "verify", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        assert proc.stderr.readline() == b"importing the CLI\n"
        proc.send_signal(signum)
        proc.stdin.write(b"go\n")
        proc.stdin.flush()  # and verify then reads a stdin that never ends
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    code, word = _ending(signum)
    assert "Traceback" not in err.decode(), err.decode()
    assert (proc.returncode, out, err.decode().splitlines()) == (code, b"", [f"mailcheck: {word}"])


def _in_charge(pid: int) -> bool:
    """mailcheck holds (blocks) or handles SIGTERM: its entry point has started. Python does
    neither on its own, so a signal before this moment is the interpreter's start-up's."""
    with open(f"/proc/{pid}/status", encoding="ascii") as file:
        fields = dict(line.split(":", 1) for line in file if ":" in line)
    bit = 1 << (signal.SIGTERM - 1)
    return bool((int(fields["SigBlk"], 16) | int(fields["SigCgt"], 16)) & bit)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/status")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("delay", [0, 0.001, 0.003, 0.01, 0.03, 0.06, 0.1, 0.2, 0.5])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_one_signal_at_any_moment_of_the_start(delay: float, signum: int) -> None:
    """From the entry point on, whatever the moment: one line and 130 (143), no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "verify", "-"],  # reads a stdin that never ends
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        while not _in_charge(proc.pid):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.0005)
        time.sleep(delay)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    code, word = _ending(signum)
    assert "Traceback" not in err.decode(), err.decode()
    assert (proc.returncode, out) == (code, b"")
    assert err.decode().splitlines()[-1] == f"mailcheck: {word}"


BROKEN = ("domain", "broken.example.org", "--offline", "--zone", str(ROOT / "examples/zones"))


@pytest.mark.parametrize("columns", ["0", "abc", "-5"])
def test_a_width_that_is_no_width_is_ignored(run_cli: CliRun, columns: str) -> None:
    """COLUMNS=0 made rich print nothing at all: the report and --help were empty."""
    default = run_cli(*BROKEN, env={"COLUMNS": ""})
    result = run_cli(*BROKEN, env={"COLUMNS": columns})
    assert result.returncode == default.returncode == 1
    timeless = [re.sub(r"[\d.]+ s\)", "s)", r.stdout) for r in (result, default)]
    assert timeless[0] == timeless[1] and "spf.lookup-limit" in result.stdout
    assert "--zone" in run_cli("domain", "--help", env={"COLUMNS": columns}).stdout
    explained = run_cli("explain", "spf.lookup-limit", env={"COLUMNS": columns}).stdout
    assert "RFC 7208" in explained


def test_columns_with_spaces_is_a_width(run_cli: CliRun) -> None:
    result = run_cli("explain", "spf.lookup-limit", env={"COLUMNS": " 40 "})
    assert max(len(line) for line in result.stdout.splitlines()) <= 40


@pytest.mark.parametrize("command", ["", "domain", "verify", "trace", "report"])
def test_help_lists_every_exit_code(run_cli: CliRun, command: str) -> None:
    """143 (SIGTERM) was in the README's table, not in --help."""
    text = " ".join(run_cli(*filter(None, [command, "--help"])).stdout.replace("│", " ").split())
    for code in ("0 nothing", "1 a check failed", "2 usage", "3 inconclusive", "4 internal"):
        assert code in text
    assert "130 interrupted" in text and "143 terminated" in text


ZONES = ("--offline", "--zone", "examples/zones")
FULL_RUNS = [
    ("domain", "broken.example.org", "--offline", "--zone", "examples/zones"),
    ("domain", "broken.example.org", "--offline", "--zone", "examples/zones", "-f", "json"),
    ("domain", "broken.example.org", "--offline", "--zone", "examples/zones", "-f", "jsonl"),
    ("verify", "examples/messages/tampered.eml", "--offline", "--zone", "examples/zones"),
    ("verify", "examples/messages/tampered.eml", "--offline", "-f", "sarif"),
    ("report", "examples/reports", "--offline", "-f", "csv"),
    ("send", "--from", "a@example.com", "--to", "b@example.com", "--dry-run", "--offline"),
    ("explain", "spf.ptr"),
    ("schema",),
    ("domain", "--help"),
    ("--version",),
]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="Linux: /dev/full")
@pytest.mark.parametrize("args", FULL_RUNS, ids=" ".join)
def test_output_that_cannot_be_written_is_one_line_exit_2(args: tuple[str, ...]) -> None:
    """`> /dev/full` was 'internal error: OSError', then an 'Exception ignored' traceback
    from the interpreter's last flush, and exit 120."""
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "mailcheck", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")},
            timeout=60,
        )
    assert (result.returncode, result.stderr) == (
        2,
        "mailcheck: error: cannot write the output: No space left on device\n",
    )


def test_a_closed_stdout_is_one_line_exit_2() -> None:
    """`mailcheck ... >&-`: no AttributeError, and no socket can take descriptor 1."""
    result = subprocess.run(
        [sys.executable, "-m", "mailcheck", "domain", "broken.example.org", "--offline"],
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: os.close(1),  # the child alone loses its stdout
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (
        2,
        "mailcheck: error: cannot write the output: stdout is closed\n",
    )


def test_a_reader_that_goes_away_is_still_quiet() -> None:
    """`| head -0`: EPIPE is not an error; the exit code is the verdict's (1: FAIL)."""
    run = subprocess.Popen(
        [sys.executable, "-m", "mailcheck", "domain", "broken.example.org", *ZONES],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert run.stdout is not None and run.stderr is not None
    run.stdout.close()  # long before the report is written
    err = run.stderr.read()
    assert (run.wait(timeout=60), err) == (1, b"")


@pytest.mark.parametrize("command", ["domain", "verify", "trace", "send"])
def test_a_format_from_the_environment_for_another_command_is_ignored(
    run_cli: CliRun, command: str
) -> None:
    """MAILCHECK_FORMAT=csv is report's: every other command said 'invalid value' (exit 2)."""
    args = {
        "domain": ("example.com", *ZONES),
        "verify": ("examples/messages/tampered.eml", *ZONES),
        "trace": ("127.0.0.1", "--port", "1", "--offline"),
        "send": ("--from", "a@example.com", "--to", "b@example.com", "--dry-run", "--offline"),
    }[command]
    plain = run_cli(command, *args)
    result = run_cli(command, *args, env={"MAILCHECK_FORMAT": "csv"})
    assert (
        result.stderr
        == (
            f"mailcheck: warning: MAILCHECK_FORMAT=csv is not a format of mailcheck {command}: "
            "ignored (the default, text)\n"
        )
        + plain.stderr
    )
    assert result.returncode == plain.returncode
    if command in ("domain", "verify"):  # the same text report, timings aside
        timing = re.compile(r"\d+\.\d+ s\b|\d+ ms\b")
        assert timing.sub("", result.stdout) == timing.sub("", plain.stdout)
        assert result.stdout.startswith(
            "OK    example.com" if command == "domain" else "FAIL  examples/messages/tampered.eml"
        )


def test_a_format_from_the_environment_still_serves_its_command(run_cli: CliRun) -> None:
    result = run_cli("report", "examples/reports", "--offline", env={"MAILCHECK_FORMAT": "csv"})
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("domain,reporter,report_id,")


def test_csv_given_as_an_option_or_a_format_no_command_has_are_usage_errors(
    run_cli: CliRun,
) -> None:
    choices = "'text', 'json', 'jsonl', 'junit', 'sarif', 'github', 'markdown', 'html'"
    explicit = run_cli("domain", "example.com", *ZONES, "--format", "csv")
    typo = run_cli("domain", "example.com", *ZONES, env={"MAILCHECK_FORMAT": "xml"})
    for result, value in ((explicit, "csv"), (typo, "xml")):
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            "mailcheck: error: invalid value for '--format' / '-f' (env var: 'MAILCHECK_FORMAT'): "
            f"'{value}' is not one of {choices}\n"
            "mailcheck: hint: Run 'mailcheck domain --help' for the options\n"
        )
