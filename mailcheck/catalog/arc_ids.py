"""The arc check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

CHAIN = _c(
    "arc.chain",
    "ARC chain",
    "The Authenticated Received Chain: each intermediary (list, forwarder) seals what it saw. "
    "cv=pass means every seal and the newest message signature verify.",
    "",
    "RFC 8617 §5.2",
)

INSTANCE = _c(
    "arc.instance",
    "ARC set",
    "One ARC set: its message signature, its seal, and the "
    "authentication results that hop recorded.",
    "",
    "RFC 8617 §4",
)
