"""Benchmark bulk verification: 10,000 messages, two DKIM signatures each, 20 distinct keys.

Run:  .venv/bin/python benchmarks/bench_verify.py [--messages 10000] [--keys 20]

Messages are signed (RSA-2048 keys of 20 domains), carry a Received header (so
SPF is evaluated too) and sit in a Maildir; the keys are served by a DNS server on loopback.
Target: under 15 s, with DNS questions about keys equal to the number of distinct keys.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from tests.dnsserver import DnsServer  # noqa: E402
from tests.mailgen import fast_sign  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="build the messages and zone in DIR and keep them (for profiling)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        base = Path(tmp)
        zone = ["$ORIGIN bulk.test.", "$TTL 300", "@ SOA ns h 1 3600 600 86400 300"]
        keys = []
        for index in range(args.keys):
            key = rsa.generate_private_key(65537, 2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            spki = base64.b64encode(
                key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ).decode()
            domain = f"d{index:02d}.bulk.test"
            keys.append((domain, pem))
            zone += [
                f's1._domainkey.d{index:02d} TXT "v=DKIM1; k=rsa; p={spki[:200]}" "{spki[200:]}"',
                f'd{index:02d} TXT "v=spf1 ip4:192.0.2.0/24 -all"',
                f'_dmarc.d{index:02d} TXT "v=DMARC1; p=reject; rua=mailto:r@bulk.test"',
            ]
        (base / "bulk.zone").write_text("\n".join(zone) + "\n")
        (base / "root.zone").write_text("$ORIGIN .\n$TTL 300\n@ SOA a. b. 1 1 1 1 1\n")
        maildir = base / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        started = time.perf_counter()
        for number in range(args.messages):
            author, author_key = keys[number % len(keys)]
            esp, esp_key = keys[(number * 7 + 3) % len(keys)]
            data = (
                f"Return-Path: <bounce@{author}>\r\n"
                f"Received: from out.{author} (out.{author} [192.0.2.25]) by mx.bulk.test "
                f"with ESMTPS id Q{number}; Sat, 28 Nov 2026 08:00:00 +0000\r\n"
                f"From: sender@{author}\r\nTo: r@bulk.test\r\nSubject: message {number}\r\n"
                f"Date: Sat, 28 Nov 2026 08:00:00 +0000\r\nMessage-ID: <{number}@{author}>"
                f"\r\n\r\n" + f"Body of message {number}.\r\n" * 40
            ).encode()
            for domain, pem in ((esp, esp_key), (author, author_key)):
                data = fast_sign(data, pem, "s1", domain)
            (maildir / "cur" / f"{number:05d}.eml").write_bytes(data)
        built = time.perf_counter() - started
        with DnsServer([base / "bulk.zone", base / "root.zone"]) as server:
            command = [
                sys.executable,
                "-m",
                "mailcheck",
                "verify",
                str(maildir),
                "--nameserver",
                server.address,
                "--format",
                "jsonl",
            ]
            started = time.perf_counter()
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "CI": "true"},
            )
            elapsed = time.perf_counter() - started
            served = server.queries
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    dmarc: dict[str, int] = {}
    for line in lines:
        family = {s["family"]: s for s in line["sections"]}
        outcome = family["dmarc"]["data"].get("result", "?") if "dmarc" in family else "?"
        dmarc[outcome] = dmarc.get(outcome, 0) + 1
    print(f"messages built and signed      {args.messages} in {built:.1f} s (not measured)")
    print(f"verified                       {len(lines)} messages (exit {result.returncode})")
    print(f"DMARC results                  {dmarc}")
    print(f"wall time                      {elapsed:.1f} s (target < 15 s)")
    print(f"per message                    {elapsed / args.messages * 1000:.2f} ms")
    print(
        f"DNS questions sent             {served} for {args.keys} keys and their domains' "
        "SPF and DMARC records (each asked once)"
    )


if __name__ == "__main__":
    main()
