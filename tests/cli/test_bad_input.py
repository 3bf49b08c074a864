"""What a new user's wrong inputs get: one bounded, telling error line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, CliRun
from tests.smtpfixtures import start_smtp


def test_error_line_quoting_a_huge_line_stays_short(run_cli: CliRun, tmp_path: Path) -> None:
    """A 1 MB line of a --from-file list was quoted whole: a 1 MB error message."""
    listing = tmp_path / "domains.txt"
    listing.write_text("a" * 1_000_000 + "\n")
    result = run_cli("domain", "--from-file", str(listing), "--offline")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert len(line) < 600
    assert line.startswith(f"mailcheck: error: {listing}:1: invalid domain 'aaa")
    assert line.endswith("': longer than 253 characters") and " … " in line


@pytest.mark.parametrize(
    "args",
    [
        ("completion",),
        ("trace", "mx.example.com", "--port", "0"),
        ("domain", "example.com", "--color", "maybe"),
        ("domain", "example.com", "--format", "xml"),
    ],
)
def test_usage_errors_end_like_ours(run_cli: CliRun, args: tuple[str, ...]) -> None:
    """click's messages ended with a period, every other error line of mailcheck does not."""
    result = run_cli(*args)
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("mailcheck: error: ") and not first.endswith(".")


@pytest.mark.parametrize("content", ["", "\n\n", "# parked, all of them\n  # none left\n"])
def test_from_file_without_domains_says_so(run_cli: CliRun, tmp_path: Path, content: str) -> None:
    """It said 'no domain given', with a hint to use --from-file, which the user had done."""
    listing = tmp_path / "domains.txt"
    listing.write_text(content)
    result = run_cli("domain", "--from-file", str(listing), "--offline")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"mailcheck: error: --from-file {listing}: no domain in it (only blank lines or # comments)"
    ]
    piped = run_cli("domain", "--from-file", "-", "--offline", input=content)
    assert piped.stderr.startswith("mailcheck: error: --from-file -: no domain in it")


def test_markup_in_a_listed_domain_is_named_as_invalid_characters(
    run_cli: CliRun, tmp_path: Path
) -> None:
    """The '/' of '[/red]' made it 'give a domain name, not a URL'; shown literally, in color
    too."""
    listing = tmp_path / "domains.txt"
    listing.write_text("[red]x[/red].test\n")
    for color in ("never", "always"):
        result = run_cli("domain", "--from-file", str(listing), "--offline", "--color", color)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"mailcheck: error: {listing}:1: invalid domain '[red]x[/red].test': invalid "
            "characters '/' '[' ']' in label '[red]x[/red]' (a domain name holds letters, "
            "digits and hyphens)"
        ]


FILE_OPTIONS = [
    (("domain", "example.com", "--offline", "--zone"), "zone file"),
    (("domain", "--offline", "--from-file"), "--from-file"),
    (("domain", "example.com", "--offline", "--config"), "--config"),
    (("domain", "example.com", "--offline", "--baseline"), "--baseline"),
    (("send", "--from", "a@b.test", "--to", "c@d.test", "--dry-run", "--body-file"), "--body-file"),
]


@pytest.mark.parametrize(("args", "label"), FILE_OPTIONS, ids=lambda x: str(x))
def test_file_problems_worded_alike(
    run_cli: CliRun, tmp_path: Path, args: tuple[str, ...], label: str
) -> None:
    """Every file option says 'LABEL PATH: what is wrong' (zones said 'zone file not found:')."""
    binary = tmp_path / "binary"
    binary.write_bytes(bytes(range(256)) * 4)
    for path, problem in ((tmp_path / "missing", "no such file"), (binary, "not UTF-8 text")):
        result = run_cli(*args, str(path))
        assert result.returncode == 2, result.stderr
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"mailcheck: error: {label} {path}: {problem}"), first


def test_trace_takes_host_colon_port_like_send_server(run_cli: CliRun) -> None:
    """HOST:PORT (as `send --server` and swaks take it) was looked up as a name: exit 3."""
    server = start_smtp()
    try:
        result = run_cli("trace", f"127.0.0.1:{server.port}", "--offline")
        clash = run_cli("trace", f"127.0.0.1:{server.port}", "--port", "1", "--offline")
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"connected to 127.0.0.1:{server.port}" in result.stdout
    assert clash.returncode == 2
    assert (
        clash.stderr
        == f"mailcheck: error: target '127.0.0.1:{server.port}' and --port 1 disagree\n"
    )


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("host:abc", "invalid port 'abc': give a number from 1 to 65535"),
        (":25", "give a host name or an IP address"),
        ("[::1", "missing ']'"),
        ("127.0.0.1:99999", "invalid port '99999': give a number from 1 to 65535"),
        ("a:b.com", "invalid port 'b.com': give a number from 1 to 65535"),
        ("mx.example.com:25x", "invalid port '25x': give a number from 1 to 65535"),
        # the host part must be an address or a name, not a typo looked up and missed
        ("1.2.3:25", "'1.2.3' is not a valid IP address"),
        ("999.1.1.1", "'999.1.1.1' is not a valid IP address"),
        ("mx..example.com:25", "empty label"),
        (
            "mx-.example.com",
            "label 'mx-' may only hold letters, digits and hyphens, not at its ends",
        ),
        ("[mx.example.com]:25", "brackets hold an IP address ([IPv6]:PORT)"),
    ],
)
def test_trace_bad_host_port(run_cli: CliRun, target: str, problem: str) -> None:
    result = run_cli("trace", target, "--offline")
    assert result.returncode == 2
    assert result.stderr == f"mailcheck: error: invalid target '{target}': {problem}\n"


def test_trace_bare_ipv6_address_is_still_a_target(run_cli: CliRun) -> None:
    result = run_cli("trace", "::1", "--offline", "--port", "1", "--step-timeout", "1")
    assert "invalid target" not in result.stderr


def test_from_zones_overlays_root_and_top_level_zones(run_cli: CliRun) -> None:
    """The root zone of tests/zones stopped the run: "invalid domain '.'", no file named."""
    zones = ROOT / "tests/zones"
    result = run_cli(
        "domain",
        "--from-zones",
        str(EXAMPLES / "zones/example.com.zone"),
        str(zones / "root.zone"),
        str(zones / "test.zone"),
        "--offline",
        "--format",
        "jsonl",
    )
    assert result.returncode in (0, 1), result.stderr
    assert [json.loads(line)["subject"] for line in result.stdout.splitlines()] == ["example.com"]
    alone = run_cli("domain", "--from-zones", str(zones / "root.zone"), "--offline")
    assert alone.returncode == 2
    assert alone.stderr.splitlines()[0] == (
        "mailcheck: error: --from-zones: no mail domain's zone among the files"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("domain", "example.com", "--offline", "--zone", str(EXAMPLES / "zones")),
        ("verify", str(EXAMPLES / "messages" / "signed.eml"), "--offline"),
        ("trace", "127.0.0.1", "--offline"),
        ("report", str(EXAMPLES / "reports")),
    ],
    ids=lambda a: a[0],
)
@pytest.mark.parametrize(
    ("only", "skip"), [("spf.lookup-limit", "spf"), ("tls", "tls"), ("DKIM", "dkim")]
)
def test_only_removed_again_by_skip_is_a_usage_error(
    run_cli: CliRun, args: tuple[str, ...], only: str, skip: str
) -> None:
    """`--only X --skip X` showed nothing and exited 0: a CI gate that checks nothing."""
    if args[0] == "report":
        only, skip = (
            {"spf.lookup-limit": "report.unaligned", "tls": "report", "DKIM": "REPORT"}[only],
            "report",
        )
    result = run_cli(*args, "--only", only, "--skip", skip)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines()[0] == (
        f"mailcheck: error: --only {only.lower()} is removed again by --skip {skip}: nothing "
        "would be "
        "checked"
    )


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (
            "ex\x1bample.com",
            "invalid domain 'ex\\x1bample.com': invalid character '\\x1b' in label "
            "'ex\\x1bample' (a domain name holds letters, digits and hyphens)",
        ),
        ("bü..de", "invalid domain 'bü..de': Empty Label"),
    ],
)
def test_bad_domain_is_shown_as_typed_escaped_once(run_cli: CliRun, typed: str, error: str) -> None:
    """The name was a repr of a unicode_escape: 'ex\\\\x1bample.com' (two backslashes) beside
    'ex\\x1bample' for its label, and every non-ASCII letter as \\xfc."""
    result = run_cli("domain", typed, "--offline")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"mailcheck: error: {error}"


@pytest.mark.parametrize(
    ("selector", "shown"),
    [
        ("[red]x", "'[red]x'"),
        ("a\x1bb", "'a\\x1bb'"),
        ("a b", "'a b'"),
        ("x/y", "'x/y'"),
        ("google,,s1", "''"),
    ],
)
def test_a_dkim_selector_that_is_no_dns_name_is_refused_before_any_lookup(
    run_cli: CliRun, selector: str, shown: str
) -> None:
    """It was asked in DNS and reported as dkim.key-missing FAIL (exit 1), while the same
    text as --bimi-selector was refused: both are DNS labels."""
    result = run_cli("domain", "example.com", "--offline", "--selector", selector)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == (
        f"mailcheck: error: --selector {shown} is not a selector name"
    )


def test_an_internationalised_dkim_selector_is_a_selector(run_cli: CliRun) -> None:
    result = run_cli("domain", "example.com", "--offline", "--selector", "ключ", "--only", "dkim")
    assert result.returncode == 3, result.stderr  # offline: nothing to answer, not refused
    assert "selector" not in result.stderr


def test_dkim_selectors_may_be_given_comma_separated(run_cli: CliRun) -> None:
    result = run_cli(
        "domain", "broken.example.org", "--offline", "--zone", "examples/zones",
        "-s", "google,selector1", "--selector", "s1", "--only", "dkim", "-f", "json",
    )  # fmt: skip
    [section] = json.loads(result.stdout)["reports"][0]["sections"]
    assert section["data"]["selectors"] == ["google", "selector1", "s1"]


@pytest.mark.parametrize(
    ("one_server", "given"),
    [(("--host",), "--host"), (("--tls-name", "mx.example.com"), "--tls-name")],
)
def test_all_mx_with_one_named_server_is_a_usage_error(
    run_cli: CliRun, one_server: tuple[str, ...], given: str
) -> None:
    """--all-mx beside --host or --tls-name was dropped without a word: the user asked for
    every MX host and got the domain name traced as one host ("has no A or AAAA record")."""
    result = run_cli("trace", "example.com", "--all-mx", *one_server, "--offline")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"mailcheck: error: --all-mx traces every MX host of a domain; {given} names one "
        "server: not both"
    )
