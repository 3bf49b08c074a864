"""SPF checks: the record, the whole include tree and its limits, and check_host() for an IP."""

from __future__ import annotations

import ipaddress
import itertools
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.count import Verdict, bounded, listed
from mailcheck.checks.spf_eval import SpfResult as SpfResult
from mailcheck.checks.spf_eval import evaluate as evaluate
from mailcheck.checks.spf_eval import evaluation_finding as evaluation_finding
from mailcheck.checks.spf_tree import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_QUESTIONS,
    SpfNode,
    SpfTreeBuilder,
    find_limit_hit,
    void_counts,
)
from mailcheck.escape import decode
from mailcheck.model import Finding, Section, SpfTreeNode, Status
from mailcheck.net.dns.answer import Outcome
from mailcheck.net.dns.crawl import Crawler
from mailcheck.records.spf import parse_spf

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
LONG_RECORD = 450
MAX_LISTED = 20  # names listed in JSON data; findings per id (the rest summed up)
MAX_TERMS_SHOWN = 50


def truncated_why(node: SpfNode) -> str:
    """Why an include was not followed: the tree's depth, or its bounds on records and
    questions (the first include that did not fit, and every one after it)."""
    if node.depth > MAX_DEPTH:
        return f"more than {MAX_DEPTH} includes deep"
    return f"the tree's bounds reached: {MAX_NODES} records, {MAX_QUESTIONS} DNS questions"


def node_status(node: SpfNode) -> str:
    if node.loop:
        return "loop"
    if node.malformed:
        return "none"
    if node.truncated:
        return "truncated"
    if node.answer is None:
        return "pending"
    if node.answer.outcome.is_error:
        return "error"
    if node.found == 0:
        return "none"
    if node.found > 1:
        return "multiple"
    if node.record is not None and not node.record.valid:
        return "syntax"
    return "ok"


def tree_data(node: SpfNode) -> SpfTreeNode:
    """The tree as renderers and library callers read it (frozen, children in term order)."""
    direct = [
        t.raw
        for t in node.evaluated_terms()
        if t.queries_dns and t.name not in ("include", "redirect")
    ]
    total = node.total_lookups()
    return SpfTreeNode(
        label=node.label,
        domain=node.domain,
        status=node_status(node),
        record=node.record.text if node.record else None,
        origin=node.origin or None,
        direct_terms=tuple(direct[:MAX_TERMS_SHOWN]),
        direct_lookups=node.direct_lookups(),
        total_lookups=total.known,
        total_exact=total.exact,
        children=tuple(tree_data(node.children[i]) for i in sorted(node.children)),
    )


def _first(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _split_problems(strings: tuple[bytes, ...]) -> list[str]:
    """Boundaries between TXT strings that glue two terms together (no space on either side)."""
    problems = []
    for left, right in itertools.pairwise(strings):
        if not left or not right or left.endswith(b" ") or right.startswith(b" "):
            continue
        left_term = decode(left).rsplit(" ", 1)[-1]
        right_term = decode(right).split(" ", 1)[0]
        if left_term.lower() == "v=spf1":
            problems.append(f'"{left_term}" + "{right_term}"')
            continue
        halves = parse_spf(f"v=spf1 {left_term} {right_term}")
        if halves.valid and len(halves.terms) == 2:
            problems.append(f'"…{left_term}" "{right_term}…" are read as "{left_term}{right_term}"')
    return problems


class SpfCheck:
    family = "spf"

    def __init__(self, domain: str, crawler: Crawler) -> None:
        self.domain = domain
        self.builder = SpfTreeBuilder(domain, crawler)

    @property
    def root(self) -> SpfNode:
        return self.builder.root

    def start(self) -> None:
        self.builder.start()

    def section(self, evaluation: Finding | None = None) -> Section:
        root = self.root
        findings = self._findings()
        if evaluation is not None:
            findings.append(evaluation)
        data: dict[str, Any] = {"tree": tree_data(root)}
        if root.record is not None:
            data["record"] = root.record.text
            lookups = root.total_lookups()
            # "lookups" is the counted part; "lookups_exact" False means "at least"
            data["lookups"] = lookups.known
            data["lookups_exact"] = lookups.exact
            data["lookups_unresolved"] = list(lookups.unresolved[:MAX_LISTED])
        if any(f.id == "spf.lookup-limit" for f in findings):
            from mailcheck.checks.spf_flatten import advice  # advice when at or near the limit

            flatten, proposal = advice(root, LOOKUP_LIMIT)
            findings.extend(flatten)
            if proposal is not None:
                data["flattening"] = proposal
        headline = root.record.text if root.record is not None else ""
        return Section("spf", "SPF", tuple(findings), headline, data)

    # -- judgement --------------------------------------------------------------------

    def _findings(self) -> list[Finding]:
        root = self.root
        answer = root.answer
        assert answer is not None
        if answer.outcome.is_error:
            return [
                finding(
                    "spf.record",
                    Status.ERROR,
                    f"could not determine the SPF record: {answer.describe()}",
                    evidence=[answer.error_text()],
                )
            ]
        if answer.outcome is Outcome.NXDOMAIN:
            return [finding("spf.record", Status.SKIP, f"{self.domain} does not exist (NXDOMAIN)")]
        if root.found == 0:
            return [finding("spf.missing", Status.FAIL, f"no SPF record at {self.domain}")]
        if root.found > 1:
            texts = [decode(t) for t in answer.texts() if t.lower().startswith(b"v=spf1")]
            return [
                finding(
                    "spf.multiple",
                    Status.FAIL,
                    f"{root.found} SPF records at {self.domain}: receivers return permerror",
                    evidence=texts,
                )
            ]
        assert root.record is not None
        out = [
            finding(
                "spf.record",
                Status.PASS,
                "one SPF record",
                evidence=[root.record.text + (f"  ({root.origin})" if root.origin else "")],
            )
        ]
        out.extend(self._record_findings())
        # the lookup count before the includes not followed: the findings of one id are
        # capped (bounded), and the count's permerror must not be the one folded away
        out.extend(self._limit_findings())
        out.extend(self._tree_findings())
        out.extend(self._all_findings())
        out.extend(self._type99())
        return bounded(out)

    def _record_findings(self) -> list[Finding]:
        out = []
        for node in self.root.walk():
            record = node.record
            if record is None:
                continue
            subject = node.domain
            for problem in record.problems():
                out.append(
                    finding(
                        "spf.syntax",
                        Status.FAIL,
                        f"{subject}: {problem}",
                        subject=subject,
                        location=node.location,
                        evidence=[record.text],
                    )
                )
            for problem in _split_problems(node.strings):
                out.append(
                    finding(
                        "spf.string-split",
                        Status.WARN,
                        f"{subject}: strings joined without a space: {problem}",
                        subject=subject,
                        location=node.location,
                        evidence=[" ".join(f'"{decode(s)}"' for s in node.strings)],
                    )
                )
            size = len(record.text.encode("utf-8", "surrogateescape"))
            if size > LONG_RECORD:
                out.append(
                    finding(
                        "spf.length",
                        Status.WARN,
                        f"{subject}: the record is {size} bytes; with other TXT "
                        "records the answer may not fit in 512-byte UDP",
                        subject=subject,
                        location=node.location,
                    )
                )
            if record.all_term is not None and record.modifier("redirect") is not None:
                out.append(
                    finding(
                        "spf.redirect-ignored",
                        Status.INFO,
                        f"{subject}: redirect= is never used because the record has 'all'",
                        subject=subject,
                        location=node.location,
                    )
                )
            for term in record.reachable:
                if term.name == "ptr" and not term.error:
                    out.append(
                        finding(
                            "spf.ptr",
                            Status.WARN,
                            f"{subject}: '{term.raw}' (ptr is discouraged)",
                            subject=subject,
                            location=node.location,
                        )
                    )
                if term.name in ("ip4", "ip6") and not term.error and term.value:
                    out.extend(self._broad(subject, term.raw, term.value, node))
            macros = [t.raw for t in node.evaluated_terms() if t.per_message]
            if macros:
                out.append(
                    finding(
                        "spf.macros",
                        Status.INFO,
                        f"{subject}: macros expanded per message: " + ", ".join(macros),
                        subject=subject,
                        location=node.location,
                    )
                )
        exp = self.root.record.modifier("exp") if self.root.record else None
        if exp is not None and not exp.error:
            out.append(self._exp_finding(exp.value or ""))
        return out

    @staticmethod
    def _broad(subject: str, raw: str, value: str, node: SpfNode) -> list[Finding]:
        network = ipaddress.ip_network(value, strict=False)
        wide = network.prefixlen <= (8 if network.version == 4 else 32)
        if not wide:
            return []
        status = Status.FAIL if network.prefixlen == 0 else Status.WARN
        return [
            finding(
                "spf.broad-range",
                status,
                f"{subject}: '{raw}' authorises {network.num_addresses:,} addresses",
                subject=subject,
                location=node.location,
            )
        ]

    def _exp_finding(self, target: str) -> Finding:
        answer = self.root.exp
        if self.root.exp_malformed:
            return finding(
                "spf.exp",
                Status.WARN,
                (
                    f"exp={target} names no domain name ({self.root.exp_malformed}): "
                    "no explanation is shown"
                ),
            )
        if answer is None:
            return finding(
                "spf.exp",
                Status.INFO,
                f"exp={target} (expanded per message, not fetched)",
            )
        if answer.outcome.is_error:
            return finding("spf.exp", Status.ERROR, f"exp={target}: {answer.describe()}")
        if len(answer.records) != 1:
            return finding(
                "spf.exp",
                Status.WARN,
                (
                    f"exp={target} has {len(answer.records)} TXT records "
                    "(exactly one is needed): no explanation is shown"
                ),
                hint="Publish exactly one TXT record at the exp= name.",
            )
        return finding("spf.exp", Status.INFO, f'exp={target}: "{decode(answer.records[0].txt)}"')

    def _tree_findings(self) -> list[Finding]:
        out = []
        # each include's finding points at the record holding the include term (its parent)
        parents = {id(c): p for p in self.root.walk() for c in p.children.values()}
        for node in self.root.walk():
            if node.via is None:
                continue
            parent = parents.get(id(node))
            at = parent.location if parent is not None else None
            label = node.label
            status = node_status(node)
            if status == "loop":
                out.append(
                    finding(
                        "spf.include-loop",
                        Status.FAIL,
                        f"{label} leads back to a record already being evaluated",
                        subject=node.domain,
                        location=at,
                        evidence=[" → ".join((*node.ancestors, node.domain))],
                    )
                )
            elif status == "error" and node.answer is not None:
                out.append(
                    finding(
                        "spf.dns-error",
                        Status.ERROR,
                        f"{label}: {node.answer.describe()}",
                        evidence=[node.answer.error_text()],
                        subject=node.domain,
                        location=at,
                    )
                )
            elif node.malformed:
                out.append(
                    finding(
                        "spf.include-missing",
                        Status.FAIL,
                        f"{label}: not a valid domain name ({node.malformed}): permerror",
                        subject=node.domain,
                        location=at,
                    )
                )
            elif status == "none" and node.answer is not None:
                why = (
                    "does not exist"
                    if node.answer.outcome is Outcome.NXDOMAIN
                    else "has no SPF record"
                )
                out.append(
                    finding(
                        "spf.include-missing",
                        Status.FAIL,
                        f"{label}: {node.domain} {why}: permerror",
                        subject=node.domain,
                        location=at,
                    )
                )
            elif status == "multiple":
                out.append(
                    finding(
                        "spf.multiple",
                        Status.FAIL,
                        f"{label}: {node.found} SPF records: permerror",
                        subject=node.domain,
                        location=at,
                    )
                )
            elif status == "truncated":
                out.append(
                    finding(
                        "spf.lookup-limit",
                        Status.WARN,
                        f"{label}: not followed ({truncated_why(node)})",
                        subject=node.domain,
                        location=at,
                    )
                )
        for node in self.root.walk():
            for lookup in node.lookups.values():
                if lookup.malformed:
                    # pyspf (--ip) makes it no match; RFC 7208 leaves it undefined (some
                    # receivers may return permerror): never DNS trouble, never a pass
                    out.append(
                        finding(
                            "spf.macros",
                            Status.WARN,
                            (
                                f"{node.domain}: {lookup.shown}: no domain name "
                                f"({lookup.malformed}): "
                                "it never matches (a receiver may return permerror)"
                            ),
                            subject=node.domain,
                            location=node.location,
                        )
                    )
                for answer in lookup.errors():
                    out.append(
                        finding(
                            "spf.dns-error",
                            Status.ERROR,
                            f"{node.domain}: '{lookup.term.raw}': {answer.error_text()}",
                            subject=node.domain,
                            location=node.location,
                        )
                    )
                mx = lookup.answers.get("MX")
                if mx is not None and len(mx.records) > 10:
                    out.append(
                        finding(
                            "spf.mx-limit",
                            Status.FAIL,
                            (
                                f"{node.domain}: '{lookup.term.raw}': "
                                f"{lookup.target} has {len(mx.records)} MX "
                                "records (limit 10)"
                            ),
                            subject=node.domain,
                            location=node.location,
                        )
                    )
        return out

    def _limit_findings(self) -> list[Finding]:
        root = self.root
        total = root.total_lookups()
        hit = find_limit_hit(root, LOOKUP_LIMIT)
        verdict = total.judge(LOOKUP_LIMIT)
        out = []
        if verdict is Verdict.OVER and hit is not None:
            where = "" if hit.node is root else f" inside {hit.node.domain}"
            at = "at" if hit.certain else "at or before"
            unknown = f"; not counted: {listed(total.unresolved)}" if total.unresolved else ""
            out.append(
                finding(
                    "spf.lookup-limit",
                    Status.FAIL,
                    (
                        f"{total} DNS-querying terms in the tree (limit {LOOKUP_LIMIT}); "
                        f"evaluation stops with permerror {at} the {LOOKUP_LIMIT + 1}th: "
                        f"{hit.term.raw}{where}{unknown}"
                    ),
                )
            )
        elif verdict is Verdict.UNKNOWN:
            out.append(
                finding(
                    "spf.lookup-limit",
                    Status.ERROR,
                    f"could not determine: at least {total.known} of {LOOKUP_LIMIT} DNS lookups; "
                    f"not resolved: {listed(total.unresolved)}",
                    hint="Run again when those names answer; the count is incomplete.",
                )
            )
        elif total.known >= LOOKUP_LIMIT - 1:
            fits = "no more" if total.known == LOOKUP_LIMIT else "one more"
            out.append(
                finding(
                    "spf.lookup-limit",
                    Status.INFO,
                    f"{total.known} of {LOOKUP_LIMIT} DNS lookups: {fits} include fits",
                )
            )
        else:
            out.append(
                finding(
                    "spf.lookup-limit", Status.PASS, f"{total.known} of {LOOKUP_LIMIT} DNS lookups"
                )
            )
        out.extend(self._void_findings())
        return out

    def _void_findings(self) -> list[Finding]:
        voids = void_counts(self.root)
        four_tally, six_tally = voids["A"], voids["AAAA"]
        v4, v6 = four_tally.count, six_tally.count
        unknown = listed([*v4.unresolved, *v6.unresolved])
        worst = max(v4.known, v6.known)
        four = sorted({f"{lk.shown} in {n.domain}" for n, lk in four_tally.voids})
        six = sorted({f"{lk.shown} in {n.domain}" for n, lk in six_tally.voids} - set(four))
        listed_voids = _first(four)
        if six:
            listed_voids += ("; for IPv6 also " if four else "") + _first(six)
        counts = (
            f"{v4} for every sender"
            if str(v4) == str(v6)
            else f"{v4} for IPv4 senders, {v6} for IPv6 senders"
        )
        if worst > VOID_LIMIT:
            both = min(v4.known, v6.known) > VOID_LIMIT
            status = Status.FAIL if both else Status.WARN
            text = f"void lookups: {counts} (limit {VOID_LIMIT}): permerror; {listed_voids}"
            return [finding("spf.void-lookups", status, text)]
        if not (v4.exact and v6.exact):
            text = (
                f"could not determine: void lookups {counts} (limit {VOID_LIMIT}); "
                f"not resolved: {unknown}"
            )
            return [finding("spf.void-lookups", Status.ERROR, text)]
        if worst:
            text = f"void lookups: {counts} (limit {VOID_LIMIT}); {listed_voids}"
            return [finding("spf.void-lookups", Status.WARN, text)]
        return []

    def _all_findings(self) -> list[Finding]:
        node: SpfNode | None = self.root
        last = self.root  # the record judged: the end of the redirect= chain
        seen = 0
        while node is not None and node.record is not None and seen < 12:
            last = node
            term = node.record.all_term
            where = "" if node is self.root else f" (in {node.domain}, reached by redirect)"
            if term is not None:
                q = term.qualifier or "+"
                check_id, status, text = {
                    "+": (
                        "spf.all-pass",
                        Status.FAIL,
                        f"'{term.raw}' passes every host on the Internet",
                    ),
                    "?": (
                        "spf.all-neutral",
                        Status.WARN,
                        "'?all': unauthorised senders get neutral",
                    ),
                    "~": (
                        "spf.softfail-all",
                        Status.INFO,
                        "'~all': unauthorised senders are marked, not rejected",
                    ),
                }.get(q, ("spf.fail-all", Status.PASS, "'-all': unauthorised senders fail"))
                # the finding points at the record holding the all term (a redirect target)
                return [finding(check_id, status, text + where, location=node.location)]
            redirect = node.redirect
            if redirect is None:
                break
            node = node.children.get(redirect.index)
            seen += 1
        if last.redirect is not None:
            # the chain ends at a redirect= not followed (a loop, a bound, no record, an
            # error): the tree's findings say which; what unlisted hosts get is not known
            return []
        return [
            finding(
                "spf.all-missing",
                Status.WARN,
                "no 'all' and no redirect=: unlisted hosts get neutral",
                location=last.location,
            )
        ]

    def _type99(self) -> list[Finding]:
        answer = self.builder.type99
        if answer is not None and answer.records:
            return [
                finding(
                    "spf.type99",
                    Status.WARN,
                    "a deprecated SPF (type 99) record is published",
                    evidence=[r.text for r in answer.records],
                )
            ]
        return []
