"""An HTTPS server on loopback for MTA-STS policies and BIMI files, with a test CA (trustme).

Routes are keyed by (Host, path); a route can answer slowly, redirect, or send too much.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


@dataclass(frozen=True)
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/plain"
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        route = self.server.routes.get((host, self.path))
        self.server.hits.append((host, self.path))
        if route is None:
            self.send_error(404)
            return
        if route.delay:
            time.sleep(route.delay)
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        for name, value in route.headers:
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[tuple[str, str], Route]
    hits: list[tuple[str, str]]


class HttpsServer:
    """`with HttpsServer(ca, ["mta-sts.example.test"]) as s: s.port; s.route(...)`."""

    def __init__(self, ca: trustme.CA, names: list[str], host: str = "127.0.0.1") -> None:
        cert = ca.issue_cert(*names)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self._server = _Server((host, 0), _Handler)
        self._server.routes = {}
        self._server.hits = []
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def route(self, host: str, path: str, route: Route) -> None:
        self._server.routes[(host.lower(), path)] = route

    @property
    def hits(self) -> list[tuple[str, str]]:
        return self._server.hits

    def __enter__(self) -> HttpsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
