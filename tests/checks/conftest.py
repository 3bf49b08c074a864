"""The engine of the table-driven domain checks, served two ways: the loopback DNS server
(--nameserver) and the zone files themselves (--zone --offline)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mailcheck.net.dns import DnsEngine, DnsOptions, build_engine


@pytest.fixture(params=["server", "zone"])
def engine(
    request: pytest.FixtureRequest, make_engine: Callable[..., DnsEngine], zone_dir: Path
) -> DnsEngine:
    if request.param == "server":
        return make_engine()
    return build_engine(DnsOptions(zones=(str(zone_dir),), offline=True))
