"""The mx check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORDS = _c(
    "mx.records",
    "MX records",
    "MX records name the hosts that accept mail for the domain, in order of preference.",
    "Publish at least one MX record pointing at a host name with an A or AAAA record.",
    "RFC 5321 §5.1",
)

MISSING = _c(
    "mx.missing",
    "No MX records",
    "Without MX records, senders fall back to the domain's own A/AAAA address (the implicit MX). "
    "That works, but is fragile and rarely intended; a domain with neither cannot receive mail.",
    'Publish MX records, or a null MX ("0 .") if the domain receives no mail.',
    "RFC 5321 §5.1",
    "RFC 7505",
)

NULL = _c(
    "mx.null",
    "Null MX",
    'A single MX record "0 ." says the domain accepts no mail at all (RFC 7505). Senders '
    "bounce mail to it immediately instead of retrying.",
    "",
    "RFC 7505",
)

NULL_MIXED = _c(
    "mx.null-mixed",
    "Null MX mixed with other MX records",
    "A null MX must be the only MX record. Mixed with real hosts, senders cannot tell whether "
    "the domain accepts mail.",
    'Remove either the "0 ." record or the other MX records.',
    "RFC 7505 §3",
)

CNAME_TARGET = _c(
    "mx.cname-target",
    "MX target is a CNAME",
    "An MX record must point at a canonical host name, not an alias. Some MTAs refuse to "
    "deliver or loop; it also breaks name checks in TLS and DANE.",
    "Point the MX at the canonical name the CNAME leads to.",
    "RFC 2181 §10.3",
    "RFC 5321 §5.1",
)

IP_LITERAL = _c(
    "mx.ip-literal",
    "MX target is an IP address",
    "MX records must name a host, not an IP address. Senders look the text up as a host name, "
    "which fails.",
    "Create an A/AAAA record for a host name and point the MX at that name.",
    "RFC 5321 §5.1",
    "RFC 7505 §3",
)

HOST_ADDRESS = _c(
    "mx.host-address",
    "MX host addresses",
    "Each MX host must resolve to at least one A or AAAA address, or senders cannot reach it.",
    "Publish A (and AAAA) records for the MX host, or remove the MX record.",
    "RFC 5321 §5.1",
)

IPV6 = _c(
    "mx.ipv6",
    "IPv6 reachability",
    "Whether any MX host has an AAAA record. Senders on IPv6-only networks need one.",
    "Publish AAAA records for your MX hosts if they are reachable over IPv6.",
    "RFC 3596",
)

FCRDNS = _c(
    "mx.fcrdns",
    "Forward-confirmed reverse DNS",
    "The PTR name of each MX address should resolve back to the same address. Many receivers "
    "and spam filters check this for the hosts that send mail, which often are the MX hosts.",
    "Ask the owner of the address block to set a PTR record to a name whose A/AAAA record "
    "points back at the address.",
    "RFC 8601 §3",
    "RFC 1912 §2.1",
)

SINGLE = _c(
    "mx.single",
    "Only one MX host",
    "With one MX host there is no fallback while it is down; senders queue and retry, which "
    "delays mail.",
    "Consider a second MX host (a backup that can queue mail).",
    "RFC 5321 §5.1",
)

PRIVATE_ADDRESS = _c(
    "mx.private-address",
    "MX host has a non-public address",
    "An MX host resolves to a loopback, private (RFC 1918), link-local or shared address that "
    "senders on the Internet cannot reach.",
    "Publish the public address of the mail server.",
    "RFC 1918",
    "RFC 6890",
)
