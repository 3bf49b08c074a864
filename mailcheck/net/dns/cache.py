"""The run's DNS cache: answers in use stay, released ones age out of two bounded LRU lists."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
A = TypeVar("A")


class Lookup(Generic[A]):
    """One shared lookup under way: its answer, once, and who waits for it.

    What the engine used a concurrent.futures.Future for, without the Condition each Future
    builds (a tenth of a bulk run's CPU went to creating and completing them): nobody blocks
    on it, the waiters are callbacks.
    """

    __slots__ = ("_answer", "_callbacks", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answer: A | None = None
        self._callbacks: list[Callable[[A], None]] = []

    def done(self) -> bool:
        return self._answer is not None

    def result(self) -> A:
        """The answer; only once `done()` (nobody blocks on a lookup)."""
        if self._answer is None:
            raise RuntimeError("lookup not done")
        return self._answer

    def add_done_callback(self, callback: Callable[[A], None]) -> None:
        """`callback(answer)` once the answer is there: now, if it already is."""
        with self._lock:
            answer = self._answer
            if answer is None:
                self._callbacks.append(callback)
                return
        _run(callback, answer)

    def set_result(self, answer: A) -> bool:
        """Settle with `answer` and run the callbacks; False if already settled (first wins)."""
        with self._lock:
            if self._answer is not None:
                return False
            self._answer = answer
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _run(callback, answer)
        return True


def _run(callback: Callable[[A], None], answer: A) -> None:
    # as Future does: a failing callback is reported and the others still run
    try:
        callback(answer)
    except Exception as exc:
        sys.stderr.write(f"mailcheck: error in a DNS callback: {type(exc).__name__}: {exc}\n")


@dataclass(eq=False)
class Entry(Generic[A]):
    """One question of the run: its shared lookup and what the engine knows about it."""

    lookup: Lookup[A] | None = None  # under way
    answer: A | None = None  # the last lookup's answer, once it came
    deadline: float = 0.0  # the deadline of whoever started the current lookup
    rounds: int = 0  # lookups started (a network failure is asked again by later subjects)
    users: int = 0  # subjects (engine views) that hold it now: never evicted while > 0
    askers: int = 0  # subjects that ever asked: 2 or more marks a shared name


class RunCache(Generic[K, A]):
    """A segmented LRU over subjects rather than over single reads.

    A bulk run asks about 45 questions per domain, most of them about that domain only; a few
    (a provider's SPF include, its DKIM or MTA-STS hosts) are asked by many domains. When a
    subject is done its questions are released: one asked by a single subject goes to the
    short `probation` list, one asked by two or more to the longer `protected` list. Each list
    drops its oldest entry past its size, so memory is flat in the number of domains while
    shared names stay cached. A released question asked again moves back into use (and, on
    its next release, to `protected`). Not thread-safe: the engine holds its lock.
    """

    def __init__(self, protected: int = 4096, probation: int = 1024) -> None:
        self.entries: dict[K, Entry[A]] = {}
        self._protected: OrderedDict[K, None] = OrderedDict()
        self._probation: OrderedDict[K, None] = OrderedDict()
        self._sizes = (max(0, protected), max(0, probation))
        self.evicted = 0

    def __len__(self) -> int:
        return len(self.entries)

    def acquire(self, key: K) -> Entry[A]:
        """A subject starts using `key` (once per subject): it stays until released."""
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = Entry()
        else:
            self._protected.pop(key, None)
            self._probation.pop(key, None)
        entry.users += 1
        entry.askers += 1
        return entry

    def adopt(self, key: K) -> Entry[A]:
        """The entry of `key` for a lookup nobody holds (a subject already released it)."""
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = Entry()
            self._park(key, entry)
        return entry

    def release(self, key: K) -> None:
        """A subject is done with `key`."""
        entry = self.entries.get(key)
        if entry is None or entry.users <= 0:
            return
        entry.users -= 1
        if entry.users == 0:
            self._park(key, entry)

    def _park(self, key: K, entry: Entry[A]) -> None:
        shared = entry.askers >= 2
        segment = self._protected if shared else self._probation
        segment[key] = None
        limit = self._sizes[0 if shared else 1]
        while len(segment) > limit:
            old, _ = segment.popitem(last=False)
            del self.entries[old]
            self.evicted += 1

    def sizes(self) -> tuple[int, int, int]:
        """(entries in all, released and shared, released and single-use): for tests, -v."""
        return len(self.entries), len(self._protected), len(self._probation)
