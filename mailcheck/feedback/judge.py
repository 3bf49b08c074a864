"""The judgement over aggregate reports: why each failing source fails, what to fix, and
whether a domain is ready for its next DMARC policy step. Pure: lookups arrive as data."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from mailcheck.feedback.aggregate import AggregateReport, Row, iso_day

NEXT_STEP = {"none": "quarantine", "quarantine": "reject"}
FORWARD_REASONS = {"forwarded", "mailing_list", "trusted_forwarder"}

# categories of failing mail, and whether p=quarantine would hurt mail that is yours
LEGITIMATE = ("spf-unaligned", "dkim-other-domain", "dkim-broken")
REVIEW = ("spf-fail",)
EXPECTED = ("forwarded", "unauthenticated")
CATEGORY_TEXT = {
    "spf-unaligned": "SPF passes but not aligned",
    "dkim-other-domain": "DKIM by another domain",
    "dkim-broken": "your DKIM signature fails",
    "spf-fail": "no DKIM, SPF fails for your domain",
    "forwarded": "forwarded (signs of forwarding)",
    "unauthenticated": "unauthenticated (no SPF or DKIM pass for anyone)",
}


@dataclass(frozen=True)
class Ptr:
    """What the reverse lookup of a source said: a name, none, not asked, or unknown."""

    name: str = ""
    state: str = "offline"  # found | none | offline | error
    detail: str = ""


@dataclass(frozen=True)
class Recheck:
    """--check-dns for one failing source: fixed | still-failing | unknown | not-dns."""

    state: str
    detail: str


@dataclass
class Source:
    """One sending IP in the aggregate reports: its name, messages and results."""

    ip: str
    ptr: Ptr
    org: str
    messages: int = 0
    passing: int = 0
    dispositions: Counter[str] = field(default_factory=Counter)


@dataclass
class Failing:
    """A source whose mail fails DMARC, for one reason (category)."""

    ip: str
    header_from: str
    category: str
    why: str
    fix: str
    ptr: Ptr
    org: str
    messages: int = 0
    dispositions: Counter[str] = field(default_factory=Counter)
    envelope: set[str] = field(default_factory=set)
    dkim_seen: set[tuple[str, str, str]] = field(default_factory=set)  # (domain, selector, result)
    recheck: Recheck | None = None

    @property
    def legitimate(self) -> bool:
        return self.category in LEGITIMATE


@dataclass
class DomainSummary:
    """What a domain's aggregate reports add up to, for its policy verdict."""

    domain: str
    policy: str  # p= of the newest report
    pct: int | None
    testing: str
    begin: int
    end: int
    reports: list[tuple[str, str]] = field(default_factory=list)  # (reporter, report id)
    # per UTC day (of each report's begin) and per reporter: [messages, passing DMARC]
    days: dict[str, list[int]] = field(default_factory=dict)
    reporters: dict[str, list[int]] = field(default_factory=dict)
    total: int = 0
    passing: int = 0
    sources: dict[str, Source] = field(default_factory=dict)
    failing: dict[tuple[str, str, str], Failing] = field(default_factory=dict)
    overrides: Counter[str] = field(default_factory=Counter)
    dispositions: Counter[str] = field(default_factory=Counter)
    newest: int = 0

    @property
    def next_step(self) -> str | None:
        return NEXT_STEP.get(self.policy)

    def failing_sorted(self) -> list[Failing]:
        rank = {c: i for i, c in enumerate((*LEGITIMATE, *REVIEW, *EXPECTED))}
        return sorted(
            self.failing.values(), key=lambda f: (rank.get(f.category, 9), -f.messages, f.ip)
        )

    def volume(self, categories: Iterable[str]) -> tuple[int, int]:
        wanted = set(categories)
        chosen = [f for f in self.failing.values() if f.category in wanted]
        return sum(f.messages for f in chosen), len({f.ip for f in chosen})

    @property
    def unaligned(self) -> int:
        return self.total - self.passing

    @property
    def unaligned_percent(self) -> float:
        return 100.0 * self.unaligned / self.total if self.total else 0.0


OrgOf = Callable[[str], str]


@functools.lru_cache(maxsize=65536)
def org_domain(name: str) -> str:
    """The Public Suffix List organizational domain (RFC 7489), cached: a day of reports
    names the same few thousand domains again and again."""
    from mailcheck.checks.dmarc import psl_org_domain

    return psl_org_domain(name)


def _aligned(identity: str, author: str, mode: str, org_of: OrgOf) -> bool:
    if not identity or not author:
        return False
    if mode == "s":
        return identity == author
    return org_of(identity) == org_of(author)


def classify(
    row: Row, adkim: str, aspf: str, org_of: OrgOf, host_org: str = ""
) -> tuple[str, str, str]:
    """(category, why, what to fix) for a row that fails DMARC; `host_org` is the
    organizational domain of the source's PTR, when known."""
    author = row.header_from
    dkim_pass = [d.domain for d in row.dkim_auth if d.result == "pass"]
    own_dkim = [d for d in row.dkim_auth if _aligned(d.domain, author, adkim, org_of)]
    spf_pass = [s.domain for s in row.spf_auth if s.result == "pass" and s.scope != "helo"]
    own_spf = [s for s in row.spf_auth if _aligned(s.domain, author, aspf, org_of)]
    forwarded = [r for r in row.reasons if r[0] in FORWARD_REASONS or "arc=pass" in r[1].lower()]
    if forwarded:
        kind, comment = forwarded[0]
        said = f"{kind}" + (f" ({comment})" if comment else "")
        return (
            "forwarded",
            f"the receiver says: {said}",
            "Nothing to publish: forwarded mail is the receiver's to accept (ARC); keep your "
            "DKIM signature intact (no l=, relaxed canonicalization).",
        )
    if own_dkim and any(d.result != "pass" for d in own_dkim) and not spf_pass:
        broken = own_dkim[0]
        if not own_spf or all(s.result != "pass" for s in own_spf):
            sel = f" s={broken.selector}" if broken.selector else ""
            if any(d != author and org_of(d) != org_of(author) for d in dkim_pass):
                return (
                    "forwarded",
                    f"your DKIM d={broken.domain}{sel} {broken.result} while a re-signer's "
                    "passes: a forwarder or list changed the message",
                    "Nothing to publish for the forwarder; keep your signature robust "
                    "(relaxed/relaxed, sign fewer volatile headers).",
                )
            return (
                "dkim-broken",
                f"DKIM d={broken.domain}{sel}: {broken.result}",
                f"Check the key for selector '{broken.selector or '?'}' "
                f"(mailcheck domain {broken.domain} --dkim-selector {broken.selector or 'SEL'}) "
                "and that this sender signs with the private key that matches it.",
            )
    relay = [d for d in dkim_pass if host_org and org_of(d) == host_org]
    if relay and own_spf and not spf_pass and org_of(author) != host_org:
        result = own_spf[0].result
        return (
            "forwarded",
            f"SPF {result} for {author} at a host of {host_org} that signs as itself "
            f"(d={relay[0]}): forwarded or re-sent by {host_org}",
            f"If {host_org} forwards or runs a list, nothing to publish (it should use ARC or "
            f"SRS); if it sends for you, have it sign with d={author}.",
        )
    if spf_pass and not any(_aligned(d, author, aspf, org_of) for d in spf_pass):
        other = spf_pass[0]
        return (
            "spf-unaligned",
            f"SPF passes for {other}, not aligned with {author}"
            + ("; no DKIM" if not row.dkim_auth else ""),
            f"Align the Return-Path: have this sender use a bounce domain under {author} "
            f"(and include it in that domain's SPF), or sign with DKIM d={author}.",
        )
    if dkim_pass:
        other = dkim_pass[0]
        return (
            "dkim-other-domain",
            f"DKIM passes for d={other}, not aligned with {author}",
            f"Set up DKIM signing with d={author} at this sender (publish the key or CNAMEs it "
            "gives you).",
        )
    envelope_own = row.envelope_from and _aligned(row.envelope_from, author, "r", org_of)
    if own_spf or envelope_own:
        results = ", ".join(sorted({s.result for s in own_spf})) or "none"
        return (
            "spf-fail",
            f"SPF {results} for {author}" + ("; no DKIM" if not row.dkim_auth else ""),
            f"If this host sends for you, add it (ip4:/include:) to {author}'s SPF and sign "
            "its mail with DKIM; if not, it forges your domain and DMARC will stop it.",
        )
    return (
        "unauthenticated",
        "no SPF or DKIM pass for any domain",
        "If you do not know this sender, it forges your domain: blocking it is the point of DMARC.",
    )


def summarise(
    reports: Iterable[AggregateReport], ptrs: Mapping[str, Ptr], org_of: OrgOf
) -> dict[str, DomainSummary]:
    """Per policy domain: totals, sources by IP and the failing sources with their reasons."""
    out: dict[str, DomainSummary] = {}
    for report in reports:
        pol = report.policy
        summary = out.get(pol.domain)
        if summary is None:
            summary = out[pol.domain] = DomainSummary(
                pol.domain, pol.p, pol.pct, pol.testing, report.begin, report.end
            )
        if report.end >= summary.newest:
            summary.newest = report.end
            summary.policy, summary.pct, summary.testing = pol.p, pol.pct, pol.testing
        summary.begin = min(summary.begin, report.begin)
        summary.end = max(summary.end, report.end)
        summary.reports.append((report.org_name, report.report_id))
        day = summary.days.setdefault(iso_day(report.begin)[:10], [0, 0])
        reporter = summary.reporters.setdefault(report.org_name, [0, 0])
        for row in report.rows:
            _add_row(summary, row, pol.adkim, pol.aspf, ptrs, org_of)
            for tally in (day, reporter):
                tally[0] += row.count
                tally[1] += row.count if row.passes else 0
    return out


def source_org(ptr: Ptr, org_of: OrgOf) -> str:
    if ptr.state == "found" and ptr.name:
        return org_of(ptr.name)
    return {"none": "(no PTR)", "offline": "(not looked up)", "error": "(PTR unknown)"}.get(
        ptr.state, "(PTR unknown)"
    )


def _add_row(
    summary: DomainSummary,
    row: Row,
    adkim: str,
    aspf: str,
    ptrs: Mapping[str, Ptr],
    org_of: OrgOf,
) -> None:
    ptr = ptrs.get(row.source_ip, Ptr())
    org = source_org(ptr, org_of)
    summary.total += row.count
    summary.dispositions[row.disposition] += row.count
    for kind, _comment in row.reasons:
        summary.overrides[kind or "?"] += row.count
    source = summary.sources.setdefault(row.source_ip, Source(row.source_ip, ptr, org))
    source.messages += row.count
    source.dispositions[row.disposition] += row.count
    if row.passes:
        summary.passing += row.count
        source.passing += row.count
        return
    host = org if ptr.state == "found" else ""
    category, why, fix = classify(row, adkim, aspf, org_of, host)
    key = (row.source_ip, row.header_from, category)
    failing = summary.failing.get(key)
    if failing is None:
        failing = summary.failing[key] = Failing(
            row.source_ip, row.header_from, category, why, fix, ptr, org
        )
    failing.messages += row.count
    failing.dispositions[row.disposition] += row.count
    if row.envelope_from:
        failing.envelope.add(row.envelope_from)
    failing.envelope.update(s.domain for s in row.spf_auth if s.domain and s.scope != "helo")
    failing.dkim_seen.update((d.domain, d.selector, d.result) for d in row.dkim_auth)


@dataclass(frozen=True)
class Verdict:
    """Whether a domain is ready for its next DMARC policy step, in words."""

    state: str  # ready | review | not-ready | final | no-data
    text: str
    short: str = ""  # for the summary table


def readiness(summary: DomainSummary) -> Verdict:
    """The verdict for the next policy step, in one sentence a postmaster can act on."""
    if summary.total == 0:
        return Verdict("no-data", "the reports hold no messages: no verdict", "no messages")
    legit_n, legit_m = summary.volume(LEGITIMATE)
    review_n, review_m = summary.volume(REVIEW)
    other_n, _other_m = summary.volume(EXPECTED)
    all_n, all_m = summary.volume((*LEGITIMATE, *REVIEW, *EXPECTED))
    step = summary.next_step
    if step is None:
        return Verdict(
            "final",
            f"p={summary.policy}: {all_n} of {summary.total} messages from {all_m} source"
            f"{_s(all_m)} failed DMARC"
            + (
                f"; {legit_n} of them from {legit_m} authenticated sender{_s(legit_m)}"
                if legit_n
                else ""
            ),
            f"{all_n} messages from {all_m} source{_s(all_m)} fail DMARC",
        )
    head = (
        f"p={step} would affect {all_n} of {summary.total} messages from {all_m} source{_s(all_m)}"
    )
    short = f"p={step} would affect {all_n} messages from {all_m} source{_s(all_m)}"
    fixed = [f for f in summary.failing.values() if f.recheck and f.recheck.state == "fixed"]
    if fixed:
        head += f" ({len(fixed)} of the sources fixed in DNS since the report)"
    if legit_n:
        return Verdict(
            "not-ready",
            f"not ready: {head}; {legit_n} message{_s(legit_n)} from {legit_m} source"
            f"{_s(legit_m)} that authenticate but do not align (your senders, most likely): "
            "fix them first",
            f"{short}; {legit_n} from {legit_m} sender{_s(legit_m)} of yours",
        )
    if review_n:
        return Verdict(
            "review",
            f"review first: {head}; {review_n} message{_s(review_n)} from {review_m} source"
            f"{_s(review_m)} use your domain without passing SPF or DKIM: ready if none of "
            "them is yours",
            f"{short}; check {review_m} that use{'s' if review_m == 1 else ''} your domain",
        )
    rest = f" ({other_n} forwarded or unauthenticated)" if other_n else ""
    return Verdict(
        "ready",
        f"ready for p={step}: {head}{rest}, none of it authenticated mail",
        f"{short}, none authenticated",
    )


def _s(n: int) -> str:
    return "" if n == 1 else "s"
