"""The dane check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

TLSA = _c(
    "dane.tlsa",
    "TLSA records",
    "TLSA records at _25._tcp.<mx host> pin the certificate senders must see. For SMTP, "
    "3 1 1 (DANE-EE, public key, SHA-256) and 2 x 1 (DANE-TA) are the recommended forms.",
    "Publish 3 1 1 records for the current (and next) key.",
    "RFC 7672 §3",
    "RFC 7671",
)

USAGE = _c(
    "dane.usage",
    "TLSA usage for SMTP",
    "Usages 0 and 1 (PKIX-TA, PKIX-EE) are unusable for SMTP: clients ignore such records.",
    "Use usage 3 (DANE-EE) or 2 (DANE-TA).",
    "RFC 7672 §3.1.3",
)

NO_DNSSEC = _c(
    "dane.no-dnssec",
    "TLSA without DNSSEC",
    "TLSA records only count when the MX host's zone validates with DNSSEC: in an unsigned "
    "zone senders ignore them (WARN); in a zone that fails validation (bogus: expired or "
    "forged signatures) DANE senders must not deliver to the host at all (FAIL).",
    "Sign the MX host's zone (re-sign it before the signatures expire), or remove the TLSA "
    "records.",
    "RFC 7672 §2.2",
)

MATCH = _c(
    "dane.match",
    "Certificate against TLSA",
    "The presented certificate (or its issuer) must match one of the TLSA records, or DANE "
    "senders refuse to deliver. TLSA records whose DNSSEC validation fails (bogus) are a FAIL "
    "whatever they say: DANE senders defer the mail (RFC 7672 §2.2); ERROR when their "
    "DNSSEC state could not be determined.",
    "Publish TLSA records for the current key (and the next one before rolling it).",
    "RFC 7672 §3",
    "RFC 6698",
)
