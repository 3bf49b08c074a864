"""The Received section of `mailcheck verify`: the path a message took, hop by hop."""

from __future__ import annotations

from typing import Any

from mailcheck.catalog import finding
from mailcheck.message.headers import Headers, parse_received, unfold
from mailcheck.model import Finding, ReceivedHop, Section, Status

RECEIVED_LIMIT = 100  # hops read: a real path has a handful, a loop is cut at ~25-100


def received_section(headers: Headers) -> Section:
    raw = headers.values("Received")
    extra = max(0, len(raw) - RECEIVED_LIMIT)
    # the newest hops (on top) are the ones near the user's own server
    hops = [parse_received(unfold(value)) for value in raw[:RECEIVED_LIMIT]]
    hops.reverse()  # oldest first
    delays: list[float | None] = []
    previous = None
    for hop in hops:
        delays.append(
            (hop.when - previous).total_seconds()
            if hop.when is not None and previous is not None
            else None
        )
        previous = hop.when or previous
    out: list[Finding] = []
    if hops:
        path = " → ".join(h.by or "?" for h in hops)
        first = "MUA → " if hops[0].authenticated and not extra else ""
        if extra:
            first = f"({extra} older) → "
            out.append(
                finding(
                    "received.path",
                    Status.WARN,
                    f"{extra} more Received fields not read: only the newest {RECEIVED_LIMIT} "
                    "hops are, as receivers bound the work one message can cause (a real "
                    "path has a few; hundreds mean a mail loop or forged fields)",
                )
            )
        out.append(finding("received.path", Status.INFO, f"{len(hops)} hop(s): {first}{path}"))
    for hop, delay in zip(hops, delays, strict=True):
        by = hop.by
        if delay is not None and delay > 3600:
            out.append(
                finding(
                    "received.delay",
                    Status.WARN,
                    f"{by} received it {delay / 3600:.1f} h after the previous hop "
                    "(queued, greylisted, or a clock is wrong)",
                )
            )
        elif delay is not None and delay < -60:
            out.append(
                finding(
                    "received.delay",
                    Status.INFO,
                    f"{by} stamped a time {-delay:.0f} s before the previous hop: "
                    "one of the clocks is wrong",
                )
            )
    rows = tuple(
        ReceivedHop(
            helo=h.from_helo,
            ip=h.from_ip,
            by=h.by,
            protocol=h.with_protocol,
            tls=h.tls,
            authenticated=h.authenticated,
            encrypted=h.encrypted,
            time=h.when,
            delay=d,
        )
        for h, d in zip(hops, delays, strict=True)
    )
    data: dict[str, Any] = {"hops": rows}
    if extra:
        data["not_read"] = extra
    return Section("received", "Received", tuple(out), "", data)
