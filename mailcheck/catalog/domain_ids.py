"""The domain check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

EXISTS = _c(
    "domain.exists",
    "The domain exists",
    "The domain name must exist in the DNS (not NXDOMAIN) for any mail record to be found. "
    "A domain that does not exist cannot receive mail, and receivers reject mail from it.",
    "Check the spelling, or publish the zone (is the delegation at the registrar in place?).",
    "RFC 5321 §5.1",
)

IDN = _c(
    "domain.idn",
    "Internationalised domain name",
    "The name was given in Unicode and converted to its ASCII (punycode) form, which is what "
    "the DNS and SMTP use.",
    "",
    "RFC 5891",
    "RFC 6531",
)
