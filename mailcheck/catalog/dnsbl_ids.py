"""The dnsbl check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

SUBJECTS = _c(
    "dnsbl.subjects",
    "What the blocklists were asked about",
    "With --dnsbl, mailcheck domain asks every configured IP blocklist about the MX hosts' "
    "addresses and the single addresses in the domain's own SPF record (ip4:/ip6: terms; wider "
    "ranges are not asked: lists answer one address at a time), and every domain blocklist "
    "about the domain; mailcheck verify asks about the connecting IP. The lists come from "
    "[dnsbl] in mailcheck.toml, or the small default set (zen.spamhaus.org, bl.spamcop.net, "
    "dbl.spamhaus.org, multi.uribl.com).",
    "",
    "RFC 5782",
)

IP = _c(
    "dnsbl.ip",
    "Address on an IP blocklist",
    "The address is reversed under the list's zone (RFC 5782 §2.1: 192.0.2.10 becomes "
    "10.2.0.192.zen.spamhaus.org); an A record in 127.0.0.0/8 means listed, decoded by the "
    "list's documented return codes where known (Spamhaus ZEN: SBL, CSS, XBL, DROP, PBL). "
    "Answers in 127.255.255.0/24 mean the list refused to answer (typing error, a public or open "
    "resolver, rate limiting) and are ERROR, never 'listed'; so are DNS failures. Receivers "
    "that use the list reject or junk mail from a listed address.",
    "Find the reason on the list's lookup page, fix it (a compromised host, an open relay, "
    "missing PTR for PBL), then request delisting.",
    "RFC 5782 §2.1",
    "RFC 5782 §2.3",
)

DOMAIN = _c(
    "dnsbl.domain",
    "Domain on a domain blocklist",
    "Domain blocklists (Spamhaus DBL, URIBL, SURBL style) list domains seen in spam: the domain "
    "is asked as DOMAIN.ZONE (RFC 5782 §2.2). Listed domains get mail with them in From: or in "
    "links junked or rejected. URIBL's 127.0.0.1 and Spamhaus' 127.255.255.x mean the query was "
    "refused (ERROR).",
    "Look the domain up on the list's site for the reason; clean up, then request delisting.",
    "RFC 5782 §2.2",
)

LIST = _c(
    "dnsbl.list",
    "A blocklist that misbehaves",
    "Every list must leave its test entries unlisted (RFC 5782 §5: 127.0.0.1 for address lists, "
    "'invalid' for domain lists). A list that answers for them is dead, hijacked or refusing "
    "you: its answers about your addresses mean nothing, so they are ignored and reported as "
    "ERROR (could not determine).",
    "Remove the list from [dnsbl] in mailcheck.toml, or ask it through a resolver it accepts.",
    "RFC 5782 §5",
)
