"""The DNS engine: every lookup of ours and of the libraries goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mailcheck.errors import UsageError
from mailcheck.net.dns.answer import Answer, CnameLink, Outcome, Record
from mailcheck.net.dns.engine import DnsEngine, EngineConfig, Source
from mailcheck.net.dns.upstream import Upstream, parse_server, system_servers
from mailcheck.net.dns.zones import ZoneSource, load_zones

__all__ = [
    "Answer",
    "CnameLink",
    "DnsEngine",
    "DnsOptions",
    "EngineConfig",
    "Outcome",
    "Record",
    "Source",
    "ZoneSource",
    "build_engine",
]


@dataclass(frozen=True)
class DnsOptions:
    """What the command line says about DNS (shared by every command)."""

    nameservers: Sequence[str] = ()
    zones: Sequence[str] = ()
    offline: bool = False
    timeout: float = 2.0
    retries: int = 1
    deadline: float = 30.0
    concurrency: int = 32
    extra_sources: Sequence[Source] = field(default_factory=tuple)


def build_engine(options: DnsOptions) -> DnsEngine:
    if options.timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    if options.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    sources: list[Source] = [*options.extra_sources, *load_zones(options.zones)]
    upstream = None
    if options.offline:
        if options.nameservers:
            raise UsageError("--offline and --nameserver cannot be used together")
    else:
        servers = (
            [parse_server(s) for s in options.nameservers]
            if options.nameservers
            else system_servers()
        )
        upstream = Upstream(servers, timeout=options.timeout, retries=options.retries)
    config = EngineConfig(
        timeout=options.timeout,
        retries=options.retries,
        deadline=options.deadline,
        concurrency=options.concurrency,
    )
    return DnsEngine(sources, upstream, config)
