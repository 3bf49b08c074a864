"""HTTPS GET for policies and logos: host resolved by our DNS engine, bounded in size and time."""

from __future__ import annotations

import enum
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field

from mailcheck import __version__
from mailcheck.net.dns.engine import DnsEngine


class Failure(enum.Enum):
    """Why a fetch gave no usable body; it decides the verdict, so every error carries one."""

    NETWORK = "network"  # could not reach the host: ERROR (could not determine)
    DNS = "dns"  # the host's address lookup failed (timeout, SERVFAIL): ERROR too
    SERVED = "served"  # reached, and what it served is wrong (certificate, status, size): FAIL
    MISSING = "missing"  # the DNS says the host has no address: FAIL
    PRIVATE = "private"  # resolves to a non-public address and the user did not allow it
    OFFLINE = "offline"  # --offline: nothing was sent


@dataclass(frozen=True)
class HttpResult:
    """An HTTPS fetch's outcome: status, type, body and address, or the error."""

    url: str
    status: int | None = None
    content_type: str = ""
    body: bytes = b""
    address: str = ""
    error: str = ""
    elapsed: float = 0.0
    tls_version: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return not self.error and self.status == 200


def offline_result(url: str) -> HttpResult:
    return HttpResult(url, error="not fetched: --offline", failure=Failure.OFFLINE)


def is_public(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, shared,
    documentation or multicast): what a URL published in DNS may make us connect to."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connect to an address we resolved, while TLS checks the certificate for the host name."""

    def __init__(
        self, host: str, address: str, port: int, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._address = address
        self._tls_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = (
        ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _addresses(engine: DnsEngine, host: str) -> tuple[list[str], str]:
    try:
        import ipaddress

        return [str(ipaddress.ip_address(host))], ""
    except ValueError:
        pass
    answers = [engine.resolve(host, rdtype) for rdtype in ("A", "AAAA")]
    addresses = [r.text for a in answers for r in a.records]
    if addresses:
        return addresses, ""
    errors = [a for a in answers if a.outcome.is_error]
    if errors:
        return [], f"could not resolve {host}: {errors[0].describe()}"
    return [], ""


def fetch(
    url: str,
    engine: DnsEngine,
    *,
    ca_file: str | None = None,
    timeout: float = 10.0,
    max_bytes: int = 64 * 1024,
    accept: str = "*/*",
    port: int | None = None,
    allow_private: bool = False,
) -> HttpResult:
    """GET an https: URL; never follows redirects; errors are returned, not raised.

    `port` replaces the default 443 (a lab or test server on another port). Hosts named in
    DNS that resolve to non-public addresses are not contacted unless `allow_private`: a
    record must not make mailcheck probe the network it runs in.
    """
    started = time.monotonic()
    try:  # the URL is a record's text: urlsplit and .port raise on a bad [host] or :port
        parsed = urllib.parse.urlsplit(url)
        url_port = parsed.port
    except ValueError as exc:
        return HttpResult(url, error=f"not a valid URL: {exc}", failure=Failure.SERVED)
    if parsed.scheme.lower() != "https" or not parsed.hostname:
        return HttpResult(url, error="not an https: URL", failure=Failure.SERVED)
    host = parsed.hostname
    port = url_port or port or 443
    path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    addresses, problem = _addresses(engine, host)
    if problem:
        return HttpResult(
            url, error=problem, elapsed=time.monotonic() - started, failure=Failure.DNS
        )
    if not addresses:
        return HttpResult(
            url,
            error=f"{host} has no A or AAAA record",
            elapsed=time.monotonic() - started,
            failure=Failure.MISSING,
        )
    blocked = [a for a in addresses if not is_public(a)]
    if blocked and not allow_private:
        return HttpResult(
            url,
            error=f"{host} resolves to {', '.join(blocked)}, not a public address: not fetched",
            elapsed=time.monotonic() - started,
            failure=Failure.PRIVATE,
        )
    context = tls_context(ca_file)
    last_error = ""
    for address in addresses:
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            last_error = f"timed out after {timeout:g} s"
            break
        result = _get(url, host, address, port, path, context, remaining, max_bytes, accept)
        if result.failure is not Failure.NETWORK:
            return HttpResult(**{**result.__dict__, "elapsed": time.monotonic() - started})
        last_error = result.error
    return HttpResult(
        url, error=last_error, elapsed=time.monotonic() - started, failure=Failure.NETWORK
    )


def _get(
    url: str,
    host: str,
    address: str,
    port: int,
    path: str,
    context: ssl.SSLContext,
    timeout: float,
    max_bytes: int,
    accept: str,
) -> HttpResult:
    deadline = time.monotonic() + timeout
    conn = _PinnedHTTPSConnection(host, address, port, context, timeout)
    try:
        conn.request(
            "GET",
            path,
            headers={
                "Host": host if port == 443 else f"{host}:{port}",
                "User-Agent": f"mailcheck/{__version__}",
                "Accept": accept,
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        version = conn.sock.version() if isinstance(conn.sock, ssl.SSLSocket) else ""
        status = response.status
        content_type = headers.get("content-type", "")
        if 300 <= status < 400:
            target = headers.get("location", "?")
            return HttpResult(
                url,
                status,
                content_type,
                address=address,
                headers=headers,
                tls_version=version or "",
                error=f"HTTP {status} redirect to {target} (not followed)",
                failure=Failure.SERVED,
            )
        body = _read(response, max_bytes, deadline)
        if body is None:
            return HttpResult(
                url,
                status,
                content_type,
                address=address,
                headers=headers,
                tls_version=version or "",
                error=f"response larger than {max_bytes // 1024} KB",
                failure=Failure.SERVED,
            )
        error = "" if status == 200 else f"HTTP {status} {response.reason}"
        return HttpResult(
            url,
            status,
            content_type,
            body,
            address,
            error,
            tls_version=version or "",
            headers=headers,
            failure=None if status == 200 else Failure.SERVED,
        )
    except ssl.SSLCertVerificationError as exc:
        return HttpResult(
            url,
            address=address,
            error=f"TLS certificate not valid for {host}: {exc.verify_message}",
            failure=Failure.SERVED,
        )
    except (OSError, ssl.SSLError, http.client.HTTPException):
        # Refused, unreachable, reset, timed out or a handshake that broke off: one wording,
        # so the message does not tell an open port from a closed one.
        return HttpResult(
            url,
            address=address,
            error=f"could not reach {host} ({address}:{port}) over HTTPS",
            failure=Failure.NETWORK,
        )
    finally:
        conn.close()


def _read(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes | None:
    """Read at most max_bytes; None if there is more. A trickling server hits the deadline."""
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock = getattr(getattr(response.fp, "raw", None), "_sock", None)
        if sock is not None:
            sock.settimeout(remaining)
        # read1 returns after one read from the socket, so the deadline is checked often
        chunk = response.read1(min(16384, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return None
