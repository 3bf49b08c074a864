"""DNS options and inputs are checked before any work: one line, exit 2, never a fallback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailcheck.errors import UsageError
from mailcheck.net.dns.upstream import Server, parse_servers
from tests.conftest import CliRun


@pytest.mark.parametrize(
    "value",
    [
        "",
        "  ",
        "127.0.0.1:",
        "[::1]:",
        "127.0.0.1:\uff15\uff13",  # fullwidth digits: str.isdigit() says yes
        "127.0.0.1:5\u00b3",
        "\uff11\uff12\uff17.0.0.1",
        "224.0.0.251",
        "255.255.255.255",
        "ff02::1",
        "0.0.0.0",  # noqa: S104 - a value refused, never bound
        "::",
    ],
)
def test_nameserver_values_that_are_refused(value: str) -> None:
    with pytest.raises(UsageError):
        parse_servers([value])


def test_nameservers_are_deduplicated_in_order() -> None:
    servers = parse_servers(["127.0.0.1", "127.0.0.2:53, 127.0.0.1:53", "[::1]:53 ::1"])
    assert servers == [Server("127.0.0.1", 53), Server("127.0.0.2", 53), Server("::1", 53)]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--nameserver", ""], {}),
        ([], {"MAILCHECK_NAMESERVER": ""}),
        (["--nameserver", "127.0.0.1:"], {}),
        (["--nameserver", "224.0.0.1"], {}),
    ],
)
def test_cli_refuses_empty_or_unusable_nameserver(
    run_cli: CliRun, args: list[str], env: dict[str, str]
) -> None:
    result = run_cli("domain", "example.com", *args, env=env, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("mailcheck: error: ")
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("option", ["--zone", "--from-file"])
@pytest.mark.parametrize("kind", ["device", "fifo", "oversized"])
def test_cli_refuses_devices_fifos_and_huge_files(
    run_cli: CliRun, tmp_path: Path, option: str, kind: str
) -> None:
    if kind == "device":
        path = "/dev/zero"
    elif kind == "fifo":
        path = str(tmp_path / "list")
        os.mkfifo(path)
    else:
        path = str(tmp_path / "huge")
        with open(path, "wb") as handle:
            handle.truncate(200 * 1024 * 1024)
    args = ["--offline", "--zone", path, "example.com"] if option == "--zone" else []
    if option == "--from-file":
        args = ["--offline", "--from-file", path]
    result = run_cli("domain", *args, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("mailcheck: error: ")
    assert len(result.stderr.splitlines()) <= 2 and "Traceback" not in result.stderr
