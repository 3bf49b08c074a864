"""The one DNS engine: zone overlays, upstream, per-run cache, query log, deadline, concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Protocol

import dns.name
import dns.rdatatype

from mailcheck.model import QueryLine, QueryStats
from mailcheck.net.dns.answer import Answer, CnameLink, Outcome, Record
from mailcheck.net.dns.names import InvalidName, display, to_name
from mailcheck.net.dns.upstream import Upstream
from mailcheck.net.dns.zones import SourceAnswer


class Source(Protocol):
    """Anything that answers authoritatively for part of the name space (zone files, test data)."""

    label: str

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool: ...

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> SourceAnswer: ...


@dataclass(frozen=True)
class EngineConfig:
    timeout: float = 2.0
    retries: int = 1
    deadline: float = 30.0
    concurrency: int = 64


class DnsEngine:
    """Answers (name, type) questions once per run, from zones first, then upstream.

    Thread-safe. `resolve` blocks; `submit` returns a future so callers can ask many
    independent questions at once and total time follows the dependency depth.
    """

    def __init__(
        self,
        sources: Sequence[Source] = (),
        upstream: Upstream | None = None,
        config: EngineConfig | None = None,
    ) -> None:
        # The most specific zone answers first (a sub-zone file overrides its parent).
        self.sources = sorted(
            sources, key=lambda s: -len(getattr(getattr(s, "origin", None), "labels", ()))
        )
        self.upstream = upstream
        self.config = config or EngineConfig()
        self._started = time.monotonic()
        self._deadline = self._started + self.config.deadline
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int, bool], Future[Answer]] = {}
        self._log: list[QueryLine] = []
        self._hits = 0

    # -- public API -------------------------------------------------------------------

    def resolve(self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False) -> Answer:
        """Blocking lookup; never call it from a completion callback (the I/O thread)."""
        return self.submit(name, rdtype, dnssec).result()

    def submit(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False
    ) -> Future[Answer]:
        """Start a lookup (or join the one under way); the future holds the answer."""
        future, owner = self._claim(name, rdtype, dnssec)
        if owner:
            try:
                self._start(name, self._type(rdtype), dnssec, 0, future.set_result)
            except Exception as exc:  # a bug must not hang every waiter on this future
                future.set_exception(exc)
                raise
        return future

    def resolve_many(self, questions: Iterable[tuple[str, str]]) -> list[Answer]:
        futures = [self.submit(n, t) for n, t in questions]
        return [f.result() for f in futures]

    def stats(self) -> QueryStats:
        with self._lock:
            errors = sum(1 for q in self._log if q.outcome not in _ANSWERS)
            return QueryStats(
                queries=len(self._log),
                cache_hits=self._hits,
                errors=errors,
                elapsed=sum(q.elapsed for q in self._log),
            )

    def log(self) -> tuple[QueryLine, ...]:
        with self._lock:
            return tuple(self._log)

    def close(self) -> None:
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

    def _claim(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool
    ) -> tuple[Future[Answer], bool]:
        key = (_key(name), self._type(rdtype), dnssec)
        with self._lock:
            existing = self._cache.get(key)
            if existing is not None:
                self._hits += 1
                return existing, False
            future: Future[Answer] = Future()
            self._cache[key] = future
            return future, True

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
                    Answer(str(name), type_text, Outcome.ERROR, detail=f"invalid name: {exc}")
                )
            )
            return
        started = time.monotonic()
        shown = _key(name) if isinstance(name, str) else display(qname)
        source = self._source_for(qname, rdtype)
        if source is not None:
            result = source.lookup(qname, rdtype)
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
                done(self._record(replace(answer, elapsed=time.monotonic() - started)))
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
                    )
                )
            )
            return
        if time.monotonic() >= self._deadline:
            done(
                self._record(
                    Answer(
                        shown,
                        type_text,
                        Outcome.TIMEOUT,
                        source=str(self.upstream),
                        detail=f"overall DNS deadline of {self.config.deadline:g} s reached",
                    )
                )
            )
            return

        def answered(outcome: tuple[SourceAnswer, str, bool | None, tuple[Record, ...]]) -> None:
            result, label, ad, sigs = outcome
            done(
                self._record(
                    Answer(
                        shown,
                        type_text,
                        result.outcome,
                        result.records,
                        result.cnames,
                        source=label,
                        elapsed=time.monotonic() - started,
                        detail=result.detail,
                        authenticated=ad,
                        signatures=sigs,
                    )
                )
            )

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
            done(self._record(replace(answer, outcome=Outcome.SERVFAIL, detail="CNAME loop")))
            return
        if depth >= 8:
            done(
                self._record(
                    replace(answer, outcome=Outcome.SERVFAIL, detail="CNAME chain too long")
                )
            )
            return

        def joined(rest: Answer) -> None:
            chain: tuple[CnameLink, ...] = answer.cnames + rest.cnames
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
                        elapsed=time.monotonic() - started,
                    )
                )
            )

        self._start(target, rdtype, dnssec, depth + 1, joined)

    def _source_for(self, qname: dns.name.Name, rdtype: int) -> Source | None:
        for source in self.sources:
            if source.covers(qname, rdtype):
                return source
        return None

    def _record(self, answer: Answer) -> Answer:
        line = QueryLine(
            name=answer.name,
            rdtype=answer.rdtype,
            outcome=answer.outcome.value,
            source=answer.source,
            elapsed=answer.elapsed,
            answers=tuple(r.text for r in answer.records),
        )
        with self._lock:
            self._log.append(line)
        return answer


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
