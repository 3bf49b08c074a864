"""The spf check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

RECORD = _c(
    "spf.record",
    "SPF record",
    'The domain publishes exactly one SPF record (a TXT record starting with "v=spf1").',
    "",
    "RFC 7208 §4.5",
)

MISSING = _c(
    "spf.missing",
    "No SPF record",
    "Without an SPF record, receivers cannot tell which hosts may send as the domain "
    '(SPF result "none"); many treat such mail with suspicion and DMARC can rely on DKIM only.',
    'Publish a TXT record "v=spf1 ... -all" listing your sending hosts, or "v=spf1 -all" if '
    "the domain sends no mail.",
    "RFC 7208 §4.5",
)

MULTIPLE = _c(
    "spf.multiple",
    "More than one SPF record",
    'Two or more TXT records start with "v=spf1": check_host() returns permerror and SPF '
    "fails for every message.",
    "Merge them into one record.",
    "RFC 7208 §4.5",
)

SYNTAX = _c(
    "spf.syntax",
    "SPF syntax",
    "A term of the record does not follow the SPF grammar; receivers return permerror.",
    "Fix the term as the message says.",
    "RFC 7208 §12",
    "RFC 7208 §4.6",
)

STRING_SPLIT = _c(
    "spf.string-split",
    "Record split into strings in the wrong place",
    "TXT records longer than 255 bytes are split into strings that receivers join without "
    "spaces. A split that expects a space glues two terms together.",
    'Put the space inside a string, e.g. "v=spf1 include:a.example " "include:b.example -all".',
    "RFC 7208 §3.3",
)

LENGTH = _c(
    "spf.length",
    "Record size",
    "A large SPF record (or TXT RRset) may not fit a 512-byte UDP answer and need TCP, which "
    "some resolvers handle badly.",
    "Keep the record short; remove unused mechanisms.",
    "RFC 7208 §3.4",
)

TYPE99 = _c(
    "spf.type99",
    "Deprecated SPF (type 99) record",
    "RFC 7208 removed the SPF resource record type; only TXT is used. A leftover type 99 "
    "record is ignored but easily drifts out of sync.",
    "Remove the SPF (type 99) record.",
    "RFC 7208 §3.1",
    "RFC 7208 §14.1",
)

LOOKUP_LIMIT = _c(
    "spf.lookup-limit",
    "DNS lookup limit",
    "check_host() may make at most 10 DNS-querying terms (include, a, mx, ptr, exists, "
    "redirect) over the whole include tree. The 11th gives permerror, so SPF fails for all mail "
    "that gets that far. mailcheck counts the whole tree, past the limit.",
    "Flatten or drop includes you no longer use; replace a/mx with ip4/ip6 where stable.",
    "RFC 7208 §4.6.4",
)

FLATTEN = _c(
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

VOID_LOOKUPS = _c(
    "spf.void-lookups",
    "Void lookups",
    "A DNS query from a mechanism that returns no records (NXDOMAIN or NODATA) is a void "
    "lookup. More than 2 give permerror.",
    "Remove mechanisms that point at names that do not exist or have no addresses.",
    "RFC 7208 §4.6.4",
)

INCLUDE_LOOP = _c(
    "spf.include-loop",
    "Include loop",
    "An include or redirect leads back to a record already being evaluated. Evaluation "
    "recurses until the lookup limit: permerror.",
    "Remove the include that closes the loop.",
    "RFC 7208 §5.2",
)

INCLUDE_MISSING = _c(
    "spf.include-missing",
    "Include or redirect target without an SPF record",
    "include: or redirect= points at a domain with no SPF record; check_host() returns permerror.",
    "Fix the domain name or remove the term.",
    "RFC 7208 §5.2",
    "RFC 7208 §6.1",
)

ALL_PASS = _c(
    "spf.all-pass",
    "+all authorises everyone",
    '"+all" (or a bare "all") passes every host on the Internet: SPF then protects nothing.',
    'End the record with "-all" (or "~all" while testing).',
    "RFC 7208 §5.1",
)

ALL_NEUTRAL = _c(
    "spf.all-neutral",
    "?all says nothing",
    '"?all" gives neutral for unlisted hosts: receivers treat it like no SPF at all.',
    'End the record with "-all" or "~all".',
    "RFC 7208 §5.1",
    "RFC 7208 §8.2",
)

ALL_MISSING = _c(
    "spf.all-missing",
    'No "all" and no redirect',
    'Without "all" or redirect=, unlisted hosts get neutral (the default result): '
    "unauthorised senders are not marked.",
    'End the record with "-all" or "~all".',
    "RFC 7208 §4.7",
)

SOFTFAIL_ALL = _c(
    "spf.softfail-all",
    "~all: soft fail",
    '"~all" marks unlisted hosts as softfail: most receivers accept the mail and may flag it. '
    "With DMARC at quarantine or reject, that is usually the right choice.",
    "",
    "RFC 7208 §8.5",
)

FAIL_ALL = _c(
    "spf.fail-all",
    "-all: unlisted hosts fail",
    '"-all" fails every host not listed.',
    "",
    "RFC 7208 §8.4",
)

REDIRECT_IGNORED = _c(
    "spf.redirect-ignored",
    'redirect= ignored because of "all"',
    'redirect= only applies when no mechanism matches; with an "all" mechanism in the record '
    "it is never used.",
    'Remove either "all" or the redirect= modifier.',
    "RFC 7208 §6.1",
)

PTR = _c(
    "spf.ptr",
    "ptr mechanism",
    "The ptr mechanism is slow, unreliable and places load on the .arpa servers; RFC 7208 says "
    "it SHOULD NOT be used.",
    "Replace ptr with ip4/ip6 or a mechanisms.",
    "RFC 7208 §5.5",
)

EXP = _c(
    "spf.exp",
    "Explanation (exp=)",
    "exp= names a TXT record whose text receivers may show in rejections.",
    "",
    "RFC 7208 §6.2",
)

MACROS = _c(
    "spf.macros",
    "Macros",
    "Terms with macros of the message (%{i}, %{s}, %{l}, %{h} ...) are expanded per message, so "
    "they cannot be followed without a sender; mailcheck shows them unexpanded (and evaluates "
    "them with --ip). %{d} (the record's own domain) and %{o} (the domain checked) need no "
    "message: the names they give are followed and counted like any other. A name they give "
    "that is no domain name (a label over 63 characters) is not asked: an a, mx or exists term "
    "of it matches nothing (as pyspf evaluates it; RFC 7208 leaves it undefined and a receiver "
    "may return permerror), an include of it is permerror.",
    "",
    "RFC 7208 §7",
)

MX_LIMIT = _c(
    "spf.mx-limit",
    "More than 10 MX hosts for an mx mechanism",
    "An mx mechanism whose domain has more than 10 MX records gives permerror.",
    "Use fewer MX records or list the addresses with ip4/ip6.",
    "RFC 7208 §4.6.4",
)

BROAD_RANGE = _c(
    "spf.broad-range",
    "Very broad address range",
    "An ip4/ip6 mechanism authorises a huge range of addresses (a /8 or wider for IPv4, /32 or "
    "wider for IPv6): anyone in that range can send as the domain.",
    "List only the addresses you send from.",
    "RFC 7208 §5.6",
)

DNS_ERROR = _c(
    "spf.dns-error",
    "DNS error inside the SPF tree",
    "A lookup needed to evaluate the record failed (timeout, SERVFAIL, REFUSED). Receivers get "
    "temperror and usually defer the mail.",
    "Check the authoritative servers of that name.",
    "RFC 7208 §2.6.6",
)

EVALUATION = _c(
    "spf.evaluation",
    "SPF evaluation for a sending IP",
    "check_host() run for the given IP, sender and HELO, as a receiver would.",
    "",
    "RFC 7208 §4",
    "RFC 7208 §2.6",
)

MESSAGE = _c(
    "spf.message",
    "SPF for the message",
    "check_host() for the connecting IP, HELO and MAIL FROM the message's headers show "
    "(or the options give).",
    "Add the sending host to the sender's SPF record if it is theirs.",
    "RFC 7208 §4",
)

CLIENT = _c(
    "spf.client",
    "Where the sending IP came from",
    "SPF needs the IP that connected to the receiving server: from --ip, or the Received "
    "header your own receiving server added (the topmost, or --trusted-hop N). Received-SPF "
    "and Authentication-Results are claims anyone can write: shown, never used.",
    "",
    "RFC 7208 §9.1",
    "RFC 5321 §4.4",
)
