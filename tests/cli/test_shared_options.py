"""Options every command shares, refused alike in every command (cli/groups.py)."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES, CliRun

COMMANDS = [
    ("domain", "example.com", "--offline", "--zone", str(EXAMPLES / "zones")),
    ("verify", str(EXAMPLES / "messages" / "signed.eml"), "--offline"),
    ("trace", "mx.x.test", "--offline"),
    ("send", "--from", "a@b.test", "--to", "c@d.test", "--server", "127.0.0.1", "--offline"),
    ("report", str(EXAMPLES / "reports"), "--offline"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("flags", [("-q", "-v"), ("--verbose", "--quiet")])
def test_quiet_and_verbose_together_is_a_usage_error(
    run_cli: CliRun, command: tuple[str, ...], flags: tuple[str, str]
) -> None:
    """Both were accepted and one silently won (domain -q -v printed the quiet report)."""
    result = run_cli(*command, *flags, timeout=50)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "mailcheck: error: -q/--quiet and -v/--verbose cannot be used together",
        "mailcheck: hint: -q keeps only WARN and worse; -v adds the evidence and the DNS queries",
    ]
