"""A report does not depend on the order a DNS server lists the records of an RRset in (RFC
2181 §5: an RRset has none, and servers rotate it): the same zone written in two orders,
read as a --zone file and served by a DNS server on loopback, gives the same report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer

HEAD = """$ORIGIN order.example.
$TTL 3600
@ SOA ns1.order.example. hostmaster.order.example. 1 7200 3600 1209600 3600
"""
# the RRsets whose order a report used to follow, each written in two orders below
RRSETS = [
    [
        "@ NS ns2.order.example.",
        "@ NS NS10.order.example.",
        "@ NS ns1.order.example.",
    ],
    [
        "ns1 A 127.0.0.10",
        "ns1 A 127.0.0.9",
    ],
    ["ns2 A 127.0.0.11"],
    ["ns10 A 127.0.0.12"],
    [
        "@ MX 20 mx-b.order.example.",
        "@ MX 10 mx-c.order.example.",
        "@ MX 20 mx-a.order.example.",
    ],
    ["mx-a A 127.0.0.20", "mx-b A 127.0.0.21", "mx-c A 127.0.0.22"],
    # two SPF records (spf.multiple) and two DMARC records: the evidence lists both
    ['@ TXT "v=spf1 mx -all"', '@ TXT "v=spf1 -all"', '@ TXT "site-verification=x"'],
    ['_dmarc TXT "v=DMARC1; p=reject"', '_dmarc TXT "v=DMARC1; p=none"'],
    # a selector with two TXT records: its key (dkim data) and a note beside it
    [
        'sel._domainkey TXT "v=DKIM1; k=rsa; p=" ',
        'sel._domainkey TXT "note: rotated 2024"',
    ],
    # a selector with two keys (dkim.multiple): both in the evidence
    [
        'two._domainkey TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="',
        'two._domainkey TXT "v=DKIM1; k=ed25519; p="',
    ],
]


def zone(reverse: bool) -> str:
    lines = [line for rrset in RRSETS for line in (rrset[::-1] if reverse else rrset)]
    return HEAD + "\n".join(lines) + "\n"


def _stable(value: Any) -> Any:
    """The report without what changes from run to run (durations, query timings)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in ("duration_ms", "queries")}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _without_lines(value: Any) -> Any:
    """The report without where records came from: zone file lines differ between two
    orders of one zone, and each server listens on a port of its own."""
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "location"}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"127\.0\.0\.1:\d+", "SERVER", re.sub(r"  \(\S+\.zone:\d+\)$", "", value))
    return value


@pytest.mark.parametrize("source", ["zone", "server"])
def test_the_report_does_not_follow_the_servers_order(
    run_cli: CliRun, tmp_path: Path, source: str
) -> None:
    reports = []
    for reverse in (False, True):
        folder = tmp_path / ("reversed" if reverse else "written")
        folder.mkdir()
        path = folder / "order.example.zone"
        path.write_text(zone(reverse))
        args = ["domain", "order.example", "--selector", "sel", "--selector", "two"]
        args += ["--only", "ns,mx,spf,dmarc,dkim", "--format", "json", "--fail-on", "never"]
        if source == "zone":
            result = run_cli(*args, "--offline", "--zone", str(path))
        else:
            with DnsServer([path]) as server:
                result = run_cli(*args, "--nameserver", server.address)
        # 3: the PTR of the MX hosts and the DMARC tree walk above the zone are not served
        assert result.returncode == 3, result.stderr
        [report] = json.loads(result.stdout)["reports"]
        reports.append(report)
    written, reversed_ = reports
    # zone-file lines differ between the two files: compare what the records say
    a, b = _without_lines(_stable(written)), _without_lines(_stable(reversed_))
    assert json.dumps(a, indent=1).splitlines() == json.dumps(b, indent=1).splitlines()
    sections = {s["family"]: s for s in written["sections"]}
    found = {f["id"]: f for s in written["sections"] for f in s["findings"]}
    # names alphabetically, the evidence in the order of the summary
    assert found["ns.records"]["summary"].endswith(
        "ns1.order.example, ns10.order.example, ns2.order.example"
    )
    assert found["ns.records"]["evidence"] == [
        "ns1.order.example.",
        "NS10.order.example.",
        "ns2.order.example.",
    ]
    assert sections["ns"]["data"]["servers"][0]["addresses"] == ["127.0.0.9", "127.0.0.10"]
    # selectors in the order asked, each one's records by their text
    assert [(k["selector"], k["record"]) for k in sections["dkim"]["data"]["keys"]] == [
        ("sel", "v=DKIM1; k=rsa; p="),
        ("two", "v=DKIM1; k=ed25519; p="),
        ("two", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
    ]
    if source == "zone":
        # two keys at one selector: each shown with its own zone file line
        lines = [e.rsplit(":", 1)[1] for e in found["dkim.multiple"]["evidence"]]
        assert len(set(lines)) == 2, found["dkim.multiple"]["evidence"]


@pytest.mark.parametrize("note", ["note: rotated 2024", "google-site-verification=x"])
def test_a_note_beside_the_key_is_not_taken_for_the_key(
    run_cli: CliRun, tmp_path: Path, note: str
) -> None:
    """A selector holding its key and another TXT record: verify checks the signature with
    the key (domain names that record as the key), wherever the other record sorts."""
    import base64

    import dkim
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()
    )
    spki = key.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
    text = f"v=DKIM1; k=rsa; p={base64.b64encode(spki).decode()}"
    chunks = " ".join(f'"{text[i : i + 200]}"' for i in range(0, len(text), 200))
    path = tmp_path / "order.example.zone"
    path.write_text(HEAD + f'sel._domainkey TXT {chunks}\nsel._domainkey TXT "{note}"\n')
    data = (
        b"From: a@order.example\r\nTo: b@example.net\r\nSubject: hi\r\n"
        b"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@order.example>\r\n\r\nhello\r\n"
    )
    headers = [b"from", b"to", b"subject", b"date"]
    signed = dkim.sign(data, b"sel", b"order.example", private, include_headers=headers) + data
    message = tmp_path / "m.eml"
    message.write_bytes(signed)
    result = run_cli("verify", str(message), "--offline", "--zone", str(path), "--format", "json")
    [report] = json.loads(result.stdout)["reports"]
    found = [
        (f["id"], f["status"], f["summary"])
        for s in report["sections"]
        for f in s["findings"]
        if f["id"] == "dkim.signature"
    ]
    assert found == [
        (
            "dkim.signature",
            "pass",
            "#1 d=order.example s=sel rsa-sha256 relaxed/simple: pass: signature verified",
        )
    ], result.stdout
