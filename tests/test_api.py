"""The library API: the README's examples run as written and print what it says; the
reports are the CLI's; nothing is printed and no environment is read."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from mailcheck import Dns, Secret, check_domain, check_domains, send, trace, verify_message
from mailcheck.errors import InputError, UsageError
from mailcheck.model import Report
from tests.conftest import ROOT, CliRun
from tests.dnsserver import DnsServer
from tests.integration.test_send import Recorder
from tests.smtpfixtures import (
    PASSWORD,
    USER,
    Certificates,
    MisbehavingServer,
    free_port,
    greylisting,
    server_context,
    silent,
    start_smtp,
)
from tests.zonegen import Generated

ZONES = Dns(zones=[str(ROOT / "examples" / "zones")], offline=True)


def readme_examples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Library API") : text.index("## Exit codes")]
    return re.findall(r"```python\n(.*?)```\n\nprints\n\n```text\n(.*?)```", section, re.S)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("index", [0, 1, 2, 3], ids=["api", "trace", "send", "dask"])
def test_readme_example_runs_and_prints_what_it_says(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, expected = readme_examples()[index]
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102  (our own README)
    assert out.getvalue() == expected


def test_reports_are_the_ones_the_cli_renders(run_cli: CliRun) -> None:
    args = ("--offline", "--zone", str(ROOT / "examples" / "zones"), "--no-config")
    cli = json.loads(run_cli("domain", "example.net", *args, "--format", "json").stdout)
    report = check_domain("example.net", dns=ZONES)
    shown = cli["reports"][0]
    assert report.status.value == shown["status"]
    found = [(f.id, f.status.value, f.summary) for f in report.findings()]
    assert found == [
        (f["id"], f["status"], f["summary"]) for s in shown["sections"] for f in s["findings"]
    ]


def test_no_output_and_no_environment(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # an expectations file the CLI would find here: the library never reads it
    (tmp_path / ".git").mkdir()
    (tmp_path / "mailcheck.toml").write_text(
        '[defaults]\ndmarc-policy = "reject"\nno-mail = true\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    reports = check_domains(["example.com", "bücher.example"], dns=ZONES, parallel=2)
    message = (ROOT / "examples" / "messages" / "signed.eml").read_bytes()
    verified = verify_message(message, dns=ZONES)
    assert [r.subject for r in reports] == ["example.com", "xn--bcher-kva.example"]
    assert reports[0].status.value == "pass" and verified.status.value == "pass"
    assert not any(f.family == "policy" for r in reports for f in r.findings())
    assert capfd.readouterr() == ("", "")


def test_bad_input_raises_before_any_lookup() -> None:
    with pytest.raises(InputError):
        check_domains(["example.com", "not a domain"], dns=ZONES)
    with pytest.raises(InputError):
        verify_message(b"Subject: x\r\n\r\nbody\r\n", ip="999.1.1.1", dns=ZONES)
    assert check_domains([], dns=ZONES) == []


# -- trace: the conversation with a server on loopback, as a Report -----------------------


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return Certificates()


def _same_as_cli(report: Report, cli: subprocess.CompletedProcess[str]) -> None:
    """The library's report and the CLI's JSON of the same run: both PASS, the same findings."""
    shown = json.loads(cli.stdout)["reports"][0]
    assert cli.returncode == 0 and report.status.value == shown["status"] == "pass"
    assert _ids((f.id, f.status.value) for f in report.findings()) == _ids(
        (f["id"], f["status"]) for s in shown["sections"] for f in s["findings"]
    )


def _ids(findings: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(set(findings))


@pytest.mark.timeout(120)
def test_trace_returns_the_report_the_cli_renders(
    run_cli: CliRun,
    dns_server: DnsServer,
    certs: Certificates,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ca = tmp_path / "ca.pem"
    certs.ca.cert_pem.write_to_path(str(ca))
    server = start_smtp(starttls=server_context(certs.good), name="mx.smtp-good.test")
    try:
        args = ["smtp-good.test", "--port", str(server.port), "--ca-file", str(ca)]
        cli = run_cli("trace", *args, "--nameserver", dns_server.address, "--format", "json")
        # what the CLI would read from the environment, the library ignores
        monkeypatch.setenv("MAILCHECK_NAMESERVER", "192.0.2.1")
        monkeypatch.setenv("MAILCHECK_FORMAT", "junit")
        capfd.readouterr()
        report = trace(
            "smtp-good.test",
            port=server.port,
            ca_file=str(ca),
            dns=Dns(nameservers=[dns_server.address]),
        )
    finally:
        server.stop()
    assert capfd.readouterr() == ("", "")
    _same_as_cli(report, cli)
    starttls = [f for f in report.findings() if f.id == "tls.starttls"]
    assert starttls[0].status.value == "pass"


@pytest.mark.timeout(60)
def test_trace_of_a_silent_server_is_an_error_naming_the_timeout() -> None:
    with MisbehavingServer(silent) as server:
        report = trace("127.0.0.1", port=server.port, timeout=1, deadline=30, dns=ZONES)
    assert report.status.value == "error"
    [banner] = [f for f in report.findings() if f.id == "smtp.banner"]
    assert banner.status.value == "error"
    assert banner.summary.endswith(
        "the server accepted the connection but said nothing "
        "(silence: no reply in 1.0 s (the per-step limit, timeout 1))"
    )


def test_trace_refuses_what_the_cli_refuses() -> None:
    with pytest.raises(UsageError, match="control characters"):
        trace("127.0.0.1", port=free_port(), ehlo="x\r\nMAIL FROM:<a@b>", dns=ZONES)
    with pytest.raises(UsageError, match="no host name to verify"):
        trace("127.0.0.1", port=free_port(), user="alice", password="secret", dns=ZONES)
    with pytest.raises(UsageError, match="tls 'maybe'"):
        trace("127.0.0.1", tls="maybe", dns=ZONES)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"port": 99999}, "port 99999: give a port number from 1 to 65535"),
        ({"port": 0}, "port 0: give a port number from 1 to 65535"),
        ({"port": True}, "port True: give a port number from 1 to 65535"),
        ({"timeout": float("nan")}, "timeout nan: give a finite number of seconds above 0"),
        ({"timeout": -1}, "timeout -1: give a finite number of seconds above 0"),
        ({"deadline": -5}, "deadline -5: give a finite number of seconds above 0"),
        ({"deadline": float("inf")}, "deadline inf: give a finite number of seconds above 0"),
        ({"timeout": "5"}, "timeout '5': give a number of seconds"),
    ],
)
def test_trace_refuses_bad_numbers_before_anything_is_sent(
    dns_server: DnsServer, keywords: dict[str, object], message: str
) -> None:
    """They escaped as OverflowError/ValueError from the socket layer after DNS had run,
    or (a negative deadline) were taken."""
    asked = dns_server.queries
    with pytest.raises(UsageError) as raised:
        trace("smtp-good.test", dns=Dns(nameservers=[dns_server.address]), **keywords)
    assert raised.value.message == message
    assert dns_server.queries == asked


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ({"timeout": float("nan")}, ValueError, "Dns.timeout nan: give a finite number"),
        ({"timeout": 0}, ValueError, "Dns.timeout 0: give a finite number"),
        ({"deadline": -1}, ValueError, "Dns.deadline -1: give a finite number"),
        ({"deadline": float("inf")}, ValueError, "Dns.deadline inf: give a finite number"),
        ({"timeout": "5"}, TypeError, "Dns.timeout must be a number of seconds, not str"),
        ({"timeout": True}, TypeError, "Dns.timeout must be a number of seconds, not bool"),
        ({"zones": "examples/zones"}, TypeError, "Dns: zones must be a list of str, not str"),
        ({"nameservers": "1.2.3.4"}, TypeError, "Dns: nameservers must be a list of str"),
        ({"nameservers": [None]}, TypeError, "Dns: each item of nameservers must be a str"),
        ({"offline": "yes"}, TypeError, "Dns: offline must be True or False, not str"),
    ],
)
def test_dns_refuses_bad_fields_when_built(
    keywords: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Built fine and failed only at the first check (or split a str into characters)."""
    with pytest.raises(error) as raised:
        Dns(**keywords)
    assert str(raised.value).startswith(message)


def test_dns_takes_paths_and_lists() -> None:
    dns = Dns(zones=[ROOT / "examples" / "zones"], nameservers=["127.0.0.1"], timeout=1)
    assert dns.zones == (str(ROOT / "examples" / "zones"),) and dns.nameservers == ("127.0.0.1",)
    assert check_domain("example.net", dns=Dns(zones=dns.zones, offline=True)).subject


def test_check_domains_refuses_a_bad_parallel() -> None:
    with pytest.raises(UsageError, match=r"^parallel 0: give a whole number of at least 1$"):
        check_domains(["example.com"], dns=ZONES, parallel=0)


@pytest.mark.timeout(60)
def test_library_dns_timeouts_name_the_dns_fields() -> None:
    """A resolver that never answers: the message names the field to raise (Dns.timeout),
    not a CLI option the caller never saw."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
        black_hole.bind(("127.0.0.1", 0))  # bound and never read: queries go unanswered
        address = f"127.0.0.1:{black_hole.getsockname()[1]}"
        slow = check_domain("example.com", dns=Dns(nameservers=[address], timeout=0.3))
        short = check_domain("example.com", dns=Dns(nameservers=[address], deadline=0.5))
    said = [
        next(f.summary for f in report.findings() if f.id == "mx.records")
        for report in (slow, short)
    ]
    prefix = f"could not determine the MX records: TIMEOUT from {address}: "
    assert said == [
        prefix + "no answer within Dns.timeout 0.3 s (per query)",
        prefix + "the domain's limit, Dns.deadline 0.5, ran out",
    ]


# -- send: a real test message to a server on loopback, as a Report -----------------------


def _summaries(report: object, check: str) -> list[tuple[str, str]]:
    from mailcheck.model import Report

    assert isinstance(report, Report)
    return [(f.status.value, f.summary) for f in report.findings() if f.id == check]


@pytest.mark.timeout(120)
def test_send_returns_the_report_the_cli_renders(
    run_cli: CliRun,
    dns_server: DnsServer,
    certs: Certificates,
    generated: Generated,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ca = tmp_path / "ca.pem"
    certs.ca.cert_pem.write_to_path(str(ca))
    key = tmp_path / "rsa2048.pem"
    key.write_bytes(generated.dkim_keys["rsa2048"])
    key.chmod(0o600)
    recorder = Recorder()
    server = start_smtp(
        starttls=server_context(certs.good), auth=True, name="mx.smtp-good.test", handler=recorder
    )
    route = f"mx.smtp-good.test:{server.port}"
    try:
        cli = run_cli(
            "send",
            *("--server", route, "--ca-file", str(ca), "--user", USER),
            *("--password-env", "SMTP_PASSWORD", "--from", "alice@dkim.test"),
            *("--to", "bob@example.net", "--subject", "lab"),
            *("--dkim-key", str(key), "--dkim-selector", "rsa2048"),
            *("--nameserver", dns_server.address, "--format", "json"),
            env={"SMTP_PASSWORD": PASSWORD},
        )
        # what the CLI would read from the environment, the library ignores
        monkeypatch.setenv("MAILCHECK_NAMESERVER", "192.0.2.1")
        monkeypatch.setenv("SMTP_PASSWORD", "not this one")
        capfd.readouterr()
        report = send(
            "alice@dkim.test",
            ["bob@example.net"],
            subject="lab",
            server=route,
            ca_file=str(ca),
            user=USER,
            password=Secret(PASSWORD),
            dkim_key=generated.dkim_keys["rsa2048"],
            dkim_selector="rsa2048",
            dns=Dns(nameservers=[dns_server.address]),
        )
    finally:
        server.stop()
    assert capfd.readouterr() == ("", "")
    _same_as_cli(report, cli)
    [(status, accepted)] = _summaries(report, "send.recipient")
    assert status == "pass" and accepted.startswith(
        "bob@example.net: accepted by mx.smtp-good.test"
    )
    # both copies arrived over TLS after AUTH, signed, with the library's token in the second
    assert [(r["tls"], r["auth"], r["rcpt_tos"]) for r in recorder.received] == [
        (True, True, ["bob@example.net"])
    ] * 2
    token = report.data["token"]
    assert f"X-Mailcheck-Token: {token}".encode() in recorder.received[1]["content"]
    assert b"DKIM-Signature:" in recorder.received[1]["content"]
    assert PASSWORD not in repr(report) and PASSWORD not in repr(Secret(PASSWORD))


@pytest.mark.timeout(60)
def test_send_to_a_greylisting_server_is_an_error_not_a_rejection() -> None:
    """451 to RCPT: the recipient was deferred, so whether mail gets through is unknown
    (ERROR, exit 3 in the CLI), never a FAIL and never an exception."""
    with MisbehavingServer(greylisting) as server:
        report = send(
            "alice@example.com",
            ["bob@example.net"],
            server=f"127.0.0.1:{server.port}",
            tls="none",
            timeout=5,
            dns=ZONES,
        )
    assert report.status.value == "error"
    assert _summaries(report, "send.recipient") == [
        (
            "error",
            "bob@example.net: not delivered (after 1 attempt): RCPT TO refused: 451 4.7.1 "
            "Greylisted, please try again in 300 seconds (local error in processing (often "
            "greylisting); 4.7.1 delivery not authorised, message refused (policy))",
        )
    ]
    assert report.data["recipients"][0]["status"] == "deferred"


@pytest.mark.timeout(60)
def test_send_to_a_silent_server_names_the_timeout_keyword() -> None:
    with MisbehavingServer(silent) as server:
        report = send(
            "alice@example.com",
            ["bob@example.net"],
            server=f"127.0.0.1:{server.port}",
            timeout=1,
            dns=ZONES,
        )
    assert report.status.value == "error"
    assert _summaries(report, "send.recipient") == [
        (
            "error",
            "bob@example.net: not delivered (after 1 attempt): banner: "
            "silence: no reply in 1.0 s (the per-step limit, timeout 1)",
        )
    ]


def test_send_refuses_what_the_cli_refuses_before_anything_is_sent() -> None:
    nobody = f"127.0.0.1:{free_port()}"  # nothing listens: an attempt would be an ERROR
    with pytest.raises(UsageError, match="control characters"):
        send("a@example.com", ["b@example.net"], server=nobody, ehlo="x\r\nRSET", dns=ZONES)
    with pytest.raises(UsageError, match="no host name to verify"):
        send("a@example.com", ["b@example.net"], server=nobody, user="a", password="s", dns=ZONES)
    with pytest.raises(UsageError, match=r"^message is sent unchanged"):
        send("a@example.com", ["b@example.net"], message=b"Subject: x\r\n\r\nx", subject="y")
    with pytest.raises(UsageError, match=r"^timeout -1: give a finite number"):
        send("a@example.com", ["b@example.net"], server=nobody, timeout=-1, dns=ZONES)
    with pytest.raises(InputError, match="not a message"):
        send("a@example.com", "b@example.net", message=b"no header here", dns=ZONES)
    with pytest.raises(InputError, match=r"^dkim_key: not a private key"):
        send("a@example.com", ["b@example.net"], dkim_key=b"-----BEGIN", dkim_selector="s")
    with pytest.raises(UsageError, match=r"^dkim_key needs dkim_selector$"):
        send("a@example.com", ["b@example.net"], dkim_key=b"-----BEGIN", dkim_selector="")


# -- bad arguments: refused up front, naming the keyword -----------------------------------

SIGNED = (ROOT / "examples" / "messages" / "signed.eml").read_bytes()


def _verdict(report: Any) -> list[tuple[str, str, str]]:
    return [(f.id, f.status.value, f.summary) for f in report.findings()]


@pytest.mark.parametrize("kind", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_verify_message_takes_any_bytes_like_message(kind: Any) -> None:
    """A bytearray was a false DKIM FAIL (permerror ... TypeError), a memoryview a crash."""
    expected = verify_message(SIGNED, dns=ZONES)
    report = verify_message(kind(SIGNED), dns=ZONES)
    assert _verdict(report) == _verdict(expected) and report.status == expected.status


@pytest.mark.parametrize(
    ("message", "kind"),
    [(None, "None"), (123, "int"), (ROOT / "README.md", "PosixPath"), ("Subject: x", "str")],
)
def test_verify_message_refuses_what_is_not_bytes(message: Any, kind: str) -> None:
    with pytest.raises(TypeError) as raised:
        verify_message(message, dns=ZONES)
    assert str(raised.value) == (
        "verify_message: give the raw message as bytes (open(path, 'rb').read()), not " + kind
    )


@pytest.mark.parametrize("value", [123, b"x", None])
def test_secret_takes_only_a_str(value: Any) -> None:
    """Secret(123) crashed mid-conversation after EHLO; Secret(None) skipped the login."""
    with pytest.raises(TypeError, match=r"^Secret: give the password as a str, not "):
        Secret(value)


def _nobody() -> str:
    return f"127.0.0.1:{free_port()}"  # nothing listens: an attempt would be an ERROR


@pytest.mark.parametrize("function", ["send", "trace"])
@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ({"user": "u"}, UsageError, "{f}: user 'u' needs a password"),
        ({"user": "u", "password": None}, UsageError, "{f}: user 'u' needs a password"),
        ({"password": "s"}, UsageError, "{f}: password needs user"),
        ({"user": "u", "password": 123}, TypeError, "{f}: password must be a str or a mailcheck"),
        ({"user": 5, "password": "s"}, TypeError, "{f}: user must be a str or None, not int"),
        ({"dns": "x"}, TypeError, "{f}: dns must be a mailcheck.Dns or None, not str"),
        ({"ehlo": 7}, TypeError, "{f}: ehlo must be a str or None, not int"),
    ],
)
def test_send_and_trace_refuse_a_bad_login_or_option_before_connecting(
    function: str, keywords: dict[str, Any], error: type[Exception], message: str
) -> None:
    _refused(function, keywords, error, message)


def _refused(function: str, keywords: dict[str, Any], error: type[Exception], message: str) -> str:
    """The error send() or trace() raises for these keywords, before any connection."""
    with pytest.raises(error) as raised:
        if function == "send":
            send("a@example.com", ["b@example.net"], server=_nobody(), **keywords)
        else:
            trace("mx.example.com", **keywords)
    assert str(raised.value).startswith(message.format(f=function))
    return str(raised.value)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: check_domain(None), TypeError, "check_domain: domain must be a str, not None"),
        (lambda: check_domain(123), TypeError, "check_domain: domain must be a str, not int"),
        (
            lambda: check_domain(b"example.com"),
            TypeError,
            "check_domain: domain must be a str, not bytes",
        ),
        (
            lambda: check_domain("example.com", dns="foo"),
            TypeError,
            "check_domain: dns must be a mailcheck.Dns or None, not str",
        ),
        (
            lambda: check_domain("example.com", dns=ZONES, request="x"),
            TypeError,
            "check_domain: request must be a DomainRequest or None, not str",
        ),
        (
            lambda: check_domains("example.com", dns=ZONES),
            TypeError,
            "check_domains: domains must be a list of str, not str: give a list",
        ),
        (
            lambda: check_domains([None], dns=ZONES),
            TypeError,
            "check_domains: each item of domains must be a str, not None",
        ),
        (lambda: trace(None), TypeError, "trace: target must be a str, not None"),
        (
            lambda: trace("mx.example.com", mail_from="a@b", rcpt="c@d"),
            TypeError,
            "trace: rcpt must be a list of str, not str: give a list",
        ),
        (
            lambda: verify_message(SIGNED, ip=123),
            TypeError,
            "verify_message: ip must be a str or None, not int",
        ),
        (
            lambda: verify_message(SIGNED, dns="x"),
            TypeError,
            "verify_message: dns must be a mailcheck.Dns or None, not str",
        ),
    ],
)
def test_domain_trace_and_verify_refuse_bad_types(
    call: Any, error: type[Exception], message: str
) -> None:
    """They raised AttributeError deep inside, or split a str into its characters
    ("invalid domain 'e'")."""
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"to": [None]}, "send: each item of to must be a str, not None"),
        ({"to": None}, "send: to must be a list of str, not None: give a list"),
        ({"sender": None}, "send: sender must be a str, not None"),
        ({"message": "Subject: x\r\n\r\nx"}, "send: give message as bytes"),
        ({"body": 123}, "send: body must be a str or None, not int"),
        ({"subject": b"x"}, "send: subject must be a str or None, not bytes"),
        ({"attachments": ["/tmp/x"]}, "send: each item of attachments must be a (file name"),
        ({"attachments": "/tmp/x"}, "send: attachments must be a list, not str: give a list"),
        ({"attachments": [("a.txt", "text")]}, "send: give an attachment's content as bytes"),
        ({"attachments": [(1, b"x")]}, "send: an attachment's file name must be a str, not int"),
        ({"headers": "X-A: b"}, "send: headers must be a list of str, not str: give a list"),
        ({"headers": {"X-A": 1}}, "send: header 'X-A' must be a str, not int"),
        ({"dkim_key": 5, "dkim_selector": "s"}, "send: give dkim_key as bytes"),
        ({"dkim_selector": None}, "send: dkim_selector must be a str, not None"),
        ({"dns": "x"}, "send: dns must be a mailcheck.Dns or None, not str"),
    ],
)
def test_send_refuses_bad_types_before_anything_is_sent(
    keywords: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"sender": "a@example.com", "to": ["b@example.net"]}
    with pytest.raises(TypeError) as raised:
        send(**{**arguments, **keywords}, server=_nobody())
    assert str(raised.value).startswith(message)


def test_send_reads_a_str_dkim_key_as_the_pem_text() -> None:
    """A str key was "the key is encrypted; give an unencrypted key"."""
    with pytest.raises(InputError, match=r"^dkim_key: not a private key"):
        send("a@example.com", ["b@example.net"], dkim_key="garbage", dkim_selector="s", dns=ZONES)


@pytest.mark.timeout(60)
def test_send_takes_header_mappings_and_bytes_like_parts() -> None:
    recorder = Recorder()
    server = start_smtp(handler=recorder)
    try:
        report = send(
            "alice@example.com",
            "bob@example.net",
            headers={"X-Lab": "one"},
            attachments=[("a.txt", bytearray(b"hello"))],
            server=f"127.0.0.1:{server.port}",
            tls="none",
            dns=ZONES,
        )
    finally:
        server.stop()
    [(status, accepted)] = _summaries(report, "send.recipient")
    assert status == "pass", accepted
    [received] = recorder.received
    assert b"\r\nX-Lab: one\r\n" in received["content"]
    assert b'filename="a.txt"' in received["content"]


@pytest.mark.parametrize("function", ["send", "trace"])
@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        (
            {"allow_insecure_auth": "no"},
            TypeError,
            "{f}: allow_insecure_auth must be True or False",
        ),
        ({"ca_file": 5}, TypeError, "{f}: ca_file must be a str or a path or None, not int"),
        (
            {"user": "u", "password": Secret("a\r\nb")},
            UsageError,
            "{f}: the password holds CR, LF or NUL",
        ),
    ],
)
def test_send_and_trace_refuse_bad_flags_paths_and_passwords(
    function: str, keywords: dict[str, Any], error: type[Exception], message: str
) -> None:
    assert "a\r\nb" not in _refused(function, keywords, error, message)


def test_trace_takes_a_path_as_ca_file(certs: Certificates, tmp_path: Path) -> None:
    """A pathlib.Path is a path: refused by type, it would have broken working callers."""
    ca = tmp_path / "ca.pem"
    certs.ca.cert_pem.write_to_path(str(ca))
    report = trace("127.0.0.1", port=free_port(), ca_file=ca, timeout=5, dns=ZONES)
    assert [(f.id, f.status.value) for f in report.findings()] == [("smtp.connect", "error")]
