"""Hostile messages: thousands of Received, Authentication-Results, Received-SPF or ARC fields
cost a bounded amount of work and output (the first ones are read, the rest is one finding),
and a normal message reads as before."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mailcheck.messages import RawMessage
from mailcheck.model import Finding, Report, Status
from mailcheck.net.dns import DnsEngine
from mailcheck.services.verify import VerifyRequest, verify_message
from tests.mailgen import message, received, sign
from tests.zonegen import Generated

S = Status
FLOOD = 3000
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def engine(make_engine: Callable[..., DnsEngine]) -> DnsEngine:
    return make_engine()


def check(engine: DnsEngine, data: bytes, **request: object) -> Report:
    return verify_message(RawMessage("test.eml", data), engine, VerifyRequest(**request))  # type: ignore[arg-type]


def data_of(report: Report, family: str) -> dict:  # type: ignore[type-arg]
    return dict(next(s for s in report.sections if s.family == family).data)


def of(report: Report, family: str) -> list[Finding]:
    return list(next(s for s in report.sections if s.family == family).findings)


def test_thousands_of_received_fields_are_capped(engine: DnsEngine, generated: Generated) -> None:
    hop = received(ip="192.0.2.10")
    loop = [received(ip="203.0.113.9", helo="loop.test", by=f"relay{n}.test") for n in range(FLOOD)]
    report = check(engine, sign(generated, message(received=[hop, *loop])))
    data = data_of(report, "received")
    assert (len(data["hops"]), data["not_read"]) == (100, FLOOD + 1 - 100)
    assert data["hops"][-1].by == "mx.receiver.test"  # the newest hop is kept
    findings = of(report, "received")
    warn = [(f.status, f.summary) for f in findings if f.status is S.WARN]
    assert warn == [
        (
            S.WARN,
            f"{FLOOD + 1 - 100} more Received fields not read: only the newest 100 hops are, as "
            "receivers bound the work one message can cause (a real path has a few; hundreds "
            "mean a mail loop or forged fields)",
        )
    ]
    [path] = [f for f in findings if f.status is S.INFO]
    assert path.summary.startswith(f"100 hop(s): ({FLOOD + 1 - 100} older) → relay")
    assert path.summary.endswith("→ mx.receiver.test")
    # the user's own hop (the top one) still gives SPF its input
    assert data_of(report, "spf")["ip"] == "192.0.2.10"


def test_normal_received_path_is_unchanged(engine: DnsEngine, generated: Generated) -> None:
    hops = [received(ip="192.0.2.10"), received(ip="198.51.100.1", by="mx1.clean.test")]
    report = check(engine, sign(generated, message(received=hops)))
    data = data_of(report, "received")
    assert "not_read" not in data and len(data["hops"]) == 2
    assert [(f.status, f.summary) for f in of(report, "received")] == [
        (S.INFO, "2 hop(s): mx1.clean.test → mx.receiver.test")
    ]


def test_thousands_of_authentication_results_are_capped(
    engine: DnsEngine, generated: Generated
) -> None:
    ours = "Authentication-Results: mx.receiver.test; spf=fail smtp.mailfrom=dkim.test"
    forged = [
        "Authentication-Results: evil.test; dkim=pass header.d=paypal.test" for _ in range(FLOOD)
    ]
    spf = [f"Received-SPF: pass (forged) client-ip=203.0.113.{n % 250}" for n in range(FLOOD)]
    data = sign(generated, message(received=[received()], extra=[ours, *forged, *spf]))
    report = check(engine, data, authserv_ids=frozenset({"mx.receiver.test"}))
    auth = data_of(report, "auth-results")
    results = auth["results"]
    assert len(results) == 50
    assert (results[0]["authserv_id"], results[0]["trusted"]) == ("mx.receiver.test", True)
    assert len(auth["received_spf"]) == 50
    assert auth["not_read"] == [
        f"{FLOOD + 1 - 50} more Authentication-Results fields not read: only the first 50 are, "
        "as receivers bound the work one message can cause (a real message has a few)",
        f"{FLOOD - 50} more Received-SPF fields not read: only the first 50 are, as receivers "
        "bound the work one message can cause (a real message has a few)",
    ]
    findings = of(report, "auth-results")
    assert len(findings) < 120  # bounded: 50 claims at most, the same disagreement once
    forged_dkim = [
        f for f in findings if "header.d=paypal.test" in f.summary and f.id.endswith("mismatch")
    ]
    assert len(forged_dkim) == 1
    claimed = [f.summary for f in findings if f.summary.startswith("evil.test")]
    assert claimed == ["evil.test (claim, not used): dkim=pass header.d=paypal.test"]


def test_one_authentication_results_field_with_thousands_of_results(
    engine: DnsEngine, generated: Generated
) -> None:
    many = "; ".join(f"dkim=pass header.d=d{n}.test" for n in range(FLOOD))
    data = sign(generated, message(extra=[f"Authentication-Results: evil.test; {many}"]))
    auth = data_of(check(engine, data), "auth-results")
    assert len(auth["results"]) == 50
    assert auth["not_read"] == [
        f"{FLOOD - 50} more results not read: only the first 50 of each "
        "Authentication-Results field are (a real one has a handful)"
    ]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            ["ARC-Seal: i=1; a=rsa-sha256; cv=none; d=list.test; s=s; b=AAAA"] * FLOOD,
            f"{FLOOD} ARC-Seal fields: more than the 50 ARC sets a chain may have "
            "(RFC 8617 §4.2.1)",
        ),
        (
            [
                "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=list.test; s=s; b=AAAA",
                "ARC-Message-Signature: i=51; a=rsa-sha256; d=list.test; s=s; h=from; bh=A; b=A",
            ],
            "ARC-Message-Signature i=51: more than the 50 ARC sets a chain may have "
            "(RFC 8617 §4.2.1)",
        ),
    ],
)
def test_arc_fields_past_the_limit_fail_unread(
    engine: DnsEngine, generated: Generated, fields: list[str], reason: str
) -> None:
    report = check(engine, sign(generated, message(extra=fields)))
    arc = data_of(report, "arc")
    assert (arc["cv"], arc["reason"], arc["instances"]) == ("fail", reason, [])
    assert [(f.id, f.status) for f in of(report, "arc")] == [("arc.chain", S.FAIL)]


def test_thousands_of_arc_authentication_results_are_capped(
    engine: DnsEngine, generated: Generated
) -> None:
    aar = ["ARC-Authentication-Results: i=1; list.test; spf=pass"] * FLOOD
    auth = data_of(check(engine, sign(generated, message(extra=aar))), "auth-results")
    assert len(auth["results"]) == 50
    assert auth["not_read"] == [
        f"{FLOOD - 50} more ARC-Authentication-Results fields not read: only the first 50 are, "
        "as receivers bound the work one message can cause (a real message has a few)"
    ]


def test_thousands_of_from_fields_are_one_short_finding(
    engine: DnsEngine, generated: Generated
) -> None:
    authors = [f"From: a{n}@flood.test" for n in range(FLOOD)]
    report = check(engine, sign(generated, message(extra=authors)))
    [author] = [f for f in of(report, "message") if f.id == "message.from"]
    assert (author.status, author.summary) == (
        S.FAIL,
        f"{FLOOD + 1} From: headers with {FLOOD + 1} addresses (alice@dkim.test, a0@flood.test, "
        f"a1@flood.test, a2@flood.test, a3@flood.test, and {FLOOD + 1 - 5} more): DMARC needs "
        "exactly one author domain",
    )


def test_thousands_of_broken_header_lines_are_counted(
    engine: DnsEngine, generated: Generated
) -> None:
    data = message().replace(b"\r\nTo:", b"\r\n" + b"not a field\r\n" * FLOOD + b"To:", 1)
    report = check(engine, data)
    broken = [f.summary for f in of(report, "message") if f.id == "message.format"]
    # the count is of fields read so far: the line after the first (From:) field
    assert broken == ["line 2 of the header is not a header field"] * 10 + [
        f"{FLOOD - 10} more header lines with problems"
    ]
