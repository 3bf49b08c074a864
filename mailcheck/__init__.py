"""mailcheck: diagnose email DNS records, message authentication and mail servers."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing here took ~4 ms before Ctrl-C is held
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"
__all__ = [
    "Dns",
    "Secret",
    "__version__",
    "check_domain",
    "check_domains",
    "send",
    "trace",
    "verify_message",
]


def __getattr__(name: str) -> Any:
    # The library API is imported on first use: `import mailcheck` (and the CLI's start-up)
    # stays free of DNS and crypto libraries.
    if name in ("Dns", "check_domain", "check_domains", "send", "trace", "verify_message"):
        from mailcheck import api

        return getattr(api, name)
    if name == "Secret":
        from mailcheck.services.send_request import Secret

        return Secret
    raise AttributeError(f"module 'mailcheck' has no attribute {name!r}")
