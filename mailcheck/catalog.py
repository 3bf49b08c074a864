"""Every check id with its meaning, remedy and RFC references (checks and `explain` share it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailcheck.model import Finding, Location, Status


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    explain: str
    hint: str = ""
    refs: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


CHECKS: dict[str, CheckSpec] = {}

FAMILIES: dict[str, str] = {
    "domain": "The domain itself",
    "mx": "MX: where the domain receives mail",
    "ns": "Name servers: how many, in which networks, and whether each serves the zone",
    "soa": "SOA: the zone's serial and timers",
    "dnsbl": "Blocklists (DNSBL, DBL/URIBL): are the sending addresses or the domain listed",
    "spf": "SPF: which hosts may send as the domain",
    "dmarc": "DMARC: what receivers do when SPF and DKIM do not align",
    "dkim": "DKIM: the public keys that verify the domain's signatures",
    "mta-sts": "MTA-STS: require TLS for mail to the domain",
    "tls-rpt": "TLS-RPT: reports about TLS failures delivering to the domain",
    "bimi": "BIMI: the brand logo shown beside authenticated mail",
    "dnssec": "DNSSEC: signed DNS for the domain and its MX hosts",
    "dane": "DANE: TLSA records that pin the MX hosts' certificates",
    "no-mail": "Parked domains: what a domain that sends and receives no mail must publish",
    "message": "The message itself: format, author (From:), line endings",
    "arc": "ARC: the chain of seals intermediaries added (RFC 8617)",
    "auth-results": "The message's own Authentication-Results, beside our verdicts",
    "received": "The path the message took (Received: headers)",
    "smtp": "SMTP: what the server says, step by step",
    "tls": "TLS: the encryption and the certificate a server presents",
    "mailbox": "IMAP and POP3: what a mail client may do, and before TLS",
    "send": "Sending a test message: the message, its signature, and each recipient",
    "policy": "Expectations from mailcheck.toml: what this domain promised to publish",
    "regression": "Changes against a baseline (live DNS or a saved report): what got worse",
    "report": "DMARC aggregate and failure reports and TLS reports (mailcheck report)",
}


def _c(id: str, title: str, explain: str, hint: str = "", *refs: str) -> None:
    assert id not in CHECKS, id
    CHECKS[id] = CheckSpec(id, title, explain, hint, refs)


# -- domain ----------------------------------------------------------------------------
_c(
    "domain.exists",
    "The domain exists",
    "The domain name must exist in the DNS (not NXDOMAIN) for any mail record to be found. "
    "A domain that does not exist cannot receive mail, and receivers reject mail from it.",
    "Check the spelling, or publish the zone (is the delegation at the registrar in place?).",
    "RFC 5321 §5.1",
)
_c(
    "domain.idn",
    "Internationalised domain name",
    "The name was given in Unicode and converted to its ASCII (punycode) form, which is what "
    "the DNS and SMTP use.",
    "",
    "RFC 5891",
    "RFC 6531",
)

# -- NS and SOA -------------------------------------------------------------------------
_c(
    "ns.records",
    "NS records",
    "The name servers of the zone the domain belongs to (the domain's own NS records, or those "
    "of the nearest parent that has them). Every mail record is served by them.",
    "Publish NS records for the zone, and the same set at the parent (the delegation).",
    "RFC 1034 §4.2.1",
)
_c(
    "ns.count",
    "At least two name servers",
    "A zone needs at least two name servers so that one failing does not make the domain (and "
    "its MX, SPF and DMARC records) disappear: senders then defer or bounce mail.",
    "Add a second (and third) name server, ideally run by a different operator.",
    "RFC 1034 §4.1",
    "RFC 2182 §5",
)
_c(
    "ns.host-address",
    "Name server addresses",
    "Every name server host must resolve to an A or AAAA address, or resolvers cannot ask it.",
    "Publish A/AAAA records for the name server host (glue at the parent if it is in the zone).",
    "RFC 1034 §4.2.2",
)
_c(
    "ns.cname",
    "Name server is a CNAME",
    "An NS record must name a host's canonical name, not an alias; resolvers may not follow it.",
    "Point the NS record at the canonical host name.",
    "RFC 2181 §10.3",
)
_c(
    "ns.diversity",
    "Name servers in different networks",
    "Name servers whose addresses all sit in one IPv4 /24 or one IPv6 /48 are likely behind one "
    "router or one provider: a single outage takes every one down. Judged per address family, "
    "where at least two servers have addresses of that family.",
    "Move at least one name server to another network (another provider or location).",
    "RFC 2182 §3.1",
)
_c(
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
_c(
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
_c(
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
_c(
    "ns.consistent",
    "Name servers agree on the mail records",
    "With --ask-ns, the MX, SPF, DMARC and MTA-STS records are asked of every server that serves "
    "the zone. Different answers mean receivers see different policies depending on which "
    "server their resolver picks: usually a secondary that stopped taking zone transfers.",
    "Check zone transfers (NOTIFY, IXFR/AXFR) from the primary to every secondary.",
    "RFC 1996",
    "RFC 5936",
)
_c(
    "soa.record",
    "SOA record",
    "The zone's start of authority: primary server, contact, serial and the timers secondaries "
    "and resolvers use.",
    "Every zone has exactly one SOA record at its apex.",
    "RFC 1035 §3.3.13",
)
_c(
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
_c(
    "soa.serial",
    "Every name server has the same serial",
    "With --ask-ns, each server's own SOA serial is compared: different serials mean a server "
    "serves an older version of the zone (a secondary that stopped updating, or a change still "
    "propagating).",
    "Check zone transfers to the server with the older serial; run again after a few minutes.",
    "RFC 1982",
    "RFC 1996",
)

# -- DNSBL -----------------------------------------------------------------------------
_c(
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
_c(
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
_c(
    "dnsbl.domain",
    "Domain on a domain blocklist",
    "Domain blocklists (Spamhaus DBL, URIBL, SURBL style) list domains seen in spam: the domain "
    "is asked as DOMAIN.ZONE (RFC 5782 §2.2). Listed domains get mail with them in From: or in "
    "links junked or rejected. URIBL's 127.0.0.1 and Spamhaus' 127.255.255.x mean the query was "
    "refused (ERROR).",
    "Look the domain up on the list's site for the reason; clean up, then request delisting.",
    "RFC 5782 §2.2",
)
_c(
    "dnsbl.list",
    "A blocklist that misbehaves",
    "Every list must leave its test entries unlisted (RFC 5782 §5: 127.0.0.1 for address lists, "
    "'invalid' for domain lists). A list that answers for them is dead, hijacked or refusing "
    "you: its answers about your addresses mean nothing, so they are ignored and reported as "
    "ERROR (could not determine).",
    "Remove the list from [dnsbl] in mailcheck.toml, or ask it through a resolver it accepts.",
    "RFC 5782 §5",
)

# -- MX --------------------------------------------------------------------------------
_c(
    "mx.records",
    "MX records",
    "MX records name the hosts that accept mail for the domain, in order of preference.",
    "Publish at least one MX record pointing at a host name with an A or AAAA record.",
    "RFC 5321 §5.1",
)
_c(
    "mx.missing",
    "No MX records",
    "Without MX records, senders fall back to the domain's own A/AAAA address (the implicit MX). "
    "That works, but is fragile and rarely intended; a domain with neither cannot receive mail.",
    'Publish MX records, or a null MX ("0 .") if the domain receives no mail.',
    "RFC 5321 §5.1",
    "RFC 7505",
)
_c(
    "mx.null",
    "Null MX",
    'A single MX record "0 ." says the domain accepts no mail at all (RFC 7505). Senders '
    "bounce mail to it immediately instead of retrying.",
    "",
    "RFC 7505",
)
_c(
    "mx.null-mixed",
    "Null MX mixed with other MX records",
    "A null MX must be the only MX record. Mixed with real hosts, senders cannot tell whether "
    "the domain accepts mail.",
    'Remove either the "0 ." record or the other MX records.',
    "RFC 7505 §3",
)
_c(
    "mx.cname-target",
    "MX target is a CNAME",
    "An MX record must point at a canonical host name, not an alias. Some MTAs refuse to "
    "deliver or loop; it also breaks name checks in TLS and DANE.",
    "Point the MX at the canonical name the CNAME leads to.",
    "RFC 2181 §10.3",
    "RFC 5321 §5.1",
)
_c(
    "mx.ip-literal",
    "MX target is an IP address",
    "MX records must name a host, not an IP address. Senders look the text up as a host name, "
    "which fails.",
    "Create an A/AAAA record for a host name and point the MX at that name.",
    "RFC 5321 §5.1",
    "RFC 7505 §3",
)
_c(
    "mx.host-address",
    "MX host addresses",
    "Each MX host must resolve to at least one A or AAAA address, or senders cannot reach it.",
    "Publish A (and AAAA) records for the MX host, or remove the MX record.",
    "RFC 5321 §5.1",
)
_c(
    "mx.ipv6",
    "IPv6 reachability",
    "Whether any MX host has an AAAA record. Senders on IPv6-only networks need one.",
    "Publish AAAA records for your MX hosts if they are reachable over IPv6.",
    "RFC 3596",
)
_c(
    "mx.fcrdns",
    "Forward-confirmed reverse DNS",
    "The PTR name of each MX address should resolve back to the same address. Many receivers "
    "and spam filters check this for the hosts that send mail, which often are the MX hosts.",
    "Ask the owner of the address block to set a PTR record to a name whose A/AAAA record "
    "points back at the address.",
    "RFC 8601 §3",
    "RFC 1912 §2.1",
)
_c(
    "mx.single",
    "Only one MX host",
    "With one MX host there is no fallback while it is down; senders queue and retry, which "
    "delays mail.",
    "Consider a second MX host (a backup that can queue mail).",
    "RFC 5321 §5.1",
)
_c(
    "mx.private-address",
    "MX host has a non-public address",
    "An MX host resolves to a loopback, private (RFC 1918), link-local or shared address that "
    "senders on the Internet cannot reach.",
    "Publish the public address of the mail server.",
    "RFC 1918",
    "RFC 6890",
)

# -- SPF -------------------------------------------------------------------------------
_c(
    "spf.record",
    "SPF record",
    'The domain publishes exactly one SPF record (a TXT record starting with "v=spf1").',
    "",
    "RFC 7208 §4.5",
)
_c(
    "spf.missing",
    "No SPF record",
    "Without an SPF record, receivers cannot tell which hosts may send as the domain "
    '(SPF result "none"); many treat such mail with suspicion and DMARC can rely on DKIM only.',
    'Publish a TXT record "v=spf1 ... -all" listing your sending hosts, or "v=spf1 -all" if '
    "the domain sends no mail.",
    "RFC 7208 §4.5",
)
_c(
    "spf.multiple",
    "More than one SPF record",
    'Two or more TXT records start with "v=spf1": check_host() returns permerror and SPF '
    "fails for every message.",
    "Merge them into one record.",
    "RFC 7208 §4.5",
)
_c(
    "spf.syntax",
    "SPF syntax",
    "A term of the record does not follow the SPF grammar; receivers return permerror.",
    "Fix the term as the message says.",
    "RFC 7208 §12",
    "RFC 7208 §4.6",
)
_c(
    "spf.string-split",
    "Record split into strings in the wrong place",
    "TXT records longer than 255 bytes are split into strings that receivers join without "
    "spaces. A split that expects a space glues two terms together.",
    'Put the space inside a string, e.g. "v=spf1 include:a.example " "include:b.example -all".',
    "RFC 7208 §3.3",
)
_c(
    "spf.length",
    "Record size",
    "A large SPF record (or TXT RRset) may not fit a 512-byte UDP answer and need TCP, which "
    "some resolvers handle badly.",
    "Keep the record short; remove unused mechanisms.",
    "RFC 7208 §3.4",
)
_c(
    "spf.type99",
    "Deprecated SPF (type 99) record",
    "RFC 7208 removed the SPF resource record type; only TXT is used. A leftover type 99 "
    "record is ignored but easily drifts out of sync.",
    "Remove the SPF (type 99) record.",
    "RFC 7208 §3.1",
    "RFC 7208 §14.1",
)
_c(
    "spf.lookup-limit",
    "DNS lookup limit",
    "check_host() may make at most 10 DNS-querying terms (include, a, mx, ptr, exists, "
    "redirect) over the whole include tree. The 11th gives permerror, so SPF fails for all mail "
    "that gets that far. mailcheck counts the whole tree, past the limit.",
    "Flatten or drop includes you no longer use; replace a/mx with ip4/ip6 where stable.",
    "RFC 7208 §4.6.4",
)
_c(
    "spf.flatten",
    "SPF flattening proposal",
    "When the include tree makes 9 or more DNS lookups, mailcheck proposes a rewrite: the "
    "costliest includes are replaced by the ip4:/ip6: ranges they pass today (their ip4/ip6 "
    "terms and the addresses of their a/mx terms, resolved in this run), until two lookups are "
    "spare; it shows the record, the lookup count before and after, and the record cut into "
    "TXT strings (--verbose; JSON: data.flattening). Includes that depend on the sender "
    "(exists, ptr, macros) or carve exceptions (-ip4:, ~a) are kept. The cost: the ranges go "
    "stale when a provider changes them, so re-check regularly (CI with --baseline). When a "
    "lookup the proposal needs failed, no record is proposed (ERROR), never a partial one.",
    "",
    "RFC 7208 §4.6.4",
    "RFC 7208 §5.6",
)
_c(
    "spf.void-lookups",
    "Void lookups",
    "A DNS query from a mechanism that returns no records (NXDOMAIN or NODATA) is a void "
    "lookup. More than 2 give permerror.",
    "Remove mechanisms that point at names that do not exist or have no addresses.",
    "RFC 7208 §4.6.4",
)
_c(
    "spf.include-loop",
    "Include loop",
    "An include or redirect leads back to a record already being evaluated. Evaluation "
    "recurses until the lookup limit: permerror.",
    "Remove the include that closes the loop.",
    "RFC 7208 §5.2",
)
_c(
    "spf.include-missing",
    "Include or redirect target without an SPF record",
    "include: or redirect= points at a domain with no SPF record; check_host() returns permerror.",
    "Fix the domain name or remove the term.",
    "RFC 7208 §5.2",
    "RFC 7208 §6.1",
)
_c(
    "spf.all-pass",
    "+all authorises everyone",
    '"+all" (or a bare "all") passes every host on the Internet: SPF then protects nothing.',
    'End the record with "-all" (or "~all" while testing).',
    "RFC 7208 §5.1",
)
_c(
    "spf.all-neutral",
    "?all says nothing",
    '"?all" gives neutral for unlisted hosts: receivers treat it like no SPF at all.',
    'End the record with "-all" or "~all".',
    "RFC 7208 §5.1",
    "RFC 7208 §8.2",
)
_c(
    "spf.all-missing",
    'No "all" and no redirect',
    'Without "all" or redirect=, unlisted hosts get neutral (the default result): '
    "unauthorised senders are not marked.",
    'End the record with "-all" or "~all".',
    "RFC 7208 §4.7",
)
_c(
    "spf.softfail-all",
    "~all: soft fail",
    '"~all" marks unlisted hosts as softfail: most receivers accept the mail and may flag it. '
    "With DMARC at quarantine or reject, that is usually the right choice.",
    "",
    "RFC 7208 §8.5",
)
_c(
    "spf.fail-all",
    "-all: unlisted hosts fail",
    '"-all" fails every host not listed.',
    "",
    "RFC 7208 §8.4",
)
_c(
    "spf.redirect-ignored",
    'redirect= ignored because of "all"',
    'redirect= only applies when no mechanism matches; with an "all" mechanism in the record '
    "it is never used.",
    'Remove either "all" or the redirect= modifier.',
    "RFC 7208 §6.1",
)
_c(
    "spf.ptr",
    "ptr mechanism",
    "The ptr mechanism is slow, unreliable and places load on the .arpa servers; RFC 7208 says "
    "it SHOULD NOT be used.",
    "Replace ptr with ip4/ip6 or a mechanisms.",
    "RFC 7208 §5.5",
)
_c(
    "spf.exp",
    "Explanation (exp=)",
    "exp= names a TXT record whose text receivers may show in rejections.",
    "",
    "RFC 7208 §6.2",
)
_c(
    "spf.macros",
    "Macros",
    "Terms with macros (%{i}, %{d} ...) are expanded per message, so they cannot be followed "
    "without a sender; mailcheck shows them unexpanded (and evaluates them with --ip).",
    "",
    "RFC 7208 §7",
)
_c(
    "spf.mx-limit",
    "More than 10 MX hosts for an mx mechanism",
    "An mx mechanism whose domain has more than 10 MX records gives permerror.",
    "Use fewer MX records or list the addresses with ip4/ip6.",
    "RFC 7208 §4.6.4",
)
_c(
    "spf.broad-range",
    "Very broad address range",
    "An ip4/ip6 mechanism authorises a huge range of addresses (a /8 or wider for IPv4, /32 or "
    "wider for IPv6): anyone in that range can send as the domain.",
    "List only the addresses you send from.",
    "RFC 7208 §5.6",
)
_c(
    "spf.dns-error",
    "DNS error inside the SPF tree",
    "A lookup needed to evaluate the record failed (timeout, SERVFAIL, REFUSED). Receivers get "
    "temperror and usually defer the mail.",
    "Check the authoritative servers of that name.",
    "RFC 7208 §2.6.6",
)
_c(
    "spf.evaluation",
    "SPF evaluation for a sending IP",
    "check_host() run for the given IP, sender and HELO, as a receiver would.",
    "",
    "RFC 7208 §4",
    "RFC 7208 §2.6",
)

# -- DMARC -----------------------------------------------------------------------------
_c(
    "dmarc.record",
    "DMARC record",
    "The policy record that applies to the domain, found by the RFC 9989 DNS tree walk.",
    "",
    "RFC 9989 §4.10",
)
_c(
    "dmarc.missing",
    "No DMARC record",
    "No DMARC record applies to the domain (none at _dmarc.<domain> or its parents). Receivers "
    "apply no policy and send no reports, and large mailbox providers require DMARC for bulk "
    "senders.",
    'Publish _dmarc.<domain> TXT "v=DMARC1; p=none; rua=mailto:..." and tighten '
    "the policy once reports look clean.",
    "RFC 9989 §4.10",
)
_c(
    "dmarc.multiple",
    "More than one DMARC record",
    'Two or more records start with "v=DMARC1" at the same name: receivers discard them all.',
    "Keep exactly one record.",
    "RFC 9989 §4.10",
)
_c(
    "dmarc.inherited",
    "Policy inherited",
    "The domain has no record of its own; the policy comes from its Organizational Domain or a "
    "Public Suffix Domain, through the sp=/np= tags.",
    "",
    "RFC 9989 §4.10.1",
)
_c(
    "dmarc.org-domain",
    "Organizational Domain",
    "The Organizational Domain decides relaxed alignment. RFC 9989 finds it by the DNS tree walk "
    "(psd= tags); RFC 7489 receivers still use the Public Suffix List, and the two can differ.",
    "",
    "RFC 9989 §4.10.2",
    "RFC 7489 §3.2",
)
_c(
    "dmarc.record-at-apex",
    "DMARC record at the domain apex",
    "A v=DMARC1 TXT record at the domain itself has no effect; only _dmarc.<domain> is read.",
    "Move it to _dmarc.<domain>.",
    "RFC 9989 §4.10",
)
_c(
    "dmarc.syntax",
    "DMARC syntax",
    "The record does not follow the DMARC tag grammar.",
    "Fix the record as the message says.",
    "RFC 9989 §4.8",
)
_c(
    "dmarc.policy",
    "Policy (p=)",
    "p=quarantine or p=reject: receivers act on mail that fails DMARC.",
    "",
    "RFC 9989 §4.7",
)
_c(
    "dmarc.policy-none",
    "p=none: monitoring only",
    "With p=none, mail that fails DMARC is delivered as usual; the record only asks for reports.",
    "Once reports show your legitimate mail passes, move to p=quarantine, then p=reject.",
    "RFC 9989 §4.7",
)
_c(
    "dmarc.policy-invalid",
    "Missing or invalid p=",
    "p= is missing or not none/quarantine/reject. Receivers treat the record as p=none when it "
    "has a valid rua= tag, and otherwise ignore it.",
    "Set p=none, p=quarantine or p=reject.",
    "RFC 9989 §4.7",
    "RFC 9989 §4.10",
)
_c(
    "dmarc.subdomain-policy",
    "Subdomain policy (sp=, np=)",
    "sp= sets the policy for subdomains, np= for subdomains that do not exist. A weaker "
    "subdomain policy leaves spoofed subdomains open.",
    "Set sp= (and np=) at least as strict as p=, or remove them to inherit p=.",
    "RFC 9989 §4.7",
)
_c(
    "dmarc.pct",
    "pct= (removed)",
    "RFC 9989 removed pct=. RFC 7489 receivers apply the policy to only that share of failing "
    "mail; values outside 0-100 are invalid.",
    "Remove pct=; use t=y for testing.",
    "RFC 9989 Appendix A.6",
    "RFC 7489 §6.3",
)
_c(
    "dmarc.testing",
    "Testing mode (t=y)",
    "t=y asks receivers not to apply the policy fully (quarantine becomes none, reject becomes "
    "quarantine).",
    "Remove t=y once you have checked the reports.",
    "RFC 9989 §4.7",
)
_c(
    "dmarc.alignment",
    "Alignment modes (adkim=, aspf=)",
    "adkim=/aspf= choose relaxed (r, Organizational Domain match) or strict (s, exact match) "
    "alignment. Invalid values are replaced with r.",
    "Use r or s.",
    "RFC 9989 §4.7",
    "RFC 9989 §4.4",
)
_c(
    "dmarc.psd",
    "Public Suffix Domain flag (psd=)",
    "psd=y marks a public suffix operator's record; psd=n marks an Organizational Domain. They "
    "change where the tree walk stops.",
    "Use psd= only if you operate a public suffix, or to "
    "mark your Organizational Domain explicitly.",
    "RFC 9989 §4.7",
    "RFC 9989 §4.10.2",
)
_c(
    "dmarc.fo",
    "Failure reporting options (fo=)",
    "fo= is a colon-separated list of 0, 1, d, s. Invalid values are replaced with 0.",
    "Use values from 0, 1, d, s.",
    "RFC 9989 §4.7",
)
_c(
    "dmarc.removed-tag",
    "Tag removed in RFC 9989",
    "rf= and ri= were removed in RFC 9989 and are ignored.",
    "Remove the tag.",
    "RFC 9989 Appendix A.6",
)
_c(
    "dmarc.unknown-tag",
    "Unknown tag",
    "Receivers ignore unknown tags; a typo silently loses the setting.",
    "Check the spelling against the RFC 9989 tag list.",
    "RFC 9989 §4.7",
)
_c(
    "dmarc.no-rua",
    "No aggregate reports (rua=)",
    "Without rua= you receive no aggregate reports: you cannot see who sends as your domain, "
    "nor whether raising the policy is safe.",
    "Add rua=mailto:<address> (your own or a report service).",
    "RFC 9989 §4.7",
    "RFC 9990",
)
_c(
    "dmarc.report-uri",
    "Report URIs (rua=, ruf=)",
    "rua=/ruf= are comma-separated URIs; receivers are only required to support mailto:.",
    "Use mailto:address URIs.",
    "RFC 9989 §4.7",
    "RFC 9990 §2",
)
_c(
    "dmarc.rua-unauthorized",
    "External report destination not authorised",
    "Reports to a domain outside your Organizational Domain are only sent when that domain "
    'publishes <your-domain>._report._dmarc.<their-domain> TXT "v=DMARC1".',
    "Ask the destination to publish the authorisation record, or change the address.",
    "RFC 9990 §4",
)
_c(
    "dmarc.report-domain-mail",
    "Report address cannot receive mail",
    "The domain of a mailto: report address has no MX (or a null MX) and no address: reports "
    "sent there bounce.",
    "Use an address whose domain accepts mail.",
    "RFC 9990 §2",
)
_c(
    "dmarc.ruf",
    "Failure reports (ruf=)",
    "Few receivers send failure reports, and those carry message content (privacy).",
    "",
    "RFC 9991",
)

# -- DKIM ------------------------------------------------------------------------------
_c(
    "dkim.selectors",
    "Selector discovery",
    "Without --selector, mailcheck probes the selectors large providers and ESPs use. DKIM "
    "keys live at names only the sender knows, so discovery can show keys but never prove "
    "that none exist.",
    "",
    "RFC 6376 §3.6.2.1",
)
_c(
    "dkim.key-missing",
    "Named selector without a key",
    "The selector given with --selector has no key record: signatures that use it fail "
    "(permerror, no key for signature).",
    "Publish the key at <selector>._domainkey.<domain>.",
    "RFC 6376 §6.1.2",
)
_c(
    "dkim.key",
    "DKIM key",
    "A usable key: RSA of 2048 bits or more, or Ed25519.",
    "",
    "RFC 8301 §3.2",
    "RFC 8463",
)
_c(
    "dkim.key-weak",
    "Weak RSA key",
    "RSA keys under 1024 bits must be rejected by verifiers; 1024-bit keys are accepted but "
    "breakable, so RFC 8301 asks for at least 2048 bits.",
    "Generate a 2048-bit key, publish it under a new selector, then switch signing to it.",
    "RFC 8301 §3.2",
)
_c(
    "dkim.key-invalid",
    "Key that cannot be used",
    "The p= data is not valid base64, not a public key, or of an unknown type. A common cause "
    "is a key record cut at 255 bytes instead of being split into several strings.",
    "Publish the whole key; split long records into strings of at most 255 bytes.",
    "RFC 6376 §3.6.1",
)
_c(
    "dkim.syntax",
    "Key record syntax",
    "The key record does not follow the tag=value grammar, or v= is not DKIM1 first.",
    "Fix the record as the message says.",
    "RFC 6376 §3.6.1",
)
_c(
    "dkim.revoked",
    "Revoked key",
    "An empty p= revokes the key: signatures with it fail.",
    "",
    "RFC 6376 §3.6.1",
)
_c(
    "dkim.testing",
    "Testing flag (t=y)",
    "t=y tells verifiers the domain is testing DKIM: they should not treat failures "
    "differently from unsigned mail.",
    "Remove t=y once signing works.",
    "RFC 6376 §3.6.1",
)
_c(
    "dkim.hash-sha1",
    "SHA-1 only",
    "h= limits the key to SHA-1, which RFC 8301 forbids verifiers to accept.",
    "Remove h= or set h=sha256.",
    "RFC 8301 §3.1",
)
_c(
    "dkim.service",
    "Service type excludes email",
    "s= lists the services the key may be used for; without * or email, mail signatures fail.",
    "Remove s= or include email.",
    "RFC 6376 §3.6.1",
)
_c(
    "dkim.cname",
    "Selector delegated by CNAME",
    "The selector is a CNAME to a record the provider manages (common with ESPs).",
    "",
    "RFC 6376 §3.6.2.2",
)
_c(
    "dkim.multiple",
    "Several key records at one selector",
    "A selector with more than one key record gives undefined results.",
    "Keep one record.",
    "RFC 6376 §3.6.2.2",
)
_c(
    "dkim.ed25519-only",
    "Only Ed25519 keys",
    "Ed25519 (RFC 8463) is not verified everywhere yet; RFC 8463 expects signers to add an RSA "
    "signature as well.",
    "Sign with both an RSA and an Ed25519 key.",
    "RFC 8463 §1",
)

# -- MTA-STS ---------------------------------------------------------------------------
_c(
    "mta-sts.record",
    "MTA-STS record",
    '_mta-sts.<domain> TXT "v=STSv1; id=..." tells senders a policy exists; id changes '
    "when the policy changes.",
    "",
    "RFC 8461 §3.1",
)
_c(
    "mta-sts.policy-fetch",
    "Policy fetch",
    "Senders fetch https://mta-sts.<domain>/.well-known/mta-sts.txt with a certificate valid "
    "for that host, following no redirects. A policy that cannot be fetched is no policy.",
    "Serve the policy over HTTPS with a valid certificate, without redirects.",
    "RFC 8461 §3.3",
)
_c(
    "mta-sts.content-type",
    "Policy media type",
    "The policy must be served as text/plain.",
    "Serve it with Content-Type: text/plain.",
    "RFC 8461 §3.2",
)
_c(
    "mta-sts.policy-syntax",
    "Policy syntax",
    "version: STSv1, mode, max_age and (except for mode none) mx lines, one key: value per line.",
    "Fix the policy file as the message says.",
    "RFC 8461 §3.2",
)
_c(
    "mta-sts.mode",
    "Policy mode",
    "enforce: senders deliver only over authenticated TLS; testing: they report failures but "
    "deliver; none: the policy is withdrawn.",
    "Move from testing to enforce.",
    "RFC 8461 §5",
)
_c(
    "mta-sts.max-age",
    "Policy lifetime",
    "max_age sets how long senders cache the policy; short lifetimes leave gaps an attacker "
    "can use.",
    "Use weeks or more.",
    "RFC 8461 §3.2",
)
_c(
    "mta-sts.mx-coverage",
    "MX hosts covered by the policy",
    "Every MX host must match an mx: pattern, or senders in enforce mode refuse to deliver to it.",
    "Add mx: lines for every MX host.",
    "RFC 8461 §4.1",
)

# -- TLS-RPT ---------------------------------------------------------------------------
_c(
    "tls-rpt.record",
    "TLS-RPT record",
    '_smtp._tls.<domain> TXT "v=TLSRPTv1; rua=..." asks senders for daily reports about TLS '
    "problems delivering to the domain.",
    "",
    "RFC 8460 §3",
)
_c(
    "tls-rpt.missing",
    "No TLS reporting",
    "With MTA-STS or DANE deployed, failures make senders refuse delivery; without TLS-RPT "
    "nobody tells you.",
    'Publish _smtp._tls TXT "v=TLSRPTv1; rua=mailto:...".',
    "RFC 8460 §3",
)

# -- BIMI ------------------------------------------------------------------------------
_c(
    "bimi.record",
    "BIMI record",
    'default._bimi.<domain> TXT "v=BIMI1; l=<https SVG>; a=<https mark certificate>" names '
    "the logo mailbox providers may show.",
    "",
    "draft-brand-indicators-for-message-identification §4",
)
_c(
    "bimi.eligible",
    "DMARC prerequisite",
    "Logos are only shown for domains with an enforcing DMARC policy (quarantine or reject, "
    "not reduced by pct= or sp=none).",
    "Tighten DMARC first.",
    "draft-brand-indicators-for-message-identification §4.1",
)
_c(
    "bimi.logo",
    "BIMI logo",
    "The logo must be an SVG Tiny Portable/Secure file served over HTTPS (square, with a "
    "title, no scripts or external references), at most 32 KB.",
    "Export the logo as SVG Tiny PS.",
    "draft-svg-tiny-ps-abrotman",
)
_c(
    "bimi.evidence",
    "Mark certificate",
    "a= points at a Verified Mark Certificate (or Common Mark Certificate) proving the right "
    "to the logo; Gmail and Apple Mail require one.",
    "Obtain a VMC or CMC from a Mark Verifying Authority.",
    "draft-fetch-validation-vmc-wchuang",
)

# -- DNSSEC / DANE ---------------------------------------------------------------------
_c(
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
_c(
    "dnssec.mx-zone",
    "DNSSEC of the MX hosts' zones",
    "DANE needs the zones of the MX host names signed.",
    "",
    "RFC 7672 §2.2",
)
_c(
    "dane.tlsa",
    "TLSA records",
    "TLSA records at _25._tcp.<mx host> pin the certificate senders must see. For SMTP, "
    "3 1 1 (DANE-EE, public key, SHA-256) and 2 x 1 (DANE-TA) are the recommended forms.",
    "Publish 3 1 1 records for the current (and next) key.",
    "RFC 7672 §3",
    "RFC 7671",
)
_c(
    "dane.usage",
    "TLSA usage for SMTP",
    "Usages 0 and 1 (PKIX-TA, PKIX-EE) are unusable for SMTP: clients ignore such records.",
    "Use usage 3 (DANE-EE) or 2 (DANE-TA).",
    "RFC 7672 §3.1.3",
)
_c(
    "dane.no-dnssec",
    "TLSA without DNSSEC",
    "TLSA records only count when the MX host's zone validates with DNSSEC.",
    "Sign the MX host's zone, or remove the TLSA records.",
    "RFC 7672 §2.2",
)

# -- no-mail profile -------------------------------------------------------------------
_c(
    "no-mail.mx",
    "Parked domain: null MX",
    'A domain that receives no mail should publish a null MX ("0 .") so senders bounce at '
    "once instead of queueing for days.",
    "Publish MX 0 . and nothing else.",
    "RFC 7505",
)
_c(
    "no-mail.spf",
    "Parked domain: v=spf1 -all",
    'A domain that sends no mail should publish "v=spf1 -all": every sender fails SPF.',
    'Publish TXT "v=spf1 -all".',
    "RFC 7208 §10.1.2",
    "M3AAWG parked domains BCP",
)
_c(
    "no-mail.dmarc",
    "Parked domain: DMARC reject",
    "A domain that sends no mail should publish DMARC p=reject (and sp=reject) so spoofed "
    "mail is refused.",
    'Publish _dmarc TXT "v=DMARC1; p=reject; sp=reject".',
    "RFC 9989 §4.7",
    "M3AAWG parked domains BCP",
)

# -- verify: one message ----------------------------------------------------------------
_c(
    "message.format",
    "Message format",
    "The input must be an RFC 5322 message: header fields, an empty line, the body.",
    "Give the raw message (.eml, as received, with all headers).",
    "RFC 5322 §2.1",
)
_c(
    "message.read",
    "Reading the message",
    "The message could not be read (permission denied, a dangling link, a named pipe or a "
    "directory where a message file should be, a file removed during the run): nothing about "
    "it can be determined. The other messages of the run are still verified.",
    "Check the file's permissions and type.",
)
_c(
    "message.too-large",
    "Message too large",
    "The message, or its header section, is larger than mailcheck reads: rather than judge "
    "part of it (a header cut off looks like a missing From:), it is not evaluated.",
    "Verify the message with a smaller header section, or check it on the receiving server.",
    "RFC 5322 §2.1.1",
)
_c(
    "message.from",
    "Author (From:)",
    "DMARC needs exactly one From: header with exactly one address; receivers reject messages "
    "with none or several.",
    "Send with exactly one From: address.",
    "RFC 9989 §4.7",
    "RFC 5322 §3.6",
)
_c(
    "message.line-endings",
    "Line endings",
    "Messages travel with CRLF line ends; a file with LF only is read as a receiving server "
    "would read it (each LF as CRLF) before verifying signatures.",
    "",
    "RFC 5322 §2.1",
)
_c(
    "dkim.signature",
    "DKIM signature",
    "Each DKIM-Signature verified on its own: pass, fail (the body or a signed header "
    "changed), permerror (no key, revoked key, malformed or expired signature), temperror "
    "(DNS error fetching the key), policy (valid, but not acceptable: rsa-sha1, small key).",
    "Look at the reason: a changed body means something rewrote the message after signing.",
    "RFC 6376 §6",
    "RFC 8601 §2.7.1",
    "RFC 8301",
)
_c(
    "dkim.body-length",
    "Body length limit (l=)",
    "l= signs only the first part of the body: anyone can append content (a different link, "
    "an attachment) and the signature still verifies.",
    "Sign without l=.",
    "RFC 6376 §8.2",
)
_c(
    "dkim.unsigned",
    "No DKIM signature",
    "The message carries no DKIM-Signature; DMARC can then only pass through aligned SPF, "
    "which forwarding breaks.",
    "Sign outgoing mail with DKIM.",
    "RFC 6376",
)
_c(
    "arc.chain",
    "ARC chain",
    "The Authenticated Received Chain: each intermediary (list, forwarder) seals what it saw. "
    "cv=pass means every seal and the newest message signature verify.",
    "",
    "RFC 8617 §5.2",
)
_c(
    "arc.instance",
    "ARC set",
    "One ARC set: its message signature, its seal, and the "
    "authentication results that hop recorded.",
    "",
    "RFC 8617 §4",
)
_c(
    "spf.message",
    "SPF for the message",
    "check_host() for the connecting IP, HELO and MAIL FROM the message's headers show "
    "(or the options give).",
    "Add the sending host to the sender's SPF record if it is theirs.",
    "RFC 7208 §4",
)
_c(
    "spf.client",
    "Where the sending IP came from",
    "SPF needs the IP that connected to the receiving server: from --ip, or the Received "
    "header your own receiving server added (the topmost, or --trusted-hop N). Received-SPF "
    "and Authentication-Results are claims anyone can write: shown, never used.",
    "",
    "RFC 7208 §9.1",
    "RFC 5321 §4.4",
)
_c(
    "dmarc.result",
    "DMARC result",
    "pass when an aligned DKIM signature or aligned SPF passes; otherwise fail, and the "
    "policy (p=, sp= or np=) says what the receiver does: none, quarantine or reject.",
    "Sign with a key of the From: domain (or a subdomain, with relaxed alignment), or send "
    "from hosts its SPF record lists with a matching MAIL FROM.",
    "RFC 9989 §4.4",
    "RFC 9989 §5",
)
_c(
    "dmarc.applied",
    "Policy applied to the message",
    "Which policy applied, the Organizational Domain, and the alignment modes.",
    "",
    "RFC 9989 §4.4.1",
)
_c(
    "auth-results.mismatch",
    "Authentication-Results disagree",
    "The receiving server recorded a different verdict than mailcheck gets now: the message "
    "was changed after delivery, DNS changed since, or the header was added by someone else.",
    "Compare the raw message with what was delivered; trust only headers your own server added.",
    "RFC 8601 §5",
)
_c(
    "auth-results.forged",
    "Forged or foreign authentication claim",
    "A Received-SPF header names a client-ip other than the address your own server received "
    "the message from: a sender forged it to look authenticated, or another server wrote it. "
    "It is shown, never used.",
    "Trust only headers your own server added: --trusted-hop N for its Received header, "
    "--authserv-id ID for its Authentication-Results.",
    "RFC 7208 §9.1",
    "RFC 8601 §5",
)
_c(
    "auth-results.header",
    "Authentication-Results headers",
    "What the receiving servers recorded (RFC 8601), as parsed.",
    "",
    "RFC 8601",
)
_c(
    "received.path",
    "Path",
    "The hops the message took, oldest first, from the Received: headers.",
    "",
    "RFC 5321 §4.4",
)
_c(
    "received.delay",
    "Delay between hops",
    "A long delay between two hops: the message was queued, greylisted, or a clock is wrong.",
    "",
    "RFC 5321 §4.4",
)

# -- trace: a live conversation ---------------------------------------------------------
_c(
    "smtp.connect",
    "Connection",
    "Whether a TCP connection to the server could be opened (the address actually used).",
    "Check the address, firewalls (port 25 is often blocked), and that the service runs.",
    "RFC 5321 §3.1",
)
_c(
    "smtp.banner",
    "Greeting",
    "The first reply: 220 means the server serves you; 421 or 554 at connect means it refuses "
    "(busy, blocklisted, or your address is not welcome).",
    "Read the text: it usually names the reason or a blocklist.",
    "RFC 5321 §3.1",
    "RFC 5321 §4.2",
)
_c(
    "smtp.ehlo",
    "EHLO",
    "Modern clients start with EHLO to learn the server's extensions; a server that only takes "
    "HELO offers none (no STARTTLS, no SIZE).",
    "Enable ESMTP on the server.",
    "RFC 5321 §4.1.1.1",
)
_c(
    "smtp.extensions",
    "Extensions",
    "The ESMTP extensions the server offers, explained.",
    "",
    "RFC 5321 §2.2",
)
_c(
    "smtp.auth-plaintext",
    "AUTH before TLS",
    "The server offers PLAIN or LOGIN authentication on an unencrypted connection: a client "
    "that uses it sends the password in clear.",
    "Offer AUTH only after STARTTLS (Postfix: smtpd_tls_auth_only = yes).",
    "RFC 4954 §4",
    "RFC 8314 §3",
)
_c(
    "smtp.banner-name",
    "Host names agree",
    "The banner's host name, the EHLO greeting's and the address's PTR should agree; "
    "receivers and reputation systems compare them.",
    "Make the banner name the server's canonical name, with matching PTR and A records.",
    "RFC 5321 §4.1.3",
)
_c(
    "smtp.slow",
    "Slow replies",
    "A reply that takes seconds: a tarpit (deliberate delay), an overloaded server, or slow "
    "DNS lookups on the server side.",
    "Look at the server's DNS and load.",
    "RFC 5321 §4.5.3.2",
)
_c(
    "smtp.mail",
    "MAIL FROM probe",
    "How the server answers MAIL FROM for the given sender.",
    "",
    "RFC 5321 §3.3",
)
_c(
    "smtp.rcpt",
    "RCPT TO probe",
    "How the server answers RCPT TO (no message is sent: the probe resets and quits). A 4xx "
    "is usually greylisting: real senders retry later.",
    "",
    "RFC 5321 §3.3",
    "RFC 6647",
)
_c(
    "smtp.protocol",
    "Protocol errors",
    "The server broke the conversation: closed it, sent something that is not a reply, a "
    "line or reply without end.",
    "Look at the transcript: the last lines show where.",
    "RFC 5321 §4.2",
)
_c(
    "tls.starttls",
    "STARTTLS",
    "Whether TLS was negotiated (STARTTLS or implicit TLS). Without it, messages and "
    "passwords travel in clear.",
    "Enable STARTTLS with a certificate for the host name.",
    "RFC 3207",
    "RFC 8314",
)
_c(
    "tls.version",
    "TLS version",
    "TLS 1.0 and 1.1 are deprecated (RFC 8996).",
    "Allow TLS 1.2 and 1.3 only.",
    "RFC 8996",
)
_c(
    "tls.certificate",
    "Certificate trust",
    "Whether the presented chain leads to a trusted authority (the system store, or "
    "--ca-file). Opportunistic SMTP TLS tolerates untrusted certificates; MTA-STS, DANE-TA "
    "and mail clients do not.",
    "Use a certificate from a public CA (or publish DANE-EE TLSA).",
    "RFC 5280",
    "RFC 8461 §4.2",
)
_c(
    "tls.expiry",
    "Certificate validity period",
    "An expired or not-yet-valid certificate fails verification; one that expires within 14 "
    "days soon will.",
    "Renew the certificate (and automate renewal).",
    "RFC 5280 §4.1.2.5",
)
_c(
    "tls.hostname",
    "Certificate names the host",
    "The certificate must name the host connected to (and, for MTA-STS, the MX host name).",
    "Add the host name to the certificate's subjectAltName.",
    "RFC 6125",
    "RFC 7817",
)
_c(
    "tls.protocols",
    "TLS versions offered",
    "Which protocol versions the server accepts, each tried in its own handshake (TLS 1.0, "
    "1.1, 1.2, 1.3). Rated against the NCSC-NL TLS guidelines 2.1: 1.2 and 1.3 are good, "
    "1.0 and 1.1 phase-out. A probe cut off by the network leaves it undetermined (ERROR).",
    "Allow TLS 1.2 and 1.3 only (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
    "RFC 8996",
    "NCSC-NL TLS guidelines 2.1",
)
_c(
    "tls.cipher",
    "Cipher and key exchange",
    "The cipher the server chose when offered everything, and whether it also accepts weak "
    "ones (RSA key exchange, 3DES, RC4, NULL) when a client offers nothing else, rated "
    "against the NCSC-NL TLS guidelines 2.1 (good: ECDHE with AES-GCM or ChaCha20; "
    "sufficient: ECDHE with CBC, DHE; phase-out: RSA key exchange, 3DES).",
    "Prefer ECDHE with AEAD ciphers; disable anonymous ciphers, RSA key exchange and 3DES "
    "(Postfix: smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, 3DES, RC4).",
    "RFC 9325",
    "NCSC-NL TLS guidelines 2.1",
)
_c(
    "tls.key-size",
    "Certificate key",
    "The certificate's public key, rated against the NCSC-NL TLS guidelines 2.1: RSA of "
    "3072 bits or more and the curves P-256/P-384 are good, RSA 2048 sufficient, shorter "
    "RSA keys insufficient.",
    "Use an RSA key of at least 2048 bits (3072 preferred) or an ECDSA P-256 key.",
    "NCSC-NL TLS guidelines 2.1",
)
_c(
    "tls.grade",
    "TLS grade",
    "One grade per mail server: the worst NCSC-NL category (good, sufficient, phase-out, "
    "insufficient) over versions offered, cipher and key exchange, certificate key and the "
    "DANE TLSA match, with every reason. Good and sufficient pass, phase-out warns, "
    "insufficient fails; a probe that failed for network reasons makes it ERROR. OCSP "
    "stapling is not graded (Python's TLS layer cannot request it).",
    "Fix the reasons listed, worst first.",
    "NCSC-NL TLS guidelines 2.1",
    "RFC 9325",
)
_c(
    "tls.injection",
    "STARTTLS response injection",
    "Data arrived after the STARTTLS reply but before the TLS handshake. A server or "
    "middlebox that buffers it lets an attacker inject commands into the encrypted session "
    "(CVE-2011-0411 and relatives).",
    "Update the server; it must discard buffered plaintext when TLS starts.",
    "RFC 3207 §4.2",
)
_c(
    "tls.required",
    "TLS required",
    "--require-tls was given and no TLS was negotiated.",
    "",
    "RFC 8689",
)
_c(
    "dane.match",
    "Certificate against TLSA",
    "The presented certificate (or its issuer) must match one of the TLSA records, or DANE "
    "senders refuse to deliver.",
    "Publish TLSA records for the current key (and the next one before rolling it).",
    "RFC 7672 §3",
    "RFC 6698",
)
_c(
    "mta-sts.mx-match",
    "MX host against the MTA-STS policy",
    "In enforce mode, senders deliver only to MX hosts listed in the policy whose certificate "
    "is valid and trusted for the host name.",
    "Fix the policy's mx lines or the certificate.",
    "RFC 8461 §4",
)
_c(
    "smtp.login",
    "SMTP AUTH test",
    "Whether the given user could authenticate (submission, port 587 or 465). The password is "
    "sent only over TLS and never appears in output.",
    "Check the user name and password, and that the server offers AUTH after TLS.",
    "RFC 4954",
    "RFC 8314 §3",
)
_c(
    "mailbox.connect",
    "Connection to the IMAP/POP3 server",
    "Whether a TCP connection to the mailbox server could be opened (the address actually used).",
    "Check the address, firewalls, and that the service listens on this port.",
    "RFC 9051 §2.1",
    "RFC 1939 §3",
)
_c(
    "mailbox.greeting",
    "IMAP/POP3 greeting",
    "The server's first line: OK, or a refusal.",
    "",
    "RFC 9051 §7.1",
    "RFC 1939 §4",
)
_c(
    "mailbox.protocol",
    "IMAP/POP3 protocol errors",
    "The server broke the conversation: closed it, went silent, sent something that is not "
    "an IMAP or POP3 response, a line or response without end.",
    "Look at the transcript: the last lines show where.",
    "RFC 9051 §2.2",
    "RFC 1939 §3",
)
_c(
    "mailbox.capabilities",
    "IMAP/POP3 capabilities",
    "What the server offers before and after TLS (STARTTLS/STLS, AUTH= mechanisms, LOGINDISABLED).",
    "",
    "RFC 9051 §6.1.1",
    "RFC 2449",
)
_c(
    "mailbox.plaintext-login",
    "Login before TLS",
    "An IMAP server should announce LOGINDISABLED before TLS, and a POP3 server should not "
    "offer USER/PASS or PLAIN in clear: otherwise clients may send passwords unencrypted.",
    "Require TLS for authentication (Dovecot: disable_plaintext_auth = yes).",
    "RFC 9051 §6.2.3",
    "RFC 8314 §3",
)
_c(
    "mailbox.login",
    "Login test",
    "Whether the given user could log in. The password is sent only over TLS and never "
    "appears in output.",
    "Check the user name and password.",
    "RFC 9051 §6.2.3",
    "RFC 1939 §7",
)
_c(
    "mailbox.slow",
    "Slow IMAP/POP3 replies",
    "A greeting or reply that takes seconds: an overloaded server, slow authentication "
    "back-ends, or slow DNS lookups on the server side. Clients time out or feel sluggish.",
    "Look at the server's load, its authentication back-end and its DNS.",
    "RFC 9051 §5.4",
    "RFC 1939 §3",
)

_c(
    "send.message",
    "The test message",
    "What was built or read, how large it is, its Message-ID and the token that finds it in "
    "a mailbox, and the route it takes (a submission server, or each recipient domain's MX "
    "hosts).",
    "",
    "RFC 5322",
    "RFC 6409",
)
_c(
    "send.dkim",
    "DKIM signature of the test message",
    "mailcheck signs with the given key, then verifies the signature against the public key "
    "published at SELECTOR._domainkey.DOMAIN, as a receiver would. A signature that does not "
    "verify here will not verify anywhere: nothing is sent unless --force.",
    "Publish the public half of the key at the selector, or sign with the key that is "
    "published there.",
    "RFC 6376 §3.5",
    "RFC 8463",
)
_c(
    "send.dkim-key",
    "Private key file permissions",
    "A DKIM private key readable by other users lets them sign mail as the domain.",
    "chmod 600 the key file.",
    "RFC 6376 §8.2",
)
_c(
    "send.recipient",
    "Delivery to one recipient",
    "What the server finally said about this recipient: accepted (with the queue id from the "
    "final 250 reply), rejected (5xx), or not delivered (4xx, unreachable, or the connection "
    "lost). Only an accepted recipient was delivered to the server; mailcheck never retries "
    "behind your back, and never resends after the message may have arrived.",
    "Read the server's reply: the enhanced status code says which side must change.",
    "RFC 5321 §4.2",
    "RFC 3463",
)
_c(
    "send.arrived",
    "Arrival in the mailbox (--check-delivery)",
    "Whether the test message, found by its X-Mailcheck-Token, reached the IMAP folder "
    "named by --check-delivery within --delivery-wait, and how long after the server "
    "accepted it. It is read with BODY.PEEK from a folder opened read-only (EXAMINE), so it "
    "stays unseen. Not there in time is ERROR (exit 3): delayed, filtered to another "
    "folder, or lost cannot be told apart from outside.",
    "Look in the spam folder (--check-delivery .../Junk) and in the server's log for the queue id.",
    "RFC 9051",
)
_c(
    "send.auth-results",
    "The receiver's verdict beside ours",
    "The Authentication-Results the receiving server added to the delivered copy, shown "
    "literally, next to mailcheck's own verdict on that copy. Only the authserv-ids given "
    "with --authserv-id are trusted in the delivered copy's auth-results checks.",
    "Where they differ, the receiver's DNS view, its policy or a forwarder explains it.",
    "RFC 8601",
)

_c(
    "policy.dmarc-policy",
    "DMARC policy at least as strict as expected",
    "mailcheck.toml sets the weakest DMARC policy (p=) the domain may publish: none < "
    "quarantine < reject. A change that weakens it fails here.",
    "Publish the expected policy, or change the expectation on purpose.",
    "RFC 9989 §4.7",
)
_c(
    "policy.spf-lookups",
    "SPF lookup budget",
    "mailcheck.toml sets a budget under the limit of 10 DNS-querying terms (RFC 7208 §4.6.4), "
    "leaving room for providers that add lookups behind your back.",
    "Remove includes you no longer use, or replace a/mx with ip4/ip6.",
    "RFC 7208 §4.6.4",
)
_c(
    "policy.spf-include",
    "Required and forbidden SPF includes",
    "mailcheck.toml lists includes the SPF tree must contain (a provider that sends for the "
    "domain) and must not contain (a provider that no longer does).",
    "Add or remove the include in the SPF record.",
    "RFC 7208 §5.2",
)
_c(
    "policy.dkim-selector",
    "Expected DKIM selectors",
    "mailcheck.toml lists selectors whose keys must be published and usable.",
    "Publish the key under the selector, or remove the expectation when the selector is retired.",
    "RFC 6376 §3.6.2",
)
_c(
    "policy.dkim-key-size",
    "Minimum DKIM key size",
    "mailcheck.toml sets the smallest RSA key size the domain's keys may have.",
    "Generate a larger key under a new selector and switch signing to it.",
    "RFC 8301 §3.2",
)
_c(
    "policy.mx",
    "Expected MX hosts",
    "mailcheck.toml lists the MX hosts the domain must publish, no more and no fewer.",
    "Publish exactly the expected MX records, or update the expectation.",
    "RFC 5321 §5.1",
)
_c(
    "policy.mta-sts-mode",
    "Expected MTA-STS mode",
    "mailcheck.toml sets the MTA-STS mode the policy must have (none, testing, enforce).",
    "Publish the policy with the expected mode.",
    "RFC 8461 §3.2",
)
_c(
    "policy.no-mail",
    "Mail or no-mail domain",
    "mailcheck.toml says whether the domain handles mail; a no-mail domain is judged by the "
    "parked-domain profile (null MX, v=spf1 -all, DMARC reject).",
    "Publish the records of the profile the expectation names.",
    "RFC 7505",
)
_c(
    "policy.waiver-expired",
    "Expired waiver",
    "A waiver in mailcheck.toml has passed its expiry date: the finding it waived counts again.",
    "Fix the finding, or renew the waiver with a new date and a reason.",
)

_c(
    "regression.new",
    "New problem",
    "A finding at WARN, ERROR or FAIL that the baseline (the live DNS, or a saved report) "
    "did not have: the proposed change introduces it. --fail-on regression fails on these.",
    "Look at the finding it names; fix the change before it is published.",
)
_c(
    "regression.worse",
    "Problem got worse",
    "A finding the baseline already had, at a worse status now (WARN became FAIL).",
    "Look at the finding it names; fix the change before it is published.",
)
_c(
    "regression.fixed",
    "Problem fixed",
    "A finding the baseline had at WARN, ERROR or FAIL that the proposed change removes.",
)
_c(
    "regression.inconclusive",
    "Comparison inconclusive",
    "A check that could not be made (DNS or network errors) on either side, or not made alike "
    "on both: the gate cannot say whether the change made it better or worse. --fail-on "
    "regression then exits 3, never 1, for it.",
    "Run again when the lookups answer; compare reports made with the same options.",
)
_c(
    "regression.record",
    "Record changed",
    "A mail record whose content differs between the baseline and the proposed zone.",
)
_c(
    "regression.spf-lookups",
    "SPF lookups before and after",
    "The number of DNS-querying SPF terms in the baseline and with the change: a rising count "
    "eats into the limit of 10.",
    "Keep the count well under 10: providers add lookups to their includes without notice.",
    "RFC 7208 §4.6.4",
)


# -- report (mailcheck report: DMARC aggregate/failure reports, TLS reports) -------------
_c(
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
_c(
    "report.unaligned",
    "Unaligned volume",
    "The share of reported messages that failed DMARC (neither SPF nor DKIM passed aligned). "
    "--max-unaligned PERCENT makes it FAIL above the limit, for CI jobs.",
    "Find the sources behind it below and fix the ones that are yours.",
    "RFC 9990 §2.1",
)
_c(
    "report.failing-source",
    "A source whose mail fails DMARC",
    "One sending IP (with its PTR and the PTR's organizational domain) whose messages failed "
    "DMARC, why (SPF passes but not aligned, DKIM by another domain, your DKIM failing, no "
    "authentication, signs of forwarding) and what to fix.",
    "",
    "RFC 9989 §4.4",
    "RFC 9990",
)
_c(
    "report.recheck",
    "The failing source against today's DNS",
    "--check-dns re-evaluates a failing source against the SPF record published now "
    "(check_host for its IP) and the DKIM keys for the selectors seen in the reports: fixed "
    "since the report, still failing, or could not determine.",
    "Publish the missing include or key, or fix the sender's configuration.",
    "RFC 7208 §4",
    "RFC 6376 §3.6.2",
)
_c(
    "report.duplicate",
    "Duplicate reports",
    "The same report (same reporter and report id) arrived more than once; it is counted once.",
    "",
    "RFC 9990 §2.1",
)
_c(
    "report.failure",
    "DMARC failure reports",
    "Failure reports (ARF, RFC 5965/6591) a receiver sent for single messages that failed "
    "authentication, with the original headers shown as received.",
    "Find the sender in the original headers; fix it as for aggregate failures.",
    "RFC 9991",
    "RFC 6591",
)
_c(
    "report.tls-policy",
    "TLS report: sessions per policy",
    "SMTP TLS reports (RFC 8460) count successful and failed TLS sessions to your MX hosts per "
    "policy type: sts (MTA-STS), tlsa (DANE) or no-policy-found.",
    "Look at the failure result types below.",
    "RFC 8460 §4",
)
_c(
    "report.tls-failure",
    "TLS report: a failure result type",
    "One result type (starttls-not-supported, certificate-host-mismatch, certificate-expired, "
    "sts-policy-fetch-error, validation-failure ...) with the sending MTA and receiving MX; "
    "the hint names the mailcheck check that explains and re-tests it.",
    "",
    "RFC 8460 §4.3",
)
_c(
    "report.malformed",
    "A report that could not be read",
    "A file, attachment or archive member that looked like a report but could not be read: "
    "damaged or truncated compression, a decompression bomb, XML with a DTD or entities, "
    "missing required fields. The run goes on without it, so conclusions may miss its data.",
    "Ask the reporter about it, or ignore it if it is not a report.",
    "RFC 9990 §2.1",
)
_c(
    "report.no-report",
    "Inputs without a report",
    "Messages or files that hold no DMARC or TLS report (a plain mail in a report mailbox).",
    "",
)


def spec(check_id: str) -> CheckSpec:
    return CHECKS[check_id]


def finding(
    check_id: str,
    status: Status,
    summary: str,
    *,
    details: str = "",
    evidence: Iterable[str] = (),
    hint: str | None = None,
    subject: str = "",
    location: Location | None = None,
) -> Finding:
    """Build a Finding whose refs (and default hint, for WARN/FAIL) come from the catalog."""
    entry = CHECKS[check_id]
    if hint is None:
        hint = entry.hint if status in (Status.WARN, Status.FAIL) else ""
    return Finding(
        id=check_id,
        status=status,
        summary=summary,
        details=details,
        evidence=tuple(evidence),
        hint=hint,
        refs=entry.refs,
        subject=subject,
        location=location,
    )


def families() -> list[str]:
    return sorted({c.family for c in CHECKS.values()})
