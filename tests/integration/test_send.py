"""`mailcheck send` against aiosmtpd on loopback (STARTTLS, implicit TLS, AUTH, certificates
from the test CA): the exact bytes that arrived, per-recipient results, MX fallback, DKIM
signatures that verify with `mailcheck verify`, and every failure reported truthfully."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.smtpfixtures import (
    PASSWORD,
    USER,
    MisbehavingServer,
    free_port,
    plain_smtp,
    server_context,
    start_smtp,
)
from tests.zonegen import Generated

_IDS = itertools.count(1)


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what arrived; some recipients can be refused."""

    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply
    data_reply: str = ""  # instead of 250 after DATA
    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        queue_id = f"Q{next(_IDS):06d}"
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "mail_options": list(envelope.mail_options),
                "rcpt_tos": list(envelope.rcpt_tos),
                "content": envelope.original_content,
                "tls": session.ssl is not None,
                "auth": session.authenticated,
                "queue_id": queue_id,
            }
        )
        return f"250 2.0.0 Ok: queued as {queue_id}"


@pytest.fixture(scope="module")
def cert(test_ca: Any) -> Any:
    return test_ca.issue_cert("mx.smtp-good.test", "mx.smtp-next.test", "down.smtp-next.test")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def submission(cert: Any, recorder: Recorder) -> Iterator[Any]:
    server = start_smtp(
        starttls=server_context(cert), auth=True, name="mx.smtp-good.test", handler=recorder
    )
    yield server
    server.stop()


def send(
    run_cli: CliRun, dns: DnsServer, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    result = run_cli(
        "send",
        "--nameserver",
        dns.address,
        "--format",
        "json",
        "--step-timeout",
        "5",
        *args,
        env=env,
    )
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.returncode, doc, everything


def via(submission: Any, ca_file: str) -> tuple[str, ...]:
    """A test message from alice@dkim.test to bob@example.net through the submission server."""
    server = f"mx.smtp-good.test:{submission.port}"
    return (
        "--server",
        server,
        "--ca-file",
        ca_file,
        "--from",
        "alice@dkim.test",
        "--to",
        "bob@example.net",
    )


def recipients(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in doc["reports"][0]["data"]["recipients"]}


def ids(doc: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for section in doc["reports"][0]["sections"]:
        for item in section["findings"]:
            out.setdefault(item["id"], []).append((item["status"], item["summary"]))
    return out


def transcript(doc: dict[str, Any]) -> list[str]:
    return [
        f"{line['who']}: {line['text']}"
        for section in doc["reports"][0]["sections"]
        for line in section.get("data", {}).get("transcript", [])
    ]


def key_file(generated: Generated, selector: str, tmp_path: Path) -> str:
    path = tmp_path / f"{selector}.pem"
    path.write_bytes(generated.dkim_keys[selector])
    path.chmod(0o600)
    return str(path)


def test_submission_with_auth_and_dkim(
    run_cli: CliRun,
    dns_server: DnsServer,
    submission: Any,
    recorder: Recorder,
    ca_file: str,
    generated: Generated,
    tmp_path: Path,
) -> None:
    saved = tmp_path / "sent.eml"
    code, doc, everything = send(
        run_cli,
        dns_server,
        "--server",
        f"mx.smtp-good.test:{submission.port}",
        "--ca-file",
        ca_file,
        "--user",
        USER,
        "--password-env",
        "SMTP_PASSWORD",
        "--from",
        "Alice <alice@dkim.test>",
        "--to",
        "bob@example.net",
        "--to",
        "carol@example.net",
        "--subject",
        "Grüße from the lab",
        "--dkim-key",
        key_file(generated, "rsa2048", tmp_path),
        "--dkim-selector",
        "rsa2048",
        "--save",
        str(saved),
        env={"SMTP_PASSWORD": PASSWORD},
    )
    assert code == 0, json.dumps(ids(doc), indent=1)
    jsonschema.validate(doc, schema())
    assert doc["reports"][0]["display"] == "alice@dkim.test → bob@example.net, carol@example.net"
    got = recipients(doc)
    assert got["bob@example.net"]["status"] == "accepted"
    [arrived] = recorder.received
    assert got["bob@example.net"]["queue_id"] == arrived["queue_id"]
    assert arrived["rcpt_tos"] == ["bob@example.net", "carol@example.net"]
    assert arrived["mail_from"] == "alice@dkim.test" and arrived["tls"] and arrived["auth"]
    # the exact bytes: what was saved is what arrived
    assert arrived["content"] == saved.read_bytes()
    parsed = email.message_from_bytes(arrived["content"], policy=email.policy.default)
    assert parsed["Subject"] == "Grüße from the lab"
    assert parsed["X-Mailcheck-Token"] == doc["reports"][0]["data"]["token"]
    assert ids(doc)["send.dkim"][0][0] == "pass"
    lines = transcript(doc)
    assert "C: AUTH PLAIN <redacted>" in lines
    assert any(line.startswith("C: (body: ") for line in lines)
    assert "C: Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= from the lab" in lines
    assert PASSWORD not in everything
    # and the signature verifies on the delivered message, with mailcheck verify
    delivered = tmp_path / "delivered.eml"
    delivered.write_bytes(arrived["content"])
    result = run_cli(
        "verify",
        str(delivered),
        "--nameserver",
        dns_server.address,
        "--format",
        "json",
        "--ip",
        "127.0.0.1",
    )
    verified = json.loads(result.stdout)
    dkim = [
        f
        for s in verified["reports"][0]["sections"]
        for f in s["findings"]
        if f["id"] == "dkim.signature"
    ]
    assert dkim and dkim[0]["status"] == "pass", dkim


def test_ed25519_signature(
    run_cli: CliRun,
    dns_server: DnsServer,
    submission: Any,
    recorder: Recorder,
    ca_file: str,
    generated: Generated,
    tmp_path: Path,
) -> None:
    code, doc, _ = send(
        run_cli,
        dns_server,
        *via(submission, ca_file),
        "--dkim-key",
        key_file(generated, "ed", tmp_path),
        "--dkim-selector",
        "ed",
        "--dkim-algorithm",
        "ed25519-sha256",
    )
    assert code == 0
    assert "ed25519-sha256" in ids(doc)["send.dkim"][0][1]
    assert b"a=ed25519-sha256" in recorder.received[0]["content"]


def test_wrong_key_is_caught_before_sending(
    run_cli: CliRun,
    dns_server: DnsServer,
    submission: Any,
    recorder: Recorder,
    ca_file: str,
    generated: Generated,
    tmp_path: Path,
) -> None:
    args = (
        *via(submission, ca_file),
        "--dkim-key",
        key_file(generated, "rsa1024", tmp_path),  # published at rsa1024, not rsa2048
        "--dkim-selector",
        "rsa2048",
    )
    code, doc, _ = send(run_cli, dns_server, *args)
    status, summary = ids(doc)["send.dkim"][0]
    assert code == 1 and status == "fail"
    assert "not the public half" in summary
    assert recorder.received == [] and "recipients" not in doc["reports"][0]["data"]
    code, doc, _ = send(run_cli, dns_server, *args, "--force")
    assert len(recorder.received) == 1
    assert recipients(doc)["bob@example.net"]["status"] == "accepted"
    assert code == 1  # delivered, but the signature still fails: not a success


def test_partial_acceptance(
    run_cli: CliRun, dns_server: DnsServer, submission: Any, recorder: Recorder, ca_file: str
) -> None:
    recorder.refuse["nobody@example.net"] = "550 5.1.1 <nobody@example.net>: no such user"
    recorder.refuse["later@example.net"] = "451 4.3.0 try again later"
    code, doc, _ = send(
        run_cli,
        dns_server,
        *via(submission, ca_file),
        "--to",
        "nobody@example.net",
        "--to",
        "later@example.net",
    )
    got = recipients(doc)
    assert got["bob@example.net"]["status"] == "accepted"
    assert got["nobody@example.net"]["status"] == "rejected"
    assert "5.1.1" in got["nobody@example.net"]["reply"]
    assert "bad destination mailbox address" in got["nobody@example.net"]["reply"]
    assert got["later@example.net"]["status"] == "deferred"
    assert recorder.received[0]["rcpt_tos"] == ["bob@example.net"]
    assert code == 1  # a rejection outranks a deferral


def test_wrong_password(
    run_cli: CliRun,
    dns_server: DnsServer,
    submission: Any,
    recorder: Recorder,
    ca_file: str,
    tmp_path: Path,
) -> None:
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password\n")
    wrong.chmod(0o600)
    code, doc, _ = send(
        run_cli,
        dns_server,
        "--server",
        f"mx.smtp-good.test:{submission.port}",
        "--ca-file",
        ca_file,
        "--user",
        USER,
        "--password-file",
        str(wrong),
        "--from",
        "alice@dkim.test",
        "--to",
        "bob@example.net",
    )
    reply = recipients(doc)["bob@example.net"]
    assert code == 1 and reply["status"] == "rejected"
    assert "535" in reply["reply"] and "authentication credentials invalid" in reply["reply"]
    assert recorder.received == []
    assert not any(line.startswith("C: MAIL") for line in transcript(doc))


def test_untrusted_certificate_gets_no_password(
    run_cli: CliRun, dns_server: DnsServer, submission: Any, recorder: Recorder
) -> None:
    code, doc, everything = send(
        run_cli,
        dns_server,
        "--server",
        f"mx.smtp-good.test:{submission.port}",
        "--user",
        USER,
        "--password-env",
        "SMTP_PASSWORD",
        "--from",
        "alice@dkim.test",
        "--to",
        "bob@example.net",
        env={"SMTP_PASSWORD": PASSWORD},
    )  # no --ca-file: the test CA is not trusted
    assert code == 1 and recorder.received == []
    assert "not trusted" in recipients(doc)["bob@example.net"]["reply"]
    assert not any("AUTH" in line for line in transcript(doc) if line.startswith("C:"))
    assert PASSWORD not in everything


def test_starttls_required_but_not_offered(
    run_cli: CliRun, dns_server: DnsServer, recorder: Recorder
) -> None:
    server = start_smtp(name="mx.smtp-good.test", handler=recorder)  # no TLS at all
    try:
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--server",
            f"mx.smtp-good.test:{server.port}",
            "--tls",
            "starttls",
            "--from",
            "alice@dkim.test",
            "--to",
            "bob@example.net",
        )
    finally:
        server.stop()
    reply = recipients(doc)["bob@example.net"]
    assert code == 1 and reply["status"] == "rejected"
    assert "no TLS was negotiated" in reply["reply"]
    assert recorder.received == []
    assert not any(line.startswith("C: MAIL") for line in transcript(doc))


def test_message_too_large(
    run_cli: CliRun, dns_server: DnsServer, recorder: Recorder, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(40_000))
    server = start_smtp(name="mx.smtp-good.test", handler=recorder)
    try:
        recorder.data_reply = "552 5.3.4 Message size exceeds fixed limit"
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--server",
            f"mx.smtp-good.test:{server.port}",
            "--from",
            "alice@dkim.test",
            "--to",
            "bob@example.net",
            "--attach",
            str(big),
        )
    finally:
        server.stop()
    reply = recipients(doc)["bob@example.net"]
    assert code == 1 and reply["status"] == "rejected"
    assert "552 5.3.4" in reply["reply"] and "message too big" in reply["reply"]


def test_direct_to_mx_moves_on_after_4xx(run_cli: CliRun, dns_server: DnsServer, cert: Any) -> None:
    port = free_port("127.0.0.4")
    busy = Recorder(refuse={"bob@smtp-next.test": "451 4.7.1 greylisted, try again later"})
    good = Recorder()
    first = start_smtp("127.0.0.4", port, starttls=server_context(cert), handler=busy)
    second = start_smtp("127.0.0.5", port, starttls=server_context(cert), handler=good)
    try:
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--port",
            str(port),
            "--from",
            "alice@dkim.test",
            "--to",
            "bob@smtp-next.test",
        )
    finally:
        first.stop()
        second.stop()
    reply = recipients(doc)["bob@smtp-next.test"]
    assert code == 0 and reply["status"] == "accepted", reply
    assert reply["host"] == "mx.smtp-next.test"
    assert "451 4.7.1" in reply["attempts"][0] and "down.smtp-next.test" in reply["attempts"][0]
    assert busy.received == [] and len(good.received) == 1
    hosts = [
        s["data"]["host"] for s in doc["reports"][0]["sections"] if "host" in s.get("data", {})
    ]
    assert hosts[:2] == ["down.smtp-next.test", "mx.smtp-next.test"]


def _to_mx(run_cli: CliRun, dns_server: DnsServer, to: str) -> tuple[int, dict[str, Any]]:
    """Send to `to` through its domain's MX hosts, on a port where nothing listens."""
    code, doc, _ = send(
        run_cli, dns_server, "--port", str(free_port()), "--from", "alice@dkim.test", "--to", to
    )
    return code, recipients(doc)[to]


def test_all_mx_unreachable_exits_3(run_cli: CliRun, dns_server: DnsServer) -> None:
    code, reply = _to_mx(run_cli, dns_server, "bob@smtp-next.test")
    assert code == 3 and reply["status"] == "deferred"
    assert len(reply["attempts"]) == 2


def test_null_mx_recipient_is_rejected_not_deferred(run_cli: CliRun, dns_server: DnsServer) -> None:
    """A null MX (RFC 7505) says the domain accepts no mail: an MTA bounces at once (556
    5.1.10), it does not retry; so the recipient is rejected (exit 1), not deferred (exit 3)."""
    code, reply = _to_mx(run_cli, dns_server, "bob@smtp-nullmx.test")
    assert (code, reply["status"]) == (1, "rejected"), reply
    assert "smtp-nullmx.test publishes a null MX: no MX host to contact" in reply["reply"]


async def _close_during_data(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            return
        command = line.decode().strip().upper()
        if command.startswith("EHLO"):
            writer.write(b"250-mx.smtp-good.test\r\n250 8BITMIME\r\n")
        elif command.startswith(("MAIL", "RCPT")):
            writer.write(b"250 Ok\r\n")
        elif command == "DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            await reader.readline()  # one line of content, then hang up
            writer.close()
            return
        else:
            writer.write(b"250 Ok\r\n")
        await writer.drain()


async def _close_after_dot(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
    in_data = False
    while True:
        line = await reader.readline()
        if not line:
            return
        if in_data:
            if line == b".\r\n":
                writer.close()  # the message is in, the reply never comes
                return
            continue
        command = line.decode().strip().upper()
        if command == "DATA":
            writer.write(b"354 go ahead\r\n")
            in_data = True
        elif command.startswith("EHLO"):
            writer.write(b"250 mx.smtp-good.test\r\n")
        else:
            writer.write(b"250 Ok\r\n")
        await writer.drain()


def _after_dot(then: bytes | None) -> Any:
    """A server that takes the whole message, then says nothing (`then` None) or sends
    `then` again and again in place of its reply."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
        while line := await reader.readline():
            command = line.decode().strip().upper()
            if command == "DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                while (line := await reader.readline()) not in (b".\r\n", b""):
                    pass
                while then is not None:
                    writer.write(then * 50)
                    await writer.drain()
                await asyncio.sleep(3600)
            writer.write(
                b"250 mx.smtp-good.test\r\n" if command.startswith("EHLO") else b"250 Ok\r\n"
            )
            await writer.drain()

    return handler


@pytest.mark.parametrize(
    ("then", "what"),
    [
        (None, "silence: no reply in 1.0 s (the per-step limit, --timeout 1)"),
        (b"250-queued\r\n", "a reply of more than 200 lines (an endless reply?)"),
    ],
)
def test_no_reply_after_the_message_says_what_came_instead(
    run_cli: CliRun, dns_server: DnsServer, then: bytes | None, what: str
) -> None:
    """Silence or an endless reply after the final dot was called "the connection was
    lost": the outcome is unknown either way, and the user reads what really happened."""
    with MisbehavingServer(_after_dot(then)) as server:
        code, doc, _ = send(
            run_cli, dns_server, "--server", f"127.0.0.1:{server.port}", "--tls", "none",
            "--from", "alice@dkim.test", "--to", "bob@example.net", "--step-timeout", "1",
        )  # fmt: skip
    reply = recipients(doc)["bob@example.net"]
    assert reply["status"] == "unknown" and code == 3
    assert reply["reply"] == (
        f"the whole message was sent, then no reply came ({what}): it may or may not have "
        "been accepted (not retried, to avoid a duplicate)"
    )


async def _data_answered_250(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mx.smtp-good.test ESMTP\r\n")
    while line := await reader.readline():
        command = line.decode().strip().upper()
        if command.startswith("EHLO"):
            writer.write(b"250 mx.smtp-good.test\r\n")
        elif command == "QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            return
        else:  # DATA too: "250 ok" where "354 go ahead" belongs
            writer.write(b"250 ok\r\n")
        await writer.drain()


def test_data_answered_250_is_not_called_a_refusal(run_cli: CliRun, dns_server: DnsServer) -> None:
    with MisbehavingServer(_data_answered_250) as server:
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--server",
            f"127.0.0.1:{server.port}",
            "--tls",
            "none",
            "--from",
            "alice@dkim.test",
            "--to",
            "bob@example.net",
        )
    reply = recipients(doc)["bob@example.net"]
    assert (code, reply["status"]) == (3, "deferred"), reply
    assert reply["reply"] == (
        "the server answered DATA with 250 ok (requested action completed) instead of 354: "
        "the message was not sent"
    )


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        (_close_during_data, "deferred", "the connection was lost"),
        (_close_after_dot, "unknown", "may or may not have been accepted"),
    ],
)
def test_connection_lost_around_data(
    run_cli: CliRun, dns_server: DnsServer, handler: Any, status: str, text: str, tmp_path: Path
) -> None:
    big = tmp_path / "big.bin"  # more than socket buffers hold: the hang-up hits mid-send
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    with MisbehavingServer(handler) as server:
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--server",
            f"127.0.0.1:{server.port}",
            "--from",
            "alice@dkim.test",
            "--to",
            "bob@example.net",
            "--attach",
            str(big),
        )
    reply = recipients(doc)["bob@example.net"]
    assert reply["status"] == status, reply
    assert text in reply["reply"] or text in " ".join(reply["attempts"])
    assert code == 3


def test_implicit_tls_submission(
    run_cli: CliRun, dns_server: DnsServer, cert: Any, recorder: Recorder, ca_file: str
) -> None:
    server = start_smtp(implicit=server_context(cert), name="mx.smtp-good.test", handler=recorder)
    try:
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--server",
            f"mx.smtp-good.test:{server.port}",
            "--tls",
            "implicit",
            "--ca-file",
            ca_file,
            "--from",
            "alice@dkim.test",
            "--to",
            "bob@example.net",
        )
    finally:
        server.stop()
    assert code == 0 and len(recorder.received) == 1
    lines = transcript(doc)
    assert lines[1].startswith("*: TLS handshake") and lines[2].startswith("*: TLSv1")
    assert "C: STARTTLS" not in lines


def test_quoted_display_name_with_angle_brackets_and_a_comma(
    run_cli: CliRun, dns_server: DnsServer, submission: Any, recorder: Recorder, ca_file: str
) -> None:
    """A quoted display name may hold <, > and commas (RFC 5322 3.2.4): the envelope sender
    is the address outside the quotes, and the name reaches the From header unchanged."""
    args = via(submission, ca_file)[:4]
    code, doc, everything = send(
        run_cli,
        dns_server,
        *args,
        *("--from", '"Evil <x@y.example>, Inc." <alice@dkim.test>', "--to", "bob@example.net"),
    )
    assert code == 0, everything
    [arrived] = recorder.received
    assert arrived["mail_from"] == "alice@dkim.test"
    assert arrived["rcpt_tos"] == ["bob@example.net"]
    assert any(line.startswith("C: MAIL FROM:<alice@dkim.test>") for line in transcript(doc))
    assert (
        b'\r\nFrom: "Evil <x@y.example>, Inc." <alice@dkim.test>\r\n'
        in b"\r\n" + arrived["content"]
    )
    parsed = email.message_from_bytes(arrived["content"], policy=email.policy.default)
    [author] = parsed["From"].addresses
    assert (author.display_name, author.addr_spec) == (
        "Evil <x@y.example>, Inc.",
        "alice@dkim.test",
    )


@pytest.mark.parametrize("offered", [True, False])
def test_smtputf8_address(
    run_cli: CliRun, dns_server: DnsServer, recorder: Recorder, offered: bool
) -> None:
    server = start_smtp(name="mx.smtp-good.test", handler=recorder, smtputf8=offered)
    try:
        code, doc, _ = send(
            run_cli,
            dns_server,
            "--server",
            f"mx.smtp-good.test:{server.port}",
            "--from",
            "alice@dkim.test",
            "--to",
            "jürgen@example.net",
        )
    finally:
        server.stop()
    reply = recipients(doc)["jürgen@example.net"]
    if offered:
        assert code == 0 and reply["status"] == "accepted"
        assert any(
            line.startswith("C: MAIL FROM:<alice@dkim.test>") and line.endswith(" SMTPUTF8")
            for line in transcript(doc)
        )
        assert recorder.received[0]["rcpt_tos"] == ["jürgen@example.net"]
        assert "To: jürgen@example.net".encode() in recorder.received[0]["content"]
    else:
        assert code == 1 and reply["status"] == "rejected"
        assert "needs SMTPUTF8" in reply["reply"] and recorder.received == []


def test_a_message_over_the_servers_size_is_not_sent(
    run_cli: CliRun, dns_server: DnsServer
) -> None:
    """SIZE 100 in EHLO: the message (some 600 bytes) is refused before MAIL FROM, and the
    hint says so (it told the user to read a server reply that never came)."""
    received: list[bytes] = []

    with MisbehavingServer(plain_smtp(b"mx.small.test", b"SIZE 100", received)) as server:
        code, doc, _ = send(
            run_cli, dns_server, "--server", f"127.0.0.1:{server.port}", "--tls", "none",
            "--from", "alice@dkim.test", "--to", "bob@example.net",
        )  # fmt: skip
    sections = doc["reports"][0]["sections"]
    [said] = [f for s in sections for f in s["findings"] if f["id"] == "send.recipient"]
    assert said["status"] == "fail"
    assert said["summary"].startswith("bob@example.net: rejected: not sent: the message is ")
    assert said["summary"].endswith(" bytes and the server accepts at most 100 (SIZE)")
    assert said["hint"] == (
        "Nothing was sent: the server's EHLO said it would refuse this message. Make it fit "
        "(smaller attachments, ASCII addresses), or send through a server that accepts it."
    )
    assert not any(line.startswith((b"MAIL", b"RCPT", b"DATA")) for line in received)
    assert code == 1
