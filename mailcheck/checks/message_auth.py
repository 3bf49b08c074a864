"""SPF for a message's sender, DMARC alignment and disposition, and the message's own
Authentication-Results compared with our verdicts."""

from __future__ import annotations

import email.utils
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailcheck.checks.dmarc import DmarcCheck
from mailcheck.checks.dmarc_walk import Discovery, unknown_names
from mailcheck.checks.signatures import Signature
from mailcheck.message.headers import (
    Headers,
    Received,
    address_domain,
    parse_received,
    parse_received_spf,
    unfold,
)
from mailcheck.net.dns.answer import Outcome
from mailcheck.net.dns.crawl import Crawler
from mailcheck.net.dns.engine import DnsEngine


@dataclass(frozen=True)
class SpfInput:
    """What SPF is evaluated with for a message: IP, HELO, MAIL FROM, and their source."""

    ip: str
    helo: str
    mail_from: str | None  # "" the null sender (<>), None unknown (no Return-Path)
    source: str

    @property
    def identity_domain(self) -> str:
        """The domain SPF authenticated: MAIL FROM's, or HELO's for bounces (RFC 7208 2.4);
        "" when there is none to check (MAIL FROM unknown, or without a domain)."""
        if self.mail_from is None:
            return ""
        return address_domain(self.mail_from) if self.mail_from else self.helo.lower()


def _return_path(headers: Headers) -> str | None:
    value = headers.first("Return-Path")
    if value is None:
        return None
    _name, address = email.utils.parseaddr(value)
    return address


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip().removeprefix("IPv6:")))
    except ValueError:
        return None


def trusted_received(headers: Headers, trusted_hop: int) -> Received | None:
    """The Received header the user's own server added (the N-th from the top), if any."""
    received = headers.text("Received")
    if 0 < trusted_hop <= len(received):
        return parse_received(received[trusted_hop - 1])
    return None


def spf_input(
    headers: Headers, ip: str | None, helo: str | None, mail_from: str | None, trusted_hop: int = 1
) -> SpfInput | None:
    """Connecting IP, HELO and MAIL FROM from what the user vouches for: the options, or the
    Received header their own server added (and Return-Path, which final delivery writes).
    Received-SPF and Authentication-Results are anyone's claims: never an input."""
    # no Return-Path header: MAIL FROM is unknown, not the null sender (final delivery writes
    # it, <> included, RFC 5321 4.4); SPF is then not evaluated rather than judged for "<>"
    sender = mail_from if mail_from is not None else _return_path(headers)
    if ip:
        return SpfInput(ip, helo or "", sender, "--ip")
    hop = trusted_received(headers, trusted_hop)
    client = _valid_ip(hop.from_ip) if hop else None
    if hop is None or client is None:
        return None
    where = f"Received header {trusted_hop} (from {hop.from_helo} by {hop.by})"
    return SpfInput(client, helo or hop.from_helo, sender, where)


@dataclass(frozen=True)
class SpfClaim:
    """One Received-SPF header (RFC 7208 9.1): what some server says it found."""

    result: str
    client_ip: str
    envelope_from: str
    helo: str
    receiver: str


# header work a receiver bounds (a flood of fields is read up to these, the rest is counted):
# the first (newest) fields are the ones the user's own server added on top
AUTH_RESULTS_LIMIT = 50  # Authentication-Results fields read
ARC_AUTH_RESULTS_LIMIT = 50  # ARC-Authentication-Results: one per ARC set, at most 50 sets
RESULTS_PER_FIELD = 50  # method results read from one field (a real one has a handful)
RECEIVED_SPF_LIMIT = 50


def first_fields(headers: Headers, name: str, limit: int) -> tuple[list[str], int]:
    """The first `limit` fields called `name`, unfolded, and how many more there are."""
    raw = headers.values(name)
    return [unfold(v) for v in raw[:limit]], max(0, len(raw) - limit)


def not_read(count: int, what: str, limit: int) -> str:
    """The one line for a flood of fields beyond a limit."""
    return (
        f"{count} more {what} not read: only the first {limit} are, as receivers bound the "
        "work one message can cause (a real message has a few)"
    )


def received_spf_claims(headers: Headers) -> tuple[list[SpfClaim], str]:
    """The first RECEIVED_SPF_LIMIT Received-SPF claims, and a note on the rest (or "")."""
    out = []
    texts, extra = first_fields(headers, "Received-SPF", RECEIVED_SPF_LIMIT)
    for text in texts:
        fields = parse_received_spf(text)
        raw_ip = fields.get("client-ip", "")
        out.append(
            SpfClaim(
                fields.get("result", ""),
                _valid_ip(raw_ip) or raw_ip,
                fields.get("envelope-from", ""),
                fields.get("helo", ""),
                fields.get("receiver", ""),
            )
        )
    return out, (not_read(extra, "Received-SPF fields", RECEIVED_SPF_LIMIT) if extra else "")


def spf_claim_problems(
    claims: list[SpfClaim], spf_in: SpfInput | None, spf_result: str | None
) -> list[tuple[str, str]]:
    """(check id, text) for each Received-SPF that disagrees with what the user vouched for."""
    out = []
    for claim in claims:
        by = f" (receiver={claim.receiver})" if claim.receiver else ""
        said = f"Received-SPF{by} says {claim.result or '?'}"
        if claim.client_ip and spf_in is not None and claim.client_ip != spf_in.ip:
            out.append(
                (
                    "auth-results.forged",
                    f"{said} for client-ip={claim.client_ip}, but the message came from "
                    f"{spf_in.ip} ({spf_in.source}): forged, or written by a server other "
                    "than yours; not used",
                )
            )
        elif spf_result is not None and claim.result and claim.result != spf_result:
            out.append(
                (
                    "auth-results.mismatch",
                    f"{said}, we get {spf_result} (the SPF record may have changed since, "
                    "or the header was written by a server other than yours)",
                )
            )
    return out


# -- DMARC -----------------------------------------------------------------------------


@dataclass
class DmarcVerdict:
    """A message's DMARC result: the policy found, and what it asks of receivers."""

    from_domain: str
    # pass | fail | none | temperror | permerror, or unknown: no aligned DKIM pass, and SPF
    # not evaluated (no connecting IP) or a signature not evaluated (beyond the limit) that
    # could be aligned, so an aligned pass could still decide it
    result: str
    reason: str
    policy: str | None = None
    policy_tag: str = "p"
    disposition: str = "none"
    record: str = ""
    location: str = ""
    org_domain: str = ""
    adkim: str = "r"
    aspf: str = "r"
    spf_aligned: bool = False
    dkim_aligned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # d= of signatures not evaluated (beyond the limit) that could have aligned
    unevaluated: list[str] = field(default_factory=list)


def _aligned(identity: str, author: str, mode: str, orgs: dict[str, str]) -> bool:
    identity, author = identity.lower().rstrip("."), author.lower().rstrip(".")
    if not identity:
        return False
    if mode == "s":
        return identity == author
    return orgs.get(identity, identity) == orgs.get(author, author)


def evaluate_dmarc(
    engine: DnsEngine,
    from_domain: str,
    spf_result: str | None,
    spf_domain: str,
    signatures: list[Signature],
    known: dict[str, DmarcCheck] | None = None,
    unevaluated: Sequence[str] = (),
) -> DmarcVerdict:
    """RFC 9989: policy discovery, Organizational Domains by tree walk, alignment, result.

    `spf_result` None: SPF was not evaluated (no connecting IP, no MAIL FROM or HELO).
    `unevaluated`: the d= of signatures beyond the limit, neither passed nor failed.
    `known` keeps the walks of earlier messages (DNS does not change within a run)."""
    known = {} if known is None else known
    names = {
        from_domain,
        # like a signature's domain, SPF's matters only when it passed or may have passed
        spf_domain if spf_result in ("pass", "temperror") else "",
        *(s.domain for s in signatures if s.result in ("pass", "temperror")),
    }
    missing = sorted(n for n in names if n and n not in known)
    if missing:
        crawler = Crawler(engine)
        for name in missing:
            known[name] = DmarcCheck(
                name, crawler, domain_exists=_exists(engine, name), check_reports=False
            )
            known[name].start()
        crawler.run()
    checks = {n: known[n] for n in names if n}
    author = checks[from_domain]
    disc = author.discovery
    assert disc is not None
    orgs = {n: c.discovery.org_domain for n, c in checks.items() if c.discovery is not None}
    # walks with a level that failed: their Organizational Domain is a guess
    guessed = {
        n.lower().rstrip("."): unknown_names(c.discovery)
        for n, c in checks.items()
        if c.discovery and c.discovery.unknown
    }
    if author.levels[0].record is None and disc.unknown:
        # RFC 9989 4.10: a failed level may hold the record that decides the policy
        return DmarcVerdict(
            from_domain,
            "temperror",
            "could not determine the policy: DNS error during policy discovery at "
            + unknown_names(disc),
        )
    level = disc.policy_level
    if level is None or level.record is None:
        if disc.errors:
            err = disc.errors[0].answer
            return DmarcVerdict(
                from_domain,
                "temperror",
                "DNS error during policy discovery: " + (err.describe() if err else "?"),
            )
        return DmarcVerdict(from_domain, "none", f"no DMARC policy for {from_domain}")
    record = level.record
    tag, policy = author.applied(level)
    adkim = (record.get("adkim") or "r").strip().lower()
    aspf = (record.get("aspf") or "r").strip().lower()
    verdict = DmarcVerdict(
        from_domain,
        "fail",
        "",
        policy,
        tag,
        record=record.text,
        location=f"_dmarc.{level.name}",
        org_domain=disc.org_domain,
        adkim=adkim if adkim in ("r", "s") else "r",
        aspf=aspf if aspf in ("r", "s") else "r",
    )
    verdict.spf_aligned = spf_result == "pass" and _aligned(
        spf_domain, from_domain, verdict.aspf, orgs
    )
    verdict.dkim_aligned = [
        s.domain
        for s in signatures
        if s.result == "pass" and _aligned(s.domain, from_domain, verdict.adkim, orgs)
    ]
    _judge(verdict, spf_result, spf_domain, signatures, record.get("t"))
    _unsure_alignment(verdict, spf_result, spf_domain, signatures, guessed)
    if verdict.result == "fail":
        # RFC 9989 4.4: an aligned identifier we could not check makes the result temperror
        unsure = [
            s.domain
            for s in signatures
            if s.result == "temperror" and _aligned(s.domain, from_domain, verdict.adkim, orgs)
        ]
        if spf_result == "temperror" and _aligned(spf_domain, from_domain, verdict.aspf, orgs):
            unsure.append(f"SPF {spf_domain}")
        if unsure:
            verdict.result = "temperror"
            verdict.disposition = "none"
            verdict.reason = (
                "no aligned identifier passed, and a DNS error left "
                f"{', '.join(unsure)} undetermined"
            )
        elif could := _could_align(verdict, disc, unevaluated):
            # a signature not evaluated is not a failed one: any of these may pass
            verdict.unevaluated = could
            verdict.result = "unknown"
            verdict.disposition = "none"
            count = sum(1 for d in unevaluated if d.lower().rstrip(".") in set(could))
            shown = ", ".join(f"d={d}" for d in verdict.unevaluated[:3])
            more = (
                f" and {len(verdict.unevaluated) - 3} more" if len(verdict.unevaluated) > 3 else ""
            )
            verdict.reason = (
                f"could not determine: {verdict.reason}; but {count} DKIM signature"
                f"{'s' if count != 1 else ''} not evaluated (by {shown}{more}) could be "
                "aligned, and one aligned pass would make it pass"
            )
        elif author.existence_decides(level):
            # np= (non-existent subdomains) and sp= differ, and whether the domain exists is
            # unknown: so is the disposition of this failure
            verdict.result = "temperror"
            verdict.disposition = "none"
            verdict.reason = (
                f"{verdict.reason}; but whether np= or sp= of _dmarc.{level.name} applies is "
                f"unknown: whether {from_domain} exists could not be determined (its MX "
                "lookup failed)"
            )
        elif spf_result is None:
            # unknown is never fail: an aligned SPF pass alone would make it pass (RFC 9989 4.4)
            verdict.result = "unknown"
            verdict.disposition = "none"
            verdict.reason = (
                f"could not determine: {verdict.reason} (an aligned SPF pass alone would "
                "make it pass)"
            )
    return verdict


def _could_align(verdict: DmarcVerdict, disc: Discovery, unevaluated: Sequence[str]) -> list[str]:
    """The distinct d= among `unevaluated` that could align with the From: domain: itself
    (adkim=s), or its Organizational Domain or a name under it (an Organizational Domain is
    the name or one of its parents). When a level of the walk failed, the highest such
    level could be the Organizational Domain."""
    author = verdict.from_domain.lower().rstrip(".")
    org = (disc.org_domain or author).lower().rstrip(".")
    for level in disc.unknown:
        name = level.name.lower().rstrip(".")
        if name.count(".") < org.count("."):
            org = name
    out: list[str] = []
    for domain in dict.fromkeys(d.lower().rstrip(".") for d in unevaluated):
        if verdict.adkim == "s":
            could = domain == author
        else:
            could = domain == org or domain.endswith("." + org)
        if could:
            out.append(domain)
    return out


def _exists(engine: DnsEngine, name: str) -> Callable[[], bool | None]:
    """Whether `name` exists (None: unknown), asked only when an inherited record's np=
    (RFC 9989: the policy for non-existent subdomains) could apply; NXDOMAIN for its MX, as
    `mailcheck domain` judges it."""

    def exists() -> bool | None:
        answer = engine.resolve(name, "MX")
        if answer.outcome.is_error:
            return None
        return answer.outcome is not Outcome.NXDOMAIN

    return exists


def _guessed(identity: str, author: str, mode: str, guessed: dict[str, str]) -> bool:
    """Relaxed alignment decided by an Organizational Domain whose walk had a failed level."""
    identity, author = identity.lower().rstrip("."), author.lower().rstrip(".")
    return (
        bool(identity)
        and mode != "s"
        and identity != author
        and (identity in guessed or author in guessed)
    )


def _unsure_alignment(
    verdict: DmarcVerdict,
    spf_result: str | None,
    spf_domain: str,
    signatures: list[Signature],
    guessed: dict[str, str],
) -> None:
    """Unknown is never pass or fail: when alignment rests on an Organizational Domain that a
    DNS error left undetermined, the result is temperror (RFC 9989 4.4)."""
    author = verdict.from_domain
    candidates = [(s.domain, verdict.adkim) for s in signatures if s.result == "pass"]
    if spf_result == "pass":
        candidates.append((spf_domain, verdict.aspf))
    unsure = sorted({d for d, mode in candidates if _guessed(d, author, mode, guessed)})
    if not unsure:
        return
    sure_pass = [d for d in verdict.dkim_aligned if not _guessed(d, author, verdict.adkim, guessed)]
    if verdict.spf_aligned and not _guessed(spf_domain, author, verdict.aspf, guessed):
        sure_pass.append(spf_domain)
    if sure_pass:
        return
    names = [n.lower().rstrip(".") for n in (author, *unsure)]
    failed = sorted({guessed[n] for n in names if n in guessed})
    verdict.result = "temperror"
    verdict.disposition = "none"
    verdict.reason = (
        f"could not determine whether {', '.join(unsure)} aligns with {author}: the "
        f"Organizational Domain depends on DNS errors at {'; '.join(failed)}"
    )


def _judge(
    verdict: DmarcVerdict,
    spf_result: str | None,
    spf_domain: str,
    signatures: list[Signature],
    testing: str | None,
) -> None:
    if verdict.dkim_aligned or verdict.spf_aligned:
        verdict.result = "pass"
        how = []
        if verdict.dkim_aligned:
            how.append(f"DKIM d={verdict.dkim_aligned[0]} aligned")
        if verdict.spf_aligned:
            how.append(f"SPF {spf_domain} aligned")
        verdict.reason = " and ".join(how)
        verdict.disposition = "none"
        return
    reasons = []
    passing = [s.domain for s in signatures if s.result == "pass"]
    if passing:
        reasons.append(
            f"DKIM passes only for {', '.join(passing)} (not aligned with "
            f"{verdict.from_domain}, adkim={verdict.adkim})"
        )
    elif signatures:
        reasons.append("no DKIM signature passes")
    else:
        reasons.append("no DKIM signature")
    if spf_result == "pass":
        reasons.append(f"SPF passes for {spf_domain} (not aligned, aspf={verdict.aspf})")
    else:
        reasons.append(f"SPF {spf_result or 'not evaluated'}")
    verdict.reason = "; ".join(reasons)
    disposition = verdict.policy or "none"
    if (testing or "").strip().lower() == "y" and disposition != "none":
        weaker = {"reject": "quarantine", "quarantine": "none"}[disposition]
        verdict.notes.append(f"t=y: receivers apply {weaker} instead of {disposition}")
        disposition = weaker
    verdict.disposition = disposition


# -- Authentication-Results ------------------------------------------------------------


@dataclass(frozen=True)
class AuthResult:
    """One method's result in an Authentication-Results header, with its properties."""

    header: str  # "Authentication-Results" or "ARC-Authentication-Results"
    authserv_id: str
    method: str
    result: str
    properties: dict[str, str]
    instance: int | None = None


def parse_authentication_results(
    headers: Headers,
) -> tuple[list[AuthResult], list[str], list[str]]:
    """The results of the first A-R and AAR headers (authres), the headers it could not read,
    and notes on what was left unread past the limits."""
    import authres

    parser = authres.all_features()
    out: list[AuthResult] = []
    problems: list[str] = []
    skipped: list[str] = []
    extra_results = 0
    for name, limit in (
        ("Authentication-Results", AUTH_RESULTS_LIMIT),
        ("ARC-Authentication-Results", ARC_AUTH_RESULTS_LIMIT),
    ):
        values, extra = first_fields(headers, name, limit)
        if extra:
            skipped.append(not_read(extra, f"{name} fields", limit))
        for value in values:
            instance = None
            text = value
            if name.startswith("ARC"):
                head, _, rest = value.partition(";")
                if head.strip().lower().startswith("i="):
                    instance = int(head.strip()[2:]) if head.strip()[2:].isdigit() else None
                    text = rest
            try:
                parsed: Any = parser.parse(f"Authentication-Results: {text}")
            except Exception as exc:  # authres raises its own SyntaxError family
                problems.append(f"{name}: {exc}")
                continue
            extra_results += max(0, len(parsed.results) - RESULTS_PER_FIELD)
            for result in parsed.results[:RESULTS_PER_FIELD]:
                props = {f"{p.type}.{p.name}": str(p.value) for p in result.properties}
                out.append(
                    AuthResult(
                        name,
                        str(parsed.authserv_id),
                        str(result.method).lower(),
                        str(result.result).lower(),
                        props,
                        instance,
                    )
                )
    if extra_results:
        skipped.append(
            f"{extra_results} more results not read: only the first {RESULTS_PER_FIELD} of "
            "each Authentication-Results field are (a real one has a handful)"
        )
    return out, problems, skipped


def is_trusted(result: AuthResult, trusted_ids: frozenset[str]) -> bool:
    """RFC 8601 5: only results whose authserv-id names the user's own server are theirs."""
    return result.authserv_id.lower().rstrip(".") in trusted_ids


def disagreements(
    results: list[AuthResult],
    signatures: list[Signature],
    spf_result: str | None,
    dmarc: DmarcVerdict | None,
    trusted_ids: frozenset[str] = frozenset(),
    arc_cv: str | None = None,
) -> list[str]:
    """Where the message's Authentication-Results disagree with what we found. They never
    change our verdict; whose they are decides how the disagreement reads."""
    out = []
    # an intermediary's own A-R records the chain as it was before it sealed: not comparable
    sealers = {r.authserv_id for r in results if r.header == "ARC-Authentication-Results"}
    for item in (r for r in results if r.header == "Authentication-Results"):
        own = is_trusted(item, trusted_ids)
        where = (
            f"Authentication-Results ({item.authserv_id}, your server)"
            if own
            else f"Authentication-Results ({item.authserv_id}, a claim: not an authserv-id "
            "you trust)"
        )
        why = (
            "the message was changed after your server received it"
            if own
            else "the header is forged, or another server wrote it"
        )
        if item.method == "dkim":
            domain = item.properties.get("header.d", "").lower()
            selector = item.properties.get("header.s", "")
            ours = [
                s
                for s in signatures
                if s.domain == domain and (not selector or s.selector == selector)
            ]
            if ours and item.result == "pass" and all(s.result != "pass" for s in ours):
                out.append(
                    f"{where} says dkim=pass header.d={domain}, but the signature does "
                    f"not verify now ({ours[0].reason}): {why}"
                )
            elif not ours and item.result == "pass" and domain:
                out.append(
                    f"{where} says dkim=pass header.d={domain}, but the message has no "
                    f"signature by {domain}: {why}"
                )
            elif (
                ours
                and item.result in ("fail", "permerror")
                and any(s.result == "pass" for s in ours)
            ):
                out.append(
                    f"{where} says dkim={item.result} header.d={domain}, but the "
                    "signature verifies now (the key may have been published since)"
                )
        elif item.method == "spf" and spf_result and item.result != spf_result:
            since = "the SPF record may have changed since" if own else why
            out.append(f"{where} says spf={item.result}, we get {spf_result} ({since})")
        elif (
            item.method == "dmarc"
            and dmarc is not None
            and item.result not in (dmarc.result, "bestguesspass")
            and dmarc.result in ("pass", "fail")
        ):
            out.append(f"{where} says dmarc={item.result}, we get {dmarc.result}")
        elif (
            item.method == "arc"
            and item.authserv_id not in sealers
            and item.result in ("pass", "fail", "none")
            and item.result != (arc_cv or "none")
        ):
            out.append(f"{where} says arc={item.result}, we get {arc_cv or 'none'}")
    return out
