"""Expectations (mailcheck.toml) against what `mailcheck domain` found: `policy.*` findings,
judged from the report's own data, so a CI job fails when a change breaks a promise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mailcheck.catalog import finding
from mailcheck.gating.expectations import DMARC_LEVELS, Expectations
from mailcheck.model import Finding, Report, SpfTreeNode, Status


def _data(report: Report, family: str) -> Mapping[str, Any] | None:
    for section in report.sections:
        if section.family == family:
            return section.data
    return None


def _errors(report: Report, family: str, subject: str = "") -> list[Finding]:
    """ERROR findings of a family (about `subject`, if given): data we could not get."""
    return [
        f
        for s in report.sections
        if s.family == family
        for f in s.findings
        if f.status is Status.ERROR and (not subject or f.subject in ("", subject))
    ]


def _unknown(check_id: str, want: str, errors: list[Finding], subject: str = "") -> Finding:
    """An expectation judged over data we could not get: ERROR, never PASS nor FAIL."""
    return finding(
        check_id,
        Status.ERROR,
        f"could not determine whether {want}: {errors[0].summary}",
        subject=subject,
    )


def judge(report: Report, expected: Expectations, source: str) -> list[Finding]:
    out: list[Finding] = []
    out.extend(_dmarc(report, expected, source))
    out.extend(_spf(report, expected, source))
    out.extend(_dkim(report, expected, source))
    out.extend(_mx(report, expected, source))
    out.extend(_mta_sts(report, expected, source))
    out.extend(_no_mail(report, expected, source))
    return out


def _dmarc(report: Report, expected: Expectations, source: str) -> Iterator[Finding]:
    if expected.dmarc_policy is None:
        return
    data = _data(report, "dmarc") or {}
    policy = data.get("policy")
    want = expected.dmarc_policy
    errors = [f for f in _errors(report, "dmarc") if f.id in ("dmarc.record", "dmarc.policy")]
    if errors:
        yield _unknown("policy.dmarc-policy", f"DMARC p={want} or stricter applies", errors)
    elif policy is None:
        yield finding(
            "policy.dmarc-policy",
            Status.FAIL,
            f"expected DMARC p={want} or stricter ({source}); no DMARC policy applies",
        )
    elif DMARC_LEVELS.index(policy) < DMARC_LEVELS.index(want):
        yield finding(
            "policy.dmarc-policy",
            Status.FAIL,
            f"DMARC p={policy} is weaker than the expected p={want} ({source})",
        )
    else:
        yield finding(
            "policy.dmarc-policy", Status.PASS, f"DMARC p={policy} (expected at least p={want})"
        )


def _includes(node: SpfTreeNode) -> Iterator[str]:
    for child in node.children:
        yield child.domain.lower().rstrip(".")
        yield from _includes(child)


def _spf(report: Report, expected: Expectations, source: str) -> Iterator[Finding]:
    if (
        expected.spf_max_lookups is None
        and not expected.spf_require_includes
        and not expected.spf_forbid_includes
    ):
        return
    data = _data(report, "spf") or {}
    tree = data.get("tree")
    if expected.spf_max_lookups is not None:
        budget = expected.spf_max_lookups
        lookups = data.get("lookups")
        exact = data.get("lookups_exact", True)
        record_errors = [f for f in _errors(report, "spf") if f.id == "spf.record"]
        if record_errors:
            yield _unknown(
                "policy.spf-lookups", f"SPF stays within {budget} lookups", record_errors
            )
        elif lookups is not None and not exact and lookups <= budget:
            missing = ", ".join(data.get("lookups_unresolved", [])[:4])
            yield finding(
                "policy.spf-lookups",
                Status.ERROR,
                f"could not determine: SPF uses at least {lookups} DNS lookups (budget "
                f"{budget}, {source}); not resolved: {missing}",
            )
        elif lookups is None:
            yield finding(
                "policy.spf-lookups",
                Status.FAIL,
                f"expected an SPF record using at most {budget} lookups ({source}); none found",
            )
        elif lookups > budget:
            yield finding(
                "policy.spf-lookups",
                Status.FAIL,
                f"SPF uses {'' if exact else 'at least '}{lookups} DNS lookups, over the "
                f"budget of {budget} ({source})",
            )
        else:
            yield finding(
                "policy.spf-lookups",
                Status.PASS,
                f"SPF uses {lookups} DNS lookups (budget {budget}, limit 10)",
            )
    included = set(_includes(tree)) if isinstance(tree, SpfTreeNode) else set()
    # an include inside a part of the tree we could not resolve may or may not be there
    errors = _errors(report, "spf")
    for name in expected.spf_require_includes:
        if name in included:
            yield finding("policy.spf-include", Status.PASS, f"SPF includes {name}")
        elif errors:
            yield _unknown("policy.spf-include", f"SPF includes {name}", errors)
        else:
            yield finding(
                "policy.spf-include",
                Status.FAIL,
                f"SPF does not include {name}, which {source} requires",
            )
    for name in expected.spf_forbid_includes:
        if name in included:
            yield finding(
                "policy.spf-include",
                Status.FAIL,
                f"SPF includes {name}, which {source} forbids",
            )
        elif errors:
            yield _unknown("policy.spf-include", f"SPF leaves out {name}", errors)
        else:
            yield finding("policy.spf-include", Status.PASS, f"SPF does not include {name}")


def _dkim(report: Report, expected: Expectations, source: str) -> Iterator[Finding]:
    if not expected.dkim_selectors and expected.dkim_min_bits is None:
        return
    data = _data(report, "dkim") or {}
    keys = data.get("keys", [])
    by_selector: dict[str, list[Mapping[str, Any]]] = {}
    for key in keys:
        by_selector.setdefault(str(key.get("selector", "")).lower(), []).append(key)
    for selector in expected.dkim_selectors:
        found = by_selector.get(selector)
        usable = [k for k in found or [] if not k.get("error") and not k.get("revoked")]
        errors = _errors(report, "dkim", selector)
        if not usable and errors:
            yield _unknown(
                "policy.dkim-selector", f"a DKIM key is at {selector}", errors, subject=selector
            )
        elif not found:
            yield finding(
                "policy.dkim-selector",
                Status.FAIL,
                f"no DKIM key at {selector}._domainkey, which {source} expects",
                subject=selector,
            )
        elif not usable:
            yield finding(
                "policy.dkim-selector",
                Status.FAIL,
                f"the DKIM key at {selector}._domainkey is revoked or unusable ({source})",
                subject=selector,
            )
        else:
            yield finding(
                "policy.dkim-selector", Status.PASS, f"DKIM key at {selector}", subject=selector
            )
    if expected.dkim_min_bits is not None:
        minimum = expected.dkim_min_bits
        for key in keys:
            bits = key.get("bits")
            if key.get("type") != "rsa" or bits is None or key.get("revoked"):
                continue
            selector = str(key.get("selector"))
            if bits < minimum:
                yield finding(
                    "policy.dkim-key-size",
                    Status.FAIL,
                    f"{selector}: RSA {bits} bits, under the {minimum} bits {source} requires",
                    subject=selector,
                )
            else:
                yield finding(
                    "policy.dkim-key-size",
                    Status.PASS,
                    f"{selector}: RSA {bits} bits (at least {minimum})",
                    subject=selector,
                )


def _mx(report: Report, expected: Expectations, source: str) -> Iterator[Finding]:
    if expected.mx is None:
        return
    data = _data(report, "mx") or {}
    hosts = {str(h.get("name", "")).lower().rstrip(".") for h in data.get("hosts", [])}
    hosts.discard("")
    want = set(expected.mx)
    errors = [f for f in _errors(report, "mx") if f.id == "mx.records"]
    if errors:
        yield _unknown("policy.mx", "the MX hosts are as expected", errors)
        return
    if hosts == want:
        yield finding("policy.mx", Status.PASS, f"MX hosts as expected: {', '.join(sorted(want))}")
        return
    missing, extra = sorted(want - hosts), sorted(hosts - want)
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra)}")
    yield finding("policy.mx", Status.FAIL, f"MX hosts differ from {source}: {'; '.join(parts)}")


def _mta_sts(report: Report, expected: Expectations, source: str) -> Iterator[Finding]:
    if expected.mta_sts_mode is None:
        return
    data = _data(report, "mta-sts") or {}
    policy = data.get("policy") or {}
    mode = policy.get("mode")
    want = expected.mta_sts_mode
    errors = _errors(report, "mta-sts")
    if mode != want and errors:
        yield _unknown("policy.mta-sts-mode", f"MTA-STS mode is {want}", errors)
    elif mode == want:
        yield finding("policy.mta-sts-mode", Status.PASS, f"MTA-STS mode {mode}")
    else:
        shown = f"mode {mode}" if mode else "no MTA-STS policy"
        yield finding(
            "policy.mta-sts-mode",
            Status.FAIL,
            f"{shown}; {source} expects mode {want}",
        )


def _no_mail(report: Report, expected: Expectations, source: str) -> Iterator[Finding]:
    if expected.no_mail is None:
        return
    data = _data(report, "mx") or {}
    null_mx = bool(data.get("null_mx"))
    if expected.no_mail:
        yield finding(
            "policy.no-mail",
            Status.INFO,
            f"judged as a domain that sends and receives no mail ({source})",
        )
    elif null_mx:
        yield finding(
            "policy.no-mail",
            Status.FAIL,
            f"publishes a null MX (receives no mail), but {source} expects a mail domain",
        )
