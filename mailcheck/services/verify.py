"""`mailcheck verify`: authenticate one raw message as a receiver would; returns a Report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.advice import dmarc_advice
from mailcheck.checks.message_auth import (
    SpfInput,
    disagreements,
    evaluate_dmarc,
    parse_authentication_results,
    received_spf_claims,
    spf_claim_problems,
    spf_input,
)
from mailcheck.checks.signatures import KeyCache, choose_dkim, verify_arc, verify_signatures
from mailcheck.checks.spf import SpfResult, evaluate
from mailcheck.escape import clip, printable
from mailcheck.message.headers import HEADER_LIMIT, Headers, split_headers
from mailcheck.messages import RawMessage, not_a_message, without_bom
from mailcheck.model import Report, Section, Status
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.services.verify_received import received_section
from mailcheck.services.verify_sections import (
    arc_section,
    auth_results_section,
    dkim_section,
    dmarc_section,
    message_section,
    spf_section,
    verdict,
)


@dataclass(frozen=True)
class VerifyRequest:
    """Everything `verify` needs besides the messages."""

    ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    trusted_hop: int = 1
    # authserv-ids of the user's own receiving servers (RFC 8601 5), lower case
    authserv_ids: frozenset[str] = frozenset()
    # keep the DNS queries this message caused in the report (-v shows them)
    queries: bool = False


class RunMemo:
    """What stays true for a whole run (DNS does not change under it): parsed keys, SPF
    results by (IP, sender, HELO), DMARC verdict inputs. Bulk runs reuse them."""

    def __init__(self) -> None:
        self.keys = KeyCache()
        self.spf: dict[tuple[str, str, str], SpfResult] = {}
        self.dmarc: dict[str, Any] = {}

    def evaluate_spf(self, engine: DnsEngine, spf_in: SpfInput) -> SpfResult:
        key = (spf_in.ip, spf_in.mail_from or "", spf_in.helo)
        if key not in self.spf:
            self.spf[key] = evaluate(engine, *key)
        return self.spf[key]


def verify_message(
    message: RawMessage, engine: DnsEngine, request: VerifyRequest, memo: RunMemo | None = None
) -> Report:
    started = time.monotonic()
    memo = memo or RunMemo()
    mark = engine.log_mark() if request.queries else 0
    if message.error:
        check_id = "message.too-large" if message.too_large else "message.read"
        return _stopped(message, started, check_id, f"could not read it: {message.error}")
    message = without_bom(message)
    headers = split_headers(message.data)
    if headers.too_large:
        return _stopped(
            message,
            started,
            "message.too-large",
            f"the header section is larger than {HEADER_LIMIT // 2**20} MB (the limit): "
            "not evaluated, rather than judged on part of it",
            headers,
        )
    if not headers.fields:
        return _stopped(
            message,
            started,
            "message.format",
            "not an email message: " + (not_a_message(message.data) or "no header fields"),
        )
    head, from_domain = message_section(message, headers)
    signatures, skipped = choose_dkim(headers, from_domain)
    verify_signatures(message.data, signatures, engine, memo.keys)
    arc = (
        verify_arc(message.data, engine, headers)
        if headers.values("ARC-Seal") or headers.values("ARC-Message-Signature")
        else None
    )
    spf_in = spf_input(headers, request.ip, request.helo, request.mail_from, request.trusted_hop)
    # an IP alone names no identity: without MAIL FROM (Return-Path, --mail-from) and HELO
    # there is nothing to check, and "none" would be a verdict over data we do not have
    spf = memo.evaluate_spf(engine, spf_in) if spf_in and spf_in.identity_domain else None
    dmarc = None
    if from_domain:
        spf_domain = spf_in.identity_domain if spf_in else ""
        dmarc = evaluate_dmarc(
            engine,
            from_domain,
            spf.result if spf else None,
            spf_domain,
            signatures,
            memo.dmarc,
            [s.domain for s in skipped],
        )
    results, unreadable, not_read = parse_authentication_results(headers)
    sections = [
        head,
        dkim_section(signatures, skipped),
        spf_section(spf_in, spf, request.trusted_hop, len(headers.values("Received"))),
        dmarc_section(
            dmarc,
            from_domain,
            dmarc_advice(
                dmarc,
                signatures,
                spf.result if spf else None,
                spf_in.identity_domain if spf_in else "",
                spf_in.ip if spf_in else "",
            )
            if dmarc
            else "",
        ),
    ]
    if arc is not None:
        sections.append(arc_section(arc))
    claims, claims_not_read = received_spf_claims(headers)
    arc_cv = None if arc is not None and arc.dns_errors else (arc.cv if arc else "none")
    sections.append(
        auth_results_section(
            results,
            unreadable,
            disagreements(
                results,
                signatures,
                spf.result if spf else None,
                dmarc,
                request.authserv_ids,
                arc_cv,
            ),
            claims,
            spf_claim_problems(claims, spf_in, spf.result if spf else None),
            request.authserv_ids,
            [*not_read, claims_not_read] if claims_not_read else not_read,
        )
    )
    sections.append(received_section(headers))
    data = {"verdict": verdict(head, signatures, spf, dmarc, arc)}
    return Report(
        "message",
        printable(message.source),
        tuple(sections),
        duration=time.monotonic() - started,
        # no per-message count: what a message asks depends on the messages verified before
        # it in the same process (cache, memo), so serial and --jobs would disagree
        dns=None,
        queries=engine.log(since=mark) if request.queries else (),
        data=data,
    )


def _stopped(
    message: RawMessage,
    started: float,
    check_id: str,
    text: str,
    headers: Headers | None = None,
) -> Report:
    """The report of a message that could not be evaluated: why, and what little is known."""
    status = Status.FAIL if check_id == "message.format" else Status.ERROR
    data: dict[str, Any] = {"size": len(message.data)}
    if headers is not None:
        data.update(
            {
                "from": headers.first("From") or "",
                "subject": clip(headers.first("Subject") or "", 200),
                "message_id": headers.first("Message-ID") or "",
            }
        )
    section = Section("message", "Message", (finding(check_id, status, text),), "", data)
    verdict = clip(text, 120)
    return Report(
        "message",
        printable(message.source),
        (section,),
        duration=time.monotonic() - started,
        dns=None,
        data={"verdict": verdict},
    )
