"""The SPF include/redirect tree: fetched in parallel, then counted in evaluation order."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from mailcheck.checks.count import Count, Resolution
from mailcheck.escape import decode
from mailcheck.model import Location
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.crawl import Crawler
from mailcheck.records.spf import (
    SpfRecord,
    Term,
    expand_domain_spec,
    malformed_name,
    parse_spf,
    select_spf,
)

# One hostile domain must cost bounded work: depth, records and questions per tree. Past the
# bounds, what is not followed is "unknown", so counts over it read "at least N".
MAX_DEPTH = 12
MAX_NODES = 100
MAX_MX = 10
MAX_QUESTIONS = 400

K = TypeVar("K", bound=Hashable)
NOT_FOLLOWED = "not followed (bound reached)"  # a record or lookup past the tree's bounds
# The next settling step, if any: a function of the builder, not a bound method (one kept in
# the builder would make a reference cycle, freed only by the cyclic collector, which bulk
# runs call seldom: every domain's tree and answers stayed until then)
Step = Callable[["SpfTreeBuilder"], "Step"] | None


@dataclass
class TermLookup:
    """The DNS questions one a/mx/exists term asks, and their answers."""

    term: Term
    target: str
    answers: dict[str, Answer] = field(default_factory=dict)  # "A", "AAAA", "MX"
    mx_hosts: list[str] = field(default_factory=list)
    host_answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    skipped: bool = False  # not followed: the tree's question budget was spent
    # the (expanded) target is no domain name: never asked; the term matches nothing and
    # is no void lookup, as pyspf evaluates it (RFC 7208 leaves this case undefined)
    malformed: str = ""

    @property
    def cost(self) -> int:
        """Questions of the tree's budget it asks (an MX's hosts are counted on arrival)."""
        if self.malformed:
            return 0
        return 1 if self.term.name in ("mx", "exists") else 2

    @property
    def shown(self) -> str:
        """The term as written, quoted, and the name its %{d}/%{o} macros expand to."""
        if self.term.has_macros:
            return f"'{self.term.raw}' ({self.target})"
        return f"'{self.term.raw}'"

    def _unknown(self, answer: Answer | None) -> Count:
        why = NOT_FOLLOWED if self.skipped else "no answer"
        if answer is not None:
            why = answer.outcome.value
        return Count(0, (f"'{self.term.raw}' ({why})",))

    def void(self, family: str) -> Count:
        """Void lookups this term causes for an IPv4 ("A") or IPv6 ("AAAA") sender."""
        if self.malformed:
            return Count(0)
        if self.term.name == "mx":
            mx = self.answers.get("MX")
            if mx is None or mx.outcome.is_error:
                return self._unknown(mx)
            if mx.void:
                return Count(1)
            count = Count()
            for host in self.mx_hosts:
                answer = self.host_answers.get((host, family))
                if answer is None or answer.outcome.is_error:
                    count = count + self._unknown(answer)
                elif answer.void:
                    count = count + 1
            return count
        rdtype = "A" if self.term.name == "exists" else family
        answer = self.answers.get(rdtype)
        if answer is None or answer.outcome.is_error:
            return self._unknown(answer)
        return Count(int(answer.void))

    def errors(self) -> list[Answer]:
        found = [a for a in self.answers.values() if a.outcome.is_error]
        found += [a for a in self.host_answers.values() if a.outcome.is_error]
        return found


@dataclass
class SpfNode:
    """A domain in the SPF include tree: its record, its children and its lookups."""

    domain: str
    via: Term | None = None
    depth: int = 0
    ancestors: tuple[str, ...] = ()
    answer: Answer | None = None
    found: int = 0
    record: SpfRecord | None = None
    strings: tuple[bytes, ...] = ()
    origin: str = ""
    location: Location | None = None  # the zone file line of this node's record
    loop: bool = False
    truncated: bool = False
    malformed: str = ""  # the (expanded) name is no domain name: never asked, no record
    children: dict[int, SpfNode] = field(default_factory=dict)
    lookups: dict[int, TermLookup] = field(default_factory=dict)
    exp: Answer | None = None
    exp_malformed: str = ""  # exp= expands to no domain name: not asked, no explanation

    @property
    def label(self) -> str:
        """The term that names this record: as written and, when a macro made the name, the
        name it expands to: include:%{d}.spf.example (example.com.spf.example)."""
        if self.via is None:
            return self.domain
        term = f"{self.via.name}{'=' if self.via.kind == 'modifier' else ':'}"
        if self.via.has_macros and self.via.value is not None:
            return f"{term}{self.via.value} ({self.domain})"
        return f"{term}{self.domain}"

    @property
    def redirect(self) -> Term | None:
        if self.record is None or self.record.all_term is not None:
            return None
        term = self.record.modifier("redirect")
        return term if term is not None and not term.error else None

    def target(self, term: Term) -> str | None:
        """The name a term of this record asks about: its domain-spec with %{d} (this
        record's domain) and %{o} (the domain checked) expanded, or this domain; None when
        it depends on a message (another macro)."""
        if term.value is None:
            return self.domain
        value = term.value
        if term.has_macros:
            sender_domain = self.ancestors[0] if self.ancestors else self.domain
            expanded = expand_domain_spec(value, self.domain, sender_domain)
            if expanded is None:
                return None
            value = expanded
        return value.rstrip(".").lower()

    def evaluated_terms(self) -> Iterator[Term]:
        """Terms check_host() evaluates when nothing matches: mechanisms up to all, redirect."""
        if self.record is None:
            return
        yield from self.record.reachable
        redirect = self.redirect
        if redirect is not None:
            yield redirect

    @property
    def resolution(self) -> Resolution:
        """RESOLVED: one SPF record we have; MISSING: the DNS says there is none (or several,
        or a loop: permerror either way); UNKNOWN: not asked, not answered, or not followed."""
        if self.loop or self.malformed:
            return Resolution.MISSING
        if self.truncated or self.answer is None or self.answer.outcome.is_error:
            return Resolution.UNKNOWN
        return Resolution.RESOLVED if self.record is not None else Resolution.MISSING

    def why_unknown(self) -> str:
        if self.truncated:
            return NOT_FOLLOWED
        if self.answer is None:
            return "not looked up"
        return self.answer.outcome.value

    def direct_lookups(self) -> int:
        return sum(
            1
            for t in self.evaluated_terms()
            if t.queries_dns and t.name not in ("include", "redirect")
        )

    def total_lookups(self) -> Count:
        """DNS-querying terms in the tree; "at least" when a part of it is unknown."""
        total = Count(self.direct_lookups())
        for term in self.evaluated_terms():
            if term.name in ("include", "redirect") and term.queries_dns:
                total = total + 1
                child = self.children.get(term.index)
                if child is None:
                    # a macro target is expanded per message: what it includes is unknowable
                    total = total + Count(0, (f"{term.raw} (expanded per message)",))
                elif child.resolution is Resolution.UNKNOWN:
                    total = total + Count(0, (f"{child.label} ({child.why_unknown()})",))
                elif child.resolution is Resolution.RESOLVED:
                    total = total + child.total_lookups()
        return total

    def walk(self) -> Iterator[SpfNode]:
        yield self
        for index in sorted(self.children):
            yield from self.children[index].walk()


class _Budget:
    """The tree's bounds handed out in one order: from the first thing that does not fit on,
    nothing more does (so what is followed is a prefix of that order)."""

    def __init__(self) -> None:
        self.nodes = 1  # the root's own record is always asked
        self.questions = 0
        self.full = False

    def take(self, questions: int, nodes: int = 0) -> bool:
        if (
            self.full
            or self.questions + questions > MAX_QUESTIONS
            or self.nodes + nodes > MAX_NODES
        ):
            self.full = True
            return False
        self.questions += questions
        self.nodes += nodes
        return True


class SpfTreeBuilder:
    """Fetches the tree through the crawler; every level's lookups overlap.

    The bounds (MAX_NODES records, MAX_QUESTIONS questions) never depend on the order in
    which answers arrive, so the same DNS data gives the same tree on every run. While the
    whole tree fits, everything is asked as soon as it is found (then the order cannot
    matter). The first time something does not fit, following stops and, once this tree's
    open questions are answered, the tree is built again from the root's answer in steps,
    each once the previous one's answers are in: records level by level, in the tree's order
    (they decide the lookup count, the limit that matters most), then the a/mx/exists
    lookups in evaluation order with the questions left (an mx term holds room for its
    hosts), then the mx hosts' addresses. Answers the eager start received are reused (the
    engine keeps them); what it asked beyond the bounds is not used. A hostile tree costs at
    most the eager start's MAX_QUESTIONS and the steps' MAX_QUESTIONS.
    """

    def __init__(self, domain: str, crawler: Crawler) -> None:
        self.crawler = crawler
        self.root = SpfNode(domain)
        self.budget = _Budget()
        self.settling = False  # the bounds were reached: the settling steps decide
        self.type99: Answer | None = None
        self._open = 0  # this tree's questions not yet answered
        self._step: Step = SpfTreeBuilder._restart  # settling: what comes next
        self._level: list[SpfNode] = []  # settling: the records whose includes come next
        self._in_step = False

    def _ask(self, name: str, rdtype: str, then: Callable[[Answer], None]) -> None:
        self._open += 1

        def done(answer: Answer) -> None:
            self._open -= 1
            then(answer)
            if self._open == 0 and self.settling:
                self._settle()

        self.crawler.ask(name, rdtype, done)

    def _store(self, name: str, rdtype: str, into: dict[K, Answer], key: K) -> None:
        self._ask(name, rdtype, functools.partial(into.__setitem__, key))

    def start(self) -> None:
        self._ask(self.root.domain, "TXT", functools.partial(self._on_txt, self.root))
        self._ask(self.root.domain, "SPF", self._on_type99)

    def _on_type99(self, answer: Answer) -> None:
        self.type99 = answer

    @staticmethod
    def _on_exp(node: SpfNode, answer: Answer) -> None:
        node.exp = answer

    def _on_txt(self, node: SpfNode, answer: Answer) -> None:
        node.answer = answer
        if answer.outcome.is_error:
            return
        chosen = None
        for record in answer.records:
            if select_spf([record.txt]):
                node.found += 1
                chosen = chosen or record
        if node.found != 1 or chosen is None:
            return
        node.strings = chosen.strings
        node.origin = str(chosen.origin) if chosen.origin else ""
        if chosen.origin is not None and chosen.origin.line is not None:
            node.location = chosen.origin
        node.record = parse_spf(decode(chosen.txt))
        for term in node.evaluated_terms():
            self._follow(node, term)
        exp = node.record.modifier("exp")
        exp_name = node.target(exp) if exp is not None and not exp.error and exp.value else None
        if exp_name:
            node.exp_malformed = malformed_name(exp_name) or ""
            if not node.exp_malformed:
                self._ask(exp_name, "TXT", functools.partial(self._on_exp, node))

    def _eager(self, questions: int, nodes: int = 0) -> bool:
        """Before settling: True when this fits the bounds (then ask it now)."""
        if not self.settling and self.budget.take(questions, nodes):
            return True
        self.settling = True
        return False

    def _follow(self, node: SpfNode, term: Term) -> None:
        if term.error or not term.queries_dns or term.name == "ptr":
            return
        target = node.target(term)
        if target is None:  # expanded per message: what it names is unknowable here
            return
        if term.name in ("include", "redirect"):
            path = (*node.ancestors, node.domain)
            child = SpfNode(target, term, node.depth + 1, path)
            node.children[term.index] = child
            problem = malformed_name(target)
            if problem is not None:
                child.malformed = problem
            elif target in path:
                child.loop = True
            elif child.depth > MAX_DEPTH:
                child.truncated = True
            elif self._eager(1, nodes=1):
                self._ask_record(child)
            return
        lookup = TermLookup(term, target, malformed=malformed_name(target) or "")
        node.lookups[term.index] = lookup
        if self._eager(lookup.cost):
            self._ask_lookup(lookup)

    def _ask_record(self, node: SpfNode) -> None:
        self._ask(node.domain, "TXT", functools.partial(self._on_txt, node))

    def _ask_lookup(self, lookup: TermLookup) -> None:
        if lookup.malformed:  # no name to ask (the engine would refuse it: no DNS trouble)
            return
        if lookup.term.name == "mx":
            self._ask(lookup.target, "MX", functools.partial(self._on_mx, lookup))
            return
        for rdtype in ("A",) if lookup.term.name == "exists" else ("A", "AAAA"):
            self._store(lookup.target, rdtype, lookup.answers, rdtype)

    def _on_mx(self, lookup: TermLookup, answer: Answer) -> None:
        lookup.answers["MX"] = answer
        records = sorted(answer.records, key=lambda r: (r.rdata.preference, r.text))
        hosts = [r.rdata.exchange.to_text(omit_final_dot=True).lower() for r in records]
        lookup.mx_hosts = [h for h in hosts if h][:MAX_MX]
        if self._eager(2 * len(lookup.mx_hosts)):
            self._ask_hosts(lookup)

    def _ask_hosts(self, lookup: TermLookup) -> None:
        for host in lookup.mx_hosts:
            for rdtype in ("A", "AAAA"):
                self._store(host, rdtype, lookup.host_answers, (host, rdtype))

    def _settle(self) -> None:
        """Settling steps, each at an idle point of this tree (every question it asked is
        answered); a step whose questions are answered at once (walking ahead, or answers
        already there) is followed by the next at once, a later answer calls this again."""
        if self._in_step:
            return
        self._in_step = True
        try:
            while self._open == 0 and self._step is not None:
                self._step = self._step(self)
        finally:
            self._in_step = False

    def _restart(self) -> Step:
        """Build the tree again from the root's answer, level by level, so that what the
        eager start happened to receive first decides nothing (its answers are reused: the
        engine keeps them)."""
        answer = self.root.answer
        self.root = SpfNode(self.root.domain)
        self.budget = _Budget()
        self._level = [self.root]
        if answer is not None:
            self._on_txt(self.root, answer)
        return SpfTreeBuilder._records

    def _records(self) -> Step:
        """The includes one level down, in the tree's order, while the bounds allow."""
        below = []
        for node in self._level:
            for term in node.evaluated_terms():
                child = node.children.get(term.index)
                if child is None or child.loop or child.malformed or child.depth > MAX_DEPTH:
                    continue
                if self.budget.take(1, nodes=1):
                    self._ask_record(child)
                    below.append(child)
                else:
                    child.truncated = True
        self._level = below
        return SpfTreeBuilder._records if below else SpfTreeBuilder._lookups

    def _lookups(self) -> Step:
        """The a/mx/exists lookups in evaluation order with the questions left, an mx term
        holding room for its hosts (up to MAX_MX), so that no later step takes any back."""
        self.budget.full = False  # the record bound stops records, not lookups
        self._visit_lookups(self.root)
        return SpfTreeBuilder._hosts

    def _visit_lookups(self, node: SpfNode) -> None:
        for term in node.evaluated_terms():
            child = node.children.get(term.index)
            if child is not None:
                if not child.truncated and not child.loop:
                    self._visit_lookups(child)
                continue
            lookup = node.lookups.get(term.index)
            if lookup is None:
                continue
            held = 2 * MAX_MX if term.name == "mx" else 0
            if self.budget.take(lookup.cost + held):
                self._ask_lookup(lookup)
            else:
                lookup.skipped = True

    def _hosts(self) -> Step:
        """The addresses of the hosts of every mx term followed (their room is held)."""
        for node in self.root.walk():
            for lookup in node.lookups.values():
                if lookup.term.name == "mx" and not lookup.skipped and lookup.mx_hosts:
                    self._ask_hosts(lookup)
        return None


@dataclass(frozen=True)
class LimitHit:
    """Where left-to-right evaluation makes its 11th DNS-querying term. `certain` is False
    when an unknown part of the tree comes before it (evaluation may stop even earlier)."""

    term: Term
    node: SpfNode
    certain: bool = True


def find_limit_hit(root: SpfNode, limit: int = 10) -> LimitHit | None:
    certain = [True]
    for count, (term, node) in enumerate(_querying_terms(root, certain), start=1):
        if count == limit + 1:
            return LimitHit(term, node, certain[0])
    return None


def _querying_terms(node: SpfNode, certain: list[bool]) -> Iterator[tuple[Term, SpfNode]]:
    """The terms that query DNS, in left-to-right evaluation order; `certain[0]` turns False
    once an unknown part of the tree comes before the next one. (A generator, not a closure
    that calls itself: that is a reference cycle, kept with the tree until the cyclic
    collector runs.)"""
    for term in node.evaluated_terms():
        if not term.queries_dns:
            continue
        yield term, node
        if term.name not in ("include", "redirect"):
            continue
        child = node.children.get(term.index)
        if child is None or child.resolution is Resolution.UNKNOWN:
            certain[0] = False
        elif child.resolution is Resolution.RESOLVED:
            yield from _querying_terms(child, certain)


@dataclass
class VoidTally:
    """Void lookups for one sender address family: where they are, and the count."""

    voids: list[tuple[SpfNode, TermLookup]] = field(default_factory=list)
    count: Count = field(default_factory=Count)


def void_counts(root: SpfNode) -> dict[str, VoidTally]:
    """Void lookups along the worst-case path, per sender address family."""
    out = {"A": VoidTally(), "AAAA": VoidTally()}
    for node in root.walk():
        if node.loop:
            continue
        if node.resolution is Resolution.UNKNOWN and node.via is not None:
            unknown = Count(0, (f"{node.label} ({node.why_unknown()})",))
            for tally in out.values():
                tally.count = tally.count + unknown
            continue
        for lookup in node.lookups.values():
            for family, tally in out.items():
                found = lookup.void(family)
                tally.voids.extend([(node, lookup)] * found.known)
                tally.count = tally.count + found
    return out


def is_void_or_missing(answer: Answer | None) -> bool:
    return answer is not None and answer.outcome in (Outcome.NXDOMAIN, Outcome.NODATA)
