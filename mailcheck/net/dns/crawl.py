"""Drive many dependent lookups at once: callbacks run in one thread as answers arrive."""

from __future__ import annotations

from collections.abc import Callable, Hashable, MutableMapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TypeVar

from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.engine import DnsEngine

Then = Callable[[Answer], None]
K = TypeVar("K", bound=Hashable)


class Crawler:
    """Ask questions with a continuation; `run()` returns when no question is left open.

    Every continuation runs in the caller's thread, so check code needs no locks, and the
    network work of independent questions overlaps. Callers must store results by position,
    never by arrival order, so reports do not depend on timing.
    """

    def __init__(self, engine: DnsEngine) -> None:
        self.engine = engine
        self._pending: dict[Future[Answer], list[Then]] = {}
        self._asked: dict[tuple[str, str], Future[Answer]] = {}

    def ask(self, name: str, rdtype: str, then: Then) -> None:
        future = self.engine.submit(name, rdtype)
        self._asked.setdefault((name.lower().rstrip("."), rdtype), future)
        self._pending.setdefault(future, []).append(then)

    def store(self, name: str, rdtype: str, into: MutableMapping[K, Answer], key: K) -> None:
        """Ask, and put the answer at `into[key]` (results by position, never by arrival)."""

        def put(answer: Answer) -> None:
            into[key] = answer

        self.ask(name, rdtype, put)

    def answers(self) -> list[Answer]:
        """Every distinct question this crawler asked, in the order first asked."""
        return [f.result() for f in self._asked.values() if f.done()]

    def run(self) -> None:
        while self._pending:
            done, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
            for future in done:
                callbacks = self._pending.pop(future)
                answer = future.result()
                for then in callbacks:
                    then(answer)
