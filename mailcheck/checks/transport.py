"""Judging a live conversation: reachability, banner, extensions, STARTTLS, the certificate,
DANE and MTA-STS, slow replies, and for IMAP/POP3 what a client may do before TLS."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from mailcheck.catalog import finding
from mailcheck.checks.connection import check_connection, connect_id
from mailcheck.escape import clip, decode
from mailcheck.message.smtp_codes import explain, explain_extension
from mailcheck.model import Finding, Status
from mailcheck.net.dns.answer import Answer
from mailcheck.net.probe import HostTrace
from mailcheck.net.smtp import Capabilities, Reply

SLOW = 3.0
# an EHLO keyword and its parameters, and how many of them, in a one-line summary
ITEM_LIMIT = 200
LIST_LIMIT = 30
EXPIRING_DAYS = 14
PLAINTEXT_MECHANISMS = {"PLAIN", "LOGIN"}
# bearer tokens travel as readable as a password does (RFC 7628 §5)
BEARER_MECHANISMS = {"XOAUTH2", "OAUTHBEARER"}
__all__ = ["TraceContext", "certificate_data", "connect_id", "judge"]


@dataclass(frozen=True)
class TraceContext:
    """What DNS says about a traced host (names, PTR, TLSA), for the judgement."""

    names: tuple[str, ...]
    ptr_names: tuple[str, ...] | None = None
    tlsa: Answer | None = None
    tlsa_secure: bool | None = None
    # the DNSSEC verdict behind tlsa_secure (signed | bogus | ...) and why, when TLSA exist
    tlsa_state: str = ""
    tlsa_detail: str = ""
    tlsa_name: str = ""  # where the TLSA records were looked up (_25._tcp.MX for a domain)
    sts_mode: str | None = None
    sts_patterns: tuple[str, ...] = ()
    require_tls: bool = False
    login_port: bool = False
    ca_file: str | None = None
    sending: bool = False  # `mailcheck send`: MAIL/RCPT/DATA are judged per recipient there


def judge(trace: HostTrace, ctx: TraceContext) -> list[Finding]:
    out = list(check_connection(trace))
    if trace.greeting_code is None:
        return out
    if trace.protocol == "smtp":
        out.extend(_smtp(trace, ctx))
    else:
        out.extend(_mailbox(trace, ctx))
    out.extend(_tls(trace, ctx))
    out.extend(_tlsa_lookup(trace, ctx))
    out.extend(_slow(trace))
    return out


def _smtp(trace: HostTrace, ctx: TraceContext) -> Iterator[Finding]:
    code = trace.greeting_code
    assert code is not None
    if code != 220:
        yield finding(
            "smtp.banner",
            Status.FAIL,
            (
                f"the server refused the session at connect: {code} "
                f"{trace.greeting} ({explain(code)})"
            ),
            subject=trace.host,
        )
        return
    yield finding("smtp.banner", Status.PASS, f"220 {trace.greeting}", subject=trace.host)
    if trace.ehlo_reply is not None:
        if trace.helo_fallback:
            yield finding(
                "smtp.ehlo",
                Status.WARN,
                "EHLO refused; HELO accepted (no ESMTP extensions: no STARTTLS, no SIZE)",
                subject=trace.host,
            )
        elif not trace.ehlo_reply.positive:
            yield finding(
                "smtp.ehlo",
                Status.FAIL,
                f"EHLO refused: {trace.ehlo_reply} ({explain(trace.ehlo_reply.code)})",
                subject=trace.host,
            )
        elif trace.ehlo_reply.code != 250:
            # 220 or 354 is neither a yes nor a no: the extensions were never listed
            yield finding(
                "smtp.ehlo",
                Status.FAIL,
                f"EHLO answered {trace.ehlo_reply}, not 250: the server's extensions (STARTTLS "
                "among them) are unknown",
                subject=trace.host,
            )
    caps = trace.caps_after or trace.caps_before
    if caps is not None:
        listed = [
            clip(f"{k} ({explain_extension(k, v)})" if explain_extension(k, v) else k, ITEM_LIMIT)
            for k, v in caps.items.items()
        ]
        summary = (_some(listed, "; ") or "none: EHLO listed no extensions") + _tls_changes(trace)
        yield finding("smtp.extensions", Status.INFO, summary, subject=trace.host)
        yield from _names(trace, ctx)
    before = trace.caps_before
    if before is not None and (trace.tls is None or trace.tls.mode == "starttls"):
        yield from _auth_before_tls(trace, {m.upper() for m in before.auth})
    yield from _login(trace, "smtp.login")
    if not ctx.sending:
        yield from _probe_replies(trace)


def _auth_before_tls(trace: HostTrace, offered: set[str]) -> Iterator[Finding]:
    """AUTH on a connection TLS does not protect: any mechanism there is a finding, as
    RFC 8314 §3 wants a login only over TLS; one that shows the secret is a failure."""
    exposed = offered & (PLAINTEXT_MECHANISMS | BEARER_MECHANISMS)
    if exposed:
        secret = "passwords" if exposed & PLAINTEXT_MECHANISMS else "access tokens"
        yield finding(
            "smtp.auth-plaintext",
            Status.FAIL,
            f"AUTH {' '.join(sorted(exposed))} is offered before TLS: {secret} "
            "can be sent in clear",
            subject=trace.host,
        )
    elif offered:
        # a challenge-response mechanism hides the password, not the user name, the
        # session after login, or the exchange an eavesdropper can guess offline
        yield finding(
            "smtp.auth-plaintext",
            Status.WARN,
            f"AUTH {' '.join(sorted(offered))} is offered before TLS: the password is "
            "not sent, but the user name and the mail after the login are, and the "
            "exchange can be guessed offline",
            subject=trace.host,
        )


def _tls_changes(trace: HostTrace) -> str:
    """What EHLO after STARTTLS offers that EHLO before did not, and the reverse."""
    before, after = trace.caps_before, trace.caps_after
    if before is None or after is None:
        return ""

    def shown(caps: Capabilities, key: str) -> str:
        return clip(f"{key} {caps.items[key]}".strip(), ITEM_LIMIT)

    added = [shown(after, k) for k in after.items if shown(after, k) not in _all(before)]
    removed = [shown(before, k) for k in before.items if shown(before, k) not in _all(after)]
    changes = [f"+{item}" for item in added] + [f"-{item}" for item in removed]
    return f". After TLS: {_some(changes, ', ')}" if changes else ". Same after TLS"


def _some(items: list[str], separator: str) -> str:
    """At most LIST_LIMIT items, then how many more: a server that advertises hundreds of
    extensions gets a one-line summary (the transcript keeps every line)."""
    shown = separator.join(items[:LIST_LIMIT])
    more = len(items) - LIST_LIMIT
    return f"{shown}{separator}and {more} more" if more > 0 else shown


def _all(caps: Capabilities) -> set[str]:
    return {f"{k} {v}".strip() for k, v in caps.items.items()}


def _names(trace: HostTrace, ctx: TraceContext) -> Iterator[Finding]:
    """Banner host name vs EHLO greeting name vs PTR of the address."""
    banner_name = trace.greeting.split()[0].lower() if trace.greeting else ""
    ehlo_name = (
        trace.ehlo_reply.lines[0].split()[0].lower()
        if trace.ehlo_reply and trace.ehlo_reply.lines and trace.ehlo_reply.lines[0]
        else ""
    )
    problems = []
    if banner_name and ehlo_name and banner_name != ehlo_name:
        problems.append(f"banner says {banner_name}, EHLO says {ehlo_name}")
    if ctx.ptr_names is not None and banner_name:
        if not ctx.ptr_names:
            problems.append(f"{trace.address} has no PTR record")
        elif banner_name not in ctx.ptr_names:
            problems.append(
                f"banner says {banner_name}, PTR of {trace.address} is {', '.join(ctx.ptr_names)}"
            )
    if problems:
        yield finding("smtp.banner-name", Status.WARN, "; ".join(problems), subject=trace.host)


def _probe_replies(trace: HostTrace) -> Iterator[Finding]:
    if trace.mail_reply is not None:
        reply = trace.mail_reply
        status = Status.PASS if reply.positive else Status.WARN if reply.code < 500 else Status.FAIL
        yield finding(
            "smtp.mail",
            status,
            f"MAIL FROM: {reply} ({explain(reply.code, reply.enhanced)})",
            subject=trace.host,
        )
    for recipient, reply in trace.rcpt_replies:
        if reply.positive:
            yield finding(
                "smtp.rcpt",
                Status.PASS,
                f"RCPT TO:<{recipient}>: {reply}",
                subject=trace.host,
            )
        else:
            yield finding(
                "smtp.rcpt",
                Status.WARN if reply.code < 500 else Status.FAIL,
                f"RCPT TO:<{recipient}>: {reply}: {_refusal(reply)}",
                subject=trace.host,
            )


def _refusal(reply: Reply) -> str:
    """What a refused RCPT most likely means, then the codes explained."""
    codes = explain(reply.code, reply.enhanced)
    if "relay" in reply.text.lower():
        return (
            "relaying refused: the server is not a destination for this address and does not "
            f"relay for this client ({codes})"
        )
    if reply.code < 500:
        return f"greylisted or deferred, a real sender retries later ({codes})"
    return codes


def _greeting(trace: HostTrace, name: str) -> Finding:
    if not trace.preauth:
        return finding(
            "mailbox.greeting", Status.PASS, f"{name}: {trace.greeting}", subject=trace.host
        )
    if trace.tls is not None:
        said = f"{name}: PREAUTH {trace.greeting} (authenticated at the greeting, over TLS)"
        return finding("mailbox.greeting", Status.PASS, said, subject=trace.host)
    # RFC 9051 6.2.1: STARTTLS only before authentication, so a PREAUTH in clear also
    # lets anyone in the path keep a client from TLS
    return finding(
        "mailbox.greeting",
        Status.FAIL,
        f"{name} greeted with PREAUTH before TLS: the session is authenticated without a "
        f"login, in clear, and STARTTLS can no longer start: {trace.greeting}",
        hint="Do not pre-authenticate connections that TLS does not protect.",
        subject=trace.host,
    )


def _mailbox(trace: HostTrace, ctx: TraceContext) -> Iterator[Finding]:
    name = trace.protocol.upper()
    if trace.greeting_code != 220:
        yield finding(
            "mailbox.greeting",
            Status.FAIL,
            f"{name} server refused the session: {trace.greeting}",
            subject=trace.host,
        )
        return
    yield _greeting(trace, name)
    before, after = trace.mailbox_caps_before, trace.mailbox_caps_after
    if before:
        extra = f"; after TLS: {' '.join(after)}" if after and after != before else ""
        yield finding(
            "mailbox.capabilities",
            Status.INFO,
            f"{' '.join(before)}{extra}",
            subject=trace.host,
        )
    if before and not trace.preauth and (trace.tls is None or trace.tls.mode == "starttls"):
        if trace.protocol == "imap":
            plain_login = "LOGINDISABLED" not in before
            mechanisms = {c[5:].upper() for c in before if c.upper().startswith("AUTH=")}
        else:
            plain_login = "USER" in before
            sasl = next((c for c in before if c.upper().startswith("SASL")), "")
            mechanisms = {m.upper() for m in sasl.split()[1:]}
        exposed = mechanisms & (PLAINTEXT_MECHANISMS | BEARER_MECHANISMS)
        if plain_login or exposed:
            what = "LOGIN" if trace.protocol == "imap" else "USER/PASS"
            offered = f"AUTH {' '.join(sorted(exposed))}" if exposed else ""
            what = f"{what} and {offered}" if plain_login and exposed else offered or what
            password = plain_login or exposed & PLAINTEXT_MECHANISMS
            yield finding(
                "mailbox.plaintext-login",
                Status.FAIL,
                f"{name} allows {what} before TLS: "
                f"{'passwords' if password else 'access tokens'} can be sent in clear",
                hint="Set disable_plaintext_auth (Dovecot) or the equivalent.",
                subject=trace.host,
            )
        elif mechanisms:
            # as for SMTP: no password on the wire, but the rest of the session is
            yield finding(
                "mailbox.plaintext-login",
                Status.WARN,
                f"{name} allows AUTH {' '.join(sorted(mechanisms))} before TLS: the password "
                "is not sent, but the user name and the mail after the login are, and the "
                "exchange can be guessed offline",
                hint="Set disable_plaintext_auth (Dovecot) or the equivalent.",
                subject=trace.host,
            )
        else:
            yield finding(
                "mailbox.plaintext-login",
                Status.PASS,
                "LOGINDISABLED before TLS: no login in clear"
                if trace.protocol == "imap"
                else "no USER/PASS and no plaintext SASL before TLS: no login in clear",
                subject=trace.host,
            )
    yield from _login(trace, "mailbox.login")


def _login(trace: HostTrace, check_id: str) -> Iterator[Finding]:
    how = f" ({trace.login_mechanism})" if trace.login_mechanism else ""
    if trace.login == "ok":
        yield finding(check_id, Status.PASS, f"login accepted{how}", subject=trace.host)
    elif trace.login in ("refused", "fault"):
        # fault: the server said success before the password was sent
        what = "login refused" if trace.login == "refused" else "login not completed"
        yield finding(check_id, Status.FAIL, f"{what}{how}: {trace.login_text}", subject=trace.host)
    elif trace.login in ("no-tls", "untrusted", "unavailable"):
        yield finding(check_id, Status.WARN, trace.login_text, subject=trace.host)


def _tls(trace: HostTrace, ctx: TraceContext) -> Iterator[Finding]:
    tls = trace.tls
    if tls is None:
        yield from _no_tls(trace, ctx)
        return
    if tls.injected:
        yield finding(
            "tls.injection",
            Status.FAIL,
            f"{len(tls.injected)} bytes arrived before the TLS handshake: the server "
            "(or something in the path) is open to STARTTLS response injection",
            evidence=[clip(decode(tls.injected), 200)],
            subject=trace.host,
        )
    how = "implicit TLS" if tls.mode == "implicit" else "STARTTLS offered and negotiated"
    old = tls.version in ("TLSv1", "TLSv1.1", "SSLv3")
    yield finding(
        "tls.starttls", Status.PASS, f"{how} ({tls.version}, {tls.cipher})", subject=trace.host
    )
    if old:
        yield finding(
            "tls.version", Status.FAIL, f"{tls.version} is obsolete (RFC 8996)", subject=trace.host
        )
    yield from _certificate(trace, ctx)


def _no_tls(trace: HostTrace, ctx: TraceContext) -> Iterator[Finding]:
    # "no STARTTLS" only when the capabilities were really heard without it
    if trace.error is not None and trace.failed_step in ("tls", "banner", "capabilities"):
        return
    if trace.stopped_after in ("banner", "connect") or (
        # EHLO (or the HELO after it) not answered 250: no list was heard to lack STARTTLS
        trace.protocol == "smtp" and (trace.ehlo_reply is None or trace.ehlo_reply.code != 250)
    ):
        return
    word = "STLS" if trace.protocol == "pop3" else "STARTTLS"  # RFC 2595 names it so for POP3
    if trace.starttls_reply:
        # a 2xx other than 220 (SMTP) is no refusal: the server went on in plain text
        odd = trace.protocol == "smtp" and trace.starttls_reply[:1] == "2"
        yield finding(
            "tls.starttls",
            Status.FAIL,
            f"{word} offered but answered {trace.starttls_reply}, not 220: TLS never started"
            if odd
            else f"{word} offered but refused: {trace.starttls_reply}",
            subject=trace.host,
        )
    elif not trace.starttls_offered or trace.preauth:
        status = (
            Status.FAIL if (ctx.require_tls or ctx.login_port or trace.port == 25) else Status.WARN
        )
        said = (
            f"{word} offered, but it cannot start after PREAUTH"
            if trace.preauth and trace.starttls_offered
            else f"no {word} on port {trace.port}"
        )
        yield finding(
            "tls.starttls",
            status,
            f"{said}: everything travels in clear",
            subject=trace.host,
        )
    else:
        yield finding(
            "tls.starttls",
            Status.INFO,
            f"{word} offered, not used (--tls none or --quit-after)",
            subject=trace.host,
        )
    if ctx.require_tls:
        yield finding(
            "tls.required", Status.FAIL, "--require-tls: no TLS was negotiated", subject=trace.host
        )


def _certificate(trace: HostTrace, ctx: TraceContext) -> Iterator[Finding]:
    from mailcheck.net.tlsinfo import describe, name_matches, tlsa_matches, verify_chain

    tls = trace.tls
    assert tls is not None
    if not tls.chain:
        yield finding(
            "tls.certificate",
            Status.FAIL,
            "the server presented no certificate",
            subject=trace.host,
        )
        return
    leaf = describe(tls.chain[0])
    now = tls.at
    trust = verify_chain(tls.chain, ctx.ca_file, now, ctx.names[0] if ctx.names else None)
    days = leaf.days_left(now)
    dated = not (leaf.not_before <= now <= leaf.not_after)
    if now > leaf.not_after:
        validity = f"expired on {leaf.not_after:%Y-%m-%d} ({-days} days ago)"
    elif now < leaf.not_before:
        validity = f"not valid before {leaf.not_before:%Y-%m-%d}"
    else:
        validity = f"valid until {leaf.not_after:%Y-%m-%d} ({days} days)"
    summary = (
        (f"CN={leaf.common_name}, " if leaf.common_name else "")
        + f"SAN {', '.join(leaf.dns_names) or '-'}, issuer "
        f"{leaf.issuer}, {validity}, {leaf.key}, {leaf.signature}"
    )
    # a trusted chain on a certificate out of its dates is not a PASS: tls.expiry is the FAIL
    status = Status.FAIL if not trust.trusted else Status.INFO if dated else Status.PASS
    yield finding(
        "tls.certificate",
        status,
        f"{trust.detail}: {summary}",
        evidence=tuple(chain_lines(tls.chain, now)),
        subject=trace.host,
    )
    if now > leaf.not_after:
        yield finding(
            "tls.expiry",
            Status.FAIL,
            f"certificate expired on {leaf.not_after:%Y-%m-%d} ({-days} days ago)",
            subject=trace.host,
        )
    elif now < leaf.not_before:
        yield finding(
            "tls.expiry",
            Status.FAIL,
            f"certificate not valid before {leaf.not_before:%Y-%m-%d}",
            subject=trace.host,
        )
    elif days < EXPIRING_DAYS:
        yield finding(
            "tls.expiry",
            Status.WARN,
            f"certificate expires in {days} days ({leaf.not_after:%Y-%m-%d})",
            subject=trace.host,
        )
    for name in ctx.names:
        if name_matches(leaf, name) and leaf.no_alt_names:
            yield finding(
                "tls.hostname",
                Status.WARN,
                (
                    f"the certificate names {name} only in its CN (no subjectAltName): "
                    "OpenSSL-based clients accept it, clients that follow RFC 9525 do not"
                ),
                hint="Put the host name in the certificate's subjectAltName.",
                subject=trace.host,
            )
        elif not name_matches(leaf, name):
            yield finding(
                "tls.hostname",
                Status.FAIL,
                (
                    f"the certificate does not name {name} (it names "
                    f"{', '.join(leaf.dns_names) or leaf.common_name or '-'})"
                ),
                subject=trace.host,
            )
    if ctx.tlsa is not None and ctx.tlsa.records and ctx.tlsa_state in ("bogus", "error"):
        where = _tlsa_where(trace, ctx)
        if ctx.tlsa_state == "bogus":
            # not "ignored" as insecure records are: a validation failure is an attack or a
            # broken zone, and a DANE sender must not fall back to unauthenticated TLS
            yield finding(
                "dane.match",
                Status.FAIL,
                (
                    f"the TLSA records at {where} fail DNSSEC validation "
                    f"({ctx.tlsa_detail}): DANE senders must not deliver to this server and "
                    f"defer the mail (RFC 7672 §2.2){_lab_port(trace, ctx)}"
                ),
                subject=trace.host,
            )
        else:
            yield finding(
                "dane.match",
                Status.ERROR,
                (
                    f"could not determine whether the TLSA records at {where} are "
                    f"DNSSEC-secure: {ctx.tlsa_detail}{_lab_port(trace, ctx)}"
                ),
                subject=trace.host,
            )
    elif ctx.tlsa is not None and ctx.tlsa.records:
        matched = [
            r.text
            for r in ctx.tlsa.records
            if tlsa_matches(r.rdata.usage, r.rdata.selector, r.rdata.mtype, r.rdata.cert, tls.chain)
        ]
        secure = "" if ctx.tlsa_secure else " (but the TLSA records are not DNSSEC-secure)"
        if matched:
            yield finding(
                "dane.match",
                Status.PASS,
                (
                    f"the certificate matches TLSA {matched[0]} at {_tlsa_where(trace, ctx)}"
                    f"{secure}{_lab_port(trace, ctx)}"
                ),
                subject=trace.host,
            )
        else:
            yield finding(
                "dane.match",
                Status.FAIL,
                (
                    f"the certificate matches none of the "
                    f"{len(ctx.tlsa.records)} TLSA records at {_tlsa_where(trace, ctx)}"
                    f"{secure}{_lab_port(trace, ctx)}"
                ),
                subject=trace.host,
            )
    if ctx.sts_mode in ("enforce", "testing"):
        from mailcheck.checks import libs

        covered = libs.mta_sts().mx_in_mta_sts_patterns(trace.host, list(ctx.sts_patterns))
        valid = trust.trusted and name_matches(leaf, trace.host) and leaf.not_after > now
        if covered and valid:
            yield finding(
                "mta-sts.mx-match",
                Status.PASS,
                f"{trace.host} matches the MTA-STS policy and its certificate is valid for it",
                subject=trace.host,
            )
        else:
            why = (
                "not in the policy's mx list"
                if not covered
                else "its certificate is not valid for it"
            )
            status = Status.FAIL if ctx.sts_mode == "enforce" else Status.WARN
            yield finding(
                "mta-sts.mx-match",
                status,
                f"{trace.host}: {why}: senders in {ctx.sts_mode} mode "
                + ("refuse delivery" if status is Status.FAIL else "report a failure"),
                subject=trace.host,
            )


def _slow(trace: HostTrace) -> Iterator[Finding]:
    # each protocol family has its own id (and its own RFC references)
    check_id = "smtp.slow" if trace.protocol == "smtp" else "mailbox.slow"
    if trace.banner_seconds is not None and trace.banner_seconds > SLOW:
        what = "the banner" if trace.protocol == "smtp" else "the greeting"
        yield finding(
            check_id,
            Status.WARN,
            f"{what} took {trace.banner_seconds:.1f} s (a tarpit, or an overloaded server)",
            subject=trace.host,
        )
    lines = trace.transcript.lines
    for index, line in enumerate(lines):
        if line.who != "C" or index + 1 >= len(lines):
            continue
        answer = lines[index + 1]
        if answer.who == "S" and answer.at - line.at > SLOW:
            words = line.text.split() or ["?"]
            # an IMAP command follows its tag: name the command, not "a3"
            command = words[1] if trace.protocol == "imap" and len(words) > 1 else words[0]
            yield finding(
                check_id,
                Status.WARN,
                f"{command} took {answer.at - line.at:.1f} s to answer",
                subject=trace.host,
            )


def chain_lines(chain: list[bytes], now: datetime.datetime) -> list[str]:
    """The chain as presented, one line per certificate (shown with --verbose)."""
    from mailcheck.net.tlsinfo import describe

    lines = []
    for depth, der in enumerate(chain):
        cert = describe(der)
        names = f", SAN {', '.join(cert.dns_names + cert.ip_names)}" if depth == 0 else ""
        lines.append(
            f"{depth} s:{cert.subject}{names} i:{cert.issuer} "
            f"{cert.not_before:%Y-%m-%d}..{cert.not_after:%Y-%m-%d} {cert.key} "
            f"sha256:{cert.sha256[:16]}"
        )
    return lines


def certificate_data(trace: HostTrace) -> list[dict[str, object]]:
    from mailcheck.net.tlsinfo import describe

    if trace.tls is None:
        return []
    now = trace.tls.at or datetime.datetime.now(datetime.timezone.utc)
    return [describe(der).to_dict(now) for der in trace.tls.chain]


def _tlsa_where(trace: HostTrace, ctx: TraceContext) -> str:
    return ctx.tlsa_name or f"_{trace.port}._tcp.{trace.host}"


def _lab_port(trace: HostTrace, ctx: TraceContext) -> str:
    """Said when the server was reached on another port than the one its TLSA records are
    published for: an MX (a lab one on 2525 too) is judged by _25._tcp, as senders do."""
    if _tlsa_where(trace, ctx).startswith(f"_{trace.port}._"):
        return ""
    return (
        f" (looked up for port 25, where senders deliver (RFC 7672); "
        f"this server was reached on port {trace.port})"
    )


def _tlsa_lookup(trace: HostTrace, ctx: TraceContext) -> list[Finding]:
    """A TLSA lookup that failed in a signed zone: DANE senders defer the mail, whatever
    the conversation showed (worded as the DNSSEC family words it)."""
    if ctx.tlsa is None or not ctx.tlsa.outcome.is_error:
        return []
    from mailcheck.checks.dnssec import ZoneVerdict, tlsa_unknown

    verdict = ZoneVerdict(ctx.tlsa_state, None, ctx.tlsa_detail)
    said = tlsa_unknown(_tlsa_where(trace, ctx), trace.host, ctx.tlsa, verdict)
    if said is None:
        return []
    said += _lab_port(trace, ctx)
    return [finding("dane.match", Status.ERROR, said, subject=trace.host)]
