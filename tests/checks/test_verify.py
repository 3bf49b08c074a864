"""`mailcheck verify` on messages signed here with dkimpy (keys published in the test zones,
served by the loopback DNS server), then altered to produce each verdict."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailcheck.messages import RawMessage
from mailcheck.model import Report, Status
from mailcheck.net.dns import DnsEngine
from mailcheck.services.verify import VerifyRequest, verify_message
from tests.dnsserver import DnsServer
from tests.mailgen import (
    BODY,
    arc_chain,
    fast_sign,
    message,
    multiprime_signer,
    received,
    sign,
    sign_without_from,
    tamper_signature,
)
from tests.zonegen import Generated

S = Status


@pytest.fixture
def engine(make_engine: Callable[..., DnsEngine]) -> DnsEngine:
    return make_engine()


def check(engine: DnsEngine, data: bytes, **request: object) -> Report:
    return verify_message(RawMessage("test.eml", data), engine, VerifyRequest(**request))  # type: ignore[arg-type]


# SPF evaluated and failing for the sender's domain: a DMARC fail stands on both identifiers
# (with SPF not evaluated, no aligned DKIM pass is DMARC "unknown", not "fail")
def spf_fails(domain: str = "dkim.test") -> dict[str, object]:
    return {"ip": "203.0.113.200", "mail_from": f"bounce@{domain}"}


def section(report: Report, family: str) -> dict:  # type: ignore[type-arg]
    return dict(next(s for s in report.sections if s.family == family).data)


def signatures(report: Report) -> list[tuple[str, str]]:
    return [(r.result, r.reason) for r in section(report, "dkim")["signatures"]]


def describe(report: Report) -> str:
    return "\n".join(f"{f.status.word} {f.id}: {f.summary}" for f in report.findings())


def test_good_rsa_signature_passes_dmarc(engine: DnsEngine, generated: Generated) -> None:
    report = check(engine, sign(generated, message()))
    assert signatures(report) == [("pass", "signature verified")]
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["dkim_aligned"]) == ("pass", ["dkim.test"])
    assert report.status is S.PASS, describe(report)


@pytest.mark.parametrize(
    "canonicalize", [(b"simple", b"simple"), (b"relaxed", b"simple"), (b"simple", b"relaxed")]
)
def test_canonicalizations(
    engine: DnsEngine, generated: Generated, canonicalize: tuple[bytes, bytes]
) -> None:
    report = check(engine, sign(generated, message(), canonicalize=canonicalize))
    assert signatures(report)[0][0] == "pass"
    row = section(report, "dkim")["signatures"][0]
    assert row.canonicalization == b"/".join(canonicalize).decode()


def test_ed25519(engine: DnsEngine, generated: Generated) -> None:
    report = check(engine, sign(generated, message(), selector="ed"))
    row = section(report, "dkim")["signatures"][0]
    assert (row.algorithm, row.key_type, row.result) == ("ed25519-sha256", "ed25519", "pass")


def test_utf8_byte_order_mark_before_the_headers_is_read_past(
    engine: DnsEngine, generated: Generated
) -> None:
    """A message saved with a UTF-8 BOM (a Windows editor) was "not an email message: no
    header fields" (exit 2), the BOM never named."""
    from mailcheck.messages import not_a_message

    data = b"\xef\xbb\xbf" + sign(generated, message())
    assert not_a_message(data) == ""
    report = check(engine, data)
    assert signatures(report) == [("pass", "signature verified")]
    notes = [f.summary for f in report.findings() if f.id == "message.format"]
    assert notes == [
        "a UTF-8 byte order mark before the first header field was skipped (an editor adds "
        "it; it is no part of a message)"
    ]
    assert report.status is S.PASS, describe(report)


def test_two_signatures_the_later_one_aligned(engine: DnsEngine, generated: Generated) -> None:
    """authheaders checks only the first signature; DMARC must use every signature."""
    esp_first = sign(
        generated,
        sign(generated, message()),
        selector="esp",
        domain="esp.test",
        key_selector="rsa2048",
    )
    report = check(engine, esp_first)
    rows = section(report, "dkim")["signatures"]
    assert [(r.domain, r.result) for r in rows] == [("esp.test", "pass"), ("dkim.test", "pass")]
    assert section(report, "dmarc")["result"] == "pass"


def test_only_unaligned_signature_fails_dmarc(engine: DnsEngine, generated: Generated) -> None:
    data = sign(
        generated,
        message(sender="alice@clean.test"),
        selector="esp",
        domain="esp.test",
        key_selector="rsa2048",
    )
    report = check(engine, data, **spf_fails("clean.test"))
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["disposition"]) == ("fail", "reject")
    [item] = [f for f in report.findings() if f.id == "dmarc.result"]
    assert item.status is S.FAIL
    assert "DKIM passes only for esp.test (not aligned with clean.test" in item.summary


def test_body_changed(engine: DnsEngine, generated: Generated) -> None:
    data = sign(generated, message()).replace(b"the report is attached", b"the invoice is attached")
    report = check(engine, data, **spf_fails())
    assert signatures(report)[0][0] == "fail"
    assert "body hash did not verify" in signatures(report)[0][1]
    row = section(report, "dkim")["signatures"][0]
    assert row.computed_bh and row.computed_bh != row.signed_bh
    [item] = [f for f in report.findings() if f.id == "dkim.signature"]
    assert "computed bh=" in item.details and "signed bh=" in item.details
    assert section(report, "dmarc")["result"] == "fail"


def test_signed_header_changed(engine: DnsEngine, generated: Generated) -> None:
    data = sign(generated, message()).replace(
        b"Subject: Quarterly report", b"Subject: Quarterly rep0rt"
    )
    assert signatures(check(engine, data))[0] == (
        "fail",
        "signature did not verify (a signed header changed, or a wrong key)",
    )


def test_added_from_header(engine: DnsEngine, generated: Generated) -> None:
    data = b"From: Mallory <mallory@evil.test>\r\n" + sign(generated, message())
    report = check(engine, data)
    froms = [f for f in report.findings() if f.id == "message.from"]
    assert froms and froms[0].status is S.FAIL and "2 From: headers" in froms[0].summary


@pytest.mark.parametrize(
    ("sender", "why"),
    [
        (
            "alice@[192.0.2.10]",
            "invalid domain '[192.0.2.10]': that is an IP address, not a domain",
        ),
        ("alice@dkim..test", "invalid domain 'dkim..test': empty label"),
    ],
)
def test_from_domain_that_is_no_domain_name(
    engine: DnsEngine, generated: Generated, sender: str, why: str
) -> None:
    """An address literal or a malformed name in From: has no policy to discover: it was
    asked of DNS label by label (_dmarc.[192.0.2.10], _dmarc.0.2.10], ..., an ERROR under
    --offline, "none" from a resolver's NXDOMAIN) instead of being said to be unusable."""
    data = sign(generated, message(sender=sender, received=[received()]))
    report = check(engine, data, queries=True)
    [author] = [f for f in report.findings() if f.id == "message.from"]
    assert (author.status, author.summary) == (
        S.FAIL,
        f"From: {sender}: {why}: DMARC cannot be applied",
    )
    assert section(report, "dmarc") == {}
    assert not [q.name for q in report.queries if q.name.startswith("_dmarc.")]
    assert report.status is S.FAIL


@pytest.mark.parametrize(
    ("mail_from", "helo", "shown"),
    [
        ("bounce@[192.0.2.10]", "mx1.clean.test", "bounce@[192.0.2.10] (HELO mx1.clean.test)"),
        ("", "[192.0.2.10]", "<> (bounce: HELO identity) (HELO [192.0.2.10])"),
    ],
)
def test_spf_identity_that_is_no_domain_name_is_none(
    engine: DnsEngine, generated: Generated, mail_from: str, helo: str, shown: str
) -> None:
    """RFC 7208 4.3: a malformed identity domain (here an address literal, the usual HELO of
    a client without a name) is SPF "none" before any lookup. pyspf asked DNS for
    "[192.0.2.10]" TXT, so a resolver's NXDOMAIN gave "none" but --offline (or a failing
    resolver) an SPF temperror, the message ERROR (exit 3); DMARC then walked the literal."""
    data = sign(generated, message())
    report = check(engine, data, ip="192.0.2.10", mail_from=mail_from, helo=helo, queries=True)
    [spf] = [f for f in report.findings() if f.id == "spf.message"]
    assert (spf.status, spf.summary) == (
        S.INFO,
        f"192.0.2.10 for {shown}: none: invalid domain '[192.0.2.10]': that is an IP "
        "address, not a domain (RFC 7208 §4.3: no SPF record can apply)",
    )
    assert not [q.name for q in report.queries if "[" in q.name or "]" in q.name]
    assert section(report, "dmarc")["result"] == "pass"  # by the aligned DKIM signature
    assert report.status is S.PASS, describe(report)


@pytest.mark.parametrize(
    ("change", "result", "reason"),
    [
        ((b"s=rsa2048", b"s=nothere"), "permerror", "no key at nothere._domainkey.dkim.test"),
        ((b"s=rsa2048", b"s=revoked"), "permerror", "key revoked"),
        ((b"s=rsa2048", b"s=broken"), "temperror", "DNS error looking up the key"),
        ((b"a=rsa-sha256", b"a=rsa-sha512"), "permerror", "unsupported algorithm a=rsa-sha512"),
        ((b"; t=", b"; x=1000000000; t="), "permerror", "signature expired"),
        ((b"s=rsa2048", b"s=ed"), "permerror", "but the key is ed25519"),
    ],
)
def test_signature_problems(
    engine: DnsEngine, generated: Generated, change: tuple[bytes, bytes], result: str, reason: str
) -> None:
    data = tamper_signature(sign(generated, message()), *change)
    got = signatures(check(engine, data))[0]
    assert got[0] == result and reason in got[1], got


@pytest.mark.parametrize(
    ("selector", "identity", "result", "reason"),
    [
        (
            "sha1only",
            b"",
            "permerror",
            "the key allows h=sha1 only, not the sha256 of a=rsa-sha256 (RFC 6376 §6.1.2)",
        ),
        (
            "service",
            b"",
            "permerror",
            "the key is for service s=tlsrpt, not email (RFC 6376 §3.6.1)",
        ),
        (
            "tsflag",
            b"@sub.dkim.test",
            "permerror",
            "the key has t=s: i= must be in d=dkim.test itself, not in sub.dkim.test "
            "(RFC 6376 §3.6.1)",
        ),
        ("tsflag", b"alice@dkim.test", "pass", "signature verified"),
    ],
)
def test_what_the_key_record_forbids(
    engine: DnsEngine,
    generated: Generated,
    selector: str,
    identity: bytes,
    result: str,
    reason: str,
) -> None:
    """RFC 6376 3.6.1 and 6.1.2: a key's h= (hashes), s= (services) and t=s (no i= in a
    subdomain) restrict the signatures it verifies. dkimpy reads none of them: these passed
    (aligned, so DMARC passed too), and s= gave "malformed: None"."""
    import dkim

    data = message()
    signature = dkim.sign(
        data,
        selector.encode(),
        b"dkim.test",
        generated.dkim_keys["rsa2048"],
        include_headers=[b"from", b"to", b"subject"],
        identity=identity or None,
    )
    report = check(engine, signature + data, **spf_fails())
    assert signatures(report) == [(result, reason)], describe(report)
    assert section(report, "dmarc")["result"] == ("pass" if result == "pass" else "fail")


def test_future_timestamp(engine: DnsEngine, generated: Generated) -> None:
    data = sign(generated, message())
    start = data.index(b"; t=") + 4
    end = data.index(b";", start)
    future = str(int(time.time()) + 86400 * 30).encode()
    data = data[:start] + future + data[end:]
    assert "timestamp (t=) is in the future" in signatures(check(engine, data))[0][1]


def test_dns_error_is_temperror_and_inconclusive(engine: DnsEngine, generated: Generated) -> None:
    data = tamper_signature(sign(generated, message()), b"s=rsa2048", b"s=broken")
    report = check(engine, data)
    [item] = [f for f in report.findings() if f.id == "dkim.signature"]
    assert item.status is S.ERROR


def test_small_key_and_sha1_are_policy(engine: DnsEngine, generated: Generated) -> None:
    small = signatures(check(engine, sign(generated, message(), selector="rsa512")))[0]
    assert small[0] == "policy" and "key too small" in small[1]
    sha1 = signatures(check(engine, sign(generated, message(), algorithm=b"rsa-sha1")))[0]
    assert sha1 == ("policy", "rsa-sha1 signatures are not accepted (RFC 8301)")


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        (
            "nonull",
            "key unusable: p= is not the DER RFC 3279 requires: rsaEncryption without NULL "
            "parameters; dkimpy- and Go-based verifiers cannot read it",
        ),
        (
            "pss",
            "key unusable: p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) "
            "signatures cannot use",
        ),
        (
            "pssnull",
            "key unusable: p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) "
            "signatures cannot use",
        ),
        (
            "padded",
            "key unusable: p= is not DER: an integer of the key has a needless leading zero "
            "byte; strict verifiers (Go, Rust, cryptography) cannot read it",
        ),
    ],
)
def test_keys_some_verifiers_refuse_are_permerrors_as_domain_says(
    engine: DnsEngine, generated: Generated, selector: str, reason: str
) -> None:
    """rsa2048's own key, published in an encoding some verifiers cannot read (dkimpy reads
    the padded and the NULL-parameter PSS ones, and the signature verifies with them): the
    same verdict and words as `mailcheck domain`, never a pass that depends on the reader."""
    data = sign(generated, message(), selector=selector, key_selector="rsa2048")
    report = check(engine, data, **spf_fails())
    assert signatures(report) == [("permerror", reason)]
    [item] = [f for f in report.findings() if f.id == "dkim.signature"]
    assert item.status is S.FAIL
    assert item.summary.endswith(f": permerror: {reason}")
    assert section(report, "dmarc")["result"] == "fail"


def test_key_over_openssl_limit_is_policy_not_dkimpys_pass(
    engine: DnsEngine, generated: Generated
) -> None:
    """A signature that dkimpy's own RSA verifies, with a key of over 17,000 bits that
    OpenSSL, and so most receivers, refuse: what receivers do (policy), as `domain` says
    dkim.key-large. dkimpy passed it."""
    data = fast_sign(
        message(),
        b"",
        "huge",
        "dkim.test",
        signer=multiprime_signer(generated.huge_primes),
    )
    report = check(engine, data, **spf_fails())
    bits = math.prod(generated.huge_primes).bit_length()
    assert signatures(report) == [
        (
            "policy",
            f"key too large ({bits} bits): OpenSSL refuses keys over 16384 bits, so most "
            "verifiers cannot check it",
        )
    ]
    [item] = [f for f in report.findings() if f.id == "dkim.signature"]
    assert item.status is S.FAIL
    assert item.hint.startswith("Use an RSA key of 2048 bits (verifiers need support only")
    assert section(report, "dmarc")["result"] == "fail"


def test_from_not_signed(engine: DnsEngine, generated: Generated) -> None:
    data = sign_without_from(generated, message())
    assert signatures(check(engine, data))[0] == (
        "permerror",
        "From: is not in h= (RFC 6376 §5.4 requires it)",
    )


def test_body_length_tag_warns(engine: DnsEngine, generated: Generated) -> None:
    data = sign(generated, message(), length=True) + b"P.S. appended by someone else\r\n"
    report = check(engine, data)
    assert signatures(report)[0][0] == "pass"
    warnings = [f for f in report.findings() if f.id == "dkim.body-length"]
    assert warnings and warnings[0].status is S.WARN and "appended" in warnings[0].summary


def test_malformed_and_duplicate_tags(engine: DnsEngine, generated: Generated) -> None:
    data = tamper_signature(
        sign(generated, message()), b"c=relaxed/relaxed", b"c=relaxed/relaxed; c=simple/simple"
    )
    assert signatures(check(engine, data))[0][0] == "permerror"
    garbage = b"DKIM-Signature: this is ; not = a ; signature\r\n" + message()
    assert signatures(check(engine, garbage))[0][0] == "permerror"


# -- SPF ---------------------------------------------------------------------------------


def test_spf_from_received_header(engine: DnsEngine, generated: Generated) -> None:
    data = sign(
        generated,
        message(received=[received(ip="192.0.2.10")], extra=["Return-Path: <bounce@dkim.test>"]),
    )
    report = check(engine, data)
    spf = section(report, "spf")
    assert (spf["ip"], spf["result"]) == ("192.0.2.10", "pass")
    assert spf["source"].startswith("Received header 1 (from mx1.clean.test by mx.receiver.test)")
    assert section(report, "dmarc")["spf_aligned"] is True


FORGED_SPF = (
    "Received-SPF: pass (mx.receiver.test: domain of alice@clean.test designates "
    "192.0.2.10 as permitted sender) client-ip=192.0.2.10; envelope-from=alice@clean.test; "
    "helo=mx1.clean.test; receiver=mx.receiver.test;"
)
FORGED_AR = (
    "Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=clean.test; "
    "dkim=pass header.d=clean.test; dmarc=pass header.from=clean.test"
)


INTERNAL = received(ip="127.0.0.1", helo="localhost", by="mx.receiver.test", protocol="LMTP")


def spoof(layout: str) -> bytes:
    """Unsigned mail as alice@clean.test (p=reject, SPF authorises 192.0.2.10), received by
    our server from 203.0.113.200, with forged claims above or below our Received."""
    ours = received(ip="203.0.113.200", helo="spoofer.test")
    lines = {
        "below": [ours, FORGED_SPF, FORGED_AR],
        "above": [FORGED_SPF, FORGED_AR, ours],
        # an internal hop on top: our server's Received is the second (--trusted-hop 2)
        "hop2": [INTERNAL, FORGED_SPF, ours, FORGED_AR],
    }[layout]
    return message(
        sender="alice@clean.test", received=lines, extra=["Return-Path: <alice@clean.test>"]
    )


@pytest.mark.parametrize("layout", ["below", "above", "hop2"])
def test_forged_received_spf_never_decides(engine: DnsEngine, layout: str) -> None:
    hop = 2 if layout == "hop2" else 1
    report = check(engine, spoof(layout), trusted_hop=hop)
    spf = section(report, "spf")
    assert (spf["ip"], spf["result"]) == ("203.0.113.200", "fail")
    assert spf["source"].startswith(f"Received header {hop} (from spoofer.test")
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["disposition"]) == ("fail", "reject")
    assert report.status is S.FAIL
    [forged] = [f for f in report.findings() if f.id == "auth-results.forged"]
    assert forged.status is S.WARN
    assert forged.summary == (
        "Received-SPF (receiver=mx.receiver.test) says pass for client-ip=192.0.2.10, but the "
        f"message came from 203.0.113.200 (Received header {hop} (from spoofer.test by "
        "mx.receiver.test)): forged, or written by a server other than yours; not used"
    )
    mismatches = [f.summary for f in report.findings() if f.id == "auth-results.mismatch"]
    claim = "Authentication-Results (mx.receiver.test, a claim: not an authserv-id you trust)"
    assert f"{claim} says spf=pass, we get fail (the header is forged, or another server " in (
        "\n".join(mismatches)
    )
    assert f"{claim} says dmarc=pass, we get fail" in mismatches
    assert any("has no signature by clean.test" in m for m in mismatches)


def test_authserv_id_makes_results_your_servers(engine: DnsEngine) -> None:
    """--authserv-id marks whose results they are; the verdict stays ours either way."""
    for layout in ("below", "above", "hop2"):
        report = check(
            engine,
            spoof(layout),
            trusted_hop=2 if layout == "hop2" else 1,
            authserv_ids=frozenset({"mx.receiver.test"}),
        )
        assert section(report, "dmarc")["result"] == "fail"
        rows = section(report, "auth-results")["results"]
        assert rows and all(r["trusted"] for r in rows)
        mismatches = [f.summary for f in report.findings() if f.id == "auth-results.mismatch"]
        assert (
            "Authentication-Results (mx.receiver.test, your server) says dmarc=pass, we get fail"
            in mismatches
        )
    other = check(engine, spoof("below"), authserv_ids=frozenset({"mx.other.test"}))
    assert not any(r["trusted"] for r in section(other, "auth-results")["results"])


def test_received_spf_alone_is_not_an_input(engine: DnsEngine) -> None:
    report = check(engine, message(received=[FORGED_SPF]))
    [item] = [f for f in report.findings() if f.id == "spf.client"]
    assert item.status is S.SKIP
    assert "Received-SPF is not trusted" in item.summary
    claims = section(report, "auth-results")["received_spf"]
    assert claims[0]["client_ip"] == "192.0.2.10" and claims[0]["result"] == "pass"
    shown = [f.summary for f in report.findings() if f.id == "auth-results.header"]
    assert any("Received-SPF: pass client-ip=192.0.2.10" in s and "claim" in s for s in shown)


def test_received_spf_agreeing_with_us_is_quiet(engine: DnsEngine) -> None:
    honest = FORGED_SPF.replace("Received-SPF: pass", "Received-SPF: fail").replace(
        "192.0.2.10", "203.0.113.200"
    )
    data = message(
        sender="alice@clean.test",
        received=[received(ip="203.0.113.200"), honest],
        extra=["Return-Path: <alice@clean.test>"],
    )
    report = check(engine, data)
    assert not [
        f for f in report.findings() if f.id.startswith("auth-results.") and f.status is S.WARN
    ]


def test_spf_override_and_trusted_hop(engine: DnsEngine) -> None:
    data = message(
        received=[received(ip="203.0.113.7", helo="relay.test"), received(ip="192.0.2.10")]
    )
    hop2 = section(check(engine, data, trusted_hop=2), "spf")
    assert hop2["ip"] == "192.0.2.10"
    forced = section(
        check(engine, data, ip="198.51.100.1", mail_from="x@esp.test", helo="out.esp.test"), "spf"
    )
    assert (forced["ip"], forced["source"], forced["result"]) == ("198.51.100.1", "--ip", "pass")


def test_no_ip_skips_spf(engine: DnsEngine) -> None:
    report = check(engine, message())
    [item] = [f for f in report.findings() if f.id == "spf.client"]
    assert item.status is S.SKIP and "--ip" in item.hint


# -- Authentication-Results, Received ----------------------------------------------------


def test_authentication_results_disagreement(engine: DnsEngine, generated: Generated) -> None:
    signed = sign(generated, message())
    header = (
        b"Authentication-Results: mx.receiver.test; dkim=pass header.d=dkim.test "
        b"header.s=rsa2048; spf=none; dmarc=pass header.from=dkim.test\r\n"
    )
    data = header + signed.replace(b"the report is attached", b"the invoice is attached")
    report = check(engine, data, **spf_fails())
    mismatches = [f.summary for f in report.findings() if f.id == "auth-results.mismatch"]
    assert any(
        "says dkim=pass header.d=dkim.test, but the signature does not verify now" in m
        for m in mismatches
    ), describe(report)
    assert any("says dmarc=pass, we get fail" in m for m in mismatches)
    listed = [f for f in report.findings() if f.id == "auth-results.header"]
    assert listed and "mx.receiver.test (claim, not used): dkim=pass header.d=dkim.test" in (
        listed[0].summary
    )


def test_received_timeline(engine: DnsEngine) -> None:
    now = time.time()
    hops = [
        received(ip="192.0.2.10", by="mx.receiver.test", when=now - 10),
        received(
            ip="198.51.100.20",
            helo="laptop",
            by="mx1.clean.test",
            when=now - 7300,
            protocol="ESMTPSA",
        ),
    ]
    report = check(engine, message(received=hops))
    rows = section(report, "received")["hops"]
    assert [r.by for r in rows] == ["mx1.clean.test", "mx.receiver.test"]
    assert rows[0].authenticated and rows[1].delay == pytest.approx(7290, abs=2)
    path = next(f for f in report.findings() if f.id == "received.path")
    assert path.summary == "2 hop(s): MUA → mx1.clean.test → mx.receiver.test"
    assert any(f.id == "received.delay" and f.status is S.WARN for f in report.findings())


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"just some text, no header at all\nsecond line\n",
        b"",
    ],
)
def test_not_a_message(engine: DnsEngine, data: bytes) -> None:
    report = check(engine, data)
    assert [f.id for f in report.findings()] == ["message.format"]
    assert report.findings().__next__().status is S.FAIL


def test_odd_but_readable_messages(engine: DnsEngine, generated: Generated) -> None:
    lf_only = sign(generated, message()).replace(b"\r\n", b"\n")
    report = check(engine, lf_only)
    assert signatures(report)[0][0] == "pass"
    assert any(f.id == "message.line-endings" for f in report.findings())
    eight_bit = sign(generated, message(body="Grüße, naïve café\r\n".encode("latin-1")))
    assert signatures(check(engine, eight_bit))[0][0] == "pass"
    bad_header = b"Subject: \xff\xfe caf\xe9\r\n" + sign(generated, message())
    assert signatures(check(engine, bad_header))[0][0] == "pass"
    no_from = message().replace(b"From: Alice <alice@dkim.test>\r\n", b"")
    report = check(engine, no_from)
    assert any(f.id == "message.from" and "no From:" in f.summary for f in report.findings())


def test_file_removed_between_listing_and_reading(engine: DnsEngine, tmp_path: Path) -> None:
    from mailcheck.messages import read_messages

    for name in ("1.eml", "2.eml", "3.eml"):
        (tmp_path / name).write_bytes(message())
    stream = read_messages([str(tmp_path)])
    first = next(stream)  # the folder is listed by now
    (tmp_path / "2.eml").unlink()
    rest = list(stream)
    assert [Path(m.source).name for m in (first, *rest)] == ["1.eml", "2.eml", "3.eml"]
    assert rest[0].error == "no such file (removed before it could be read?)"
    report = verify_message(rest[0], engine, VerifyRequest())
    assert [(f.id, f.status, f.summary) for f in report.findings()] == [
        (
            "message.read",
            S.ERROR,
            "could not read it: no such file (removed before it could be read?)",
        )
    ]


def test_no_byte_string_reprs_in_messages(engine: DnsEngine, generated: Generated) -> None:
    """dkimpy's exceptions embed b'...' reprs: the reasons show what they contain."""
    signed = sign(generated, message())
    broken_arc = (
        b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=dkim.test; s=rsa2048; b=AAAA\r\n"
        b"ARC-Message-Signature: i=1; a=rsa-sha256; d=dkim.test; s=rsa2048; h=from; "
        b"bh=AAAA; b=AAAA\r\n"
        b"ARC-Authentication-Results: i=1; mx.test; dkim=pass\r\n"
    )
    odd_tags = tamper_signature(signed, b"c=relaxed/relaxed", b"c=relaxed/odd")
    for data in (broken_arc + signed, odd_tags):
        report = check(engine, data)
        text = describe(report) + repr(dict(next(iter(report.sections)).data))
        for sec in report.sections:
            text += repr(dict(sec.data))
        assert not re.search(r"\bb'[^']*'|\bb\"[^\"]*\"", text), text


def test_body_length_beyond_the_body_is_a_permanent_failure(
    engine: DnsEngine, generated: Generated
) -> None:
    """A signer that claims more body than it signed: dkimpy hashes what there is and
    passes; RFC 6376 3.5 (and OpenDKIM) make it a permanent failure."""
    data = fast_sign(
        message(), generated.dkim_keys["rsa2048"], "rsa2048", "dkim.test", extra_tags="l=9999; "
    )
    report = check(engine, data, **spf_fails())
    [(result, reason)] = signatures(report)
    assert result == "permerror"
    assert reason == (
        f"l=9999 is larger than the body ({len(BODY)} bytes once canonicalized): the "
        "signature claims content that is not there (RFC 6376 §3.5)"
    )
    assert section(report, "dmarc")["result"] == "fail"
    assert not [f for f in report.findings() if f.id == "dkim.body-length"]
    within = fast_sign(
        message(),
        generated.dkim_keys["rsa2048"],
        "rsa2048",
        "dkim.test",
        extra_tags=f"l={len(BODY)}; ",
    )
    assert signatures(check(engine, within))[0][0] == "pass"


@pytest.mark.timeout(120)
def test_arc_chain_longer_than_50_sets_fails(engine: DnsEngine, generated: Generated) -> None:
    base = sign(generated, message())
    fifty = arc_chain(generated, base, 50)
    arc = section(check(engine, fifty), "arc")
    assert (arc["cv"], len(arc["instances"])) == ("pass", 50)
    fifty_one = arc_chain(generated, fifty, 1, first=51)
    report = check(engine, fifty_one)
    arc = section(report, "arc")
    assert arc["cv"] == "fail"
    assert arc["reason"] == (
        "51 ARC-Seal fields: more than the 50 ARC sets a chain may have (RFC 8617 §4.2.1)"
    )
    [chain] = [f for f in report.findings() if f.id == "arc.chain"]
    assert chain.status is S.FAIL


# -- advice ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ((b"s=rsa2048", b"s=nothere"), "Publish the public key at nothere._domainkey.dkim.test"),
        ((b"s=rsa2048", b"s=revoked"), "The signer revoked this key"),
        ((b"a=rsa-sha256", b"a=rsa-sha512"), "Sign with rsa-sha256 or ed25519-sha256"),
        ((b"; t=", b"; x=1000000000; t="), "lengthen x="),
        ((b"s=rsa2048", b"s=broken"), "check the DNS servers of dkim.test"),
    ],
)
def test_each_dkim_failure_has_its_hint(
    engine: DnsEngine, generated: Generated, change: tuple[bytes, bytes], hint: str
) -> None:
    data = tamper_signature(sign(generated, message()), *change)
    [item] = [f for f in check(engine, data).findings() if f.id == "dkim.signature"]
    assert hint in item.hint, item.hint


def test_hints_for_content_key_and_clock_failures(engine: DnsEngine, generated: Generated) -> None:
    def hint(data: bytes) -> str:
        return next(f.hint for f in check(engine, data).findings() if f.id == "dkim.signature")

    signed = sign(generated, message())
    assert "mailing-list footer" in hint(signed.replace(b"the report", b"the r3port"))
    assert "A signed header changed after signing" in hint(
        signed.replace(b"Quarterly report", b"Quarterly rep0rt")
    )
    assert "2048 bits" in hint(sign(generated, message(), selector="rsa512"))
    future = str(int(time.time()) + 86400 * 30).encode()
    start = signed.index(b"; t=") + 4
    ahead = signed[:start] + future + signed[signed.index(b";", start) :]
    assert "clock is ahead" in hint(ahead)
    assert "Add From to h=" in hint(sign_without_from(generated, message()))
    assert hint(signed) == ""


def test_dmarc_advice_names_what_would_pass(engine: DnsEngine, generated: Generated) -> None:
    def advice(data: bytes, **request: object) -> str:
        return next(
            f.hint for f in check(engine, data, **request).findings() if f.id == "dmarc.result"
        )

    esp_only = sign(
        generated,
        message(sender="alice@clean.test"),
        selector="esp",
        domain="esp.test",
        key_selector="rsa2048",
    )
    assert advice(esp_only, **spf_fails("esp.test")) == (
        "To pass: have the signer of d=esp.test sign with d= clean.test or a subdomain (a "
        "custom DKIM domain): that signature verifies but is not aligned; or send from a "
        "host listed in the SPF record of a MAIL FROM domain under clean.test or a subdomain "
        "(now esp.test)"
    )
    spoof = message(sender="alice@clean.test", extra=["Return-Path: <alice@clean.test>"])
    assert advice(spoof, ip="203.0.113.200") == (
        "To pass: sign with DKIM as d=clean.test; or list 203.0.113.200 in the SPF record of "
        "clean.test"
    )
    broken = sign(generated, message()).replace(b"the report", b"the r3port")
    assert advice(broken, **spf_fails("esp.test")).startswith(
        "To pass: fix signature d=dkim.test (body hash did not"
    )
    good = sign(generated, message())
    assert advice(good) == ""


def test_list_mail_with_passing_arc_says_so(engine: DnsEngine, generated: Generated) -> None:
    signed = sign(generated, message())
    footer = signed + b"-- \r\nlist footer: unsubscribe at https://lists.test/\r\n"
    data = arc_chain(generated, footer, 1)
    report = check(engine, data, **spf_fails())
    assert section(report, "dmarc")["result"] == "fail"
    assert section(report, "arc")["cv"] == "pass"
    assert "DMARC fail → reject   but ARC pass (sealed by dkim.test)" in report.data["verdict"]
    mismatches = [f.summary for f in report.findings() if f.id == "auth-results.mismatch"]
    assert not [m for m in mismatches if "arc=" in m]  # hop1 recorded arc=none before sealing
    claimed = b"Authentication-Results: mx.receiver.test; arc=fail\r\n" + data
    report = check(engine, claimed, authserv_ids=frozenset({"mx.receiver.test"}))
    mismatches = [f.summary for f in report.findings() if f.id == "auth-results.mismatch"]
    assert "Authentication-Results (mx.receiver.test, your server) says arc=fail, we get pass" in (
        mismatches
    )


@pytest.mark.parametrize(
    ("selector", "problem"),
    [
        (
            "padded",
            "p= is not DER: an integer of the key has a needless leading zero byte; strict "
            "verifiers (Go, Rust, cryptography) cannot read it",
        ),
        (
            "pssnull",
            "p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) signatures cannot use",
        ),
    ],
)
def test_arc_sealed_with_a_key_some_verifiers_refuse_fails(
    engine: DnsEngine, generated: Generated, selector: str, problem: str
) -> None:
    """dkimpy reads both keys and passed the chain; DKIM signatures with them are permerrors
    (and `domain` FAILs the records): the chain fails, saying which key and why."""
    data = arc_chain(
        generated, sign(generated, message()), 1, selector=selector, key_selector="rsa2048"
    )
    arc = section(check(engine, data, **spf_fails()), "arc")
    assert arc["cv"] == "fail"
    assert arc["reason"] == (
        "Most recent ARC-Message-Signature did not validate "
        f"(key {selector}._domainkey.dkim.test: {problem})"
    )


@pytest.fixture(scope="module")
def huge_arc(generated: Generated) -> bytes:
    """A message ARC-sealed with the key over 16384 bits: signed in pure Python (seconds),
    once, and before the engine (whose --deadline counts from its start) is made."""
    return arc_chain(generated, sign(generated, message()), 1, selector="huge")


def test_arc_sealed_with_a_key_over_openssl_limit_fails(
    huge_arc: bytes, engine: DnsEngine, generated: Generated
) -> None:
    """dkimpy's own RSA verified the seal of a key OpenSSL refuses, and passed the chain."""
    arc = section(check(engine, huge_arc, **spf_fails()), "arc")
    bits = math.prod(generated.huge_primes).bit_length()
    assert arc["cv"] == "fail"
    assert arc["reason"] == (
        "Most recent ARC-Message-Signature did not validate (key huge._domainkey.dkim.test: "
        f"key too large ({bits} bits): OpenSSL refuses keys over 16384 bits, so most "
        "verifiers cannot check it)"
    )


def test_huge_runs_keep_a_bounded_number_of_lines(
    engine: DnsEngine, generated: Generated, capsys: pytest.CaptureFixture[str]
) -> None:
    """Memory stays flat in the number of messages: past KEEP lines of a kind, the table
    says how many more there are instead of holding them."""
    from mailcheck.cli.common import Color, OutputOptions
    from mailcheck.cli.output import open_writer
    from mailcheck.cli.run_verify import Tally
    from mailcheck.model import ExitCode
    from mailcheck.render.writer import VerifyTextWriter

    good = check(engine, sign(generated, message()))
    bad = check(engine, sign(generated, message()).replace(b"the report", b"the r3port"))
    text = open_writer("verify", OutputOptions(color=Color.NEVER))
    assert isinstance(text, VerifyTextWriter)
    text.KEEP = 2
    tally = Tally()
    for report in [good] * 5 + [bad] * 3:
        tally.add(report)
        text.report(report)
    assert len(text.lines) == 4
    text.finish(ExitCode.OK, {"messages": tally.as_dict()})
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:7]] == ["PASS", "PASS", "…", "FAIL", "FAIL", "…"]
    assert out[3] == "… 3 more passing (--format jsonl lists all)"
    assert out[6] == "… 1 more not passing (--format jsonl lists all)"
    assert "Summary: 8 messages" in out


# -- DMARC levels that could not be asked ---------------------------------------------

SUB_ZONE = """$ORIGIN sub.dkim.test.
$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 1209600 300
_dmarc TXT "v=DMARC1; p=reject"
"""


@pytest.fixture(scope="module")
def failing_walk(generated: Generated, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test zones, but _dmarc.dkim.test (the Organizational Domain's record) answers
    SERVFAIL and _dmarc.mid.dkim.test (a level between a domain and its parent) never answers."""
    extra = tmp_path_factory.mktemp("subzone") / "sub.dkim.test.zone"
    extra.write_text(SUB_ZONE)
    behaviours = {"_dmarc.dkim.test.": "SERVFAIL", "_dmarc.mid.dkim.test.": "DROP"}
    zones = [*sorted(generated.directory.glob("*.zone")), extra]
    with DnsServer(zones, behaviours=behaviours) as server:
        yield server.address


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("sender", "signed", "failed"),
    [
        # own record p=reject; the parent's record would make dkim.test the Organizational
        # Domain, under which d=dkim.test aligns: "fail → reject" would be a guess
        ("alice@sub.dkim.test", True, "_dmarc.dkim.test"),
        # no own record: a record at mid.dkim.test (psd=n, say) would change the
        # Organizational Domain and the policy: neither "pass" nor "fail" can be told
        ("alice@x.mid.dkim.test", True, "_dmarc.mid.dkim.test"),
        ("alice@x.mid.dkim.test", False, "_dmarc.mid.dkim.test"),
    ],
)
def test_dmarc_level_that_failed_is_unknown_not_absent(
    make_engine: Callable[..., DnsEngine],
    generated: Generated,
    failing_walk: str,
    sender: str,
    signed: bool,
    failed: str,
) -> None:
    engine = make_engine(nameservers=(failing_walk,))
    data = message(sender=sender)
    if signed:
        data = sign(generated, data)
    report = check(engine, data)
    dmarc = section(report, "dmarc")
    assert dmarc["result"] == "temperror", describe(report)
    [result] = [f for f in report.findings() if f.id == "dmarc.result"]
    assert result.status is S.ERROR
    assert "could not determine" in result.summary and failed in result.summary
    assert report.status is S.ERROR, describe(report)


@pytest.mark.timeout(30)
def test_dmarc_verdict_that_no_failed_level_can_change_stands(
    make_engine: Callable[..., DnsEngine], failing_walk: str
) -> None:
    # unsigned, with its own p=reject record: whatever _dmarc.dkim.test holds, nothing aligns
    report = check(
        make_engine(nameservers=(failing_walk,)),
        message(sender="alice@sub.dkim.test"),
        **spf_fails(),
    )
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["disposition"]) == ("fail", "reject"), describe(report)
    assert report.status is S.FAIL


def _flood(count: int, domain: str) -> list[str]:
    return [
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s{n}; "
        "h=from:to:subject; bh=AAAA; b=AAAA"
        for n in range(count)
    ]


def _on_top(fields: list[str], data: bytes) -> bytes:
    return ("\r\n".join(fields) + "\r\n").encode() + data


@pytest.mark.timeout(120)
def test_thousands_of_dkim_signatures_are_capped(engine: DnsEngine, generated: Generated) -> None:
    """A flood of DKIM-Signature fields (forged, one selector each) costs ten key lookups and
    ten verifications, not 2,000: ten are judged, the rest are one warning."""
    flood = _flood(2000, "flood.test")
    real_first = sign(generated, message(extra=flood))
    report = check(engine, real_first, queries=True)
    rows = section(report, "dkim")["signatures"]
    assert len(rows) == 10
    assert (rows[0].domain, rows[0].result) == ("dkim.test", "pass")
    assert {(r.domain, r.result) for r in rows[1:]} == {("flood.test", "permerror")}
    assert section(report, "dkim")["not_evaluated"] == 1991
    dkim = [f for f in report.findings() if f.id == "dkim.signature"]
    assert len(dkim) == 11
    assert (dkim[-1].status, dkim[-1].summary) == (
        S.WARN,
        "1991 more DKIM-Signature fields not evaluated (d=flood.test): only 10 are checked, "
        "those by the From: domain first, as receivers limit them (RFC 6376 §6.1); not "
        "evaluated is neither pass nor fail",
    )
    assert section(report, "dmarc")["result"] == "pass"
    key_lookups = {q.name for q in report.queries if "._domainkey." in q.name}
    assert len(key_lookups) == 10
    # the flood on top cannot push the author's own signature out of the ten
    report = check(engine, _on_top(flood, sign(generated, message())), **spf_fails())
    rows = section(report, "dkim")["signatures"]
    assert [(r.index, r.domain, r.result) for r in rows] == [
        *((n, "flood.test", "permerror") for n in range(1, 10)),
        (2001, "dkim.test", "pass"),
    ]
    assert section(report, "dmarc")["result"] == "pass"


def test_aligned_signature_below_ten_foreign_ones_is_evaluated(
    engine: DnsEngine, generated: Generated
) -> None:
    """Ten signatures by another domain above the author's valid one, SPF failing: the
    author's signature was the eleventh, never evaluated, and DMARC said fail -> reject
    where a receiver checking every signature passes the message."""
    data = _on_top(_flood(10, "evil.test"), sign(generated, message()))
    report = check(engine, data, **spf_fails())
    rows = section(report, "dkim")["signatures"]
    assert (rows[-1].index, rows[-1].domain, rows[-1].result) == (11, "dkim.test", "pass")
    assert len(rows) == 10 and section(report, "dkim")["not_evaluated"] == 1
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["dkim_aligned"]) == ("pass", ["dkim.test"]), describe(report)


@pytest.mark.timeout(60)
def test_unevaluated_signature_that_could_align_is_not_a_dmarc_fail(
    engine: DnsEngine, generated: Generated
) -> None:
    """Aligned signatures beyond the limit: the ones evaluated fail, the rest are neither
    pass nor fail, so DMARC is unknown (ERROR), never fail -> reject."""
    forged = _flood(500, "dkim.test")
    report = check(engine, _on_top(forged, sign(generated, message())), **spf_fails())
    rows = section(report, "dkim")["signatures"]
    assert [(r.domain, r.result) for r in rows] == [("dkim.test", "permerror")] * 10
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["disposition"]) == ("unknown", "none"), describe(report)
    [result] = [f for f in report.findings() if f.id == "dmarc.result"]
    assert result.status is S.ERROR
    assert (
        "but 491 DKIM signatures not evaluated (by d=dkim.test) could be aligned" in result.summary
    )
    assert "DMARC unknown" in report.data["verdict"]
    # none of those left out could align (another Organizational Domain): fail stands
    report = check(engine, message(extra=_flood(11, "flood.test")), **spf_fails())
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["disposition"]) == ("fail", "reject"), describe(report)
    assert report.status is S.FAIL


@pytest.mark.parametrize(
    ("d", "s"), [("exa\x1bmple.test", "mail"), ("dkim.test", "[red]x[/red]"), ("a b.test", "s")]
)
def test_signature_naming_no_dns_name_is_a_permanent_failure(
    engine: DnsEngine, d: str, s: str
) -> None:
    """A d=/s= no DNS name can hold was asked of the DNS anyway: offline or with the lookup
    failing that was temperror (ERROR, exit 3) for a header that can never verify."""
    forged = f"DKIM-Signature: v=1; a=rsa-sha256; d={d}; s={s}; h=from; bh=AAAA; b=AAAA"
    report = check(engine, message(extra=[forged]), queries=True)
    [(result, reason)] = signatures(report)
    assert (result, reason) == (
        "permerror",
        f"s= and d= do not make a valid DNS name ({s}._domainkey.{d})",
    )
    assert not [q for q in report.queries if "_domainkey" in q.name]


def test_no_return_path_means_mail_from_unknown_not_a_bounce(engine: DnsEngine) -> None:
    """Without Return-Path (and --mail-from) SPF was evaluated for "<>" with the HELO name:
    a verdict over an envelope sender nobody told us. A written <> is a bounce."""
    hop = [received(ip="192.0.2.10", helo="mx1.clean.test")]
    unknown = check(engine, message(sender="alice@clean.test", received=hop))
    spf = [(f.status, f.summary) for f in unknown.findings() if f.id.startswith("spf.")]
    assert spf == [
        (
            S.SKIP,
            "192.0.2.10 (from Received header 1 (from mx1.clean.test by mx.receiver.test)): no "
            "identity to check: MAIL FROM is unknown: the message has no Return-Path header",
        )
    ]
    assert section(unknown, "dmarc")["result"] == "unknown"
    assert unknown.status is S.ERROR
    bounce = message(sender="alice@clean.test", received=hop, extra=["Return-Path: <>"])
    spf_data = section(check(engine, bounce), "spf")
    assert (spf_data["mail_from"], spf_data["helo"], spf_data["result"]) == (
        "",
        "mx1.clean.test",
        "none",  # evaluated, for the HELO identity (mx1.clean.test publishes no SPF)
    )


@pytest.mark.timeout(30)
def test_arc_key_lookup_failing_is_temperror_not_fail(
    make_engine: Callable[..., DnsEngine], generated: Generated
) -> None:
    """A DNS failure fetching the sealer's key leaves the chain unknown: the ARC section, the
    per-message line and the summary said cv "fail" and each signature "invalid" (dkimpy
    counts a key it could not fetch as a signature that does not validate)."""
    data = arc_chain(generated, sign(generated, message()), 1)
    with DnsServer(
        sorted(generated.directory.glob("*.zone")),
        behaviours={"rsa1024._domainkey.dkim.test.": "SERVFAIL"},
    ) as server:
        report = check(make_engine(nameservers=(server.address,)), data)
    arc = section(report, "arc")
    assert arc["cv"] == "temperror", describe(report)
    [instance] = arc["instances"]
    assert (instance["ams_valid"], instance["as_valid"]) == (None, None)
    [chain] = [f for f in report.findings() if f.id == "arc.chain"]
    assert chain.status is S.ERROR
    assert chain.summary.startswith("could not verify the chain: rsa1024._domainkey.dkim.test")
    [line] = [f.summary for f in report.findings() if f.id == "arc.instance"]
    assert line.startswith(
        "i=1: AMS d=dkim.test s=rsa1024 not verified; AS d=dkim.test not verified"
    )
    assert section(report, "dmarc")["result"] == "pass"  # the DKIM key (rsa2048) answered
    assert report.status is S.ERROR, describe(report)


@pytest.mark.parametrize(
    ("hops", "trusted_hop", "missing"),
    [
        (0, 1, "the message has no Received header"),
        (1, 3, "the message has 1 Received header, so none is number 3 (--trusted-hop)"),
        (2, 3, "the message has 2 Received headers, so none is number 3 (--trusted-hop)"),
    ],
)
def test_trusted_hop_past_the_received_headers_says_so(
    engine: DnsEngine, generated: Generated, hops: int, trusted_hop: int, missing: str
) -> None:
    """It said "Received header 3 (the one your server added) has no address" of a message
    that has no third Received header (or none at all)."""
    data = sign(generated, message(received=[received()] * hops))
    report = check(engine, data, trusted_hop=trusted_hop)
    [client] = [f for f in report.findings() if f.id == "spf.client"]
    assert (client.status, client.summary) == (
        S.SKIP,
        f"no connecting IP: {missing}, and Received-SPF is not trusted",
    )


NP_ZONE = """$ORIGIN np.test.
$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 1209600 300
_dmarc TXT "v=DMARC1; p=reject; sp=none; np=quarantine"
exists A 192.0.2.1
gone CNAME key.broken-ns.test.
"""


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("author", "result", "disposition", "tag"),
    [
        ("nosuch.np.test", "fail", "quarantine", "np"),  # NXDOMAIN: np= applies
        ("exists.np.test", "fail", "none", "sp"),
        ("gone.np.test", "temperror", "none", None),  # its MX lookup fails: np or sp unknown
    ],
)
def test_np_applies_to_a_from_domain_that_does_not_exist(
    make_engine: Callable[..., DnsEngine],
    generated: Generated,
    tmp_path: Path,
    author: str,
    result: str,
    disposition: str,
    tag: str | None,
) -> None:
    """RFC 9989 np=: the policy for non-existent subdomains, the ones a spoofer makes up.
    verify never asked whether the From: domain exists and applied sp= ("fail → none" for
    nosuch.np.test), where `mailcheck domain` applies np=."""
    zone = tmp_path / "np.test.zone"
    zone.write_text(NP_ZONE)
    zones = [*sorted(generated.directory.glob("*.zone")), zone]
    with DnsServer(zones, behaviours={"broken-ns.test.": "SERVFAIL"}) as server:
        report = check(
            make_engine(nameservers=(server.address,)),
            message(sender=f"alice@{author}"),
            **spf_fails(),
        )
    dmarc = section(report, "dmarc")
    assert (dmarc["result"], dmarc["disposition"]) == (result, disposition), describe(report)
    if tag:
        assert (dmarc["policy_tag"], dmarc["location"]) == (tag, "_dmarc.np.test")
    else:
        [finding] = [f for f in report.findings() if f.id == "dmarc.result"]
        assert finding.status is S.ERROR
        assert "whether gone.np.test exists could not be determined" in finding.summary
