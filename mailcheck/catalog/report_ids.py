"""The report check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

READINESS = _c(
    "report.readiness",
    "Ready for the next DMARC policy step?",
    "From the aggregate reports: what the next policy step (none -> quarantine -> reject) "
    "would do to the mail receivers saw. Mail that authenticates (SPF or DKIM pass) for a "
    "domain that does not align with the From: domain is almost always yours, sent through a "
    "provider: it would be quarantined or rejected. Forwarded and wholly unauthenticated mail "
    "is what the policy is meant to stop.",
    "Fix the failing sources listed (align the Return-Path, or DKIM-sign with your domain), "
    "then tighten p= one step.",
    "RFC 9989 §7",
    "RFC 9990",
)

UNALIGNED = _c(
    "report.unaligned",
    "Unaligned volume",
    "The share of reported messages that failed DMARC (neither SPF nor DKIM passed aligned). "
    "--max-unaligned PERCENT makes it FAIL above the limit, for CI jobs.",
    "Find the sources behind it below and fix the ones that are yours.",
    "RFC 9990 §2.1",
)

FAILING_SOURCE = _c(
    "report.failing-source",
    "A source whose mail fails DMARC",
    "One sending IP (with its PTR and the PTR's organizational domain) whose messages failed "
    "DMARC, why (SPF passes but not aligned, DKIM by another domain, your DKIM failing, no "
    "authentication, signs of forwarding) and what to fix.",
    "",
    "RFC 9989 §4.4",
    "RFC 9990",
)

RECHECK = _c(
    "report.recheck",
    "The failing source against today's DNS",
    "--check-dns re-evaluates a failing source against the SPF record published now "
    "(check_host for its IP) and the DKIM keys for the selectors seen in the reports: fixed "
    "since the report, still failing, or could not determine.",
    "Publish the missing include or key, or fix the sender's configuration.",
    "RFC 7208 §4",
    "RFC 6376 §3.6.2",
)

DUPLICATE = _c(
    "report.duplicate",
    "Duplicate reports",
    "The same report (same reporter and report id) arrived more than once; it is counted once.",
    "",
    "RFC 9990 §2.1",
)

FAILURE = _c(
    "report.failure",
    "DMARC failure reports",
    "Failure reports (ARF, RFC 5965/6591) a receiver sent for single messages that failed "
    "authentication, with the original headers shown as received.",
    "Find the sender in the original headers; fix it as for aggregate failures.",
    "RFC 9991",
    "RFC 6591",
)

TLS_POLICY = _c(
    "report.tls-policy",
    "TLS report: sessions per policy",
    "SMTP TLS reports (RFC 8460) count successful and failed TLS sessions to your MX hosts per "
    "policy type: sts (MTA-STS), tlsa (DANE) or no-policy-found.",
    "Look at the failure result types below.",
    "RFC 8460 §4",
)

TLS_FAILURE = _c(
    "report.tls-failure",
    "TLS report: a failure result type",
    "One result type (starttls-not-supported, certificate-host-mismatch, certificate-expired, "
    "sts-policy-fetch-error, validation-failure ...) with the sending MTA and receiving MX; "
    "the hint names the mailcheck check that explains and re-tests it.",
    "",
    "RFC 8460 §4.3",
)

MALFORMED = _c(
    "report.malformed",
    "A report that could not be read",
    "A file, attachment or archive member that looked like a report but could not be read: "
    "damaged or truncated compression, a decompression bomb, XML with a DTD or entities, "
    "missing required fields. The run goes on without it, so conclusions may miss its data.",
    "Ask the reporter about it, or ignore it if it is not a report.",
    "RFC 9990 §2.1",
)

MAILBOX = _c(
    "report.mailbox",
    "The report mailbox (--imap)",
    "Whether the IMAP folder of reports could be read: the server reached, its certificate "
    "verified, the login and folder accepted, every message fetched. When it could not be, "
    "the reports of the other inputs are still shown and the run is inconclusive (exit 3).",
    "Check the address and port, --tls and --ca-file, and that the server answers within "
    "--timeout; the message names the step that failed.",
    "RFC 9051",
)

NO_REPORT = _c(
    "report.no-report",
    "Inputs without a report",
    "Messages or files that hold no DMARC or TLS report (a plain mail in a report mailbox).",
    "",
)
