"""The policy check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

DMARC_POLICY = _c(
    "policy.dmarc-policy",
    "DMARC policy at least as strict as expected",
    "mailcheck.toml sets the weakest DMARC policy (p=) the domain may publish: none < "
    "quarantine < reject. A change that weakens it fails here.",
    "Publish the expected policy, or change the expectation on purpose.",
    "RFC 9989 §4.7",
)

SPF_LOOKUPS = _c(
    "policy.spf-lookups",
    "SPF lookup budget",
    "mailcheck.toml sets a budget under the limit of 10 DNS-querying terms (RFC 7208 §4.6.4), "
    "leaving room for providers that add lookups behind your back.",
    "Remove includes you no longer use, or replace a/mx with ip4/ip6.",
    "RFC 7208 §4.6.4",
)

SPF_INCLUDE = _c(
    "policy.spf-include",
    "Required and forbidden SPF includes",
    "mailcheck.toml lists includes the SPF tree must contain (a provider that sends for the "
    "domain) and must not contain (a provider that no longer does).",
    "Add or remove the include in the SPF record.",
    "RFC 7208 §5.2",
)

DKIM_SELECTOR = _c(
    "policy.dkim-selector",
    "Expected DKIM selectors",
    "mailcheck.toml lists selectors whose keys must be published and usable.",
    "Publish the key under the selector, or remove the expectation when the selector is retired.",
    "RFC 6376 §3.6.2",
)

DKIM_KEY_SIZE = _c(
    "policy.dkim-key-size",
    "Minimum DKIM key size",
    "mailcheck.toml sets the smallest RSA key size the domain's keys may have.",
    "Generate a larger key under a new selector and switch signing to it.",
    "RFC 8301 §3.2",
)

MX = _c(
    "policy.mx",
    "Expected MX hosts",
    "mailcheck.toml lists the MX hosts the domain must publish, no more and no fewer.",
    "Publish exactly the expected MX records, or update the expectation.",
    "RFC 5321 §5.1",
)

MTA_STS_MODE = _c(
    "policy.mta-sts-mode",
    "Expected MTA-STS mode",
    "mailcheck.toml sets the MTA-STS mode the policy must have (none, testing, enforce).",
    "Publish the policy with the expected mode.",
    "RFC 8461 §3.2",
)

NO_MAIL = _c(
    "policy.no-mail",
    "Mail or no-mail domain",
    "mailcheck.toml says whether the domain handles mail; a no-mail domain is judged by the "
    "parked-domain profile (null MX, v=spf1 -all, DMARC reject).",
    "Publish the records of the profile the expectation names.",
    "RFC 7505",
)

WAIVER_EXPIRED = _c(
    "policy.waiver-expired",
    "Expired waiver",
    "A waiver in mailcheck.toml has passed its expiry date: the finding it waived counts again.",
    "Fix the finding, or renew the waiver with a new date and a reason.",
)
