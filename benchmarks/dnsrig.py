"""DNS for the benchmarks: Knot (a compiled server) on loopback behind a cheap delay proxy.

Knot answers from BIND zone files; the proxy adds the round-trip time. The proxy holds each
query for `delay` seconds on one asyncio timer, then forwards it over one shared upstream
socket (DNS ids rewritten, so memory stays bounded by the queries in flight); answers go back
at once. Its own CPU time and the time it adds at zero delay are measured and printed, so a
reader can check that it is not what the benchmark measures. Without Knot, the Python test
server (tests/dnsserver.py) stands in, clearly labelled: its figures measure that server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
INSTALL_HINT = "install Knot for real figures: apt-get install knot (Debian/Ubuntu)"


def knotd() -> str | None:
    """knotd from PATH or /usr/sbin; the KNOTD variable names another build (or none)."""
    if "KNOTD" in os.environ:
        named = os.environ["KNOTD"]
        return named if named and os.access(named, os.X_OK) else None
    return shutil.which("knotd", path=SBIN)


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")


class Knot:
    """A private knotd serving {origin: zone file} on 127.0.0.1, from a temporary folder."""

    def __init__(self, zones: dict[str, Path]) -> None:
        binary = knotd()
        if binary is None:
            raise RuntimeError(f"knotd not found: {INSTALL_HINT}")
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="mailcheck-knot-"))
        self.port = free_port()
        lines = [
            "server:",
            f'    rundir: "{self.root}"',
            f"    listen: 127.0.0.1@{self.port}",
            "    background-workers: 1",
            "log:",
            "  - target: stderr",
            "    any: error",
            "database:",
            f'    storage: "{self.root}/db"',
            "template:",
            "  - id: default",
            f'    storage: "{self.root}"',
            "    zonefile-sync: -1",
            "    zonefile-load: whole",
            "    journal-content: none",
            "    semantic-checks: off",
            "zone:",
        ]
        for origin, path in zones.items():
            target = self.root / f"{origin.strip('.') or 'root'}.zone"
            shutil.copyfile(path, target)
            lines += [f'  - domain: "{origin}"', f'    file: "{target}"']
        self.config = self.root / "knot.conf"
        self.config.write_text("\n".join(lines) + "\n")
        self.log = self.root / "knotd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Knot:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _answers(self.port):
                return self
            time.sleep(0.05)
        text = self.log.read_text(errors="replace")[-2000:]
        self.__exit__()
        raise RuntimeError(f"knotd did not start:\n{text}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def query_packet(qid: int, name: str, qtype: int = 6) -> bytes:
    """A minimal DNS query (RD off), built by hand so the rig itself needs no dnspython."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".") if p)
    return (
        struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + labels + b"\0" + struct.pack("!HH", qtype, 1)
    )


def _answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        try:
            sock.sendto(query_packet(4660, "."), ("127.0.0.1", port))
            return len(sock.recv(4096)) >= 12
        except OSError:
            return False


class _Front(asyncio.DatagramProtocol):
    """Client side of the proxy: hold each query `delay` seconds, then send it upstream."""

    def __init__(self, proxy: DelayProxy) -> None:
        self.proxy = proxy

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.proxy.front = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        proxy = self.proxy
        if len(data) < 12:
            return
        proxy.queries += 1
        if b"\x0a_domainkey" in data:
            proxy.key_queries += 1
        if proxy.delay > 0:
            proxy.loop.call_later(proxy.delay, proxy.forward, data, addr)
        else:
            proxy.forward(data, addr)


class _Back(asyncio.DatagramProtocol):
    """Upstream side: restore the client's id and send the answer back at once."""

    def __init__(self, proxy: DelayProxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        client = self.proxy.pending.pop(data[:2], None)
        if client is not None and self.proxy.front is not None:
            original, where = client
            self.proxy.front.sendto(original + data[2:], where)


class DelayProxy:
    """UDP and TCP on 127.0.0.1:port -> upstream, `delay` seconds added to each query.

    Runs its own asyncio loop in a thread; `delay` may be changed between measurements.
    """

    def __init__(self, upstream: tuple[str, int], delay: float = 0.0) -> None:
        self.upstream = upstream
        self.delay = delay
        self.port = free_port()
        self.queries = 0
        self.key_queries = 0
        self.pending: dict[bytes, tuple[bytes, tuple[str, int]]] = {}
        self.front: asyncio.DatagramTransport | None = None
        self.back: asyncio.DatagramTransport | None = None
        self.loop = asyncio.new_event_loop()
        self._next_id = 0
        self._cpu = 0.0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def forward(self, data: bytes, addr: tuple[str, int]) -> None:
        # A fresh 16-bit id per query in flight; ids wrap long after their answers came back.
        for _ in range(65536):
            self._next_id = (self._next_id + 1) & 0xFFFF
            key = struct.pack("!H", self._next_id)
            if key not in self.pending:
                break
        else:
            return  # 65,536 queries in flight: drop, as a real network would
        self.pending[key] = (data[:2], addr)
        assert self.back is not None
        self.back.sendto(key + data[2:])

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return

        async def upward() -> None:
            while data := await reader.read(65536):
                self.queries += 1
                if self.delay > 0:
                    await asyncio.sleep(self.delay)
                up_writer.write(data)
            up_writer.close()

        async def downward() -> None:
            while data := await up_reader.read(65536):
                writer.write(data)
            writer.close()

        with contextlib.suppress(OSError):
            await asyncio.gather(upward(), downward())

    async def _start(self) -> None:
        await self.loop.create_datagram_endpoint(
            lambda: _Front(self), local_addr=("127.0.0.1", self.port)
        )
        back, _ = await self.loop.create_datagram_endpoint(
            lambda: _Back(self), remote_addr=self.upstream
        )
        self.back = cast(asyncio.DatagramTransport, back)
        self._server = await asyncio.start_server(self._tcp_client, "127.0.0.1", self.port)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    def cpu_seconds(self) -> float:
        """CPU time used by the proxy's thread so far."""
        future = asyncio.run_coroutine_threadsafe(self._thread_time(), self.loop)
        return future.result(10)

    async def _thread_time(self) -> float:
        return time.thread_time()

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            if self.front is not None:
                self.front.close()
            if self.back is not None:
                self.back.close()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class PythonServer:
    """Fallback without Knot: tests/dnsserver.py serving the same zones (it is slow)."""

    def __init__(self, zones: dict[str, Path]) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.dnsserver import DnsServer

        self.server = DnsServer(list(zones.values()))
        self.port = self.server.port

    def __enter__(self) -> PythonServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def round_trip(port: int, count: int) -> float:
    """Median seconds for one query to 127.0.0.1:port, asked `count` times one after another."""
    times = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        for number in range(count):
            started = time.perf_counter()
            sock.sendto(query_packet(number & 0xFFFF, "."), ("127.0.0.1", port))
            sock.recv(4096)
            times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2]


class DnsRig:
    """Knot (or the labelled fallback) with a delay proxy in front: `rig.address`, `rig.delay`."""

    def __init__(self, zones: dict[str, Path], *, allow_fallback: bool) -> None:
        self.server: Knot | PythonServer
        if knotd() is not None:
            self.server = Knot(zones)
            self.label = "Knot (knotd) on loopback"
        elif allow_fallback:
            self.server = PythonServer(zones)
            self.label = f"Python test server (tests/dnsserver.py), NOT Knot: {INSTALL_HINT}"
        else:
            raise SystemExit(f"benchmarks: knotd is not installed: {INSTALL_HINT}")
        self.proxy: DelayProxy | None = None
        self.overhead = 0.0  # seconds the proxy adds to one query at zero delay

    @property
    def address(self) -> str:
        assert self.proxy is not None
        return self.proxy.address

    @property
    def delay(self) -> float:
        assert self.proxy is not None
        return self.proxy.delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        assert self.proxy is not None
        self.proxy.delay = seconds

    def __enter__(self) -> DnsRig:
        self.server.__enter__()
        try:
            self.proxy = DelayProxy(("127.0.0.1", self.server.port)).__enter__()
            direct = round_trip(self.server.port, 200)
            proxied = round_trip(self.proxy.port, 200)
            self.overhead = max(0.0, proxied - direct)
        except BaseException:
            self.server.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proxy is not None:
            self.proxy.__exit__()
        self.server.__exit__()
