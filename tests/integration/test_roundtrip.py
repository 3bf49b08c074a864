"""`mailcheck send --check-delivery`: Postfix (submission) delivering to the Maildir that
Dovecot serves over IMAP, all on loopback (tests/mtas.py); a server that accepts and
discards (the message never arrives: exit 3 within --delivery-wait); an IMAP server whose
certificate is not trusted (nothing is sent, no password goes out); and bad URLs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests import mtas
from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpserver import start_mta

pytestmark = pytest.mark.timeout(120)
MAILBOX_ENV = {"MAILBOX_PASSWORD": mtas.PASSWORD}


@pytest.fixture(scope="module")
def servers(test_ca: Any) -> Iterator[mtas.MailServers]:
    if not mtas.available():
        if os.environ.get("CI"):
            pytest.fail("CI must provide Postfix and Dovecot (.ci/run installs them) and root")
        pytest.skip("needs root and the postfix, dovecot-imapd and dovecot-pop3d packages")
    with mtas.MailServers(test_ca) as started:
        yield started


def mailbox_url(servers: mtas.MailServers) -> str:
    return f"imap://alice%40postfix.test@imap.postfix.test:{servers.ports.imap}/INBOX"


def by_id(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for section in doc["reports"][0]["sections"]:
        for item in section["findings"]:
            out.setdefault(item["id"], []).append((item["status"], item["summary"]))
    return out


def test_round_trip_through_postfix_into_dovecot(
    run_cli: CliRun,
    dns_server: DnsServer,
    servers: mtas.MailServers,
    ca_file: str,
    generated: Any,
    tmp_path: Path,
) -> None:
    key = tmp_path / "rsa2048.pem"
    key.write_bytes(generated.dkim_keys["rsa2048"])
    key.chmod(0o600)
    result = run_cli(
        "send",
        "--nameserver",
        dns_server.address,
        "--server",
        f"mx.postfix.test:{servers.ports.submission}",
        "--ca-file",
        ca_file,
        "--user",
        mtas.USER,
        "--password-env",
        "MAILBOX_PASSWORD",
        "--from",
        "Alice <alice@dkim.test>",
        "--to",
        mtas.USER,
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "rsa2048",
        "--check-delivery",
        mailbox_url(servers),
        "--delivery-wait",
        "30",
        "--format",
        "json",
        env=MAILBOX_ENV,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert mtas.PASSWORD not in result.stdout + result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema())
    got = by_id(doc)
    status, summary = got["send.arrived"][0]
    assert status == "pass", (got, servers.log()[-2000:])
    label = f"imap://alice@postfix.test@imap.postfix.test:{servers.ports.imap}/INBOX"
    assert summary.startswith(f"arrived in {label} (UID ")
    assert summary.endswith("read with BODY.PEEK, left unseen")
    delivery = doc["reports"][0]["data"]["delivery"]
    assert delivery["uid"] >= 1 and delivery["receiver_authentication_results"] == []
    # Postfix adds no Authentication-Results: ours stands alone, said so
    theirs = got["send.auth-results"][0]
    assert theirs[0] == "info"
    assert theirs[1].startswith(
        "the receiver added no Authentication-Results header; mailcheck says: "
    )
    assert "DKIM 1 of 1 passing, 1 aligned" in theirs[1] and "DMARC pass" in theirs[1]
    # verify ran on the delivered copy: its DKIM signature survived the trip
    assert got["dkim.signature"] == [("pass", got["dkim.signature"][0][1])]
    titles = [s["title"] for s in doc["reports"][0]["sections"]]
    assert any(t.startswith("Delivered copy: ") for t in titles)
    # the sending transcript is in the same report
    assert any(s.get("data", {}).get("transcript") for s in doc["reports"][0]["sections"])
    # dkim.test's SPF ends in -all without 127.0.0.1: the delivered copy fails SPF (DMARC
    # still passes through DKIM), and a failing check of the copy makes the exit code 1
    assert got["spf.message"][0][0] == "fail"
    assert result.returncode == 1
    # BODY.PEEK in a folder opened with EXAMINE: nobody marked it seen
    files = list((servers.maildir / "new").iterdir()) + list((servers.maildir / "cur").iterdir())
    token = doc["reports"][0]["data"]["token"]
    ours = [f for f in files if token.encode() in f.read_bytes()]
    assert ours and not any(":2," in f.name and "S" in f.name.split(":2,")[1] for f in ours)


def test_message_that_never_arrives_exits_3(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str, tmp_path: Path
) -> None:
    """A server that accepts and keeps the message to itself (an mbox, not Dovecot's inbox)."""
    controller, _handler = start_mta(tmp_path / "elsewhere.mbox")
    try:
        result = run_cli(
            "send",
            "--nameserver",
            dns_server.address,
            "--server",
            f"127.0.0.1:{controller.port}",
            "--ca-file",
            ca_file,
            "--from",
            "alice@dkim.test",
            "--to",
            mtas.USER,
            "--check-delivery",
            mailbox_url(servers),
            "--password-env",
            "MAILBOX_PASSWORD",
            "--delivery-wait",
            "2",
            "--format",
            "json",
            env=MAILBOX_ENV,
        )
    finally:
        controller.stop()
    assert "Traceback" not in result.stderr, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema())
    got = by_id(doc)
    assert got["send.recipient"][0][0] == "pass"
    status, summary = got["send.arrived"][0]
    assert status == "error"
    assert summary.startswith(
        f"not in imap://alice@postfix.test@imap.postfix.test:{servers.ports.imap}/INBOX after 2 s ("
    )
    assert summary.endswith("--delivery-wait 2): delayed, filtered to another folder, or lost")
    assert result.returncode == 3
    assert (tmp_path / "elsewhere.mbox").exists()  # it was sent, just not to that mailbox


def test_untrusted_mailbox_stops_before_sending(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, tmp_path: Path
) -> None:
    """Without --ca-file the test CA is unknown: no password goes to Dovecot, and the
    message is not sent (the mailbox is opened first)."""
    mbox = tmp_path / "sink.mbox"
    controller, _handler = start_mta(mbox)
    try:
        result = run_cli(
            "send",
            "--nameserver",
            dns_server.address,
            "--server",
            f"127.0.0.1:{controller.port}",
            "--from",
            "alice@dkim.test",
            "--to",
            mtas.USER,
            "--check-delivery",
            mailbox_url(servers),
            "--password-env",
            "MAILBOX_PASSWORD",
            env=MAILBOX_ENV,
        )
    finally:
        controller.stop()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the certificate is not trusted" in result.stderr
    assert "the password was not sent" in result.stderr
    assert not mbox.exists()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "extra", "message"),
    [
        (
            "imap://alice:secret@imap.example.test/INBOX",
            (),
            "a password in the URL lands in shell history",
        ),
        ("http://alice@imap.example.test/", (), "give imap://user@host[:port]/FOLDER"),
        ("imap://imap.example.test/INBOX", (), "give the user and the host"),
        ("imap://alice@127.0.0.1/INBOX", (), "give the server's name"),
        ("imap://alice@imap.example.test/INBOX", ("--dry-run",), "nothing would be sent"),
    ],
)
def test_bad_delivery_urls(run_cli: CliRun, url: str, extra: tuple[str, ...], message: str) -> None:
    result = run_cli(
        "send",
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
        "--check-delivery",
        url,
        *extra,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("mailcheck: error: --")
    assert message in result.stderr
    assert "secret" not in result.stdout + result.stderr


def test_delivery_options_need_check_delivery(run_cli: CliRun) -> None:
    result = run_cli(
        "send", "--from", "a@example.test", "--to", "b@example.test", "--authserv-id", "mx.test"
    )
    assert result.returncode == 2
    assert "need --check-delivery" in result.stderr
