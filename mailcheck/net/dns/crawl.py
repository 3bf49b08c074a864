"""Drive many dependent lookups at once: callbacks run in one thread as answers arrive."""

from __future__ import annotations

import queue
from collections.abc import Callable, Hashable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.cache import Lookup
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
        # What is awaited (an engine lookup, or a spawned task's future) -> its continuations
        self._pending: dict[object, list[Callable[[Any], None]]] = {}
        # (what, its answer) arrive here as they finish (O(1) each, unlike waiting on the whole
        # pending set); a spawned task's future stands for its own result.
        self._done: queue.SimpleQueue[tuple[object, Any]] = queue.SimpleQueue()
        self._asked: dict[tuple[str, str, bool], Lookup[Answer]] = {}
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def ask(self, name: str, rdtype: str, then: Then, dnssec: bool = False) -> None:
        lookup = self.engine.ask(name, rdtype, dnssec=dnssec)
        self._asked.setdefault((name.lower().rstrip("."), rdtype, dnssec), lookup)
        callbacks = self._pending.get(lookup)
        if callbacks is None:
            self._pending[lookup] = [then]
            put = self._done.put
            lookup.add_done_callback(lambda answer: put((lookup, answer)))
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
        self._pending[future] = [then]
        future.add_done_callback(lambda done: self._done.put((done, done)))

    def answers(self) -> list[Answer]:
        """Every distinct question this crawler asked, in the order first asked."""
        return [answer for answer, _dnssec in self.questions()]

    def questions(self) -> list[tuple[Answer, bool]]:
        """Every distinct question this crawler asked with its answer, and whether it was
        asked with the DO bit (the same name and type may be asked both ways)."""
        return [(lookup.result(), key[2]) for key, lookup in self._asked.items() if lookup.done()]

    def run(self) -> None:
        try:
            while self._pending:
                what, result = self._done.get()
                callbacks = self._pending.pop(what, None)
                if callbacks is None:
                    continue
                if isinstance(result, Future):
                    result = result.result()  # a spawned task's exception is raised here
                for then in callbacks:
                    then(result)
        finally:
            if self._pool is not None and not self._pending:
                self._pool.shutdown(wait=False)
                self._pool = None
