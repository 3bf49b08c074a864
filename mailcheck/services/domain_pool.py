"""domain --jobs: domains checked in worker processes, each with its own DNS engine."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from mailcheck.model import QueryStats, Report
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain_name import DomainName
from mailcheck.services import workers
from mailcheck.services.domain import DomainRequest, check_domain

SERIAL = 1  # jobs: the parent process alone (the serial path)
# Below this many domains the workers' start-up (and each one's cold cache of the shared
# names: provider includes, MX hosts) costs more than a second core saves.
POOL_FROM = 200

# (input index, domain, its request): what a worker is handed, one domain at a time
Task = tuple[int, DomainName, DomainRequest]


# gc.set_threshold for bulk runs: the first generation collected after this many new
# container objects, not 700. A bulk run makes millions of short-lived ones that reference
# counting frees (no cycles per query or per domain); each young collection still walked
# them, and each full one the whole cache: 15 to 20% of a bulk run's CPU.
BULK_GC_THRESHOLD = 50_000


def bulk_gc() -> None:
    """Collect cyclic garbage less often in a run over many domains (memory is unchanged:
    what such a run frees, reference counting frees)."""
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, BULK_GC_THRESHOLD), second, third)


def default_jobs(domains: int) -> int:
    """--jobs 0 (auto): every core (at most 16) for a long list, one process for a few."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if domains < POOL_FROM:
        return SERIAL
    return max(SERIAL, min(cores or 1, 16))


def share(options: DnsOptions, parallel: int, jobs: int) -> tuple[DnsOptions, int]:
    """One worker's part of --concurrency, --max-qps and --parallel: the totals stay what the
    user asked for (each worker gets at least one query in flight and one domain at a time)."""
    qps = options.max_qps / jobs if options.max_qps is not None else None
    mine = dataclasses.replace(
        options, concurrency=max(1, options.concurrency // jobs), max_qps=qps
    )
    return mine, max(1, parallel // jobs)


class DomainPool:
    """`jobs` worker processes; each asks for a domain whenever it has a free slot (of its
    share of --parallel), checks it with its own engine and sends the report back as soon as
    it is done. The parent's one writer gets them through `reports()`, as they finish."""

    def __init__(
        self, jobs: int, options: DnsOptions, parallel: int, overall: float | None
    ) -> None:
        mine, slots = share(options, parallel, jobs)
        self._todo: Iterator[Task] = iter(())
        self._lock = threading.Lock()
        self._results: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._drivers: list[threading.Thread] = []
        self._stats: list[QueryStats] = []
        self._conns, self._processes = workers.start(
            jobs, _worker, (mine, slots, overall), "mailcheck-domain"
        )

    def reports(self, tasks: Iterable[Task]) -> Iterator[tuple[int, Report]]:
        """(input index, report) as each domain finishes, whichever worker checked it."""
        self._todo = iter(tasks)
        for number, (conn, process) in enumerate(zip(self._conns, self._processes, strict=True)):
            driver = threading.Thread(
                target=self._drive,
                args=(conn, process),
                name=f"mailcheck-domain-{number}",
                daemon=True,
            )
            driver.start()
            self._drivers.append(driver)
        running = len(self._drivers)
        while running:
            kind, payload = _get(self._results)
            if kind == "report":
                yield payload
            elif kind == "end":
                running -= 1
            else:
                raise RuntimeError(payload)

    def stats(self) -> QueryStats:
        """The workers' counts added up (each worker has its own cache of the shared names)."""
        total = QueryStats(queries=0, cache_hits=0, errors=0, elapsed=0.0)
        for part in self._stats:
            total = QueryStats(
                queries=total.queries + part.queries,
                cache_hits=total.cache_hits + part.cache_hits,
                errors=total.errors + part.errors,
                elapsed=max(total.elapsed, part.elapsed),
            )
        return total

    def __enter__(self) -> DomainPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc and exc[0] is not None:
            # an error (a worker gone): end the others now, their domains are not waited for
            for process in self._processes:
                process.terminate()
        for driver in self._drivers:
            driver.join(timeout=5)
        for process in self._processes:
            process.join(timeout=1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=1)

    def _next(self) -> Task | None:
        with self._lock:
            return next(self._todo, None)

    def _drive(self, conn: Connection, process: Any) -> None:
        """One worker's conversation: a domain for each request, its reports to the queue."""
        checking: dict[int, str] = {}
        with conn:
            try:
                while True:
                    kind, payload = conn.recv()
                    if kind == "want":
                        task = self._next()
                        conn.send(task)
                        if task is not None:
                            checking[task[0]] = task[1].ascii
                    elif kind == "report":
                        checking.pop(payload[0], None)
                        self._results.put(("report", payload))
                    elif kind == "end":
                        self._stats.append(payload)
                        self._results.put(("end", None))
                        return
                    else:
                        self._results.put(("error", f"domain worker: {payload}"))
                        return
            except (EOFError, OSError):
                process.join(timeout=1)
                names = ", ".join(sorted(checking.values())) or "no domain"
                self._results.put(
                    (
                        "error",
                        f"a domain worker process ended (exit code {process.exitcode}) "
                        f"while checking {names}",
                    )
                )


def _get(results: queue.SimpleQueue[tuple[str, Any]]) -> tuple[str, Any]:
    """Wait in short steps: the main thread runs Ctrl-C's handler only when it wakes."""
    while True:
        try:
            return results.get(timeout=0.1)
        except queue.Empty:
            continue


def _worker(
    conn: Connection,
    options: DnsOptions,
    slots: int,
    overall: float | None,
    inherited: tuple[Connection, ...] = (),
) -> None:
    workers.settle(inherited)
    bulk_gc()  # inherited when forked, not when spawned
    engine = build_engine(options)
    if overall is not None:
        # the whole-run --deadline counts from the parent's start, not from this worker's
        # (the monotonic clock is the machine's); its messages keep the user's figure
        engine._shared.overall = overall
    sending = threading.Lock()
    free = threading.Semaphore(slots)

    def send(message: object) -> None:
        with sending, contextlib.suppress(OSError):  # the parent is gone: nothing to report to
            conn.send(message)

    def finished(index: int) -> Callable[[Future[Report]], None]:
        def done(future: Future[Report]) -> None:
            try:
                send(("report", (index, future.result())))
            except Exception as exc:  # reported by the parent as a run error, not lost
                send(("error", f"{type(exc).__name__}: {exc}"))
            free.release()

        return done

    try:
        with engine, ThreadPoolExecutor(slots, thread_name_prefix="mailcheck-domain") as pool:
            while True:
                free.acquire()
                send(("want", None))
                task: Task | None = conn.recv()
                if task is None:
                    break
                index, name, request = task
                pool.submit(_check, engine, name, request).add_done_callback(finished(index))
        send(("end", engine.stats()))
    except (EOFError, OSError):
        os._exit(0)  # the parent is gone (Ctrl-C): its domains in flight are abandoned


def _check(engine: Any, name: DomainName, request: DomainRequest) -> Report:
    # a view per domain: its own --domain-deadline, its answers released when it is done
    with engine.scoped() as view:
        return check_domain(name, view, request, None)
