"""Drive many dependent lookups at once: callbacks run in one thread as answers arrive."""

from __future__ import annotations

import queue
from collections.abc import Callable, Hashable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.engine import DnsEngine

Then = Callable[[Answer], None]
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class Crawler:
    """Ask questions with a continuation; `run()` returns when no question is left open.

    Every continuation runs in the caller's thread, so check code needs no locks, and the
    network work of independent questions overlaps. Callers must store results by position,
    never by arrival order, so reports do not depend on timing. Slow work that is not a DNS
    question (an HTTPS fetch) runs through `spawn` and overlaps with the lookups too.
    """

    def __init__(self, engine: DnsEngine, workers: int = 8) -> None:
        self.engine = engine
        self._pending: dict[Future[Any], list[Callable[[Any], None]]] = {}
        # Finished futures arrive here (O(1) each, unlike waiting on the whole pending set).
        self._done: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        self._asked: dict[tuple[str, str, bool], Future[Answer]] = {}
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def ask(self, name: str, rdtype: str, then: Then, dnssec: bool = False) -> None:
        future = self.engine.submit(name, rdtype, dnssec=dnssec)
        self._asked.setdefault((name.lower().rstrip("."), rdtype, dnssec), future)
        self._watch(future, then)

    def _watch(self, future: Future[Any], then: Callable[[Any], None]) -> None:
        callbacks = self._pending.get(future)
        if callbacks is None:
            self._pending[future] = [then]
            future.add_done_callback(self._done.put)
        else:
            callbacks.append(then)

    def store(
        self, name: str, rdtype: str, into: MutableMapping[K, Answer], key: K, dnssec: bool = False
    ) -> None:
        """Ask, and put the answer at `into[key]` (results by position, never by arrival)."""

        def put(answer: Answer) -> None:
            into[key] = answer

        self.ask(name, rdtype, put, dnssec)

    def spawn(self, work: Callable[[], R], then: Callable[[R], None]) -> None:
        """Run blocking work (it may use the engine) beside the lookups; `then` gets its result."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self._workers, thread_name_prefix="mailcheck-task"
            )
        future = self._pool.submit(work)
        self._watch(future, then)

    def answers(self) -> list[Answer]:
        """Every distinct question this crawler asked, in the order first asked."""
        return [f.result() for f in self._asked.values() if f.done()]

    def run(self) -> None:
        try:
            while self._pending:
                future = self._done.get()
                callbacks = self._pending.pop(future, None)
                if callbacks is None:
                    continue
                result = future.result()
                for then in callbacks:
                    then(result)
        finally:
            if self._pool is not None and not self._pending:
                self._pool.shutdown(wait=False)
                self._pool = None
