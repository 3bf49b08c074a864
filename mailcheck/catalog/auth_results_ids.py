"""The auth-results check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

MISMATCH = _c(
    "auth-results.mismatch",
    "Authentication-Results disagree",
    "The receiving server recorded a different verdict than mailcheck gets now: the message "
    "was changed after delivery, DNS changed since, or the header was added by someone else.",
    "Compare the raw message with what was delivered; trust only headers your own server added.",
    "RFC 8601 §5",
)

FORGED = _c(
    "auth-results.forged",
    "Forged or foreign authentication claim",
    "A Received-SPF header names a client-ip other than the address your own server received "
    "the message from: a sender forged it to look authenticated, or another server wrote it. "
    "It is shown, never used.",
    "Trust only headers your own server added: --trusted-hop N for its Received header, "
    "--authserv-id ID for its Authentication-Results.",
    "RFC 7208 §9.1",
    "RFC 8601 §5",
)

HEADER = _c(
    "auth-results.header",
    "Authentication-Results headers",
    "What the receiving servers recorded (RFC 8601), as parsed.",
    "",
    "RFC 8601",
)
