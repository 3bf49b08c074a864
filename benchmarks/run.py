"""mailcheck's benchmark: every figure of the performance targets, side by side with its peer.

Run:  .venv/bin/python benchmarks/run.py            (the full run: many minutes)
      .venv/bin/python benchmarks/run.py --runs 3 --bulk 1000 --messages 2000

Prints one table: the median with min-max over repeated runs of each measure, its target, and
the competing tool measured in the same run (python -c pass, checkdmarc, mailauth, swaks).
DNS comes from Knot on loopback behind a delay proxy that adds the round-trip time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases
import cases_mail
import zones
from dnsrig import INSTALL_HINT, DnsRig, knotd
from measure import Row, render

GROUPS = ("startup", "domain", "bulk", "verify", "trace")


def sizes(text: str, least: int = 1) -> list[int]:
    try:
        values = [int(part.replace("_", "").replace(",", "")) for part in text.split("+") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of counts: {text!r}") from None
    if not values or min(values) < least:
        raise argparse.ArgumentTypeError(f"counts must be at least {least}: {text!r}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure (5)")
    parser.add_argument("--rtt", type=float, default=30.0, help="round trip in ms (30)")
    parser.add_argument(
        "--bulk",
        type=sizes,
        default=[1000, 10000],
        metavar="N+N",
        help="domain counts for the many-domain runs, '+'-separated (1000+10000)",
    )
    parser.add_argument("--bulk-runs", type=int, default=1, help="runs per domain count (1)")
    parser.add_argument(
        "--bulk-jobs",
        type=lambda text: sizes(text, least=0),
        default=[0],
        metavar="N+N",
        help="domain --jobs for the many-domain runs, '+'-separated, each measured in turn "
        "(0: mailcheck's automatic choice; 1+0 compares one process with the pool)",
    )
    parser.add_argument("--messages", type=int, default=10_000, help="messages to verify")
    parser.add_argument("--keys", type=int, default=20, help="distinct DKIM keys (20)")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"comma-separated groups of {', '.join(GROUPS)}"
    )
    parser.add_argument(
        "--allow-python-dns",
        action="store_true",
        help="without Knot, serve DNS from tests/dnsserver.py (figures then measure it)",
    )
    parser.add_argument(
        "--no-install", action="store_true", help="do not npm-install mailauth when it is missing"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON to FILE")
    args = parser.parse_args(argv)
    args.only = [group.strip() for group in args.only.split(",") if group.strip()]
    unknown = sorted(set(args.only) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    if args.runs < 1 or args.bulk_runs < 1 or args.messages < 1 or args.keys < 1:
        parser.error("--runs, --bulk-runs, --messages and --keys must be at least 1")
    return args


def header(rig: DnsRig | None, args: argparse.Namespace) -> list[str]:
    from mailcheck import __version__

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [
        f"mailcheck {__version__} benchmark, {now:%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} cores, load average {load} at the end; Python "
        f"{platform.python_version()}; bytecode caches on (as after pip install)",
    ]
    if rig is not None:
        lines.append(
            f"DNS: {rig.label}, behind an asyncio delay proxy adding the RTT "
            f"({rig.overhead * 1e6:.0f} us per query at 0 ms, vs the server directly)"
        )
    lines.append(
        f"runs per figure: {args.runs} (many domains: {args.bulk_runs}); RTT {args.rtt:g} ms"
    )
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rtt = args.rtt / 1000
    rows: list[Row] = []
    rig: DnsRig | None = None
    needs_dns = {"domain", "bulk", "verify"} & set(args.only)
    if needs_dns and knotd() is None and not args.allow_python_dns:
        sys.exit(f"benchmarks: knotd is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="mailcheck-bench-") as tmp:
        folder = Path(tmp)
        startup_ms = 0.0
        if "startup" in args.only or "domain" in args.only:
            progress("start-up")
            startup_rows, startup_ms = cases.startup(args.runs)
            if "startup" in args.only:
                rows += startup_rows
        served: dict[str, Path] = {}
        corpus = None
        if needs_dns:
            served.update(zones.bench_zone(folder / "bench"))
            if "bulk" in args.only:
                bulk, _ = zones.bulk_zone(_mkdir(folder / "bulk"), max(args.bulk))
                served.update(bulk)
            if "verify" in args.only:
                progress(f"building {args.messages:,} signed messages")
                corpus = cases_mail.build_corpus(
                    _mkdir(folder / "verify"), args.messages, args.keys
                )
                served.update(zones.keys_zone(folder / "verify", corpus.keys))
            rig = DnsRig(served, allow_fallback=args.allow_python_dns).__enter__()
        try:
            single_peer = None
            if rig is not None and "domain" in args.only:
                progress("domain")
                domain_rows = cases.domain(rig, [0.0, rtt], args.runs, startup_ms)
                rows += domain_rows
                single_peer = domain_rows[-1].peer_median
            if rig is not None and "bulk" in args.only:
                for count in args.bulk:
                    for jobs in args.bulk_jobs:
                        progress(f"{count:,} domains, --jobs {jobs}")
                        rows += cases.bulk(
                            rig, folder, count, rtt, args.bulk_runs, single_peer, jobs
                        )
            if rig is not None and corpus is not None:
                progress("verify")
                rows += cases_mail.verify(rig, corpus, args.runs, not args.no_install)
        finally:
            if rig is not None:
                rig.__exit__()
        if "trace" in args.only:
            progress("trace")
            rows += cases_mail.trace(folder, args.runs)
    print(render(rows, header(rig, args)))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"dns": rig.label if rig else None, "rows": [r.as_json() for r in rows]}, indent=2
            )
            + "\n"
        )
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress(what: str) -> None:
    print(f"benchmarks: {what} ...", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
