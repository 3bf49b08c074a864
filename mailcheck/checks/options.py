"""What the command line tells the checks (HTTPS fetches, --ask-ns): light to import, so a
run can validate its options and start its first lookups before the checks are loaded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchOptions:
    """How HTTPS resources (MTA-STS policies, BIMI files) are fetched."""

    ca_file: str | None = None
    timeout: float = 10.0
    port: int | None = None
    allow_private: bool = False  # --allow-private-addresses: fetch from non-public hosts
    offline: bool = False  # --offline: no HTTPS request at all (the step is SKIP)
    # the options behind the engine's deadline (the whole run's, each subject's), which also
    # ends every fetch: named when it runs out ("" names the seconds alone)
    deadline_options: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class AskOptions:
    """--ask-ns: ask every name server directly, on this port (53; a lab uses another)."""

    port: int = 53
