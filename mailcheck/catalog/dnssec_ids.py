"""The dnssec check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

ZONE = _c(
    "dnssec.zone",
    "DNSSEC of the domain's zone",
    "Whether the zone holding the domain is signed and its chain verifies: a DNSKEY matching "
    "the parent's DS, a valid signature over the DNSKEY set and over the domain's records. "
    "mailcheck verifies this itself with dnspython and reports whether the resolver set the "
    "AD flag.",
    "Sign the zone and publish the DS at the registrar.",
    "RFC 4033",
    "RFC 4035",
)

MX_ZONE = _c(
    "dnssec.mx-zone",
    "DNSSEC of the MX hosts' zones",
    "DANE needs the zones of the MX host names signed.",
    "",
    "RFC 7672 §2.2",
)
