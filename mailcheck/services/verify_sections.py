"""The sections of a verify report: each family's findings and data, from the verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.advice import dkim_hint
from mailcheck.checks.message_auth import DmarcVerdict, SpfClaim, SpfInput, is_trusted
from mailcheck.checks.signatures import ArcResult, Signature
from mailcheck.checks.spf import SpfResult
from mailcheck.errors import InputError
from mailcheck.escape import clip
from mailcheck.message.headers import (
    Headers,
    address_domain,
    from_addresses,
)
from mailcheck.messages import RawMessage
from mailcheck.model import Finding, Section, SignatureRow, Status
from mailcheck.records.domain_name import parse_domain

_DKIM_STATUS = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "permerror": Status.FAIL,
    "policy": Status.FAIL,
    "temperror": Status.ERROR,
    "neutral": Status.INFO,
}
_SPF_STATUS = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "softfail": Status.WARN,
    "neutral": Status.INFO,
    "none": Status.INFO,
    "permerror": Status.FAIL,
    "temperror": Status.ERROR,
}


def message_section(message: RawMessage, headers: Headers) -> tuple[Section, str]:
    findings: list[Finding] = []
    addresses, count = from_addresses(headers)
    from_domain = ""
    if count == 0:
        findings.append(
            finding(
                "message.from",
                Status.FAIL,
                "no From: header: DMARC cannot be applied, and receivers reject such messages",
            )
        )
    elif count > 1 or len(addresses) > 1:
        findings.append(
            finding(
                "message.from",
                Status.FAIL,
                (
                    f"{count} From: headers with {len(addresses)} "
                    f"addresses ({_some(addresses)}): DMARC needs "
                    "exactly one author domain"
                ),
            )
        )
    elif not addresses or not address_domain(addresses[0]):
        findings.append(
            finding(
                "message.from",
                Status.FAIL,
                f"From: has no usable address ({headers.first('From')})",
            )
        )
    elif problem := _not_a_domain(address_domain(addresses[0])):
        # an address literal or a malformed name: no author domain to discover a policy for
        # (its "labels" went out as DNS questions: _dmarc.[192.0.2.10], _dmarc.0.2.10] ...)
        findings.append(
            finding(
                "message.from",
                Status.FAIL,
                f"From: {addresses[0]}: {problem}: DMARC cannot be applied",
                hint="Send from an address at a domain name (one that publishes DMARC).",
            )
        )
    else:
        from_domain = address_domain(addresses[0])
    if headers.bare_lf:
        findings.append(
            finding(
                "message.line-endings",
                Status.INFO,
                "lines end in LF only; verified as CRLF, the way a receiving server reads them",
            )
        )
    for problem in headers.problems[:PROBLEMS_SHOWN]:
        findings.append(finding("message.format", Status.WARN, problem))
    if len(headers.problems) > PROBLEMS_SHOWN:
        findings.append(
            finding(
                "message.format",
                Status.WARN,
                f"{len(headers.problems) - PROBLEMS_SHOWN} more header lines with problems",
            )
        )
    if message.note:
        findings.append(finding("message.format", Status.INFO, message.note))
    data = {
        "from": headers.first("From") or "",
        "from_domain": from_domain,
        "from_address": addresses[0] if len(addresses) == 1 else "",
        "subject": clip(headers.first("Subject") or "", 200),
        "date": headers.first("Date") or "",
        "message_id": headers.first("Message-ID") or "",
        "size": len(message.data),
    }
    headline = f"From: {addresses[0]}" if len(addresses) == 1 else ""
    return Section("message", "Message", tuple(findings), headline, data), from_domain


def dkim_section(signatures: list[Signature], not_evaluated: Sequence[Signature] = ()) -> Section:
    """`not_evaluated`: the signatures beyond the limit (neither passed nor failed)."""
    findings: list[Finding] = []
    skipped = len(not_evaluated)
    if not signatures:
        findings.append(finding("dkim.unsigned", Status.INFO, "no DKIM-Signature"))
    rows: list[SignatureRow] = []
    for sig in signatures:
        t = sig.tags
        label = (
            f"#{sig.index + 1} d={sig.domain} s={sig.selector} "
            f"{t.get('a', '?')} {t.get('c', 'simple/simple')}"
        )
        detail = ""
        if sig.computed_bh:
            detail = f"signed bh={t.get('bh', '')[:12]}…  computed bh={sig.computed_bh[:12]}…"
        findings.append(
            finding(
                "dkim.signature",
                _DKIM_STATUS.get(sig.result, Status.FAIL),
                f"{label}: {sig.result}: {sig.reason}",
                details=detail,
                hint=dkim_hint(sig) if sig.result != "pass" else None,
                subject=sig.domain,
            )
        )
        for note in sig.notes:
            findings.append(
                finding(
                    "dkim.body-length" if note.startswith("l=") else "dkim.signature",
                    Status.WARN,
                    f"#{sig.index + 1} d={sig.domain}: {note}",
                    subject=sig.domain,
                )
            )
        rows.append(
            SignatureRow(
                index=sig.index + 1,
                domain=sig.domain,
                selector=sig.selector,
                algorithm=t.get("a", ""),
                canonicalization=t.get("c", "simple/simple"),
                signed_headers=tuple(sig.signed_headers),
                body_length=t.get("l", None),
                result=sig.result,
                reason=sig.reason,
                key_type=sig.key.key_type if sig.key else None,
                key_bits=sig.key.bits if sig.key else None,
                signed_bh=t.get("bh", ""),
                computed_bh=sig.computed_bh or None,
            )
        )
    if skipped:
        domains = list(dict.fromkeys(s.domain for s in not_evaluated))
        named = ", ".join(f"d={clip(d, 80)}" for d in domains[:3])
        if len(domains) > 3:
            named += f" and {len(domains) - 3} more domains"
        findings.append(
            finding(
                "dkim.signature",
                Status.WARN,
                f"{skipped} more DKIM-Signature fields not evaluated ({named}): only "
                f"{len(signatures)} are checked, those by the From: domain first, as receivers "
                "limit them (RFC 6376 §6.1); not evaluated is neither pass nor fail",
                hint="A sender adds one signature, a forwarder or list another: dozens "
                "are a sign of a forged or looping message.",
            )
        )
    headline = (
        f"{sum(s.result == 'pass' for s in signatures)} of {len(signatures)} passing"
        if signatures
        else ""
    )
    if skipped:
        headline += f", {skipped} not evaluated"
    data: dict[str, Any] = {"signatures": tuple(rows)}
    if skipped:
        data["not_evaluated"] = skipped
    return Section("dkim", "DKIM", tuple(findings), headline, data)


def _spf_skipped(summary: str, hint: str, data: dict[str, object] | None = None) -> Section:
    """SPF not evaluated: what was missing, and the options that supply it."""
    finding_ = finding("spf.client", Status.SKIP, summary, hint=hint)
    return Section("spf", "SPF", (finding_,), data=data if data is not None else {})


def spf_section(
    spf_in: SpfInput | None, spf: SpfResult | None, hop: int, received: int | None = None
) -> Section:
    """`received`: how many Received headers the message has (None: not said)."""
    if spf_in is not None and spf is None:
        if spf_in.mail_from is None:
            why = "MAIL FROM is unknown: the message has no Return-Path header"
        elif spf_in.mail_from:
            why = f"MAIL FROM {spf_in.mail_from} has no domain"
        else:
            why = "MAIL FROM is <> (a bounce) and there is no HELO name"
        return _spf_skipped(
            f"{spf_in.ip} (from {spf_in.source}): no identity to check: {why}",
            "give --mail-from ADDR ('' for a bounce) and --helo NAME",
            {"ip": spf_in.ip, "source": spf_in.source},
        )
    if spf_in is None or spf is None:
        if received is not None and hop > received:
            # not "header 5 has no address" of a message with one Received header
            missing = (
                "the message has no Received header"
                if not received
                else f"the message has {received} Received header{'s' if received > 1 else ''}"
                f", so none is number {hop} (--trusted-hop)"
            )
        else:
            missing = f"Received header {hop} (the one your server added) has no address"
        return _spf_skipped(
            f"no connecting IP: {missing}, and Received-SPF is not trusted",
            "give --ip (and --helo, --mail-from), or --trusted-hop N for the "
            "Received header your server added",
        )
    matched = f", matched '{spf.mechanism}'" if spf.mechanism else ""
    if spf.result == "none" and spf.explanation:
        matched = f": {spf.explanation}"  # why there is no record to check (a malformed name)
    sender = spf_in.mail_from or "<> (bounce: HELO identity)"
    out = [
        finding(
            "spf.message",
            _SPF_STATUS.get(spf.result, Status.ERROR),
            f"{spf_in.ip} for {sender} (HELO {spf_in.helo or '?'}): {spf.result}{matched}",
        ),
        finding("spf.client", Status.INFO, f"sending IP from {spf_in.source}"),
    ]
    data = {
        "ip": spf_in.ip,
        "helo": spf_in.helo,
        "mail_from": spf_in.mail_from,
        "source": spf_in.source,
        "result": spf.result,
        "mechanism": spf.mechanism,
        "explanation": spf.explanation,
    }
    return Section("spf", "SPF", tuple(out), f"{spf_in.ip} → {spf.result}", data)


def dmarc_section(dmarc: DmarcVerdict | None, from_domain: str, advice: str) -> Section:
    if dmarc is None:
        return Section(
            "dmarc",
            "DMARC",
            (
                finding(
                    "dmarc.result", Status.FAIL, "no single From: domain: DMARC cannot be evaluated"
                ),
            ),
        )
    status = {
        "pass": Status.PASS,
        "fail": Status.FAIL,
        "none": Status.WARN,
        "temperror": Status.ERROR,
        "permerror": Status.FAIL,
        "unknown": Status.ERROR,
    }[dmarc.result]
    action = f" → {dmarc.disposition}" if dmarc.result == "fail" else ""
    if dmarc.result == "unknown" and dmarc.unevaluated:
        advice = (
            "More DKIM signatures could be aligned than are checked: a receiver that checks "
            "fewer may fail the message; a real message carries one or two"
        )
    elif dmarc.result == "unknown":
        advice = (
            "Give the connecting address with --ip (and --mail-from, --helo), or name the "
            "Received header your server added with --trusted-hop N, so SPF can be evaluated"
        )
    out = [
        finding(
            "dmarc.result",
            status,
            f"{from_domain}: {dmarc.result}{action}: {dmarc.reason}",
            hint=advice if advice else None,
        )
    ]
    if dmarc.location:
        out.append(
            finding(
                "dmarc.applied",
                Status.INFO,
                (
                    f"policy {dmarc.policy_tag}={dmarc.policy or 'none'} from {dmarc.location}; "
                    f"Organizational Domain {dmarc.org_domain}; adkim={dmarc.adkim} "
                    f"aspf={dmarc.aspf}"
                ),
            )
        )
    out.extend(finding("dmarc.applied", Status.INFO, n) for n in dmarc.notes)
    data: dict[str, Any] = {
        "from_domain": from_domain,
        "result": dmarc.result,
        "disposition": dmarc.disposition,
        "policy": dmarc.policy,
        "policy_tag": dmarc.policy_tag,
        "location": dmarc.location,
        "org_domain": dmarc.org_domain,
        "spf_aligned": dmarc.spf_aligned,
        "dkim_aligned": list(dmarc.dkim_aligned),
        "record": dmarc.record,
    }
    return Section("dmarc", "DMARC", tuple(out), f"{dmarc.result}{action}", data)


def arc_section(arc: ArcResult) -> Section:
    out: list[Finding] = []
    if arc.dns_errors:
        out.append(
            finding(
                "arc.chain",
                Status.ERROR,
                f"could not verify the chain: {arc.dns_errors[0]}",
            )
        )
    elif arc.cv == "pass":
        oldest = arc.oldest_pass
        out.append(
            finding(
                "arc.chain",
                Status.PASS,
                f"cv=pass over {len(arc.instances)} set(s)"
                + (f"; oldest-pass {oldest}" if oldest else ""),
            )
        )
    elif arc.cv == "fail":
        out.append(finding("arc.chain", Status.FAIL, f"cv=fail: {arc.reason}"))
    else:
        out.append(finding("arc.chain", Status.INFO, "no ARC sets"))
    # with a key lookup failed, a signature dkimpy did not validate may be valid: unknown
    unknown = bool(arc.dns_errors)

    def judged(valid: bool) -> bool | None:
        return None if unknown and not valid else valid

    def shown(valid: bool) -> str:
        return {True: "valid", False: "invalid", None: "not verified"}[judged(valid)]

    for item in arc.instances:
        out.append(
            finding(
                "arc.instance",
                Status.INFO,
                (
                    f"i={item.instance}: AMS d={item.ams_domain} s={item.ams_selector} "
                    f"{shown(item.ams_valid)}; AS d={item.as_domain} "
                    f"{shown(item.as_valid)} cv={item.cv}; recorded: "
                    f"{item.aar or '-'}"
                ),
            )
        )
    data = {
        "cv": arc.cv,
        "reason": arc.reason,
        "oldest_pass": arc.oldest_pass,
        "instances": [
            {
                "i": i.instance,
                "ams_domain": i.ams_domain,
                "ams_valid": judged(i.ams_valid),
                "as_domain": i.as_domain,
                "as_valid": judged(i.as_valid),
                "cv": i.cv,
                "aar": i.aar,
            }
            for i in arc.instances
        ],
    }
    return Section("arc", "ARC", tuple(out), arc.cv, data)


def _not_a_domain(domain: str) -> str:
    """Why the From: address's domain is not a domain name DMARC can use ("" when it is)."""
    try:
        parse_domain(domain)
    except InputError as exc:
        return exc.message
    return ""


PROBLEMS_SHOWN = 10  # header lines reported one by one; a forged header can have thousands


def _some(items: list[str], shown: int = 5) -> str:
    """The first few of a list that a forged message can make as long as its header."""
    more = f", and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def auth_results_section(
    results: list[Any],
    unreadable: list[str],
    mismatches: list[str],
    claims: list[SpfClaim],
    claim_problems: list[tuple[str, str]],
    trusted_ids: frozenset[str],
    not_read: list[str] | None = None,
) -> Section:
    out: list[Finding] = []
    for text in not_read or ():
        out.append(finding("auth-results.header", Status.WARN, text))
    for check_id, text in claim_problems:
        out.append(finding(check_id, Status.WARN, text))
    for text in dict.fromkeys(mismatches):  # a flood of one claim reads as one line
        out.append(finding("auth-results.mismatch", Status.WARN, text))
    for text in unreadable:
        out.append(finding("auth-results.header", Status.WARN, f"cannot parse: {text}"))
    by_server: dict[str, list[Any]] = {}
    for r in results:
        if r.header == "Authentication-Results":
            by_server.setdefault(r.authserv_id, []).append(r)
    for server, items in by_server.items():
        shown = "; ".join(
            dict.fromkeys(  # the same result repeated (a flood) reads once
                f"{r.method}={r.result}"
                + (f" header.d={r.properties['header.d']}" if "header.d" in r.properties else "")
                for r in items
            )
        )
        whose = "your server" if is_trusted(items[0], trusted_ids) else "claim, not used"
        out.append(finding("auth-results.header", Status.INFO, f"{server} ({whose}): {shown}"))
    for claim in claims:
        out.append(
            finding(
                "auth-results.header",
                Status.INFO,
                (
                    f"Received-SPF: {claim.result or '?'} client-ip={claim.client_ip or '?'}"
                    + (f" receiver={claim.receiver}" if claim.receiver else "")
                    + " (claim, not used)"
                ),
            )
        )
    data: dict[str, Any] = {
        "results": [
            {
                "header": r.header,
                "authserv_id": r.authserv_id,
                "trusted": is_trusted(r, trusted_ids),
                "method": r.method,
                "result": r.result,
                "properties": dict(r.properties),
                "instance": r.instance,
            }
            for r in results
        ],
        "received_spf": [
            {
                "result": c.result,
                "client_ip": c.client_ip,
                "envelope_from": c.envelope_from,
                "helo": c.helo,
                "receiver": c.receiver,
            }
            for c in claims
        ],
    }
    if not_read:
        data["not_read"] = list(not_read)
    return Section("auth-results", "Authentication-Results", tuple(out), "", data)


def verdict(
    head: Section,
    signatures: list[Signature],
    spf: SpfResult | None,
    dmarc: DmarcVerdict | None,
    arc: ArcResult | None,
) -> str:
    aligned = len(dmarc.dkim_aligned) if dmarc else 0
    passing = sum(1 for s in signatures if s.result == "pass")
    dmarc_text = (
        "DMARC ?"
        if dmarc is None
        else f"DMARC {dmarc.result}" + (f" → {dmarc.disposition}" if dmarc.result == "fail" else "")
    )
    spf_text = f"SPF {spf.result}" if spf else "SPF not evaluated"
    arc_text = ""
    if arc is not None and arc.cv == "pass" and dmarc is not None and dmarc.result == "fail":
        # list mail: the forwarder's seal vouches for what it received (RFC 8617 §7.2)
        sealer = arc.instances[-1].as_domain if arc.instances else "?"
        arc_text = (
            f"   but ARC pass (sealed by {sealer}): a receiver that trusts that sealer may "
            "accept it"
        )
    return (
        f"{head.headline}   {dmarc_text}{arc_text}   ({spf_text}, DKIM {passing} of "
        f"{len(signatures)} passing, {aligned} aligned)"
    )
