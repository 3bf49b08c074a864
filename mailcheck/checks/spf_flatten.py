"""SPF flattening advice: which includes to replace by which ip4:/ip6: ranges (resolved in this
run through the engine), the lookup count after, and what it costs. Pure: reads the SPF tree."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.count import listed
from mailcheck.checks.spf_tree import NOT_FOLLOWED, SpfNode, TermLookup
from mailcheck.model import Finding, Status
from mailcheck.records.spf import Term

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LONG_RECORD = 450  # bytes; larger answers risk UDP truncation (RFC 7208 §3.4)
TARGET_SPARE = 2  # leave room for two more includes after flattening
MAX_STRING = 255  # bytes per TXT string (RFC 1035 §3.3.14)
COST = (
    "the ranges go stale when a provider changes its addresses (mail from new addresses then "
    "fails SPF): re-check at least weekly, e.g. in CI with --baseline FILE to catch drift"
)


class Unflattenable(Exception):
    """This part of the tree cannot be replaced by ranges; `lookup` says if DNS was the cause."""

    def __init__(self, reason: str, lookup: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lookup = lookup


@dataclass
class Proposal:
    """A flattened SPF record proposed in place of lookups: before and after counts."""

    record: str
    before: int
    after: int
    replaced: list[str] = field(default_factory=list)  # the terms replaced, as written
    ranges: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # includes that could not be flattened

    def data(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "strings": split_strings(self.record),
            "lookups_before": self.before,
            "lookups_after": self.after,
            "replaced": self.replaced,
            "ranges": self.ranges,
            "not_flattened": self.kept,
        }


def split_strings(record: str) -> list[str]:
    """The record as TXT strings of at most 255 bytes, cut at spaces where possible."""
    out, current = [], ""
    for word in record.split(" "):
        piece = word if not current else " " + word
        if len(current) + len(piece) > MAX_STRING and current:
            out.append(current)
            current = " " + word  # the space travels with the next string: "a" " b" reads "a b"
        else:
            current += piece
    out.append(current)
    return out


def _networks(lookup: TermLookup, where: str) -> list[Network]:
    """The addresses an a/mx term matches now, widened by its CIDR lengths."""
    term = lookup.term
    if lookup.malformed:  # no domain name: the term matches nothing
        return []
    # sorted: the answer that arrived first must not decide the message
    bad = sorted(lookup.errors(), key=lambda a: (a.name, a.rdtype))
    if bad:
        raise Unflattenable(f"{where}: '{term.raw}': {bad[0].error_text()}", lookup=True)
    # a lookup not followed (the tree's bound) has no addresses: they are unknown, not none
    if lookup.skipped:
        raise Unflattenable(f"{where}: '{term.raw}' was {NOT_FOLLOWED}", lookup=True)
    if term.name == "mx":
        mx = lookup.answers.get("MX")
        wanted = [(host, rdtype) for host in lookup.mx_hosts for rdtype in ("A", "AAAA")]
        if mx is None or any(key not in lookup.host_answers for key in wanted):
            raise Unflattenable(f"{where}: '{term.raw}' was not looked up", lookup=True)
        answers = [lookup.host_answers[key] for key in wanted]
    else:
        if any(rdtype not in lookup.answers for rdtype in ("A", "AAAA")):
            raise Unflattenable(f"{where}: '{term.raw}' was not looked up", lookup=True)
        answers = [lookup.answers["A"], lookup.answers["AAAA"]]
    out: list[Network] = []
    for answer in answers:
        for record in answer.records:
            ip = ipaddress.ip_address(record.text)
            prefix = (term.cidr4 if ip.version == 4 else term.cidr6) or ip.max_prefixlen
            out.append(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    return out


def collect(node: SpfNode, path: str = "") -> list[Network]:
    """Every range for which `node`'s record returns pass, when that is exactly expressible."""
    where = path or node.label
    if node.loop:
        raise Unflattenable(f"{where}: a loop")
    if node.malformed:
        raise Unflattenable(f"{where}: not a valid domain name ({node.malformed})")
    if node.truncated:  # what it includes is unknown, not nothing
        raise Unflattenable(f"{where}: {node.why_unknown()}", lookup=True)
    if node.answer is None or node.answer.outcome.is_error:
        detail = node.answer.error_text() if node.answer is not None else "not looked up"
        raise Unflattenable(f"{where}: {detail}", lookup=True)
    if node.found != 1 or node.record is None or not node.record.valid:
        raise Unflattenable(f"{where}: no single valid SPF record")
    out: list[Network] = []
    for term in node.evaluated_terms():
        out.extend(_term(node, term, where))
    return out


def _term(node: SpfNode, term: Term, where: str) -> list[Network]:
    if term.name == "all":
        if term.result == "pass":
            raise Unflattenable(f"{where}: '+all' passes every address")
        return []  # a non-pass result of an included record is "no match" for the includer
    if term.per_message or term.name in ("ptr", "exists"):
        raise Unflattenable(f"{where}: '{term.raw}' depends on the sender, not on ranges")
    if term.result != "pass":
        # a -ip4: or ~a term carves an exception out of later ranges: ranges cannot say that
        raise Unflattenable(f"{where}: '{term.raw}' is not a pass term")
    if term.name in ("ip4", "ip6") and term.value:
        return [ipaddress.ip_network(term.value, strict=False)]
    if term.name in ("include", "redirect"):
        child = node.children.get(term.index)
        if child is None:
            raise Unflattenable(f"{where}: '{term.raw}' was not followed", lookup=True)
        return collect(child, f"{where} > {child.label}")
    lookup = node.lookups.get(term.index)
    if lookup is None:
        raise Unflattenable(f"{where}: '{term.raw}' was not looked up", lookup=True)
    return _networks(lookup, where)


def _ranges(networks: list[Network]) -> list[str]:
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    out = [_term_text("ip4", n) for n in ipaddress.collapse_addresses(v4)]
    out += [_term_text("ip6", n) for n in ipaddress.collapse_addresses(v6)]
    return out


def _term_text(name: str, network: Network) -> str:
    single = network.prefixlen == network.max_prefixlen
    return f"{name}:{network.network_address}" if single else f"{name}:{network}"


def propose(root: SpfNode, limit: int = 10) -> tuple[Proposal | None, list[Unflattenable]]:
    """Flatten the costliest includes of the root record until it has room to spare."""
    record = root.record
    if record is None:
        return None, []
    if root.redirect is not None:
        handed = root.redirect.value or ""
        return None, [Unflattenable(f"the record hands over with redirect={handed}: flatten there")]
    before = root.total_lookups().known  # inexact parts fail in collect() below
    target = limit - TARGET_SPARE
    costs: dict[int, int] = {}
    for term in root.evaluated_terms():
        if term.name == "include" and term.queries_dns and term.index in root.children:
            costs[term.index] = 1 + root.children[term.index].total_lookups().known
    flattened: dict[int, list[Network]] = {}
    problems: list[Unflattenable] = []
    after = before
    for index in sorted(costs, key=lambda i: (-costs[i], i)):
        if after <= target:
            break
        try:
            flattened[index] = collect(root.children[index])
        except Unflattenable as exc:
            problems.append(exc)
            continue
        after -= costs[index]
    if not flattened:
        return None, problems
    replaced: list[str] = []
    networks: list[Network] = []
    for term in record.terms:
        if term.index in flattened:
            replaced.append(term.raw)
            networks.extend(flattened[term.index])
    ranges = _ranges(networks)
    first = min(flattened)
    words = ["v=spf1"]
    for term in record.terms:
        if term.index == first:
            words.extend(ranges)  # where the first replaced include stood: order matters
        elif term.index not in flattened:
            words.append(term.raw)
    text = " ".join(words)
    kept = [t.raw for t in record.terms if t.index in costs and t.index not in flattened]
    return Proposal(text, before, after, replaced, ranges, kept), problems


def advice(root: SpfNode, limit: int = 10) -> tuple[list[Finding], dict[str, Any] | None]:
    """The spf.flatten findings and JSON data, when the lookup count is at or near the limit."""
    if root.record is None or root.total_lookups().known < limit - 1:
        return [], None
    proposal, problems = propose(root, limit)
    failed = [p for p in problems if p.lookup]
    if failed:
        # never a partial record presented as complete: the lookups it needs did not answer
        return [
            finding(
                "spf.flatten",
                Status.ERROR,
                "could not compute a flattened record: "
                + listed((p.reason for p in failed), sep="; "),
            )
        ], None
    if proposal is None:
        why = (
            listed((p.reason for p in problems), sep="; ") or "the record has no include to replace"
        )
        return [finding("spf.flatten", Status.INFO, f"no flattening proposal: {why}")], None
    summary = (
        f"proposed record ({proposal.before} → {proposal.after} DNS lookups; "
        f"{', '.join(proposal.replaced)} replaced by {len(proposal.ranges)} "
        f"range{'s' if len(proposal.ranges) != 1 else ''} resolved now): {proposal.record}"
    )
    if proposal.after > limit:
        summary += f"; still over the limit of {limit}: drop includes you no longer use"
    size = len(proposal.record.encode())
    if size > LONG_RECORD:
        summary += (
            f"; {size} bytes: publish it as several strings (--verbose), and expect answers "
            "that large to need TCP"
        )
    out = [
        finding(
            "spf.flatten",
            Status.INFO,
            f"{summary}. Cost: {COST}",
            details=(
                "as TXT strings: " + " ".join(f'"{s}"' for s in split_strings(proposal.record))
            ),
            evidence=[p.reason for p in problems],
        )
    ]
    return out, proposal.data()
