"""The tls-rpt check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORD = _c(
    "tls-rpt.record",
    "TLS-RPT record",
    '_smtp._tls.<domain> TXT "v=TLSRPTv1; rua=..." asks senders for daily reports about TLS '
    "problems delivering to the domain.",
    "",
    "RFC 8460 §3",
)

MISSING = _c(
    "tls-rpt.missing",
    "No TLS reporting",
    "With MTA-STS or DANE deployed, failures make senders refuse delivery; without TLS-RPT "
    "nobody tells you.",
    'Publish _smtp._tls TXT "v=TLSRPTv1; rua=mailto:...".',
    "RFC 8460 §3",
)
