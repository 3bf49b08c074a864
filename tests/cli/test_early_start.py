"""`mailcheck domain NAME` sends its first questions before the command line interface loads
(mailcheck.early), and the run adopts the engine that asked them: only for command lines
read with certainty, never for one the CLI refuses. The reports equal the ordinary path's
(tests/cli/test_domain_early.py runs both through the real entry point)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mailcheck import early
from mailcheck.cli import register
from tests.conftest import CliRun
from tests.dnsserver import DnsServer


@pytest.mark.parametrize(
    ("words", "servers"),
    [
        (["clean.test"], ()),
        (["clean.test", "-n", "127.0.0.1"], ("127.0.0.1",)),
        (["-n", "127.0.0.1:5353", "clean.test", "--format", "JSON", "-v"], ("127.0.0.1:5353",)),
        (["clean.test", "--nameserver=127.0.0.1", "--nameserver", "::1"], ("127.0.0.1", "::1")),
        (["clean.test", "-f", "sarif", "--verbose", "--format=text", "--no-config"], ()),
    ],
)
def test_the_command_lines_read_before_the_cli_loads(
    words: list[str], servers: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert early._read(["mailcheck", "domain", *words]) == ("clean.test", servers)


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "spf.all"],
        ["domain"],
        ["domain", "a.test", "b.test"],  # two domains
        ["domain", "a.test", "--zone", "a.zone"],
        ["domain", "a.test", "-n=127.0.0.1"],  # Click reads the server "=127.0.0.1"
        ["domain", "a.test", "-n"],
        ["domain", "a.test", "-n", "--format", "json"],
        ["domain", "a.test", "--format", "yaml"],
        ["domain", "a.test", "-q"],  # refused beside -v: never read here
        ["domain", "a.test", "--"],
        ["domain", "--from-file", "list.txt"],
        ["domain", "a.test", "--help"],
    ],
)
def test_every_other_command_line_is_left_to_the_cli(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert early._read(["mailcheck", *argv]) is None


def test_options_from_the_environment_or_an_expectations_file_leave_it_to_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["mailcheck", "domain", "a.test"]
    assert early._read(argv) is not None
    monkeypatch.setenv("MAILCHECK_FORMAT", "json")
    assert early._read(argv) is None
    monkeypatch.delenv("MAILCHECK_FORMAT")
    monkeypatch.setenv("_MAILCHECK_COMPLETE", "bash_complete")  # a shell completing a word
    assert early._read(argv) is None
    monkeypatch.delenv("_MAILCHECK_COMPLETE")
    (tmp_path / "mailcheck.toml").write_text('[domains."a.test"]\nno-mail = true\n')
    assert early._read(argv) is None
    assert early._read([*argv, "--no-config"]) is not None


@pytest.mark.timeout(60)
def test_the_run_adopts_the_engine_its_first_questions_left_in(dns_server: DnsServer) -> None:
    words = ["domain", "clean.test", "-n", dns_server.address, "--format", "json"]
    before = dns_server.queries
    early.start(["mailcheck", *words])
    sent = early._started
    assert sent is not None and sent.name == "clean.test"
    result = CliRunner().invoke(register(("domain",)), words)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # the run asked everything through that engine: its counts are the report's
    stats = sent.engine.stats()
    assert report["dns"] == {
        "queries": stats.queries,
        "cache_hits": stats.cache_hits,
        "errors": stats.errors,
    }
    assert stats.queries > 6 and dns_server.queries - before == stats.queries
    assert early._started is None


@pytest.mark.timeout(60)
def test_an_engine_made_for_another_command_line_is_closed(dns_server: DnsServer) -> None:
    early.start(["mailcheck", "domain", "clean.test", "-n", dns_server.address])
    sent = early._started
    assert sent is not None
    other = CliRunner().invoke(
        register(("domain",)),
        ["domain", "clean.test", "-n", dns_server.address, "--timeout", "3", "--format", "json"],
    )
    assert other.exit_code == 0, other.output
    # the run built an engine of its own (--timeout 3): its checks' questions joined the
    # lookups walked ahead there (cache hits), none in the early engine, which only walked
    # ahead (how far depends on how soon it was closed) and asks nothing more
    ours = json.loads(other.output)["dns"]
    assert ours["queries"] > 6 and ours["errors"] == 0 and ours["cache_hits"] > 0
    stats = sent.engine.stats()
    assert stats.cache_hits == 0
    time.sleep(0.3)
    assert sent.engine.stats() == stats
    assert early._started is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "words",
    [
        ["exa mple.test"],
        ["clean.test", "-n", "not-an-address"],
        ["clean.test", "--format", "yaml"],
    ],
)
def test_a_refused_command_line_of_that_shape_sends_nothing(
    run_cli: CliRun, dns_server: DnsServer, words: list[str]
) -> None:
    before = dns_server.queries
    result = run_cli("domain", *words, "-n", dns_server.address)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("mailcheck: error: ")
    assert dns_server.queries == before
