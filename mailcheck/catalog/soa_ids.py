"""The soa check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORD = _c(
    "soa.record",
    "SOA record",
    "The zone's start of authority: primary server, contact, serial and the timers secondaries "
    "and resolvers use.",
    "Every zone has exactly one SOA record at its apex.",
    "RFC 1035 §3.3.13",
)

TIMERS = _c(
    "soa.timers",
    "SOA timers in sane ranges",
    "refresh (20 min to 12 h) and retry (shorter than refresh) say how often secondaries check "
    "for changes, expire (2 to 4 weeks, longer than refresh + retry) how long they keep serving "
    "when the primary is gone, and minimum how long resolvers cache negative answers (RFC 2308: "
    "1 to 3 hours is usual, up to a day): a long negative TTL makes a newly added DKIM or "
    "MTA-STS record invisible for that long.",
    "Set the timers in the SOA record to the suggested ranges.",
    "RFC 1912 §2.2",
    "RFC 2308 §5",
)

SERIAL = _c(
    "soa.serial",
    "Every name server has the same serial",
    "With --ask-ns, each server's own SOA serial is compared: different serials mean a server "
    "serves an older version of the zone (a secondary that stopped updating, or a change still "
    "propagating).",
    "Check zone transfers to the server with the older serial; run again after a few minutes.",
    "RFC 1982",
    "RFC 1996",
)
