"""`mailcheck domain --smtp`: the domain report gains one section per MX host from the trace
engine (banner, STARTTLS, certificate, MTA-STS match), against aiosmtpd on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import server_context, start_smtp


@pytest.fixture(scope="module")
def mx_server(test_ca: Any) -> Iterator[Any]:
    cert = test_ca.issue_cert("mx.smtp-good.test")
    server = start_smtp(starttls=server_context(cert), name="mx.smtp-good.test")
    yield server
    server.stop()


def domain(
    run_cli: CliRun, dns: DnsServer, https: Any, ca_file: str, *args: str
) -> tuple[int, dict[str, Any]]:
    result = run_cli(
        "domain",
        "--nameserver",
        dns.address,
        "--ca-file",
        ca_file,
        "--allow-private-addresses",
        "--https-port",
        str(https.port),
        "--format",
        "json",
        *args,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_id(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for section in doc["reports"][0]["sections"]:
        for item in section["findings"]:
            out.setdefault(item["id"], []).append((item["status"], item["summary"]))
    return out


def test_smtp_section_per_mx(
    run_cli: CliRun, dns_server: DnsServer, https_server: Any, ca_file: str, mx_server: Any
) -> None:
    _code, doc = domain(
        run_cli,
        dns_server,
        https_server,
        ca_file,
        "sts-smtp.test",
        "--smtp",
        "--smtp-port",
        str(mx_server.port),
    )
    got = by_id(doc)
    assert got["tls.starttls"][0][0] == "pass"
    assert got["tls.certificate"][0][0] == "pass"
    assert got["mta-sts.mx-match"][0][0] == "pass", got["mta-sts.mx-match"]
    smtp = [s for s in doc["reports"][0]["sections"] if s["family"] == "smtp"]
    assert [s["data"]["host"] for s in smtp] == ["mx.smtp-good.test"]
    sent = [line["text"] for line in smtp[0]["data"]["transcript"] if line["who"] == "C"]
    # banner, EHLO, STARTTLS, EHLO again, then QUIT: never MAIL FROM
    assert sent[1] == "STARTTLS" and sent[-1] == "QUIT" and len(sent) == 4
    assert not any(line.startswith("MAIL") for line in sent)


def test_mx_outside_the_policy(
    run_cli: CliRun, dns_server: DnsServer, https_server: Any, ca_file: str, mx_server: Any
) -> None:
    code, doc = domain(
        run_cli,
        dns_server,
        https_server,
        ca_file,
        "sts-smtpmiss.test",
        "--smtp",
        "--smtp-port",
        str(mx_server.port),
    )
    status, summary = by_id(doc)["mta-sts.mx-match"][0]
    assert status == "fail" and "mx.smtp-good.test" in summary
    assert code == 1


def test_without_smtp_nothing_connects(
    run_cli: CliRun, dns_server: DnsServer, https_server: Any, ca_file: str
) -> None:
    _code, doc = domain(run_cli, dns_server, https_server, ca_file, "sts-smtp.test")
    got = by_id(doc)
    assert not any(key.startswith(("smtp.", "tls.")) for key in got)
    assert "mta-sts.mx-match" not in got


def test_text_shows_transcript_only_when_verbose(
    run_cli: CliRun, dns_server: DnsServer, https_server: Any, ca_file: str, mx_server: Any
) -> None:
    args = (
        "domain",
        "--nameserver",
        dns_server.address,
        "--ca-file",
        ca_file,
        "--allow-private-addresses",
        "--https-port",
        str(https_server.port),
        "sts-smtp.test",
        "--smtp",
        "--smtp-port",
        str(mx_server.port),
    )
    plain = run_cli(*args)
    assert "tls.starttls" in plain.stdout and "mx.smtp-good.test [127.0.0.1]" in plain.stdout
    assert "C: STARTTLS" not in plain.stdout and "STARTTLS" in plain.stdout
    verbose = run_cli(*args, "--verbose")
    assert "C: STARTTLS" in verbose.stdout


def test_unreachable_mx_is_inconclusive(
    run_cli: CliRun, dns_server: DnsServer, https_server: Any, ca_file: str
) -> None:
    from tests.smtpfixtures import free_port

    code, doc = domain(
        run_cli,
        dns_server,
        https_server,
        ca_file,
        "sts-smtp.test",
        "--smtp",
        "--smtp-port",
        str(free_port()),
        "--smtp-timeout",
        "1",
        "--only",
        "smtp",  # the test domain has no SPF or DMARC: look at the MX hosts alone
    )
    assert by_id(doc)["smtp.connect"][0][0] == "error"
    assert code == 3


@pytest.mark.parametrize("allow", [True, False])
def test_trace_fetches_private_policy_hosts_only_when_allowed(
    run_cli: CliRun,
    dns_server: DnsServer,
    https_server: Any,
    ca_file: str,
    mx_server: Any,
    allow: bool,
) -> None:
    """`trace` honours --allow-private-addresses as `domain` does: the MTA-STS policy host of
    sts-smtpmiss.test resolves to 127.0.0.1, so its policy is fetched only with the opt-in."""
    result = run_cli(
        "trace",
        "sts-smtpmiss.test",
        "--nameserver",
        dns_server.address,
        "--ca-file",
        ca_file,
        "--https-port",
        str(https_server.port),
        "--port",
        str(mx_server.port),
        "--format",
        "json",
        *(["--allow-private-addresses"] if allow else []),
    )
    assert "Traceback" not in result.stderr, result.stderr
    # once, under a loaded machine, stdout was empty: say what the run did instead
    assert result.stdout, (result.returncode, result.stderr)
    got = by_id(json.loads(result.stdout))
    if allow:
        # the policy (mode enforce, mx mail.other.test) was fetched and judged
        [(status, summary)] = got["mta-sts.mx-match"]
        assert status == "fail" and "not in the policy's mx list" in summary
        assert result.returncode == 1
    else:
        # the user is told why MTA-STS was not applied (an ERROR, exit 3), not shown nothing
        assert "mta-sts.mx-match" not in got
        [(status, summary)] = got["mta-sts.policy-fetch"]
        assert status == "error" and "not a public address" in summary, summary
        assert got["tls.certificate"][0][0] == "pass" and result.returncode == 3
        # the policy is fetched beside the conversation, and still reported before it
        sections = json.loads(result.stdout)["reports"][0]["sections"]
        assert [s["family"] for s in sections] == ["mta-sts", "smtp"], sections


@pytest.mark.parametrize("allow", [True, False])
def test_trace_reports_an_unfetched_policy_as_domain_does(
    run_cli: CliRun,
    dns_server: DnsServer,
    https_server: Any,
    ca_file: str,
    mx_server: Any,
    allow: bool,
) -> None:
    """A policy host nobody answers on (a closed port), or one on a private address without
    --allow-private-addresses: `trace` gives the finding `domain` gives, word for word."""
    from tests.smtpfixtures import free_port

    common = [
        "--nameserver",
        dns_server.address,
        "--ca-file",
        ca_file,
        "--https-port",
        str(free_port()),
        "--format",
        "json",
        *(["--allow-private-addresses"] if allow else []),
    ]
    traced = run_cli("trace", "sts-smtp.test", "--port", str(mx_server.port), *common)
    assert "Traceback" not in traced.stderr, traced.stderr
    checked = run_cli("domain", "sts-smtp.test", "--only", "mta-sts", *common)
    from_trace = by_id(json.loads(traced.stdout))["mta-sts.policy-fetch"]
    from_domain = by_id(json.loads(checked.stdout))["mta-sts.policy-fetch"]
    assert from_trace == from_domain
    [(status, summary)] = from_trace
    url = "https://mta-sts.sts-smtp.test/.well-known/mta-sts.txt"
    assert status == "error" and summary.startswith(
        f"could not determine: {url}" if allow else url
    ), summary
    assert traced.returncode == 3


@pytest.mark.parametrize("command", ["domain", "trace"])
def test_implicit_mx_is_contacted(
    run_cli: CliRun,
    dns_server: DnsServer,
    https_server: Any,
    ca_file: str,
    mx_server: Any,
    command: str,
) -> None:
    """mx.smtp-good.test has no MX record but an A record (127.0.0.1): RFC 5321 section 5.1
    makes it its own mail server, and `domain --smtp` contacts it as `trace` does."""
    port = ["--smtp", "--smtp-port"] if command == "domain" else ["--port"]
    result = run_cli(
        command,
        "mx.smtp-good.test",
        "--nameserver",
        dns_server.address,
        "--ca-file",
        ca_file,
        *port,
        str(mx_server.port),
        "--only",
        "smtp,tls",
        "--format",
        "json",
    )
    assert "Traceback" not in result.stderr, result.stderr
    # seen once under load: no output at all; say how the run ended if it happens again
    assert result.stdout, f"exit {result.returncode}, stderr: {result.stderr!r}"
    doc = json.loads(result.stdout)
    hosts = [
        s["data"]["host"] for s in doc["reports"][0]["sections"] if "host" in s.get("data", {})
    ]
    assert hosts == ["mx.smtp-good.test"]
    got = by_id(doc)
    assert got["smtp.connect"][0][0] == "pass" and got["tls.certificate"][0][0] == "pass"
