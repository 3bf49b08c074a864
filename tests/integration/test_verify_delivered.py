"""A signed message sent through an SMTP server on loopback, then verified as delivered:
Return-Path and the Received header the server added are part of what is checked."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.mailgen import message, sign
from tests.smtpserver import start_mta
from tests.zonegen import Generated


def test_delivered_message_verifies(
    tmp_path: Path, generated: Generated, run_cli: CliRun, dns_server: DnsServer
) -> None:
    mbox = tmp_path / "inbox.mbox"
    controller, _handler = start_mta(mbox)
    try:
        data = sign(generated, message(sender="alice@loopback.test"))
        with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as client:
            client.ehlo("client.loopback.test")
            client.sendmail("bounces@loopback.test", ["bob@clean.test"], data)
    finally:
        controller.stop()
    assert mbox.read_bytes().startswith(b"From bounces@loopback.test ")
    result = run_cli("verify", str(mbox), "--nameserver", dns_server.address, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    [report] = json.loads(result.stdout)["reports"]
    sections = {s["family"]: s for s in report["sections"]}
    assert sections["dkim"]["data"]["signatures"][0]["result"] == "pass"
    spf = sections["spf"]["data"]
    assert (spf["ip"], spf["mail_from"], spf["result"]) == (
        "127.0.0.1",
        "bounces@loopback.test",
        "pass",
    )
    assert spf["source"].startswith(
        "Received header 1 (from client.loopback.test by mx.receiver.test)"
    )
    dmarc = sections["dmarc"]["data"]
    assert (dmarc["result"], dmarc["spf_aligned"], dmarc["dkim_aligned"]) == ("pass", True, [])
    hops = sections["received"]["data"]["hops"]
    assert hops[-1]["by"] == "mx.receiver.test" and hops[-1]["ip"] == "127.0.0.1"
