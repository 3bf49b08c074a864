"""verify --jobs: messages verified in worker processes; DNS asked once, by the parent's engine."""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

import dns.name
import dns.rdatatype

from mailcheck.messages import RawMessage
from mailcheck.model import Report
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.engine import DnsEngine, EngineConfig
from mailcheck.net.dns.names import display
from mailcheck.services import workers
from mailcheck.services.verify import RunMemo, VerifyRequest, verify_message

# Messages per task: large enough that pickling and the pipe cost little per message.
CHUNK = 16
SERIAL = 1  # jobs: the parent process alone (the serial path)

T = TypeVar("T")
# What becomes of each report where it was made: (report, engine, whole) -> what the parent
# takes; `whole` is true for the run's first message only (a lone message is shown in full).
# Picklable: a spawned worker receives it.
Finish = Callable[[Report, DnsEngine, bool], T]


def default_jobs(messages: int | None) -> int:
    """--jobs 0 (auto): every core for a large mailbox, none extra for a few messages (the
    workers' start-up would cost more than they save)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if messages is None or messages < 200:
        return SERIAL
    return max(SERIAL, min(cores or 1, 16))


class VerifyPool(Generic[T]):
    """`jobs` worker processes, each with an engine whose only source is this parent's engine:
    every question is asked once per run (the parent's cache), and each worker sees the very
    answers the serial path would. Each report is finished in its worker (`finish`: what the
    parent would otherwise do to it, serialising included: sending whole reports back cost
    the parent more than the messages cost a worker); results come back in input order."""

    def __init__(
        self, jobs: int, engine: DnsEngine, request: VerifyRequest, finish: Finish[T]
    ) -> None:
        self._engine = engine
        self._jobs: queue.SimpleQueue[tuple[list[RawMessage], bool, Future[list[T]]] | None] = (
            queue.SimpleQueue()
        )
        # started before any thread exists (the DNS I/O thread starts at the first query)
        ends, self._processes = workers.start(
            jobs, _worker, (request, engine.config, finish), "mailcheck-verify"
        )
        self._drivers: list[threading.Thread] = []
        for number, ours in enumerate(ends):
            driver = threading.Thread(
                target=self._drive, args=(ours,), name=f"mailcheck-verify-{number}", daemon=True
            )
            driver.start()
            self._drivers.append(driver)

    def map(self, messages: Iterable[RawMessage]) -> Iterator[T]:
        """Each message's finished report, in order; a bounded number of chunks under way."""
        window: collections.deque[Future[list[T]]] = collections.deque()
        it = iter(messages)
        chunks = iter(lambda: list(itertools.islice(it, CHUNK)), [])
        for number, chunk in enumerate(chunks):
            if len(window) >= 2 * len(self._processes):
                yield from _result(window.popleft())
            future: Future[list[T]] = Future()
            self._jobs.put((chunk, number == 0, future))
            window.append(future)
        while window:
            yield from _result(window.popleft())

    def close(self) -> None:
        for _ in self._processes:
            self._jobs.put(None)
        for driver in self._drivers:
            driver.join(timeout=5)
        for process in self._processes:
            process.join(timeout=1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=1)

    def __enter__(self) -> VerifyPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc and exc[0] is not None:
            # Ctrl-C or an error: end the workers now; the driver threads (daemons) may be
            # waiting on a DNS answer, and the run must not wait for it.
            for process in self._processes:
                process.terminate()
            return
        self.close()

    def _drive(self, conn: Connection) -> None:
        """One worker's conversation: hand it a chunk, answer its DNS questions, collect."""
        with conn:
            while True:
                job = self._jobs.get()
                if job is None:
                    _send(conn, ("stop", None))
                    return
                chunk, first, future = job
                try:
                    conn.send(("verify", (chunk, first)))
                    while True:
                        kind, payload = conn.recv()
                        if kind == "dns":
                            name, rdtype, dnssec = payload
                            conn.send(self._engine.resolve(name, rdtype, dnssec))
                        elif kind == "done":
                            future.set_result(payload)
                            break
                        else:
                            future.set_exception(RuntimeError(f"verify worker: {payload}"))
                            break
                except (EOFError, OSError) as exc:
                    future.set_exception(RuntimeError(f"verify worker stopped: {exc}"))
                    return


def _result(future: Future[list[T]]) -> list[T]:
    """Wait in short steps: a signal may be delivered to another thread, and the main thread
    runs Python's handler (Ctrl-C's immediate exit) only when it wakes."""
    while True:
        try:
            return future.result(timeout=0.1)
        except TimeoutError:
            continue


def _send(conn: Connection, message: object) -> None:
    with contextlib.suppress(OSError):  # the worker is gone already
        conn.send(message)


class _Relay:
    """The worker's only DNS source: each question goes to the parent, the answer comes back
    whole (outcome, records, source label), as the parent's engine gave it."""

    label = "parent"

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool:
        return True

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Answer:
        self._conn.send(("dns", (display(name), int(rdtype), False)))
        answer: Answer = self._conn.recv()
        return answer


def _worker(
    conn: Connection,
    request: VerifyRequest,
    config: EngineConfig,
    finish: Finish[Any],
    inherited: tuple[Connection, ...] = (),
) -> None:
    workers.settle(inherited)
    engine = DnsEngine([_Relay(conn)], None, config)
    memo = RunMemo()
    try:
        while True:
            kind, payload = conn.recv()
            if kind != "verify":
                return
            chunk, first = payload
            try:
                done = [
                    finish(verify_message(m, engine, request, memo), engine, first and not i)
                    for i, m in enumerate(chunk)
                ]
            except (EOFError, OSError):
                return  # the parent is gone (its pipe closed): nothing to report to
            except Exception as exc:  # reported by the parent as a run error, not lost
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
                continue
            conn.send(("done", done))
    except (EOFError, OSError):
        return
