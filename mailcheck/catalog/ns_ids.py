"""The ns check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORDS = _c(
    "ns.records",
    "NS records",
    "The name servers of the zone the domain belongs to (the domain's own NS records, or those "
    "of the nearest parent that has them). Every mail record is served by them.",
    "Publish NS records for the zone, and the same set at the parent (the delegation).",
    "RFC 1034 §4.2.1",
)

COUNT = _c(
    "ns.count",
    "At least two name servers",
    "A zone needs at least two name servers so that one failing does not make the domain (and "
    "its MX, SPF and DMARC records) disappear: senders then defer or bounce mail.",
    "Add a second (and third) name server, ideally run by a different operator.",
    "RFC 1034 §4.1",
    "RFC 2182 §5",
)

HOST_ADDRESS = _c(
    "ns.host-address",
    "Name server addresses",
    "Every name server host must resolve to an A or AAAA address, or resolvers cannot ask it.",
    "Publish A/AAAA records for the name server host (glue at the parent if it is in the zone).",
    "RFC 1034 §4.2.2",
)

CNAME = _c(
    "ns.cname",
    "Name server is a CNAME",
    "An NS record must name a host's canonical name, not an alias; resolvers may not follow it.",
    "Point the NS record at the canonical host name.",
    "RFC 2181 §10.3",
)

DIVERSITY = _c(
    "ns.diversity",
    "Name servers in different networks",
    "Name servers whose addresses all sit in one IPv4 /24 or one IPv6 /48 are likely behind one "
    "router or one provider: a single outage takes every one down. Judged per address family, "
    "where at least two servers have addresses of that family.",
    "Move at least one name server to another network (another provider or location).",
    "RFC 2182 §3.1",
)

AUTHORITATIVE = _c(
    "ns.authoritative",
    "Every name server answers authoritatively",
    "With --ask-ns, every address of every name server is asked for the zone's SOA directly "
    "(without recursion): it must answer with the AA (authoritative answer) bit set. A server "
    "that cannot be reached is ERROR (could not determine), never a pass. Without --ask-ns the "
    "servers are not asked (SKIP): only the resolver's view is checked.",
    "Make sure every listed server is reachable on port 53 over UDP and TCP and serves the zone.",
    "RFC 1034 §4.3.1",
    "RFC 1035 §4.1.1",
)

LAME = _c(
    "ns.lame",
    "Lame delegation",
    "A server listed as a name server of the zone that refuses questions about it, or answers "
    "without authority (no AA bit), or says the zone's apex does not exist, is lame: resolvers "
    "that pick it waste time or fail, and mail records intermittently disappear.",
    "Configure the zone on that server, or remove it from the NS records (and the parent's "
    "delegation).",
    "RFC 1912 §2.8",
    "RFC 8499 §7",
)

DELEGATION = _c(
    "ns.delegation",
    "The parent's delegation matches the zone's NS records",
    "With --ask-ns, a server of the parent zone is asked for the zone's NS records (the "
    "delegation, usually a referral). The names there and in the zone's own NS records should "
    "be the same set: resolvers use either, so a server listed only at the parent still gets "
    "queries (it is asked too, and is lame if it does not serve the zone), and one listed only "
    "in the zone is missed by resolvers that start from the parent.",
    "Make the NS records at the registrar (the parent) and in the zone the same.",
    "RFC 1034 §4.2.2",
    "RFC 2181 §5.4.1",
)

CONSISTENT = _c(
    "ns.consistent",
    "Name servers agree on the mail records",
    "With --ask-ns, the MX, SPF, DMARC and MTA-STS records are asked of every server that serves "
    "the zone. Different answers mean receivers see different policies depending on which "
    "server their resolver picks: usually a secondary that stopped taking zone transfers.",
    "Check zone transfers (NOTIFY, IXFR/AXFR) from the primary to every secondary.",
    "RFC 1996",
    "RFC 5936",
)
