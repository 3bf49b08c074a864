"""Benchmark trace overhead: our SMTP probe against a bare client doing the same dialogue.

Run:  .venv/bin/python benchmarks/bench_trace.py [--rounds 50]

Both talk to the same aiosmtpd server on loopback with STARTTLS (a trustme certificate):
banner, EHLO, STARTTLS and the handshake, EHLO, MAIL FROM, RCPT TO, RSET, QUIT. The bare
client is a few lines over `socket` and `ssl`, with nothing recorded; the difference per step
is what the transcript, parsing and certificate capture cost. Also timed: the full
`mailcheck trace` process (start-up and judgement included) and a parallel --all-mx.
Target: under 5 ms per step beyond the network round trip.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailcheck.net.probe import ProbeOptions, probe  # noqa: E402
from tests.smtpfixtures import Certificates, server_context, start_smtp  # noqa: E402

STEPS = 8  # banner, EHLO, STARTTLS, EHLO, MAIL, RCPT, RSET, QUIT
CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # built once: loading CAs costs ~30 ms
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE


def bare(port: int, name: str) -> None:
    """The same conversation, without a transcript: the floor."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as our Session does
    reader = sock.makefile("rb")

    def reply() -> None:
        while True:
            line = reader.readline()
            if line[3:4] != b"-":
                return

    def say(text: str) -> None:
        sock.sendall(text.encode() + b"\r\n")
        reply()

    reply()
    say("EHLO bench.test")
    say("STARTTLS")
    tls = CONTEXT.wrap_socket(sock, server_hostname=name)
    reader = tls.makefile("rb")
    sock = tls
    say("EHLO bench.test")
    say("MAIL FROM:<a@bench.test>")
    say("RCPT TO:<b@bench.test>")
    say("RSET")
    say("QUIT")
    sock.close()


def ours(port: int, name: str) -> None:
    options = ProbeOptions(
        port=port, ehlo="bench.test", mail_from="a@bench.test", rcpt=("b@bench.test",)
    )
    result = probe(name, "127.0.0.1", options)
    assert result.error is None and result.tls is not None, result.error


def timed(function: object, rounds: int, *args: object) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    certs = Certificates()
    name = "mx.smtp-good.test"
    server = start_smtp(starttls=server_context(certs.good), name=name)
    try:
        timed(bare, 3, server.port, name)  # warm up both paths
        timed(ours, 3, server.port, name)
        floor = timed(bare, args.rounds, server.port, name)
        probe_times = timed(ours, args.rounds, server.port, name)
        with tempfile.TemporaryDirectory() as tmp:
            zone = Path(tmp) / "bench.test.zone"
            zone.write_text(
                "$ORIGIN smtp-good.test.\n$TTL 300\n"
                "@ SOA ns.test. h.test. 1 3600 600 86400 300\n@ NS ns.test.\n"
                "@ MX 10 mx\nmx A 127.0.0.1\n"
            )
            ca = Path(tmp) / "ca.pem"
            certs.ca.cert_pem.write_to_path(str(ca))
            command = [
                sys.executable,
                "-m",
                "mailcheck",
                "trace",
                "smtp-good.test",
                "--offline",
                "--zone",
                str(zone),
                "--port",
                str(server.port),
                "--ca-file",
                str(ca),
                "--mail-from",
                "a@bench.test",
                "--rcpt",
                "b@bench.test",
                "--format",
                "json",
            ]
            process = []
            for _ in range(5):
                started = time.perf_counter()
                subprocess.run(command, check=False, capture_output=True)
                process.append(time.perf_counter() - started)
    finally:
        server.stop()
    f, p = statistics.median(floor), statistics.median(probe_times)
    print(f"rounds: {args.rounds}, {STEPS} steps per conversation (STARTTLS included)")
    print(f"bare socket+ssl client, median:       {f * 1000:7.2f} ms")
    print(f"mailcheck probe (transcript, certs):  {p * 1000:7.2f} ms")
    print(f"overhead per step:                    {(p - f) / STEPS * 1000:7.2f} ms (target < 5)")
    print(f"whole `mailcheck trace` process:      {statistics.median(process) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
