"""`mailcheck domain` end to end in a real process: exit codes, formats, stdout/stderr split."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, ROOT, STATIC_ZONES, CliRun
from tests.dnsserver import DnsServer


def ns(server: DnsServer) -> list[str]:
    return ["--nameserver", server.address, "--timeout", "0.5"]


def test_clean_domain_exits_0(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "clean.test", *ns(dns_server))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("OK    clean.test")
    assert "PASS" in result.stdout and "FAIL" not in result.stdout
    assert result.stderr == ""


def test_failure_exits_1(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "spf-limit.test", *ns(dns_server))
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "spf.lookup-limit" in result.stdout
    assert "→ Flatten or drop includes" in result.stdout


def test_fail_on_warn(run_cli: CliRun, dns_server: DnsServer) -> None:
    assert run_cli("domain", "warnonly.test", *ns(dns_server)).returncode == 0
    strict = run_cli("domain", "warnonly.test", *ns(dns_server), "--fail-on", "warn")
    assert strict.returncode == 1
    assert "WARN" in strict.stdout and "dmarc.policy-none" in strict.stdout


def test_unreachable_nameserver_exits_3_within_budget(run_cli: CliRun) -> None:
    started = time.monotonic()
    result = run_cli(
        "domain",
        "example.com",
        "--nameserver",
        "127.0.0.1:9",
        "--timeout",
        "0.3",
        "--deadline",
        "2",
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert time.monotonic() - started < 8
    assert "ERROR" in result.stdout and "FAIL" not in result.stdout
    assert "could not determine" in result.stdout


def test_error_and_failure_exit_1(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "spf-dnserr.test", *ns(dns_server))
    assert result.returncode == 1  # it has failures too (no MX, no DMARC)
    assert "spf.dns-error" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["domain", "not a domain"], "invalid domain"),
        (["domain", "alice@example.com"], "not an address"),
        (["domain", "example.com", "--only", "spf.lookup-limt"], "Did you mean 'spf.lookup-limit'"),
        (["domain", "example.com", "--offline", "--nameserver", "127.0.0.1"], "cannot be used"),
        (["domain", "example.com", "--ip", "300.1.1.1", "--offline"], "not an IP address"),
        (["domain", "example.com", "--sender", "a@b.example", "--offline"], "need --ip"),
        (["domain", "example.com", "--nameserver", "dns.google"], "invalid nameserver"),
        (
            ["domain", "example.com", "--zone", "/nonexistent.zone"],
            "zone file /nonexistent.zone: no such file",
        ),
    ],
)
def test_usage_errors_exit_2(run_cli: CliRun, args: list[str], message: str) -> None:
    result = run_cli(*args, "--format", "json")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""  # stdout carries only the requested format
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("mailcheck: error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_zone_syntax_error_names_file_and_line(run_cli: CliRun, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.zone"
    bad.write_text("$ORIGIN example.com.\n@ 300 IN MX 10 mx\nmx 300 IN A 999.0.0.1\n")
    result = run_cli("domain", "example.com", "--zone", str(bad), "--offline")
    assert result.returncode == 2
    assert f"{bad}:3: malformed record: mx 300 IN A 999.0.0.1" in result.stderr


def test_click_usage_errors_exit_2(run_cli: CliRun) -> None:
    result = run_cli("domain", "example.com", "--format", "xml")
    assert result.returncode == 2 and result.stdout == ""


def test_json_format(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli(
        "domain", "spf-limit.test", *ns(dns_server), "--format", "json", "--color", "always"
    )
    assert "\x1b" not in result.stdout
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1 and doc["command"] == "domain"
    assert doc["exit_code"] == result.returncode == 1
    [report] = doc["reports"]
    assert report["subject"] == "spf-limit.test"
    ids = {f["id"]: f for s in report["sections"] for f in s["findings"]}
    assert ids["spf.lookup-limit"]["status"] == "fail"
    assert "RFC 7208 §4.6.4" in ids["spf.lookup-limit"]["refs"]
    assert doc["dns"]["queries"] > 10
    spf = next(s for s in report["sections"] if s["family"] == "spf")
    assert spf["data"]["tree"]["total_lookups"] == 14


def test_jsonl_streams_one_object_per_domain(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli(
        "domain",
        "clean.test",
        "spf-limit.test",
        "nullmx.test",
        *ns(dns_server),
        "--format",
        "jsonl",
    )
    lines = result.stdout.strip().splitlines()
    # each line is written as its domain finishes, so the order is the order of completion
    assert sorted(json.loads(line)["subject"] for line in lines) == [
        "clean.test",
        "nullmx.test",
        "spf-limit.test",
    ]
    assert result.returncode == 1


def test_many_domains_text_has_summary(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "clean.test", "spf-limit.test", *ns(dns_server))
    assert "Summary" in result.stdout
    summary = result.stdout[result.stdout.index("Summary") :]
    assert "clean.test" in summary and "spf-limit.test" in summary


def test_environment_variables(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli(
        "domain",
        "clean.test",
        env={"MAILCHECK_NAMESERVER": dns_server.address, "MAILCHECK_FORMAT": "json"},
    )
    assert json.loads(result.stdout)["reports"][0]["status"] == "pass"


def test_color(run_cli: CliRun, dns_server: DnsServer) -> None:
    plain = run_cli("domain", "clean.test", *ns(dns_server))
    assert "\x1b[" not in plain.stdout  # NO_COLOR is set by the runner
    forced = run_cli("domain", "clean.test", *ns(dns_server), "--color", "always")
    assert "\x1b[" in forced.stdout
    never = run_cli(
        "domain", "clean.test", *ns(dns_server), "--color", "never", env={"FORCE_COLOR": "1"}
    )
    assert "\x1b[" not in never.stdout


def test_verbose_lists_queries_and_evidence(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "clean.test", *ns(dns_server), "--verbose")
    assert "DNS queries" in result.stdout
    assert "_dmarc.clean.test" in result.stdout and dns_server.address in result.stdout
    assert '"v=DMARC1; p=reject; rua=mailto:dmarc@clean.test"' in result.stdout


def test_only_and_skip(run_cli: CliRun, dns_server: DnsServer) -> None:
    only = run_cli("domain", "spf-limit.test", *ns(dns_server), "--only", "spf.lookup-limit")
    assert "spf.lookup-limit" in only.stdout and "dmarc." not in only.stdout
    assert only.returncode == 1
    skipped = run_cli("domain", "spf-limit.test", *ns(dns_server), "--skip", "spf,dmarc,mx")
    assert skipped.returncode == 0 and "spf.lookup-limit" not in skipped.stdout


def test_ip_evaluation(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli(
        "domain",
        "clean.test",
        *ns(dns_server),
        "--ip",
        "203.0.113.9",
        "--sender",
        "alice@clean.test",
    )
    assert result.returncode == 1
    assert (
        "spf.evaluation" in result.stdout and "203.0.113.9 → fail, matched '-all'" in result.stdout
    )


def test_untrusted_text_is_literal(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "hostile.test", *ns(dns_server), "--color", "always")
    assert "[bold red]x[/bold red]" in result.stdout  # not interpreted as markup
    assert "\\x1b[31m" in result.stdout  # ESC from the record shown escaped
    assert "\x1b[31m -all" not in result.stdout


@pytest.mark.parametrize("served", ["server", "zone"])
def test_spf_macro_include_is_named_as_written_and_expanded(
    run_cli: CliRun, dns_server: DnsServer, served: str
) -> None:
    """An include made by %{d} is shown as the record writes it and as the name it asks, in the
    include tree and the findings, text and JSON; its text is shown literally (no markup)."""
    where = ns(dns_server) if served == "server" else ["--offline", "--zone", str(STATIC_ZONES)]
    text = run_cli("domain", "spf-dmark.test", "--only", "spf", *where)
    assert text.returncode == 1, text.stdout + text.stderr
    missing = "include:%{d}.[red]m[/red].provider.test (spf-dmark.test.[red]m[/red].provider.test)"
    flat = " ".join(text.stdout.split())
    assert f"spf.include-missing {missing}: spf-dmark.test.[red]m[/red].provider.test" in flat
    assert "├── include:%{d}.mac.provider.test (spf-dmark.test.mac.provider.test)" in text.stdout
    assert f"└── {missing}" in text.stdout
    js = run_cli("domain", "spf-dmark.test", "--only", "spf", "--format", "json", *where)
    assert js.returncode == 1, js.stderr
    [report] = json.loads(js.stdout)["reports"]
    [spf] = [s for s in report["sections"] if s["family"] == "spf"]
    labels = [c["label"] for c in spf["data"]["tree"]["children"]]
    assert labels == [
        "include:%{d}.mac.provider.test (spf-dmark.test.mac.provider.test)",
        missing,
    ]
    [found] = [f for f in spf["findings"] if f["id"] == "spf.include-missing"]
    assert found["summary"].startswith(f"{missing}: ")


def test_offline_example_from_readme(run_cli: CliRun) -> None:
    zones = str(EXAMPLES / "zones")
    clean = run_cli("domain", "example.com", "--offline", "--zone", zones)
    assert clean.returncode == 0, clean.stdout
    broken = run_cli("domain", "broken.example.org", "--offline", "--zone", zones)
    assert broken.returncode == 1
    for check_id in (
        "mx.cname-target",
        "spf.lookup-limit",
        "dmarc.rua-unauthorized",
        "dmarc.policy-none",
        "dkim.key-weak",
        "dkim.key-invalid",
    ):
        assert check_id in broken.stdout


def test_zone_file_with_idn(run_cli: CliRun) -> None:
    result = run_cli("domain", "bücher.test", "--offline", "--zone", str(STATIC_ZONES))
    assert result.returncode == 0
    assert result.stdout.startswith("OK    bücher.test (xn--bcher-kva.test)")


def test_interrupt_exits_130() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    # a server that never answers (a closed port is reported at once by ICMP)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailcheck",
            "domain",
            "example.com",
            "--nameserver",
            f"127.0.0.1:{silent.getsockname()[1]}",
            "--timeout",
            "5",
            "--deadline",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    silent.close()
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err


def test_version_and_module(run_cli: CliRun) -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("mailcheck ")


def test_explain(run_cli: CliRun) -> None:
    result = run_cli("explain", "spf.lookup-limit")
    assert result.returncode == 0
    assert "RFC 7208 §4.6.4" in result.stdout and "10" in result.stdout
    listing = run_cli("explain", "--list")
    assert "dmarc.policy-none" in listing.stdout
    wrong = run_cli("explain", "spf.lookuplimit")
    assert wrong.returncode == 2 and "Did you mean 'spf.lookup-limit'" in wrong.stderr


def test_non_utf8_bytes_are_escaped(run_cli: CliRun, dns_server: DnsServer) -> None:
    result = run_cli("domain", "badbytes.test", *ns(dns_server))
    assert "v=spf1 a:x\\xffy.test -all" in result.stdout
    assert result.returncode == 1 and "non-ASCII" in result.stdout
    doc = run_cli("domain", "badbytes.test", *ns(dns_server), "--format", "json").stdout
    assert "\\\\xffy.test" in doc  # the escape itself, JSON-encoded


def test_from_file_and_stdin(run_cli: CliRun, dns_server: DnsServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    listing = tmp_path / "domains.txt"
    listing.write_text("# parked and live domains\nclean.test\n\nnullmx.test  # no mail\n")
    result = run_cli(
        "domain", "--from-file", str(listing), *ns(dns_server), "--format", "jsonl", "--only", "mx"
    )
    assert sorted(json.loads(line)["subject"] for line in result.stdout.splitlines()) == [
        "clean.test",
        "nullmx.test",
    ]
    piped = run_cli(
        "domain",
        "--from-file",
        "-",
        *ns(dns_server),
        "--format",
        "json",
        "--only",
        "mx",
        input="clean.test\nsingle.test\n",
    )
    assert [r["subject"] for r in json.loads(piped.stdout)["reports"]] == [
        "clean.test",
        "single.test",
    ]


def test_from_file_bad_line_names_file_and_line(run_cli: CliRun, tmp_path) -> None:  # type: ignore[no-untyped-def]
    listing = tmp_path / "domains.txt"
    listing.write_text("clean.test\nnot a domain\n")
    result = run_cli("domain", "--from-file", str(listing), "--offline")
    assert result.returncode == 2
    assert f"{listing}:2: invalid domain 'not a domain'" in result.stderr


def test_no_domain_is_a_usage_error(run_cli: CliRun) -> None:
    result = run_cli("domain", "--offline")
    assert result.returncode == 2 and "no domain given" in result.stderr


def test_selector_and_no_mail_options(run_cli: CliRun, dns_server: DnsServer) -> None:
    keys = run_cli(
        "domain",
        "dkim.test",
        *ns(dns_server),
        "--selector",
        "rsa1024",
        "-s",
        "rsa2048",
        "--only",
        "dkim",
    )
    assert "rsa1024: RSA 1024-bit key: use 2048 bits" in keys.stdout
    assert "rsa2048: RSA 2048-bit key" in keys.stdout
    parked = run_cli("domain", "parked.test", *ns(dns_server), "--no-mail")
    assert parked.returncode == 0, parked.stdout
    assert "No-mail profile" in parked.stdout and "no-mail.spf" in parked.stdout


def test_https_options(
    run_cli: CliRun, dns_server: DnsServer, https_server: object, ca_file: str
) -> None:
    port = str(https_server.port)  # type: ignore[attr-defined]
    good = run_cli(
        "domain",
        "sts-good.test",
        *ns(dns_server),
        "--ca-file",
        ca_file,
        "--allow-private-addresses",
        "--https-port",
        port,
        "--only",
        "mta-sts",
    )
    assert good.returncode == 0 and "mode enforce" in good.stdout
    missing = run_cli("domain", "sts-good.test", "--offline", "--ca-file", "/no/such.pem")
    assert missing.returncode == 2 and "--ca-file /no/such.pem" in missing.stderr


GATE_ZONE = """$ORIGIN bl.test.
$TTL 300
@ SOA ns.bl.test. h.bl.test. 1 3600 600 1209600 300
@ NS ns.bl.test.
ns A 192.0.2.53
@ MX 10 mx.bl.test.
mx A 192.0.2.25
@ TXT "v=spf1 mx -all"
_dmarc TXT "v=DMARC1; p={policy}; rua=mailto:r@other.test"
"""


def _gate(run_cli: CliRun, tmp_path: Path, before: str, after: str) -> tuple[int, Any]:
    """Save an --offline baseline with p=`before` (its rua= domain cannot be checked: DMARC
    has ERROR findings on both sides), then gate the zone with p=`after` against it."""
    zone = tmp_path / "bl.test.zone"
    zone.write_text(GATE_ZONE.format(policy=before))
    saved = run_cli("domain", "bl.test", "--zone", str(zone), "--offline", "--format", "json")
    (tmp_path / "base.json").write_text(saved.stdout)
    zone.write_text(GATE_ZONE.format(policy=after))
    gate = run_cli(
        "domain", "bl.test", "--zone", str(zone), "--offline", "--format", "json",
        "--baseline", str(tmp_path / "base.json"), "--fail-on", "regression",
    )  # fmt: skip
    summary = json.loads(gate.stdout)["reports"][0]["data"]["baseline"]
    return gate.returncode, summary


def test_a_policy_known_on_both_sides_is_compared_despite_other_dmarc_errors(
    run_cli: CliRun, tmp_path: Path
) -> None:
    code, summary = _gate(run_cli, tmp_path, "reject", "none")
    assert summary["new"] == ["dmarc.policy-none"], summary
    assert code == 1
    # what depends on the rua= domain that could not be asked stays unknown
    assert "dmarc.policy-none" not in summary["inconclusive"]
    assert "dmarc.rua-unauthorized" in summary["inconclusive"]
    # and the way back is "fixed"
    code, summary = _gate(run_cli, tmp_path, "none", "reject")
    assert summary["fixed"] == ["dmarc.policy-none"], summary
    assert summary["new"] == [] and "dmarc.policy-none" not in summary["inconclusive"]
    assert code == 3  # nothing new; the rua= checks stay could-not-compare


def test_the_outcome_groups_name_real_check_ids() -> None:
    from mailcheck.catalog import CHECKS
    from mailcheck.gating.baseline import OUTCOMES

    assert sorted(i for group in OUTCOMES for i in group if i not in CHECKS) == []
