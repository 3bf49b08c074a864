"""Benchmark `mailcheck domain` against checkdmarc with a slow DNS server (30 ms per answer).

Run:  .venv/bin/python benchmarks/bench_domain.py [--rtt 0.03] [--runs 5]

The zone (benchmarks/bench.zone) has a 3-deep SPF include tree whose deepest record holds an
mx mechanism, so the longest chain of dependent lookups is 5 round trips:
TXT bench.test -> TXT _spf1 -> TXT _spf1a -> TXT _spf1b -> MX relay.
The target: total time under 1.5 x (5 x RTT) plus start-up, and at least 5x faster than
checkdmarc on the same zone. Figures are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dnsserver import DnsServer  # noqa: E402

DEPTH = 5
ZONES = [ROOT / "benchmarks" / "bench.zone", ROOT / "benchmarks" / "bench_reverse.zone"]


def timed(command: list[str]) -> tuple[float, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - started, result.stdout


def median_run(command: list[str], runs: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(runs):
        elapsed, out = timed(command)
        times.append(elapsed)
    return statistics.median(times), out


CHECKDMARC_PROCESS = """
import sys, dns.nameserver, checkdmarc
ns = dns.nameserver.Do53Nameserver("127.0.0.1", int(sys.argv[1]))
checkdmarc.check_domains(["bench.test"], nameservers=[ns], timeout=5.0)
"""


def checkdmarc_process_time(server: DnsServer, runs: int) -> float:
    elapsed, _ = median_run([sys.executable, "-c", CHECKDMARC_PROCESS, str(server.port)], runs)
    return elapsed


def checkdmarc_time(server: DnsServer, runs: int) -> float:
    import checkdmarc
    import dns.nameserver

    from mailcheck.net.dns.adapters import reset_checkdmarc_caches

    times = []
    for _ in range(runs):
        reset_checkdmarc_caches()
        nameserver = dns.nameserver.Do53Nameserver("127.0.0.1", server.port)
        started = time.perf_counter()
        checkdmarc.check_domains(["bench.test"], nameservers=[nameserver], timeout=5.0)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=0.030, help="seconds added to every answer")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    exe = [sys.executable, "-m", "mailcheck"]
    startup, _ = median_run([*exe, "--version"], args.runs)
    with DnsServer(ZONES, delay=0.0) as fast:
        fixed, _ = median_run(
            [*exe, "domain", "bench.test", "--nameserver", fast.address, "--format", "json"],
            args.runs,
        )
    with DnsServer(ZONES, delay=args.rtt) as server:
        base = [*exe, "domain", "bench.test", "--nameserver", server.address]
        total, out = median_run([*base, "--format", "json"], args.runs)
        doc = json.loads(out)
        queries = doc["dns"]["queries"]
        lookups = doc["reports"][0]["sections"][1]["data"]["lookups"]
        cdm = checkdmarc_time(server, max(1, args.runs // 2))
        cdm_process = checkdmarc_process_time(server, max(1, args.runs // 2))

    budget = 1.5 * DEPTH * args.rtt
    print(f"round trip added by the DNS server   {args.rtt * 1000:.0f} ms")
    print(
        f"dependency depth of the lookups      {DEPTH} round trips "
        f"(SPF tree: {lookups} DNS-querying terms)"
    )
    print(f"mailcheck start-up (--version)       {startup * 1000:.0f} ms")
    print(
        f"mailcheck domain, DNS answering at once {fixed * 1000:.0f} ms "
        "(start-up, imports and checks: the fixed cost)"
    )
    print(
        f"mailcheck domain bench.test          {total * 1000:.0f} ms for {queries} queries "
        f"(median of {args.runs})"
    )
    print(
        f"  time spent waiting on DNS          {(total - fixed) * 1000:.0f} ms "
        f"(target < {budget * 1000:.0f} ms = 1.5 x depth x RTT; sequential would be "
        f"{queries * args.rtt * 1000:.0f} ms)"
    )
    print(f"checkdmarc, in a fresh process       {cdm_process * 1000:.0f} ms")
    print(f"checkdmarc check_domains in-process  {cdm * 1000:.0f} ms (imports excluded)")
    print(
        f"speed-up over checkdmarc             {cdm_process / total:.1f}x process to process; "
        f"DNS phase {cdm / max(total - fixed, 1e-9):.0f}x"
    )


if __name__ == "__main__":
    main()
