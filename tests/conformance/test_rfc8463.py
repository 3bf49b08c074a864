"""RFC 8463's example (data/dkim-rfc8463): an Ed25519 and an RSA signature on one message;
both verify through our DKIM path with the example's DNS records in a zone file."""

from __future__ import annotations

import json
from pathlib import Path

from mailcheck.messages import RawMessage
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.services.verify import VerifyRequest, verify_message

DATA = Path(__file__).parent / "data" / "dkim-rfc8463"


def test_both_signatures_pass(tmp_path: Path) -> None:
    records = json.loads((DATA / "dns.json").read_text())
    lines = ["$ORIGIN example.com.", "$TTL 300", "@ SOA ns hm 1 1 1 1 1"]
    for name, types in records.items():
        for rdtype, values in types.items():
            for strings in values:
                lines.append(f"{name}. {rdtype} " + " ".join(f'"{s}"' for s in strings))
    zone = tmp_path / "example.com.zone"
    zone.write_text("\n".join(lines) + "\n")
    engine = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    message = RawMessage("signed.eml", (DATA / "signed.eml").read_bytes())
    report = verify_message(message, engine, VerifyRequest())
    dkim = next(s for s in report.sections if s.family == "dkim")
    results = [(row.algorithm, row.selector, row.result) for row in dkim.data["signatures"]]
    assert results == [("ed25519-sha256", "brisbane", "pass"), ("rsa-sha256", "test", "pass")]
