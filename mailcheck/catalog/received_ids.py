"""The received check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

PATH = _c(
    "received.path",
    "Path",
    "The hops the message took, oldest first, from the Received: headers.",
    "",
    "RFC 5321 §4.4",
)

DELAY = _c(
    "received.delay",
    "Delay between hops",
    "A long delay between two hops: the message was queued, greylisted, or a clock is wrong.",
    "",
    "RFC 5321 §4.4",
)
