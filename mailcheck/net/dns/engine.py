"""The one DNS engine: zone overlays, upstream, per-run cache, query log, deadline, concurrency."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import dns.name
import dns.rdatatype

from mailcheck.model import QueryLine, QueryStats
from mailcheck.net.dns.answer import (
    DEADLINE_PASSED,
    MAX_CNAME_LINKS,
    PER_QUERY_TCP,
    Answer,
    CnameLink,
    LimitNames,
    Outcome,
    Record,
    SourceAnswer,
)
from mailcheck.net.dns.cache import Lookup, RunCache
from mailcheck.net.dns.names import InvalidName, display, to_name

if TYPE_CHECKING:
    # the network side (dnspython's message code, ~11 ms to import): only when asked for
    from mailcheck.net.dns.upstream import Upstream


class Source(Protocol):
    """Anything that answers authoritatively for part of the name space (zone files, test data)."""

    label: str

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool: ...

    def lookup(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> SourceAnswer | Answer: ...


@dataclass(frozen=True)
class EngineConfig:
    """The DNS engine's limits: timeouts, retries, deadlines, concurrency, cache."""

    timeout: float = 2.0
    retries: int = 1
    deadline: float = 30.0  # seconds of DNS per subject (each `scoped()` view), or per run
    concurrency: int = 64
    overall_deadline: float | None = None  # seconds for the whole run, all subjects together
    # Answers kept after their subjects are done: shared names (asked by 2+ subjects), and a
    # quarter as many single-use ones. Answers in use are kept whatever the number.
    cache_size: int = 4096
    # Query lines kept for -v and JSON (the latest ones); the counts cover the whole run.
    log_lines: int = 10_000
    names: LimitNames = field(default_factory=LimitNames)  # options behind the limits


Key = tuple[str, dns.rdatatype.RdataType, bool]
# A network failure is asked again by later subjects, up to this many rounds per question.
MAX_ROUNDS = 3


class _Shared:
    """What every view of one engine shares: the cache, the log, the network."""

    def __init__(self, config: EngineConfig) -> None:
        self.lock = threading.Lock()
        size = max(0, config.cache_size)
        self.cache: RunCache[Key, Answer] = RunCache(size, size // 4)
        self.log: collections.deque[QueryLine] = collections.deque(maxlen=max(0, config.log_lines))
        self.queries = 0
        self.errors = 0
        self.elapsed = 0.0
        self.hits = 0
        self.closed = False
        started = time.monotonic()
        self.overall = started + config.overall_deadline if config.overall_deadline else None


class DnsEngine:
    """Answers (name, type) questions once per run, from zones first, then upstream.

    Thread-safe. `resolve` blocks; `submit` returns a future so callers can ask many
    independent questions at once and total time follows the dependency depth. Every
    future completes: with an answer, or with an error outcome by the deadline or at close().
    `scoped()` gives a view for one subject (a domain) with its own deadline and the same
    cache; a question that failed on the network is asked again by the next subject.
    """

    def __init__(
        self,
        sources: Sequence[Source] = (),
        upstream: Upstream | None = None,
        config: EngineConfig | None = None,
        *,
        _parent: DnsEngine | None = None,
        _seconds: float | None = None,
    ) -> None:
        self.sources: Sequence[Source]
        self.upstream: Upstream | None
        self.config: EngineConfig
        self._shared: _Shared
        if _parent is not None:
            self.sources = _parent.sources
            self.upstream = _parent.upstream
            self.config = _parent.config
            self._shared = _parent._shared
        else:
            # The most specific zone answers first (a sub-zone file overrides its parent).
            self.sources = sorted(
                sources, key=lambda s: -len(getattr(getattr(s, "origin", None), "labels", ()))
            )
            self.upstream = upstream
            self.config = config or EngineConfig()
            self._shared = _Shared(self.config)
        self._owner = _parent is None
        self._seconds = self.config.deadline if _seconds is None else _seconds
        self._deadline = time.monotonic() + self._seconds
        self._overall = False  # the run's limit comes first, not this view's own
        if self._shared.overall is not None and self._shared.overall < self._deadline:
            self._deadline = self._shared.overall
            self._seconds = self.config.overall_deadline or self._seconds
            self._overall = True
        self._memo: dict[Key, Lookup[Answer]] = {}
        self._ahead: set[Key] = set()  # asked by `ahead`, not yet by anyone else
        self._released = False
        self._lock = self._shared.lock

    # -- public API -------------------------------------------------------------------

    def scoped(self, seconds: float | None = None) -> DnsEngine:
        """A view for one subject: same cache, log and network; a deadline of its own
        (`seconds`, by default the configured per-subject deadline) starting now."""
        return DnsEngine(_parent=self, _seconds=seconds)

    @property
    def deadline(self) -> float:
        """The monotonic time after which this view asks nothing more."""
        return self._deadline

    @property
    def limit(self) -> tuple[float, bool]:
        """(seconds, whole run?): the limit `deadline` comes from, for messages that name it
        (the run's overall deadline when it ends sooner than this view's own)."""
        whole = self._shared.overall is not None and self._deadline >= self._shared.overall
        return self._seconds, whole

    def resolve(self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False) -> Answer:
        """Blocking lookup; never call it from a completion callback (the I/O thread)."""
        return self.submit(name, rdtype, dnssec).result()

    def submit(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False
    ) -> Future[Answer]:
        """Start a lookup (or join the one under way); the future holds the answer."""
        future: Future[Answer] = Future()
        self.ask(name, rdtype, dnssec).add_done_callback(future.set_result)
        return future

    def ask(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False
    ) -> Lookup[Answer]:
        """`submit` for callers that only need a callback (the crawler): no Future, whose
        Condition and locks cost a bulk run a tenth of its CPU; the same lookup each time
        this view asks the same question."""
        mine = self._join(name, rdtype, dnssec, ahead=False)
        assert mine is not None  # only a question asked ahead is dropped
        return mine

    def ahead(
        self,
        name: str | dns.name.Name,
        rdtype: str | int,
        then: Callable[[Answer], None] | None = None,
        dnssec: bool = False,
    ) -> None:
        """Ask now what this view's checks will ask later (a domain's first questions while
        the checks load, and what those answers will make them ask): the lookup they will
        join, so that their first `ask` of it is not counted as a cache hit. `then` runs in
        the thread that completes the answer. Nothing once the view is done."""
        mine = self._join(name, rdtype, dnssec, ahead=True)
        if mine is not None and then is not None:
            mine.add_done_callback(then)

    def _join(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool, *, ahead: bool
    ) -> Lookup[Answer] | None:
        """This view's lookup of the question, started if it is the first to ask it; None
        for a question asked ahead once the view is done."""
        key = (_key(name), self._type(rdtype), dnssec)
        with self._lock:
            if ahead and self._released:
                return None
            mine = self._memo.get(key)
            if mine is not None:
                # One subject sees one answer per question, whatever other subjects retry.
                if ahead:
                    pass  # walking ahead is not asking: no hit
                elif key in self._ahead:
                    self._ahead.discard(key)  # asked ahead of its asker: not a hit
                else:
                    self._shared.hits += 1
                return mine
            mine = self._memo[key] = Lookup()
            if ahead:
                self._ahead.add(key)
            if not self._released:
                self._shared.cache.acquire(key)  # kept while this subject is under way
        self._attach(key, name, dnssec, mine, reasks=1)
        return mine

    def resolve_many(self, questions: Iterable[tuple[str, str]]) -> list[Answer]:
        futures = [self.submit(n, t) for n, t in questions]
        return [f.result() for f in futures]

    def stats(self) -> QueryStats:
        """Counts over the whole run (kept as counts: they do not grow with it)."""
        with self._lock:
            shared = self._shared
            return QueryStats(
                queries=shared.queries,
                cache_hits=shared.hits,
                errors=shared.errors,
                elapsed=shared.elapsed,
            )

    def log_mark(self) -> int:
        """A position in the query log: `log(since=mark)` gives the lines logged after it."""
        with self._lock:
            return self._shared.queries

    def log(self, since: int = 0) -> tuple[QueryLine, ...]:
        """The query lines logged since `since` (a `log_mark()`), of the latest
        `EngineConfig.log_lines`: what -v and JSON show for the subject being reported."""
        with self._lock:
            shared = self._shared
            skip = since - (shared.queries - len(shared.log))
            lines = tuple(shared.log)
        return lines[skip:] if skip > 0 else lines

    def sizes(self) -> dict[str, int]:
        """What the engine holds now (cache entries, log lines): flat over a bulk run."""
        with self._lock:
            shared = self._shared
            entries, protected, probation = shared.cache.sizes()
            return {
                "cache": entries,
                "cache_shared": protected,
                "cache_single": probation,
                "evicted": shared.cache.evicted,
                "log": len(shared.log),
                "timers": self.upstream.client.timers if self.upstream is not None else 0,
            }

    def close(self) -> None:
        """End the run (the engine itself), or a view's subject: a view releases its answers
        to the cache's bounded lists; the engine completes every lookup still open at once
        with an error outcome, and asks nothing more."""
        if not self._owner:
            with self._lock:
                if self._released:
                    return
                self._released = True
                for key in self._memo:
                    self._shared.cache.release(key)
                self._memo = {}  # a callback still pending may hold the view: keep it small
            return
        with self._lock:
            self._shared.closed = True
        if self.upstream is not None:
            self.upstream.close()

    def __enter__(self) -> DnsEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------

    @staticmethod
    def _type(rdtype: str | int) -> dns.rdatatype.RdataType:
        known = _TYPES.get(rdtype)
        if known is None:
            known = _TYPES[rdtype] = dns.rdatatype.RdataType.make(rdtype)
        return known

    def _attach(
        self,
        key: Key,
        name: str | dns.name.Name,
        dnssec: bool,
        out: Lookup[Answer],
        reasks: int,
        previous: int | None = None,
    ) -> None:
        """Join the shared lookup of `key`, or start one; settle `out` from it. `previous`
        is the round whose transient failure `out` saw: ask again unless someone already did."""
        shared = self._shared
        with self._lock:
            entry = shared.cache.entries.get(key) or shared.cache.adopt(key)
            owner = (entry.lookup is None and entry.answer is None) or previous == entry.rounds
            if owner:
                entry.lookup = Lookup()
                entry.answer = None
                entry.deadline = self._deadline
                entry.rounds += 1
            else:
                shared.hits += 1
            current, ready = entry.lookup, entry.answer
            theirs = entry.deadline
            rounds = entry.rounds
        if owner:
            assert current is not None
            lookup = current

            def settle_shared(answer: Answer) -> None:
                lookup.set_result(answer)
                # Once answered the cache keeps the answer, not the future: its callbacks
                # would keep every waiting subject's view alive as long as the entry.
                with self._lock:
                    if entry.lookup is lookup:
                        entry.lookup, entry.answer = None, answer

            try:
                self._start(name, key[1], dnssec, 0, settle_shared)
            except Exception as exc:  # a bug must not hang every waiter on this future
                lookup.set_result(self._failed(name, key[1], f"internal error: {exc}"))
                raise
        elif (
            current is not None
            and theirs > self._deadline
            and self.upstream is not None
            and not current.done()
        ):
            # Someone with more time asked first: stop waiting at our own deadline.
            def expire() -> None:
                _settle(out, self._late(name, key[1]))

            self.upstream.client.call_at(self._deadline, expire)

        def arrived(answer: Answer) -> None:
            if (
                answer.transient
                and not owner  # our own lookup already had its tries (--retries)
                and reasks > 0
                and rounds < MAX_ROUNDS
                and time.monotonic() < self._deadline
                and not self._shared.closed
            ):
                self._attach(key, name, dnssec, out, reasks - 1, previous=rounds)
                return
            _settle(out, answer)

        if current is None:
            assert ready is not None
            arrived(ready)
        else:
            current.add_done_callback(arrived)

    def _late(self, name: str | dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Answer:
        return self._failed(name, rdtype, self.limit_text(DEADLINE_PASSED), outcome=Outcome.TIMEOUT)

    def limit_text(self, limit: str) -> str:
        """The one wording of a DNS time limit that ran out, naming the option that set it:
        --timeout per query, or this view's deadline (the domain's, or the whole run's)."""
        names = self.config.names
        if limit == DEADLINE_PASSED:
            return names.ran_out(self._seconds, self._overall)
        return names.per_query(self.config.timeout, tcp=limit == PER_QUERY_TCP)

    def _failed(
        self,
        name: str | dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        detail: str,
        outcome: Outcome = Outcome.ERROR,
    ) -> Answer:
        shown = name if isinstance(name, str) else display(name)
        return Answer(
            shown,
            dns.rdatatype.to_text(rdtype),
            outcome,
            source=str(self.upstream or ""),
            detail=detail,
            transient=True,
        )

    def _start(
        self,
        name: str | dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        dnssec: bool,
        depth: int,
        done: Callable[[Answer], None],
    ) -> None:
        """Answer from a zone at once, or from upstream later; `done` gets the logged answer."""
        type_text = dns.rdatatype.to_text(rdtype)
        try:
            qname = to_name(name)
        except InvalidName as exc:
            done(
                self._record(
                    Answer(str(name), type_text, Outcome.ERROR, detail=f"invalid name: {exc}"),
                    dnssec,
                )
            )
            return
        started = time.monotonic()
        shown = _key(name) if isinstance(name, str) else display(qname)
        source = self._source_for(qname, rdtype)
        if source is not None:
            result = source.lookup(qname, rdtype)
            if isinstance(result, Answer):  # another engine's answer, relayed whole
                done(self._record(result, dnssec))
                return
            answer = Answer(
                shown,
                type_text,
                result.outcome,
                result.records,
                result.cnames,
                source=source.label,
                detail=result.detail,
                signatures=result.signatures,
            )
            if result.continue_at is None:
                done(self._record(replace(answer, elapsed=time.monotonic() - started), dnssec))
                return
            self._continue(answer, result.continue_at, rdtype, dnssec, depth, started, done)
            return
        if self.upstream is None:
            done(
                self._record(
                    Answer(
                        shown,
                        type_text,
                        Outcome.OFFLINE,
                        source="offline",
                        detail="--offline: no zone file covers this name",
                    ),
                    dnssec,
                )
            )
            return
        if self._shared.closed:
            done(self._record(self._failed(shown, rdtype, "run interrupted"), dnssec))
            return
        if time.monotonic() >= self._deadline:
            done(self._record(self._late(shown, rdtype), dnssec))
            return

        def answered(outcome: tuple[SourceAnswer, str, bool | None, tuple[Record, ...]]) -> None:
            result, label, ad, sigs = outcome
            answer = Answer(
                shown,
                type_text,
                result.outcome,
                result.records,
                result.cnames,
                source=label,
                elapsed=time.monotonic() - started,
                detail=self.limit_text(result.limit) if result.limit else result.detail,
                authenticated=ad,
                signatures=sigs,
                transient=result.transient,
            )
            if result.continue_at is not None:
                self._continue(answer, result.continue_at, rdtype, dnssec, depth, started, done)
                return
            done(self._record(answer, dnssec))

        self.upstream.start(qname, rdtype, self._deadline, dnssec, answered)

    def _continue(
        self,
        answer: Answer,
        target: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        dnssec: bool,
        depth: int,
        started: float,
        done: Callable[[Answer], None],
    ) -> None:
        """A zone's CNAME points outside it: follow like a recursive resolver would."""
        if display(target) in {link.owner for link in answer.cnames}:
            done(
                self._record(replace(answer, outcome=Outcome.SERVFAIL, detail="CNAME loop"), dnssec)
            )
            return
        if depth >= 8 or len(answer.cnames) >= MAX_CNAME_LINKS:
            done(
                self._record(
                    replace(answer, outcome=Outcome.SERVFAIL, detail="CNAME chain too long"), dnssec
                )
            )
            return

        def joined(rest: Answer) -> None:
            chain: tuple[CnameLink, ...] = answer.cnames + rest.cnames
            if len(chain) >= MAX_CNAME_LINKS:  # as a zone file or a resolver would stop
                rest = replace(
                    rest, outcome=Outcome.SERVFAIL, records=(), detail="CNAME chain too long"
                )
            done(
                self._record(
                    replace(
                        answer,
                        outcome=rest.outcome,
                        records=rest.records,
                        cnames=chain,
                        detail=rest.detail,
                        authenticated=rest.authenticated,
                        signatures=rest.signatures,
                        transient=rest.transient,
                        elapsed=time.monotonic() - started,
                    ),
                    dnssec,
                )
            )

        self._start(target, rdtype, dnssec, depth + 1, joined)

    def _source_for(self, qname: dns.name.Name, rdtype: int) -> Source | None:
        for source in self.sources:
            if source.covers(qname, rdtype):
                return source
        return None

    def _record(self, answer: Answer, dnssec: bool) -> Answer:
        """Log the question and its answer; `dnssec`: asked with the DO bit (DNSSEC records
        wanted), a question of its own beside the same name and type without it."""
        line = QueryLine(
            name=answer.name,
            rdtype=answer.rdtype,
            outcome=answer.outcome.value,
            source=answer.source,
            elapsed=answer.elapsed,
            answers=tuple(r.text for r in answer.records),
            dnssec=dnssec,
        )
        failed = answer.outcome.value not in _ANSWERS
        with self._lock:
            shared = self._shared
            shared.log.append(line)
            shared.queries += 1
            shared.errors += failed
            shared.elapsed += answer.elapsed
        return answer


def _settle(lookup: Lookup[Answer], answer: Answer) -> None:
    """Complete `lookup` unless a deadline or another path already did (first one wins)."""
    lookup.set_result(answer)


_TYPES: dict[str | int, dns.rdatatype.RdataType] = {}
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _key(name: str | dns.name.Name) -> str:
    """The cache key of a name: its lower-case text; parsing is skipped for plain names."""
    if isinstance(name, str) and name and _PLAIN.issuperset(name) and ".." not in name:
        return name.lower().rstrip(".") or "."
    try:
        return display(to_name(name))
    except InvalidName:
        return f"\x00invalid:{name}"


_ANSWERS = {Outcome.NOERROR.value, Outcome.NODATA.value, Outcome.NXDOMAIN.value}
