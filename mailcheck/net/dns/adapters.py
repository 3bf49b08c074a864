"""The bridge that routes pyspf's DNS through our engine (installed via mailcheck.thirdparty).

checkdmarc is used only for its record parsers (MTA-STS, TLS-RPT, BIMI), never for DNS;
dkimpy gets its keys through `dnsfunc=` (checks/signatures.py)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from mailcheck.net.dns.answer import Outcome
from mailcheck.net.dns.engine import DnsEngine

# -- pyspf ------------------------------------------------------------------------------

_spf_engine: contextvars.ContextVar[DnsEngine | None] = contextvars.ContextVar(
    "mailcheck_spf_engine", default=None
)


def spf_lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> Any:
    """pyspf's DNSLookup, answered by the engine of the current spf_session."""
    import spf

    engine = _spf_engine.get()
    if engine is None:  # pragma: no cover - only reachable if pyspf is used outside a session
        raise spf.TempError("DNS: mailcheck engine not active")
    answer = engine.resolve(name, qtype)
    if answer.outcome is Outcome.SERVFAIL and answer.detail == "CNAME loop":
        # pyspf itself treats a CNAME loop as "no data" (not an error) outside harsh mode.
        return []
    if answer.outcome.is_error:
        raise spf.TempError(f"DNS {answer.describe()}")
    out = []
    for record in answer.records:
        rd = record.rdata
        value: Any
        if qtype in ("A", "AAAA"):
            value = rd.address
        elif qtype == "MX":
            value = (rd.preference, rd.exchange.to_text())
        elif qtype == "PTR":
            value = rd.target.to_text(True)
        elif qtype in ("TXT", "SPF"):
            value = tuple(rd.strings)
        else:
            value = record.text
        out.append(((name, qtype), value))
    return out


@contextlib.contextmanager
def spf_session(engine: DnsEngine) -> Iterator[None]:
    """Within the block, pyspf in this thread asks our engine (not the system resolver)."""
    from mailcheck import thirdparty

    with thirdparty.patched(thirdparty.PYSPF_DNS) as active:
        if not active:
            raise RuntimeError("this pyspf release is not supported (see mailcheck.thirdparty)")
        token = _spf_engine.set(engine)
        try:
            yield
        finally:
            _spf_engine.reset(token)
