"""The one DNS engine: zone overlays, upstream, per-run cache, query log, deadline, concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

import dns.name
import dns.rdatatype

from mailcheck.model import QueryLine, QueryStats
from mailcheck.net.dns.answer import Answer, CnameLink, Outcome
from mailcheck.net.dns.names import InvalidName, display, to_name
from mailcheck.net.dns.upstream import Upstream
from mailcheck.net.dns.zones import SourceAnswer


class Source(Protocol):
    """Anything that answers authoritatively for part of the name space (zone files, test data)."""

    label: str

    def covers(self, name: dns.name.Name) -> bool: ...

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> SourceAnswer: ...


@dataclass(frozen=True)
class EngineConfig:
    timeout: float = 2.0
    retries: int = 1
    deadline: float = 30.0
    concurrency: int = 32


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
        self._pool: ThreadPoolExecutor | None = None

    # -- public API -------------------------------------------------------------------

    def resolve(self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False) -> Answer:
        future, owner = self._claim(name, rdtype, dnssec)
        if owner:
            self._fill(future, name, rdtype, dnssec)
        return future.result()

    def submit(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool = False
    ) -> Future[Answer]:
        future, owner = self._claim(name, rdtype, dnssec)
        if owner:
            self._executor().submit(self._fill, future, name, rdtype, dnssec)
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
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> DnsEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=max(1, self.config.concurrency), thread_name_prefix="mailcheck-dns"
                )
            return self._pool

    @staticmethod
    def _type(rdtype: str | int) -> dns.rdatatype.RdataType:
        return dns.rdatatype.RdataType.make(rdtype)

    def _claim(
        self, name: str | dns.name.Name, rdtype: str | int, dnssec: bool
    ) -> tuple[Future[Answer], bool]:
        try:
            key_name = display(to_name(name))
        except InvalidName:
            key_name = f"\x00invalid:{name}"
        key = (key_name, self._type(rdtype), dnssec)
        with self._lock:
            existing = self._cache.get(key)
            if existing is not None:
                self._hits += 1
                return existing, False
            future: Future[Answer] = Future()
            self._cache[key] = future
            return future, True

    def _fill(
        self, future: Future[Answer], name: str | dns.name.Name, rdtype: str | int, dnssec: bool
    ) -> None:
        try:
            answer = self._lookup(name, self._type(rdtype), dnssec, depth=0)
        except Exception as exc:  # a bug must not hang every waiter on this future
            future.set_exception(exc)
            raise
        future.set_result(answer)

    def _lookup(
        self, name: str | dns.name.Name, rdtype: dns.rdatatype.RdataType, dnssec: bool, depth: int
    ) -> Answer:
        type_text = dns.rdatatype.to_text(rdtype)
        try:
            qname = to_name(name)
        except InvalidName as exc:
            return self._record(
                Answer(str(name), type_text, Outcome.ERROR, detail=f"invalid name: {exc}")
            )
        started = time.monotonic()
        shown = display(qname)
        source = self._source_for(qname)
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
            )
            if result.continue_at is not None:
                answer = self._continue(answer, result.continue_at, rdtype, dnssec, depth)
            return self._record(replace(answer, elapsed=time.monotonic() - started))
        if self.upstream is None:
            return self._record(
                Answer(
                    shown,
                    type_text,
                    Outcome.OFFLINE,
                    source="offline",
                    detail="--offline: no zone file covers this name",
                )
            )
        if time.monotonic() >= self._deadline:
            return self._record(
                Answer(
                    shown,
                    type_text,
                    Outcome.TIMEOUT,
                    source=str(self.upstream),
                    detail=f"overall DNS deadline of {self.config.deadline:g} s reached",
                )
            )
        result, label, ad, sigs = self.upstream.query(qname, rdtype, self._deadline, dnssec)
        answer = Answer(
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
        return self._record(answer)

    def _continue(
        self,
        answer: Answer,
        target: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        dnssec: bool,
        depth: int,
    ) -> Answer:
        """A zone's CNAME points outside it: follow like a recursive resolver would."""
        if display(target) in {link.owner for link in answer.cnames}:
            return replace(answer, outcome=Outcome.SERVFAIL, detail="CNAME loop")
        if depth >= 8:
            return replace(answer, outcome=Outcome.SERVFAIL, detail="CNAME chain too long")
        rest = self._lookup(target, rdtype, dnssec, depth + 1)
        chain: tuple[CnameLink, ...] = answer.cnames + rest.cnames
        return replace(
            answer,
            outcome=rest.outcome,
            records=rest.records,
            cnames=chain,
            detail=rest.detail,
            authenticated=rest.authenticated,
            signatures=rest.signatures,
        )

    def _source_for(self, qname: dns.name.Name) -> Source | None:
        for source in self.sources:
            if source.covers(qname):
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


_ANSWERS = {Outcome.NOERROR.value, Outcome.NODATA.value, Outcome.NXDOMAIN.value}
