"""`python -m mailcheck` and the `mailcheck` command: Ctrl-C is held until its handler is in."""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """The entry point: the CLI's imports take ~100 ms, and a Ctrl-C during them printed a
    traceback; held (not lost) until signals.install() is in place, it ends the run there."""
    try:
        hold = getattr(signal, "pthread_sigmask", None)  # POSIX only
        if hold is not None:
            hold(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        from mailcheck.cli import main as run
    except KeyboardInterrupt:  # where signals cannot be held (Windows)
        from mailcheck.model import ExitCode

        sys.stderr.write("\nmailcheck: interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
    run()


if __name__ == "__main__":  # not again in a worker process (verify --jobs)
    main()
