"""Why a source fails DMARC: one row per situation big receivers report, with the category
and reason a postmaster should read."""

from __future__ import annotations

import pytest

from mailcheck.checks.dmarc import psl_org_domain
from mailcheck.feedback.aggregate import DkimAuth, Row, SpfAuth
from mailcheck.feedback.judge import classify


def row(
    dkim: tuple[DkimAuth, ...] = (),
    spf: tuple[SpfAuth, ...] = (),
    envelope: str = "",
    reasons: tuple[tuple[str, str], ...] = (),
) -> Row:
    return Row(
        "192.0.2.1", 1, "none", "fail", "fail", reasons, "shop.example", envelope, "", dkim, spf
    )


CASES = [
    (
        "esp-spf",
        row(spf=(SpfAuth("bounces.esp.example", "mfrom", "pass"),), envelope="bounces.esp.example"),
        "",
        "spf-unaligned",
        "SPF passes for bounces.esp.example, not aligned with shop.example; no DKIM",
    ),
    (
        "esp-dkim",
        row(
            dkim=(DkimAuth("esp.example", "s1", "pass"),),
            spf=(SpfAuth("esp.example", "mfrom", "softfail"),),
        ),
        "",
        "dkim-other-domain",
        "DKIM passes for d=esp.example, not aligned with shop.example",
    ),
    (
        "own-key-missing",
        row(dkim=(DkimAuth("shop.example", "hd", "permerror"),)),
        "",
        "dkim-broken",
        "DKIM d=shop.example s=hd: permerror",
    ),
    (
        "list-resigned",
        row(
            dkim=(DkimAuth("shop.example", "s", "fail"), DkimAuth("lists.example", "l", "pass")),
            spf=(SpfAuth("lists.example", "mfrom", "fail"),),
        ),
        "",
        "forwarded",
        "your DKIM d=shop.example s=s fail while a re-signer's passes: a forwarder or list "
        "changed the message",
    ),
    (
        "arc",
        row(reasons=(("local_policy", "arc=pass"),)),
        "",
        "forwarded",
        "the receiver says: local_policy (arc=pass)",
    ),
    (
        "forwarder-signs-as-itself",
        row(
            dkim=(DkimAuth("mail.fwd.example", "f", "pass"),),
            spf=(SpfAuth("shop.example", "mfrom", "fail"),),
            envelope="shop.example",
        ),
        "fwd.example",
        "forwarded",
        "SPF fail for shop.example at a host of fwd.example that signs as itself "
        "(d=mail.fwd.example): forwarded or re-sent by fwd.example",
    ),
    (
        "unlisted-host",
        row(spf=(SpfAuth("shop.example", "mfrom", "softfail"),), envelope="shop.example"),
        "",
        "spf-fail",
        "SPF softfail for shop.example; no DKIM",
    ),
    (
        "forger",
        row(spf=(SpfAuth("spam.invalid", "mfrom", "none"),), envelope="spam.invalid"),
        "",
        "unauthenticated",
        "no SPF or DKIM pass for any domain",
    ),
]


@pytest.mark.parametrize(
    ("source", "host_org", "category", "why"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_classify(source: Row, host_org: str, category: str, why: str) -> None:
    got = classify(source, "r", "r", psl_org_domain, host_org)
    assert got[:2] == (category, why)
    assert got[2]  # always something to do (or a reason why there is nothing to publish)


def test_strict_alignment_makes_a_subdomain_unaligned() -> None:
    source = row(spf=(SpfAuth("bounce.shop.example", "mfrom", "pass"),))
    assert classify(source, "r", "s", psl_org_domain)[0] == "spf-unaligned"
