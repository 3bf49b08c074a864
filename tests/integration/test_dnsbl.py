"""--dnsbl against blocklist zones served by a DNS server on loopback: the default lists'
documented return codes decoded, refusals (127.255.255.x, URIBL's 127.0.0.1) and DNS failures
reported as ERROR (never "listed"), a list that lists everything, configured lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.test_json_schema import schema
from tests.conftest import ROOT, CliRun
from tests.dnsserver import DnsServer

pytestmark = pytest.mark.timeout(60)

SOA = (
    "@ SOA ns1.lists.test. hostmaster.lists.test. 1 7200 3600 1209600 3600\n@ NS ns1.lists.test.\n"
)
ZONES = {
    "mailer.example": """
@ MX 10 mx
mx A 192.0.2.10
@ TXT "v=spf1 mx ip4:192.0.2.20 ip4:198.51.100.0/24 ip6:2001:db8::25 -all"
""",
    "quiet.example": """
@ MX 10 mx
mx A 192.0.2.99
@ TXT "v=spf1 mx -all"
""",
    # documented codes: SBL + PBL for the MX, CSS for the IPv6 sender, a refusal for another
    "zen.spamhaus.org": """
10.2.0.192 A 127.0.0.2
10.2.0.192 A 127.0.0.10
10.2.0.192 TXT "https://check.spamhaus.invalid/query/ip/192.0.2.10 <b>\\027[31m"
20.2.0.192 A 127.255.255.254
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2 A 127.0.0.3
""",
    "bl.spamcop.net": "2.0.0.127 A 127.0.0.2\n",
    "dbl.spamhaus.org": "mailer.example A 127.0.1.4\n",
    "multi.uribl.com": "mailer.example A 127.0.0.1\nquiet.example A 127.0.0.6\n",
    # configured lists without documented codes
    "plain.lists.test": "10.2.0.192 A 127.0.0.5\n",
    # a dead list that answers for every address, its never-listed test entry too
    "everything.lists.test": "1.0.0.127 A 127.0.0.2\n10.2.0.192 A 127.0.0.2\n",
    "odd.lists.test": "10.2.0.192 A 192.0.2.1\n",
    "failing.lists.test": "",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    base = tmp_path_factory.mktemp("dnsbl")
    paths = []
    for origin, body in ZONES.items():
        path = base / f"{origin}.zone"
        path.write_text(f"$ORIGIN {origin}.\n$TTL 300\n{SOA}{body}")
        paths.append(path)
    paths += sorted((ROOT / "examples/zones").glob("example.*.zone"))
    with DnsServer(paths, behaviours={"failing.lists.test.": "SERVFAIL"}) as running:
        yield running


def findings(doc: dict[str, Any], subject: str) -> list[tuple[str, str, str]]:
    [report] = [r for r in doc["reports"] if r["subject"] == subject]
    return [
        (f["id"], f["status"], f["summary"])
        for s in report["sections"]
        if s["family"] == "dnsbl"
        for f in s["findings"]
    ]


def domain(run_cli: CliRun, server: DnsServer, *args: str, cwd: Path | None = None) -> Any:
    return run_cli(
        "domain", *args, "--nameserver", server.address, "--timeout", "0.5", "--dnsbl",
        "--only", "dnsbl", "--format", "json", cwd=cwd,
    )  # fmt: skip


def test_default_lists_decoded(run_cli: CliRun, server: DnsServer, tmp_path: Path) -> None:
    result = domain(run_cli, server, "mailer.example", "quiet.example", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema())
    assert findings(doc, "mailer.example") == [
        (
            "dnsbl.subjects",
            "info",
            "asked about 192.0.2.10 (MX mx.mailer.example), 192.0.2.20 (SPF ip4:192.0.2.20), "
            "2001:db8::25 (SPF ip6:2001:db8::25) and mailer.example; SPF ranges not asked "
            "(lists answer one address at a time): ip4:198.51.100.0/24",
        ),
        (
            "dnsbl.ip",
            "fail",
            "192.0.2.10 (MX mx.mailer.example) is listed on zen.spamhaus.org: 127.0.0.2 SBL: "
            "a known spam source or spam operation; 127.0.0.10 PBL: an end-user range that "
            "should not send mail directly (ISP policy)",
        ),
        (
            "dnsbl.ip",
            "fail",
            "2001:db8::25 (SPF ip6:2001:db8::25) is listed on zen.spamhaus.org: 127.0.0.3 "
            "SBL CSS: snowshoe spam",
        ),
        (
            "dnsbl.ip",
            "error",
            "zen.spamhaus.org did not answer for 192.0.2.20 (SPF ip4:192.0.2.20): "
            "127.255.255.254 query refused: asked through a public or open resolver",
        ),
        (
            "dnsbl.domain",
            "fail",
            "mailer.example (the domain) is listed on dbl.spamhaus.org: 127.0.1.4 phishing domain",
        ),
        (
            "dnsbl.domain",
            "error",
            "multi.uribl.com did not answer for mailer.example (the domain): 127.0.0.1 query "
            "refused: your resolver is blocked (public resolver or volume)",
        ),
    ]
    # the list's own reason, as it is: markup kept as text, ESC kept in the value (the JSON
    # text carries it as \u001b, never raw)
    assert "\x1b" not in result.stdout
    [report] = [r for r in doc["reports"] if r["subject"] == "mailer.example"]
    [mx_listing] = [
        f
        for s in report["sections"]
        for f in s["findings"]
        if f["summary"].startswith("192.0.2.10 (MX")
    ]
    assert mx_listing["evidence"] == [
        "zen.spamhaus.org says: https://check.spamhaus.invalid/query/ip/192.0.2.10 <b>\x1b[31m"
    ]
    quiet = findings(doc, "quiet.example")
    assert (
        "dnsbl.ip",
        "pass",
        "1 address not listed on bl.spamcop.net, zen.spamhaus.org",
    ) in quiet
    # URIBL's codes are a bit mask: 6 is black and grey
    assert (
        "dnsbl.domain",
        "fail",
        "quiet.example (the domain) is listed on multi.uribl.com: 127.0.0.6 listed: URIBL black, "
        "URIBL grey",
    ) in quiet


def test_configured_lists(run_cli: CliRun, server: DnsServer, tmp_path: Path) -> None:
    (tmp_path / "mailcheck.toml").write_text(
        "[dnsbl]\n"
        'ip-zones = ["plain.lists.test", "everything.lists.test", "odd.lists.test", '
        '"failing.lists.test"]\n'
        "domain-zones = []\n"
    )
    result = domain(run_cli, server, "mailer.example", cwd=tmp_path)
    doc = json.loads(result.stdout)
    found = findings(doc, "mailer.example")
    assert (
        "dnsbl.list",
        "error",
        "everything.lists.test lists its never-listed test entry "
        "(1.0.0.127.everything.lists.test -> 127.0.0.2): it answers for everything (a dead or "
        "hijacked list); its answers are ignored",
    ) in found
    assert (
        "dnsbl.ip",
        "fail",
        "192.0.2.10 (MX mx.mailer.example) is listed on plain.lists.test: 127.0.0.5 listed",
    ) in found
    assert (
        "dnsbl.ip",
        "error",
        "odd.lists.test answered 192.0.2.1 for 192.0.2.10 (MX mx.mailer.example): not a "
        "blocklist code (RFC 5782 §2.3)",
    ) in found
    failing = [f for f in found if f[1] == "error" and "failing.lists.test" in f[2]]
    assert failing and all(f[2].startswith("could not ask failing.lists.test") for f in failing)
    assert all("SERVFAIL" in f[2] for f in failing)
    assert not any(f[1] == "fail" and "everything" in f[2] for f in found)


def test_failures_alone_exit_3(run_cli: CliRun, server: DnsServer, tmp_path: Path) -> None:
    (tmp_path / "mailcheck.toml").write_text(
        '[dnsbl]\nip-zones = ["failing.lists.test"]\ndomain-zones = []\n'
    )
    result = domain(run_cli, server, "quiet.example", cwd=tmp_path)
    assert result.returncode == 3, result.stdout
    statuses = [(f[0], f[1]) for f in findings(json.loads(result.stdout), "quiet.example")]
    assert statuses == [("dnsbl.subjects", "info"), ("dnsbl.ip", "error")]


def test_bad_config_is_a_usage_error(run_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "mailcheck.toml").write_text('[dnsbl]\nip-zones = ["not a zone"]\n')
    result = run_cli("domain", "example.com", "--offline", "--dnsbl", cwd=tmp_path)
    assert result.returncode == 2
    assert "mailcheck.toml:2: ip-zones: 'not a zone' is not a DNS zone name" in result.stderr


def test_verify_asks_about_the_connecting_ip(
    run_cli: CliRun, server: DnsServer, tmp_path: Path
) -> None:
    message = str(ROOT / "examples/messages/tampered.eml")
    result = run_cli(
        "verify", message, "--nameserver", server.address, "--dnsbl", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    doc = json.loads(result.stdout)
    [report] = doc["reports"]
    [section] = [s for s in report["sections"] if s["family"] == "dnsbl"]
    assert section["findings"][0]["summary"] == "asked about 192.0.2.10 (connecting IP)"
    assert section["headline"] == "zen.spamhaus.org, bl.spamcop.net"  # no domain lists here
    assert section["findings"][1]["id"] == "dnsbl.ip"
    assert section["findings"][1]["status"] == "fail"
    assert section["findings"][1]["summary"].startswith(
        "192.0.2.10 (connecting IP) is listed on zen.spamhaus.org: 127.0.0.2 SBL"
    )
    assert section["data"]["listed"] == [
        {"subject": "192.0.2.10", "zone": "zen.spamhaus.org", "codes": ["127.0.0.2", "127.0.0.10"]}
    ]


def test_verify_without_a_connecting_ip_skips(run_cli: CliRun, tmp_path: Path) -> None:
    message = tmp_path / "noip.eml"
    message.write_text(
        "From: alice@example.com\nTo: bob@example.org\nSubject: hi\n"
        "Message-ID: <1@example.com>\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n\nhello\n"
    )
    result = run_cli(
        "verify", str(message), "--offline", "--zone", "examples/zones", "--dnsbl",
        "--only", "dnsbl", "--format", "json", cwd=ROOT,
    )  # fmt: skip
    doc = json.loads(result.stdout)
    [section] = [s for s in doc["reports"][0]["sections"] if s["family"] == "dnsbl"]
    assert [(f["id"], f["status"], f["summary"]) for f in section["findings"]] == [
        (
            "dnsbl.subjects",
            "skip",
            "no connecting IP known (no Received header from your server, no --ip)",
        )
    ]


def test_only_dnsbl_needs_the_option(run_cli: CliRun) -> None:
    result = run_cli(
        "domain", "example.com", "--offline", "--zone", "examples/zones", "--only", "dnsbl"
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mailcheck: error: --only dnsbl shows blocklist findings")


def test_verify_jobs_ask_the_lists_as_one_process_does(
    run_cli: CliRun, server: DnsServer, tmp_path: Path
) -> None:
    """--jobs workers ask the lists (through the parent's resolver) and apply --skip where
    the report is made: every line is the one a single process writes."""
    folder = tmp_path / "mail"
    folder.mkdir()
    for number in range(6):
        (folder / f"{number}.eml").write_bytes(
            (ROOT / "examples/messages/tampered.eml").read_bytes()
        )
    args = ("verify", str(folder), "--nameserver", server.address, "--timeout", "0.5")
    args += ("--dnsbl", "--skip", "dkim", "--format", "jsonl")
    serial = run_cli(*args, "--jobs", "1", cwd=tmp_path)
    pooled = run_cli(*args, "--jobs", "2", cwd=tmp_path)
    assert serial.returncode == pooled.returncode == 1, serial.stderr + pooled.stderr

    def lines(out: str) -> list[dict[str, Any]]:
        return [{**json.loads(line), "duration_ms": 0} for line in out.splitlines()]

    assert lines(pooled.stdout) == lines(serial.stdout)
    for report in lines(pooled.stdout):
        found = [f for s in report["sections"] for f in s["findings"]]
        assert ("dnsbl.ip", "fail") in [(f["id"], f["status"]) for f in found]
        assert not [f for f in found if f["id"].startswith("dkim.")]
