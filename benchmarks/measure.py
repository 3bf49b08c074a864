"""Measuring processes (wall time, CPU, peak memory) and the rows of the result table."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INFORMATIONAL = "none (fixed cost)"  # the target of a figure shown for what it explains


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and what it waited for
    peak_mb: float  # the process tree's peak: see run()
    returncode: int
    stdout: str
    stderr: str


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every measured process.

    Bytecode caches are allowed (PYTHONDONTWRITEBYTECODE removed), as after `pip install`,
    which compiles them; MAILCHECK_* settings of the caller are dropped so they cannot change
    what is measured; no colour and no progress display (CI=true).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MAILCHECK_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update({"NO_COLOR": "1", "CI": "true", "COLUMNS": "120"})
    env.update(extra or {})
    return env


def mailcheck_command() -> list[str]:
    """The installed `mailcheck` script next to this Python (what a user and TAB run)."""
    script = Path(sys.executable).parent / "mailcheck"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mailcheck"]


# Every measured process runs in an empty folder: no ./mailcheck.toml or pyproject.toml there.
WORKDIR = Path(tempfile.mkdtemp(prefix="mailcheck-bench-cwd-"))


def run(
    command: Sequence[str],
    env: dict[str, str] | None = None,
    timeout: float = 3600,
    memory: bool = False,
) -> Sample:
    """Run one process to its end; its rusage (os.wait4) gives CPU (its own and that of the
    worker processes it waited for). Peak memory is sampled from /proc instead of taken from
    ru_maxrss: Linux carries the forking parent's high-water mark over exec() (a benchmark that
    has grown to 90 MB made every later child "peak" at 90 MB), and rusage does not add up
    worker processes (domain/verify --jobs). The figure is the larger of the main process's
    own high-water mark (VmHWM, exact) and the whole tree's sampled sum of proportional set
    sizes (pages a forked worker still shares with its parent count once).

    Only with `memory` (the many-domain rows): sampling reads the child's page tables and
    the polling loop runs on the same two cores, which added 10-20 ms to a 150 ms process.
    Otherwise the benchmark blocks in wait4 and the figure is the process's own."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env or child_env(),
            cwd=WORKDIR,
        )
        deadline = time.monotonic() + timeout
        tree_peak, sampled = 0, 0.0
        if not memory:
            watchdog = threading.Timer(timeout, process.kill)
            watchdog.start()
            try:
                pid, status, usage = os.wait4(process.pid, 0)
            finally:
                watchdog.cancel()
        while memory:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - sampled >= TREE_SAMPLE:
                now_kb = max(tree_pss_kb(process.pid), hwm_kb(process.pid))
                tree_peak, sampled = max(tree_peak, now_kb), time.monotonic()
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Sample(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            peak_mb=tree_peak / 1024,
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


TREE_SAMPLE = 0.02  # seconds between two samples of the process tree's memory


def hwm_kb(pid: int) -> int:
    """The process's peak resident set size since its exec(), in KiB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # ended meanwhile
    return 0


def tree_pss_kb(root: int) -> int:
    """The proportional set size of `root` and all its descendants now, in KiB (Linux)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue  # ended meanwhile
    return total


def repeat(
    command: Sequence[str],
    runs: int,
    env: dict[str, str] | None = None,
    check: Callable[[Sample], None] | None = None,
    warm: bool = True,
    memory: bool = False,
) -> list[Sample]:
    """`runs` measured runs after one unmeasured warm-up (bytecode and file caches)."""
    if warm:
        run(command, env)
    samples = []
    for _ in range(runs):
        sample = run(command, env, memory=memory)
        if check is not None:
            check(sample)
        samples.append(sample)
    return samples


class BenchmarkError(RuntimeError):
    """A measured command did not do what the benchmark expects (wrong exit code, output)."""


def expect_exit(*codes: int) -> Callable[[Sample], None]:
    def check(sample: Sample) -> None:
        if sample.returncode not in codes:
            raise BenchmarkError(
                f"exit {sample.returncode} (expected {codes}):\n{sample.stderr[-1500:]}"
            )

    return check


@dataclass
class Row:
    """One line of the table: our figure, its target, and the peer's figure from the same run."""

    group: str
    name: str
    unit: str  # "ms", "s", "MB", "msg/s", "queries"
    values: list[float]
    target: str
    met: bool | None  # None: the target could not be judged (peer missing), or there is none
    peer: str = ""
    peer_values: list[float] = field(default_factory=list)
    note: str = ""
    higher_is_better: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def peer_median(self) -> float | None:
        return statistics.median(self.peer_values) if self.peer_values else None

    def as_json(self) -> dict[str, object]:
        return {
            "group": self.group,
            "name": self.name,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.values) if self.values else None,
            "max": max(self.values) if self.values else None,
            "runs": len(self.values),
            "target": self.target,
            "met": self.met,
            "peer": self.peer,
            "peer_median": self.peer_median,
            "peer_min": min(self.peer_values) if self.peer_values else None,
            "peer_max": max(self.peer_values) if self.peer_values else None,
            "note": self.note,
        }


def ms(samples: list[Sample]) -> list[float]:
    return [s.wall * 1000 for s in samples]


def fmt(value: float, unit: str) -> str:
    if unit in ("ms", "MB", "queries") or value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def spread(values: list[float], unit: str) -> str:
    if not values:
        return "-"
    middle = fmt(statistics.median(values), unit)
    if len(values) == 1:
        return f"{middle} {unit} (1 run)"
    return f"{middle} {unit} ({fmt(min(values), unit)}-{fmt(max(values), unit)})"


def render(rows: list[Row], header: list[str]) -> str:
    """A plain-text table: measure | mailcheck median (min-max) | target | met | peer."""
    lines = list(header)
    table = [("measure", "mailcheck median (min-max)", "target", "met", "peer median (min-max)")]
    group = None
    for row in rows:
        if row.group != group:
            group = row.group
            table.append((f"[{group}]", "", "", "", ""))
        # "-": informational, no target to meet; "?": a target that could not be judged
        met = "-" if row.target == INFORMATIONAL else {True: "yes", False: "NO", None: "?"}[row.met]
        peer = f"{row.peer}: {spread(row.peer_values, row.unit)}" if row.peer_values else row.peer
        table.append(("  " + row.name, spread(row.values, row.unit), row.target, met, peer))
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for line in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(line[:4])]
        lines.append(("  ".join(cells) + "  " + line[4]).rstrip())
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def which(name: str) -> str | None:
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
