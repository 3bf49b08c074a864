"""The dmarc check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORD = _c(
    "dmarc.record",
    "DMARC record",
    "The policy record that applies to the domain, found by the RFC 9989 DNS tree walk.",
    "",
    "RFC 9989 §4.10",
)

MISSING = _c(
    "dmarc.missing",
    "No DMARC record",
    "No DMARC record applies to the domain (none at _dmarc.<domain> or its parents). Receivers "
    "apply no policy and send no reports, and large mailbox providers require DMARC for bulk "
    "senders.",
    'Publish _dmarc.<domain> TXT "v=DMARC1; p=none; rua=mailto:..." and tighten '
    "the policy once reports look clean.",
    "RFC 9989 §4.10",
)

MULTIPLE = _c(
    "dmarc.multiple",
    "More than one DMARC record",
    'Two or more records start with "v=DMARC1" at the same name: receivers discard them all.',
    "Keep exactly one record.",
    "RFC 9989 §4.10",
)

INHERITED = _c(
    "dmarc.inherited",
    "Policy inherited",
    "The domain has no record of its own; the policy comes from its Organizational Domain or a "
    "Public Suffix Domain, through the sp=/np= tags.",
    "",
    "RFC 9989 §4.10.1",
)

ORG_DOMAIN = _c(
    "dmarc.org-domain",
    "Organizational Domain",
    "The Organizational Domain decides relaxed alignment. RFC 9989 finds it by the DNS tree walk "
    "(psd= tags); RFC 7489 receivers still use the Public Suffix List, and the two can differ.",
    "",
    "RFC 9989 §4.10.2",
    "RFC 7489 §3.2",
)

RECORD_AT_APEX = _c(
    "dmarc.record-at-apex",
    "DMARC record at the domain apex",
    "A v=DMARC1 TXT record at the domain itself has no effect; only _dmarc.<domain> is read.",
    "Move it to _dmarc.<domain>.",
    "RFC 9989 §4.10",
)

SYNTAX = _c(
    "dmarc.syntax",
    "DMARC syntax",
    "The record does not follow the DMARC tag grammar.",
    "Fix the record as the message says.",
    "RFC 9989 §4.8",
)

POLICY = _c(
    "dmarc.policy",
    "Policy (p=)",
    "p=quarantine or p=reject: receivers act on mail that fails DMARC.",
    "",
    "RFC 9989 §4.7",
)

POLICY_NONE = _c(
    "dmarc.policy-none",
    "p=none: monitoring only",
    "With p=none, mail that fails DMARC is delivered as usual; the record only asks for reports.",
    "Once reports show your legitimate mail passes, move to p=quarantine, then p=reject.",
    "RFC 9989 §4.7",
)

POLICY_INVALID = _c(
    "dmarc.policy-invalid",
    "Missing or invalid p=",
    "p= is missing or not none/quarantine/reject. Receivers treat the record as p=none when it "
    "has a valid rua= tag, and otherwise ignore it.",
    "Set p=none, p=quarantine or p=reject.",
    "RFC 9989 §4.7",
    "RFC 9989 §4.10",
)

SUBDOMAIN_POLICY = _c(
    "dmarc.subdomain-policy",
    "Subdomain policy (sp=, np=)",
    "sp= sets the policy for subdomains, np= for subdomains that do not exist. A weaker "
    "subdomain policy leaves spoofed subdomains open.",
    "Set sp= (and np=) at least as strict as p=, or remove them to inherit p=.",
    "RFC 9989 §4.7",
)

PCT = _c(
    "dmarc.pct",
    "pct= (removed)",
    "RFC 9989 removed pct=. RFC 7489 receivers apply the policy to only that share of failing "
    "mail; values outside 0-100 are invalid.",
    "Remove pct=; use t=y for testing.",
    "RFC 9989 Appendix A.6",
    "RFC 7489 §6.3",
)

TESTING = _c(
    "dmarc.testing",
    "Testing mode (t=y)",
    "t=y asks receivers not to apply the policy fully (quarantine becomes none, reject becomes "
    "quarantine).",
    "Remove t=y once you have checked the reports.",
    "RFC 9989 §4.7",
)

ALIGNMENT = _c(
    "dmarc.alignment",
    "Alignment modes (adkim=, aspf=)",
    "adkim=/aspf= choose relaxed (r, Organizational Domain match) or strict (s, exact match) "
    "alignment. Invalid values are replaced with r.",
    "Use r or s.",
    "RFC 9989 §4.7",
    "RFC 9989 §4.4",
)

PSD = _c(
    "dmarc.psd",
    "Public Suffix Domain flag (psd=)",
    "psd=y marks a public suffix operator's record; psd=n marks an Organizational Domain. They "
    "change where the tree walk stops.",
    "Use psd= only if you operate a public suffix, or to "
    "mark your Organizational Domain explicitly.",
    "RFC 9989 §4.7",
    "RFC 9989 §4.10.2",
)

FO = _c(
    "dmarc.fo",
    "Failure reporting options (fo=)",
    "fo= is a colon-separated list of 0, 1, d, s. Invalid values are replaced with 0.",
    "Use values from 0, 1, d, s.",
    "RFC 9989 §4.7",
)

REMOVED_TAG = _c(
    "dmarc.removed-tag",
    "Tag removed in RFC 9989",
    "rf= and ri= were removed in RFC 9989 and are ignored.",
    "Remove the tag.",
    "RFC 9989 Appendix A.6",
)

UNKNOWN_TAG = _c(
    "dmarc.unknown-tag",
    "Unknown tag",
    "Receivers ignore unknown tags; a typo silently loses the setting.",
    "Check the spelling against the RFC 9989 tag list.",
    "RFC 9989 §4.7",
)

NO_RUA = _c(
    "dmarc.no-rua",
    "No aggregate reports (rua=)",
    "Without rua= you receive no aggregate reports: you cannot see who sends as your domain, "
    "nor whether raising the policy is safe.",
    "Add rua=mailto:<address> (your own or a report service).",
    "RFC 9989 §4.7",
    "RFC 9990",
)

REPORT_URI = _c(
    "dmarc.report-uri",
    "Report URIs (rua=, ruf=)",
    "rua=/ruf= are comma-separated URIs; receivers are only required to support mailto:.",
    "Use mailto:address URIs.",
    "RFC 9989 §4.7",
    "RFC 9990 §2",
)

RUA_UNAUTHORIZED = _c(
    "dmarc.rua-unauthorized",
    "External report destination not authorised",
    "Reports to a domain outside your Organizational Domain are only sent when that domain "
    'publishes <your-domain>._report._dmarc.<their-domain> TXT "v=DMARC1".',
    "Ask the destination to publish the authorisation record, or change the address.",
    "RFC 9990 §4",
)

REPORT_DOMAIN_MAIL = _c(
    "dmarc.report-domain-mail",
    "Report address cannot receive mail",
    "The domain of a mailto: report address has no MX (or a null MX) and no address: reports "
    "sent there bounce.",
    "Use an address whose domain accepts mail.",
    "RFC 9990 §2",
)

RUF = _c(
    "dmarc.ruf",
    "Failure reports (ruf=)",
    "Few receivers send failure reports, and those carry message content (privacy).",
    "",
    "RFC 9991",
)

RESULT = _c(
    "dmarc.result",
    "DMARC result",
    "pass when an aligned DKIM signature or aligned SPF passes; otherwise fail, and the "
    "policy (p=, sp= or np=) says what the receiver does: none, quarantine or reject. "
    "unknown (ERROR) when no aligned DKIM signature passes and SPF could not be evaluated "
    "(no connecting IP, or no MAIL FROM or HELO): an aligned SPF pass could still make it "
    "pass.",
    "Sign with a key of the From: domain (or a subdomain, with relaxed alignment), or send "
    "from hosts its SPF record lists with a matching MAIL FROM.",
    "RFC 9989 §4.4",
    "RFC 9989 §5",
)

APPLIED = _c(
    "dmarc.applied",
    "Policy applied to the message",
    "Which policy applied, the Organizational Domain, and the alignment modes.",
    "",
    "RFC 9989 §4.4.1",
)
