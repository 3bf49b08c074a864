"""`python -m mailcheck` and the `mailcheck` command: Ctrl-C is held until its handler is in."""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """The entry point: the CLI's imports take ~100 ms, and a Ctrl-C during them printed a
    traceback; held (not lost) until signals.install() is in place, it ends the run there.

    The garbage collector stays out of start-up and shutdown: the modules, classes and
    functions imported live until the process ends, and collecting over them (during the
    imports, and again at interpreter exit) cost about a sixth of a short run's CPU.

    The methods of the dataclasses are compiled once and kept (mailcheck.codecache): about
    a fifth of a short run's CPU otherwise. A one-domain run's first DNS questions leave
    before the CLI loads (mailcheck.early)."""
    import gc

    gc.disable()  # during the imports: nothing they make is garbage
    try:
        hold = getattr(signal, "pthread_sigmask", None)  # POSIX only
        if hold is not None:
            hold(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        from mailcheck import codecache

        kept = codecache.install()
        from mailcheck import early

        early.start(sys.argv)  # `domain NAME`: its first DNS questions leave now
        from mailcheck.cli import main as run
    except KeyboardInterrupt:  # where signals cannot be held (Windows)
        from mailcheck.model import ExitCode

        sys.stderr.write("\nmailcheck: interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    gc.freeze()  # what start-up made: never traversed again (nor copied by forked workers)
    gc.enable()  # a run's own garbage is collected as usual (bulk runs stay flat)
    code: str | int | None = 0
    try:
        run()
    except SystemExit as ending:
        code = ending.code
    finally:
        kept.save()  # only when this run compiled something new
    _leave(code)


def _leave(code: str | int | None) -> None:
    """End the process without the interpreter's teardown (freeing every module, class and
    object one by one: ~4% of a short run's CPU) when nothing is left for it to do: the
    threads that warm libraries have finished, no other thread or child process is still
    running (those get Python's own shutdown, which stops and waits for them), and what was
    written is flushed."""
    import contextlib
    import os
    import threading

    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread.name == "mailcheck-warm":
            thread.join()  # an import under way (checks.libs.warm): a few ms at most
    busy = any(t is not current and not t.daemon and t.is_alive() for t in threading.enumerate())
    processes = sys.modules.get("multiprocessing")
    if busy or (processes is not None and processes.active_children()):
        import gc

        gc.freeze()  # no full collection at exit over everything the run still holds
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe: signals._pipe_safe has already made its exit code of it
        with contextlib.suppress(Exception):
            stream.flush()
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")  # as Python prints a SystemExit's text
        sys.stderr.flush()
        code = 1
    os._exit(code)


if __name__ == "__main__":  # not again in a worker process (verify --jobs)
    main()
