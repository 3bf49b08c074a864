"""The library API: the reports the CLI renders, with no output and no environment read."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.model import Report

if TYPE_CHECKING:
    from mailcheck.net.dns.engine import DnsEngine
    from mailcheck.services.domain import DomainRequest


@dataclass(frozen=True)
class Dns:
    """Where answers come from: `nameservers` ("192.0.2.53", "[::1]:5353"; none: the
    system's resolvers), zone files that answer first, or `offline` (zone files only).
    `timeout` bounds each query; `deadline` the DNS time of each domain or message."""

    nameservers: Sequence[str] = ()
    zones: Sequence[str] = ()
    offline: bool = False
    timeout: float = 2.0
    deadline: float = 30.0


def _engine(dns: Dns | None) -> DnsEngine:
    from mailcheck.net.dns import DnsOptions, build_engine

    dns = dns or Dns()
    return build_engine(
        DnsOptions(
            nameservers=tuple(dns.nameservers),
            zones=tuple(dns.zones),
            offline=dns.offline,
            timeout=dns.timeout,
            deadline=dns.deadline,
        )
    )


def check_domain(
    domain: str, *, dns: Dns | None = None, request: DomainRequest | None = None
) -> Report:
    """Every check of `mailcheck domain` for one domain (the families of `request`)."""
    return check_domains([domain], dns=dns, request=request)[0]


def check_domains(
    domains: Iterable[str],
    *,
    dns: Dns | None = None,
    request: DomainRequest | None = None,
    parallel: int = 8,
) -> list[Report]:
    """`mailcheck domain` for many domains, `parallel` at a time, sharing one DNS cache;
    the reports in the order of `domains`. A name that is not a domain raises
    mailcheck.errors.InputError before any lookup."""
    from mailcheck.records.domain_name import parse_domain
    from mailcheck.services.domain import DomainRequest, check_domain

    names = [parse_domain(d) for d in domains]
    if not names:
        return []
    wanted = request or DomainRequest()
    if dns is not None and dns.offline and not wanted.fetch.offline:
        # offline means no network at all: no MTA-STS or BIMI fetch either
        wanted = dataclasses.replace(wanted, fetch=dataclasses.replace(wanted.fetch, offline=True))
    engine = _engine(dns)
    with engine, ThreadPoolExecutor(max(1, min(parallel, len(names)))) as pool:
        # each domain gets its own deadline (a scoped view of the shared engine)
        return list(pool.map(lambda name: check_domain(name, engine.scoped(), wanted), names))


def verify_message(
    message: bytes,
    *,
    ip: str | None = None,
    helo: str | None = None,
    mail_from: str | None = None,
    dns: Dns | None = None,
    source: str = "message",
) -> Report:
    """`mailcheck verify` for one message (its bytes as received): DKIM, ARC, SPF for
    `ip`/`helo`/`mail_from` when given, DMARC alignment."""
    from mailcheck.messages import RawMessage
    from mailcheck.services.verify import VerifyRequest
    from mailcheck.services.verify import verify_message as verify

    if ip is not None:
        import ipaddress

        from mailcheck.errors import InputError

        try:
            ip = str(ipaddress.ip_address(ip.strip()))
        except ValueError:
            raise InputError(f"ip {ip!r} is not an IP address") from None
    engine = _engine(dns)
    with engine:
        return verify(
            RawMessage(source, message, kind="stdin"),
            engine,
            VerifyRequest(ip=ip, helo=helo, mail_from=mail_from),
        )
