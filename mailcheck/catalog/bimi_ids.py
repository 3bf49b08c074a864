"""The bimi check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORD = _c(
    "bimi.record",
    "BIMI record",
    'default._bimi.<domain> TXT "v=BIMI1; l=<https SVG>; a=<https mark certificate>" names '
    "the logo mailbox providers may show.",
    "",
    "draft-brand-indicators-for-message-identification §4",
)

ELIGIBLE = _c(
    "bimi.eligible",
    "DMARC prerequisite",
    "Logos are only shown for domains with an enforcing DMARC policy (quarantine or reject, "
    "not reduced by pct= or sp=none).",
    "Tighten DMARC first.",
    "draft-brand-indicators-for-message-identification §4.1",
)

LOGO = _c(
    "bimi.logo",
    "BIMI logo",
    "The logo must be an SVG Tiny Portable/Secure file served over HTTPS (square, with a "
    "title, no scripts or external references), at most 32 KB.",
    "Export the logo as SVG Tiny PS.",
    "draft-svg-tiny-ps-abrotman",
)

EVIDENCE = _c(
    "bimi.evidence",
    "Mark certificate",
    "a= points at a Verified Mark Certificate (or Common Mark Certificate) proving the right "
    "to the logo; Gmail and Apple Mail require one.",
    "Obtain a VMC or CMC from a Mark Verifying Authority.",
    "draft-fetch-validation-vmc-wchuang",
)
