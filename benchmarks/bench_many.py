"""Benchmark many domains at once: 100 generated domains, DNS answers delayed by 30 ms.

Run:  .venv/bin/python benchmarks/bench_many.py [--domains 100] [--rtt 0.03]

Each domain has two MX hosts with reverse DNS, an SPF record with a two-level include tree,
DMARC with a report address and a DKIM key at a common selector; every family is checked
(DKIM discovery probes ~60 selectors per domain). The issue's target: 100 domains in under
5 s. Peak memory of the run is printed too (flat memory matters for 1,000-domain runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dnsserver import DnsServer  # noqa: E402


def make_zones(directory: Path, count: int) -> list[str]:
    lines = [
        "$ORIGIN bulk.test.",
        "$TTL 300",
        "@ SOA ns hostmaster 1 3600 600 86400 300",
        "ns A 192.0.2.53",
        "mx1 A 192.0.2.10",
        "mx2 A 192.0.2.20",
        '_spf TXT "v=spf1 include:_spf2.bulk.test ip4:198.51.100.0/24 -all"',
        '_spf2 TXT "v=spf1 ip4:203.0.113.0/24 -all"',
    ]
    domains = []
    for index in range(count):
        name = f"d{index:04d}"
        domains.append(f"{name}.bulk.test")
        lines += [
            f"{name} MX 10 mx1",
            f"{name} MX 20 mx2",
            f'{name} TXT "v=spf1 mx include:_spf.bulk.test -all"',
            f'_dmarc.{name} TXT "v=DMARC1; p=reject; rua=mailto:d@{name}.bulk.test"',
            f'selector1._domainkey.{name} TXT "v=DKIM1; k=ed25519; '
            'p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="',
        ]
    (directory / "bulk.test.zone").write_text("\n".join(lines) + "\n")
    (directory / "reverse.zone").write_text(
        "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n"
        "@ SOA ns.bulk.test. h.bulk.test. 1 3600 600 86400 300\n"
        "10 PTR mx1.bulk.test.\n20 PTR mx2.bulk.test.\n"
    )
    (directory / "root.zone").write_text("$ORIGIN .\n$TTL 300\n@ SOA a. b. 1 1 1 1 1\n")
    return domains


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--rtt", type=float, default=0.030)
    parser.add_argument("extra", nargs="*", help="more mailcheck options (after --)")
    args = parser.parse_args()
    extra = args.extra
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        domains = make_zones(directory, args.domains)
        listing = directory / "domains.txt"
        listing.write_text("\n".join(domains) + "\n")
        with DnsServer(sorted(directory.glob("*.zone")), delay=args.rtt) as server:
            command = [
                sys.executable,
                "-m",
                "mailcheck",
                "domain",
                "--from-file",
                str(listing),
                "--nameserver",
                server.address,
                "--format",
                "jsonl",
                *extra,
            ]
            started = time.perf_counter()
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env={**os.environ, "CI": "true"},
                check=False,
            )
            elapsed = time.perf_counter() - started
            served = server.queries
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    queries = sum(line["dns"]["queries"] for line in lines)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"domains checked            {len(lines)} of {args.domains} (exit {result.returncode})")
    print(f"round trip added per answer {args.rtt * 1000:.0f} ms")
    print(f"wall time                  {elapsed:.2f} s (target < 5 s for 100 domains)")
    print(
        f"DNS questions asked        {queries} (server answered {served}; the rest came "
        "from the per-run cache)"
    )
    print(f"peak memory of the run     {peak:.0f} MB")


if __name__ == "__main__":
    main()
