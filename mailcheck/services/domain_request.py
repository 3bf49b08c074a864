"""What `mailcheck domain` is asked to check: light to import (no check is loaded), so a run
validates its options and starts its first lookups while the checks are still loading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailcheck.checks.options import AskOptions, FetchOptions

if TYPE_CHECKING:
    from mailcheck.checks.dnsbl import Blocklist
    from mailcheck.services.trace import TraceRequest

FAMILIES = (
    "mx",
    "spf",
    "dkim",
    "dmarc",
    "mta-sts",
    "tls-rpt",
    "bimi",
    "dnssec",
    "dane",
    "ns",
    "soa",
    "dnsbl",
    "no-mail",
    "smtp",
    "tls",
)

# the options behind a domain's time (the engine view's deadline): the run's, each domain's
DEADLINE_OPTIONS = ("--deadline", "--domain-deadline")

# DNS queries in flight by default: a bulk run at 30 ms per answer needs ~300 per core to be
# bound by CPU rather than by this limit (--jobs splits it); one domain never comes near it
CONCURRENCY = 512


@dataclass(frozen=True)
class DomainRequest:
    """What to check; `families` limits the work to the families someone will see."""

    families: Sequence[str] = FAMILIES
    ip: str | None = None
    sender: str | None = None
    helo: str | None = None
    fcrdns: bool = True
    selectors: Sequence[str] = ()
    no_mail: bool = False
    fetch: FetchOptions = field(default_factory=FetchOptions)
    # --smtp: a trace of every MX host (port, timeouts, CA); None leaves port 25 alone
    smtp: TraceRequest | None = None
    bimi_selector: str = "default"  # --bimi-selector: the BIMI-Selector header's s=
    ask_ns: AskOptions | None = None  # --ask-ns: ask every name server directly
    dnsbl: tuple[Blocklist, ...] | None = None  # --dnsbl: the lists to ask
    # the ERRORs of the lookups other checks build on, even when their family is not wanted:
    # --only tells a selected check left unevaluated by them from one with nothing to say
    input_errors: bool = False

    def wants(self, *families: str) -> bool:
        return any(f in self.families for f in families)
