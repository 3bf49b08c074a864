"""The no-mail check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

MX = _c(
    "no-mail.mx",
    "Parked domain: null MX",
    'A domain that receives no mail should publish a null MX ("0 .") so senders bounce at '
    "once instead of queueing for days.",
    "Publish MX 0 . and nothing else.",
    "RFC 7505",
)

SPF = _c(
    "no-mail.spf",
    "Parked domain: v=spf1 -all",
    'A domain that sends no mail should publish "v=spf1 -all": every sender fails SPF.',
    'Publish TXT "v=spf1 -all".',
    "RFC 7208 §10.1.2",
    "M3AAWG parked domains BCP",
)

DMARC = _c(
    "no-mail.dmarc",
    "Parked domain: DMARC reject",
    "A domain that sends no mail should publish DMARC p=reject (and sp=reject) so spoofed "
    "mail is refused.",
    'Publish _dmarc TXT "v=DMARC1; p=reject; sp=reject".',
    "RFC 9989 §4.7",
    "M3AAWG parked domains BCP",
)
