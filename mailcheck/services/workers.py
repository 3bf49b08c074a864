"""Worker processes of the --jobs pools (domain, verify): started, and ended with the parent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def start(
    jobs: int, target: Callable[..., None], args: tuple[Any, ...], name: str
) -> tuple[list[Connection], list[Any]]:
    """`jobs` processes running target(conn, *args, inherited): the parent's end of each pipe
    and the processes. Forked before any thread exists where possible, so the workers inherit
    the imported modules instead of importing them again."""
    method = "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"
    context: Any = multiprocessing.get_context(method)
    ends: list[Connection] = []
    processes: list[Any] = []
    for number in range(jobs):
        ours, theirs = context.Pipe()
        # A forked worker holds copies of the parent's ends (its own and the earlier
        # workers'): it closes them, so each worker sees EOF when the parent is gone.
        ends.append(ours)
        inherited = tuple(ends) if method == "fork" else ()
        process = context.Process(
            target=target,
            args=(theirs, *args, inherited),
            name=f"{name}-{number}",
            daemon=True,
        )
        process.start()
        theirs.close()
        processes.append(process)
    return ends, processes


def settle(inherited: tuple[Connection, ...]) -> None:
    """First thing in a worker: Ctrl-C and SIGTERM are the parent's to handle, the parent's
    inherited pipe ends are closed, and the worker ends the moment its parent does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for end in inherited:
        end.close()
    threading.Thread(target=_end_with_parent, name="mailcheck-lifeline", daemon=True).start()


def _end_with_parent() -> None:
    """One Ctrl-C: the parent leaves with os._exit. A worker's main loop would notice only at
    its next message, once the work in hand was done (maybe after several timeouts), holding
    the parent's stdout and stderr open meanwhile, so a reader of the run's output waited."""
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os._exit(0)
