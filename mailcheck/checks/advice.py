"""What to do: a hint for each DKIM failure, and what would make a message pass DMARC."""

from __future__ import annotations

from mailcheck.checks.message_auth import DmarcVerdict
from mailcheck.checks.signatures import Signature

# -- what to do about each failure -------------------------------------------------------

_HINTS = (
    (
        "body hash did not verify",
        "the body changed after signing: a mailing-list footer or subject tag, an antivirus "
        "or disclaimer banner, a line-ending or transfer-encoding conversion on the way. Sign "
        "after anything that rewrites the body; lists should add ARC",
    ),
    (
        "signature did not verify",
        "a signed header changed after signing (a list's subject tag, a rewritten From: or "
        "To:, refolding), or the key published at {key} is not the one that signed: compare "
        "h= with the headers, and the published key with the signer's",
    ),
    (
        "no key at",
        "publish the public key at {key} (TXT v=DKIM1; k=rsa; p=...), or sign with a "
        "selector that is published",
    ),
    (
        "the key is for service",
        "the key record at {key} is for another service (s=): publish it with s=email or "
        "without s=",
    ),
    (
        "the key allows h=",
        "the key record at {key} limits the hash (h=) to one the signer does not use: drop "
        "h= from the record (or make it list sha256)",
    ),
    (
        "the key has t=s",
        "the key record at {key} has t=s (i= must be exactly d=): drop the s flag, or make "
        "the signer use an i= in d={d} itself",
    ),
    (
        "key revoked",
        "the signer revoked this key (empty p=): it signed with a retired selector; make it "
        "sign with the current one",
    ),
    (
        "key too small",
        "use an RSA key of 2048 bits (1024 is the minimum, RFC 8301): publish it under a new "
        "selector and sign with it",
    ),
    (
        "key too large",
        "use an RSA key of 2048 bits (verifiers need support only 1024 to 4096, RFC 8301): "
        "publish it under a new selector and sign with it",
    ),
    (
        "signature expired",
        "x= had passed when it was verified: the signer sets too short a lifetime, or the "
        "message was delayed; lengthen x= (days, not minutes)",
    ),
    (
        "timestamp (t=) is in the future",
        "the signer's clock is ahead: synchronise it (NTP)",
    ),
    (
        "unsupported algorithm",
        "sign with rsa-sha256 or ed25519-sha256 (RFC 8301, RFC 8463)",
    ),
    (
        "rsa-sha1",
        "sign with rsa-sha256 or ed25519-sha256: rsa-sha1 is refused (RFC 8301)",
    ),
    (
        "but the key is",
        "a= and the key's k= must match: sign with the algorithm of the published key, or "
        "publish the right key type at {key}",
    ),
    (
        "From: is not in h=",
        "add From to h=: a signature that does not cover the author protects nothing DMARC "
        "can use (RFC 6376 §5.4)",
    ),
    (
        "is larger than the body",
        "sign without l= (l= larger than the body is a permanent failure)",
    ),
    (
        "key records at",
        "publish exactly one DKIM key record at {key}",
    ),
    (
        "key unusable",
        "the record at {key} does not hold a usable key: republish it (base64 of the DER public "
        "key in p=, k= matching)",
    ),
    (
        "DNS error",
        "the key could not be fetched: try again; if it persists, check the DNS servers of {d}",
    ),
)


def dkim_hint(sig: Signature) -> str:
    """What to do about this signature's failure, by its reason ("" when it passed)."""
    if sig.result == "pass":
        return ""
    key = f"{sig.selector}._domainkey.{sig.domain}"
    for marker, hint in _HINTS:
        if marker in sig.reason:
            text = hint.format(key=key, d=sig.domain)
            return text[0].upper() + text[1:]
    return "The DKIM-Signature header is malformed: check the signer's configuration"


def _aligned(domain: str, verdict: DmarcVerdict, mode: str) -> bool:
    domain = domain.lower().rstrip(".")
    if not domain:
        return False
    if mode == "s":
        return domain == verdict.from_domain
    org = verdict.org_domain or verdict.from_domain
    return domain == org or domain.endswith("." + org)


def dmarc_advice(
    verdict: DmarcVerdict,
    signatures: list[Signature],
    spf_result: str | None,
    spf_domain: str,
    ip: str,
) -> str:
    """What would make this message pass DMARC: which signer, which domain to align."""
    if verdict.result != "fail":
        return ""
    author = verdict.from_domain
    org = verdict.org_domain or author
    under = author if verdict.adkim == "s" else f"{org} or a subdomain"
    options = []
    for sig in signatures:
        if _aligned(sig.domain, verdict, verdict.adkim) and sig.result != "pass":
            options.append(
                f"fix signature d={sig.domain} ({sig.reason}): it is aligned, so DMARC passes "
                "once it verifies"
            )
    passing = sorted({s.domain for s in signatures if s.result == "pass"})
    if passing:
        options.append(
            f"have the signer of d={', d='.join(passing)} sign with d= {under} (a custom "
            "DKIM domain): that signature verifies but is not aligned"
        )
    elif not signatures:
        options.append(f"sign with DKIM as d={author}")
    spf_under = author if verdict.aspf == "s" else f"{org} or a subdomain"
    if spf_result == "pass" and not _aligned(spf_domain, verdict, verdict.aspf):
        options.append(
            f"send with a MAIL FROM (Return-Path) under {spf_under}: SPF passes for "
            f"{spf_domain or 'the HELO name'}, which is not aligned"
        )
    elif spf_result in ("fail", "softfail", "neutral", "none") and ip:
        if _aligned(spf_domain, verdict, verdict.aspf):
            options.append(f"list {ip} in the SPF record of {spf_domain}")
        else:
            options.append(
                f"send from a host listed in the SPF record of a MAIL FROM domain under "
                f"{spf_under} (now {spf_domain or 'none'})"
            )
    if not options:
        return ""
    return "To pass: " + "; or ".join(options)
