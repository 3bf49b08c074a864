"""The DNS engine: every lookup of ours and of the libraries goes through here."""

from __future__ import annotations

from mailcheck.thirdparty import import_dns_features

# DNS over HTTPS through dnspython is never used (upstreams are plain DNS servers), and its
# probe imports httpx/httpcore when dns.query loads: about 100 ms of start-up for nothing.
for _feature in ("doh", "doq", "trio", "wmi"):
    import_dns_features().force(_feature, False)

from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

from mailcheck.errors import UsageError, require_seconds  # noqa: E402
from mailcheck.net.dns.answer import Answer, CnameLink, LimitNames, Outcome, Record  # noqa: E402
from mailcheck.net.dns.engine import DnsEngine, EngineConfig, Source  # noqa: E402

__all__ = [
    "Answer",
    "CnameLink",
    "DnsEngine",
    "DnsOptions",
    "EngineConfig",
    "LimitNames",
    "Outcome",
    "Record",
    "Source",
    "ZoneSource",
    "build_engine",
]


def __getattr__(name: str) -> object:
    # zone files need dns.zone and its parser (about 20 ms of start-up): loaded only with --zone
    if name == "ZoneSource":
        from mailcheck.net.dns.zones import ZoneSource

        return ZoneSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class DnsOptions:
    """What the command line says about DNS (shared by every command)."""

    # --nameserver values as typed (each may list several); () means the system resolver,
    # while an empty value is refused (it never silently means "the system resolver").
    nameservers: Sequence[str] = ()
    zones: Sequence[str] = ()
    offline: bool = False
    timeout: float = 2.0
    retries: int = 1
    deadline: float = 30.0  # DNS seconds per subject (each engine.scoped() view)
    concurrency: int = 64
    extra_sources: Sequence[Source] = field(default_factory=tuple)
    overall_deadline: float | None = None  # DNS seconds for the whole run
    max_qps: float | None = None  # queries sent per second at most (None: no cap)
    names: LimitNames = field(default_factory=LimitNames)  # options behind the limits


def build_engine(options: DnsOptions) -> DnsEngine:
    # the CLI's options are checked as they are parsed; the library's values only here
    names = options.names
    require_seconds(options.timeout, names.timeout)
    require_seconds(options.deadline, names.deadline)
    if options.overall_deadline is not None:
        require_seconds(options.overall_deadline, names.overall)
    if options.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if options.max_qps is not None and not 0 < options.max_qps < float("inf"):
        raise UsageError("--max-qps must be more than 0")  # NaN fails the comparison too
    given = None
    if options.nameservers:
        from mailcheck.net.dns.upstream import parse_servers  # the network side: only if used

        given = parse_servers(options.nameservers)
    if options.offline and given is not None:
        raise UsageError("--offline and --nameserver cannot be used together")
    sources: list[Source] = list(options.extra_sources)
    if options.zones:
        from mailcheck.net.dns.zones import load_zones

        sources += load_zones(options.zones)
    from mailcheck.net.dns.localhost import LocalhostSource

    sources.append(LocalhostSource())  # after the zone files: a zone for localhost wins
    upstream = None
    if not options.offline:
        from mailcheck.net.dns.upstream import Upstream, system_servers

        upstream = Upstream(
            given if given is not None else system_servers(),
            timeout=options.timeout,
            retries=options.retries,
            max_in_flight=options.concurrency,
            max_qps=options.max_qps,
        )
    config = EngineConfig(
        timeout=options.timeout,
        retries=options.retries,
        deadline=options.deadline,
        concurrency=options.concurrency,
        overall_deadline=options.overall_deadline,
        names=options.names,
    )
    return DnsEngine(sources, upstream, config)
