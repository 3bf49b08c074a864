"""The mta-sts check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORD = _c(
    "mta-sts.record",
    "MTA-STS record",
    '_mta-sts.<domain> TXT "v=STSv1; id=..." tells senders a policy exists; id changes '
    "when the policy changes.",
    "",
    "RFC 8461 §3.1",
)

POLICY_FETCH = _c(
    "mta-sts.policy-fetch",
    "Policy fetch",
    "Senders fetch https://mta-sts.<domain>/.well-known/mta-sts.txt with a certificate valid "
    "for that host, following no redirects. A policy that cannot be fetched is no policy.",
    "Serve the policy over HTTPS with a valid certificate, without redirects.",
    "RFC 8461 §3.3",
)

CONTENT_TYPE = _c(
    "mta-sts.content-type",
    "Policy media type",
    "The policy must be served as text/plain.",
    "Serve it with Content-Type: text/plain.",
    "RFC 8461 §3.2",
)

POLICY_SYNTAX = _c(
    "mta-sts.policy-syntax",
    "Policy syntax",
    "version: STSv1, mode, max_age and (except for mode none) mx lines, one key: value per line.",
    "Fix the policy file as the message says.",
    "RFC 8461 §3.2",
)

MODE = _c(
    "mta-sts.mode",
    "Policy mode",
    "enforce: senders deliver only over authenticated TLS; testing: they report failures but "
    "deliver; none: the policy is withdrawn.",
    "Move from testing to enforce.",
    "RFC 8461 §5",
)

MAX_AGE = _c(
    "mta-sts.max-age",
    "Policy lifetime",
    "max_age sets how long senders cache the policy; short lifetimes leave gaps an attacker "
    "can use.",
    "Use weeks or more.",
    "RFC 8461 §3.2",
)

MX_COVERAGE = _c(
    "mta-sts.mx-coverage",
    "MX hosts covered by the policy",
    "Every MX host must match an mx: pattern, or senders in enforce mode refuse to deliver to it.",
    "Add mx: lines for every MX host.",
    "RFC 8461 §4.1",
)

MX_MATCH = _c(
    "mta-sts.mx-match",
    "MX host against the MTA-STS policy",
    "In enforce mode, senders deliver only to MX hosts listed in the policy whose certificate "
    "is valid and trusted for the host name.",
    "Fix the policy's mx lines or the certificate.",
    "RFC 8461 §4",
)
