"""One TLS grade per mail server, rated against the NCSC-NL TLS guidelines (v2.1, 2021; the
baseline internet.nl uses): protocol versions, cipher and key exchange, certificate key, OCSP
stapling, DANE.

Each aspect gets one of the guidelines' categories, Good, Sufficient, Phase-out or
Insufficient; the grade is the worst of them and lists every reason. A probe that failed for
network reasons leaves the grade undetermined (ERROR), never low.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mailcheck.catalog import finding
from mailcheck.model import Finding, Status
from mailcheck.net.probe import HostTrace
from mailcheck.net.tlsprobe import OCSP, Handshake

BASELINE = "NCSC-NL TLS guidelines 2.1"
GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT = "good", "sufficient", "phase-out", "insufficient"
ORDER = (GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT)
STATUS = {GOOD: Status.PASS, SUFFICIENT: Status.PASS, PHASE_OUT: Status.WARN}
VERSION_RATING = {
    "TLSv1.3": GOOD,
    "TLSv1.2": GOOD,
    "TLSv1.1": PHASE_OUT,
    "TLSv1": PHASE_OUT,
    "SSLv3": INSUFFICIENT,
}
TLS13_SUITES = {
    "TLS_AES_256_GCM_SHA384": GOOD,
    "TLS_CHACHA20_POLY1305_SHA256": GOOD,
    "TLS_AES_128_GCM_SHA256": GOOD,
    "TLS_AES_128_CCM_SHA256": SUFFICIENT,
}
GOOD_CURVES = {"secp256r1", "secp384r1", "secp521r1"}


@dataclass(frozen=True)
class Rating:
    """A TLS aspect's rating (protocol, cipher, key...), with the reason for it."""

    aspect: str
    category: str
    reason: str


def rate_cipher(name: str) -> tuple[str, str, str]:
    """(key exchange, category, why) for an OpenSSL cipher name."""
    if name in TLS13_SUITES:
        return "ephemeral (EC)DHE (TLS 1.3)", TLS13_SUITES[name], "TLS 1.3 suite"
    upper = name.upper()
    if any(w in upper for w in ("RC4", "NULL", "EXP", "ADH", "AECDH", "ANON", "PSK", "SRP")):
        return "none or static", INSUFFICIENT, "broken or unauthenticated"
    if upper.startswith("ECDHE-"):
        kx = "ECDHE"
    elif upper.startswith(("DHE-", "EDH-")):
        kx = "DHE"
    elif upper.startswith(("AES", "DES-CBC3", "CAMELLIA", "SEED", "IDEA", "ARIA")):
        kx = "RSA"
    else:
        return "unknown", INSUFFICIENT, "not in the guidelines"
    if "DES-CBC3" in upper or "3DES" in upper:
        return kx, PHASE_OUT, "3DES (64-bit blocks)"
    if "DES" in upper or not ("AES" in upper or "CHACHA20" in upper):
        return kx, INSUFFICIENT, "a cipher the guidelines do not list"
    if kx == "RSA":
        return kx, PHASE_OUT, "RSA key exchange: no forward secrecy"
    aead = "GCM" in upper or "CHACHA20" in upper
    if kx == "ECDHE" and aead:
        return kx, GOOD, "forward secrecy, AEAD"
    return kx, SUFFICIENT, "forward secrecy" + (", AEAD" if aead else ", CBC mode")


def rate_key(key: str) -> tuple[str, str]:
    """Category and why for a certificate key as tlsinfo words it ("RSA 2048", "EC ...")."""
    kind, _, size = key.partition(" ")
    if kind == "RSA" and size.isdigit():
        bits = int(size)
        if bits >= 3072:
            return GOOD, "RSA of 3072 bits or more"
        if bits >= 2048:
            return SUFFICIENT, "RSA of 2048 to 3071 bits"
        return INSUFFICIENT, "RSA shorter than 2048 bits"
    if kind == "EC":
        if size in GOOD_CURVES:
            return GOOD, "a recommended curve"
        return INSUFFICIENT, "a curve the guidelines do not list"
    if kind in ("Ed25519", "Ed448"):
        return GOOD, "EdDSA"
    return INSUFFICIENT, "DSA or an unknown key type"


def worst(categories: list[str]) -> str:
    return max(categories, key=ORDER.index) if categories else GOOD


def grade(
    trace: HostTrace,
    probes: list[Handshake],
    dane: Status | None,
    dane_text: str,
    dane_secure: bool = False,
    ca_file: str | None = None,
    dane_state: str = "",
) -> Iterator[Finding]:
    """tls.protocols, tls.cipher, tls.key-size, tls.ocsp-stapling and the one tls.grade for
    this server."""
    from mailcheck.checks.ocsp import judge_staple
    from mailcheck.net.tlsinfo import describe

    tls = trace.tls
    assert tls is not None
    host = trace.host
    ratings: list[Rating] = []
    unknown: list[str] = []
    versions = [p for p in probes if p.label not in ("weak ciphers", OCSP)]
    order = list(VERSION_RATING)[::-1]  # oldest first
    offered = sorted(
        (p.label for p in versions if p.outcome == "accepted"),
        key=lambda v: order.index(v) if v in order else -1,
    )
    errors = [f"{p.label}: {p.detail}" for p in versions if p.outcome == "error"]
    untestable = [p.label for p in versions if p.outcome == "untestable"]
    worst_version = worst([VERSION_RATING.get(v, INSUFFICIENT) for v in offered])
    shown = ", ".join(offered) or "none"
    evidence = [f"{p.label}: {p.outcome}" + (f" ({p.detail})" if p.detail else "") for p in probes]
    notes = ""
    if untestable:
        notes += f"; not tested (the local OpenSSL cannot offer them): {', '.join(untestable)}"
    if errors:
        unknown.append(f"protocol versions ({'; '.join(errors)})")
        yield finding(
            "tls.protocols",
            Status.ERROR,
            f"could not determine every version offered: {'; '.join(errors)}",
            evidence=tuple(evidence),
            subject=host,
        )
    else:
        old = [v for v in offered if VERSION_RATING.get(v) != GOOD]
        reason = f"offers {shown}" + (f" ({', '.join(old)}: {worst_version})" if old else "")
        ratings.append(Rating("versions", worst_version, reason))
        yield finding(
            "tls.protocols",
            STATUS.get(worst_version, Status.FAIL),
            f"{reason}{notes}",
            evidence=tuple(evidence),
            subject=host,
        )
    kx, category, why = rate_cipher(tls.cipher)
    cipher_reason = f"{tls.cipher} ({why}; key exchange {kx}): {category}"
    weak = next((p for p in probes if p.label == "weak ciphers"), None)
    cipher_status = STATUS.get(category, Status.FAIL)
    weak_text = ""
    if weak is not None and weak.outcome == "accepted":
        _wkx, weak_category, weak_why = rate_cipher(weak.cipher)
        weak_text = f"; also accepts {weak.cipher} ({weak_why}): {weak_category}"
        category = worst([category, weak_category])
        cipher_status = STATUS.get(category, Status.FAIL)
    elif weak is not None and weak.outcome == "error":
        unknown.append(f"weak ciphers ({weak.detail})")
        cipher_status = Status.ERROR
        weak_text = f"; could not determine whether weak ciphers are accepted ({weak.detail})"
    elif weak is not None and weak.outcome == "refused":
        weak_text = "; refuses weak ciphers (RSA key exchange, 3DES, RC4, NULL)"
    ratings.append(Rating("cipher", category, cipher_reason + weak_text))
    yield finding(
        "tls.cipher",
        cipher_status,
        f"negotiated {cipher_reason}{weak_text}",
        subject=host,
    )
    if tls.chain:
        key = describe(tls.chain[0]).key
        key_category, key_why = rate_key(key)
        ratings.append(Rating("key", key_category, f"certificate key {key} ({key_why})"))
        yield finding(
            "tls.key-size",
            STATUS.get(key_category, Status.FAIL),
            f"certificate key {key}: {key_category} ({key_why})",
            subject=host,
        )
    stapling = next((p for p in probes if p.label == OCSP), None)
    staple_reason = "OCSP stapling not probed"
    if stapling is not None:
        judged = judge_staple(stapling, ca_file, tls.at)
        staple_reason = ""
        if judged.category == "unknown":
            unknown.append(f"OCSP stapling ({judged.text})")
        elif judged.category:
            ratings.append(Rating("ocsp", judged.category, judged.text))
        else:
            staple_reason = f"{judged.text}, not graded"
        yield finding(
            "tls.ocsp-stapling",
            judged.status,
            judged.text,
            evidence=tuple(
                f"{k.replace('_', ' ')}: {v}"
                for k, v in judged.data.items()
                if k != "summary" and v is not None
            ),
            subject=host,
        )
    # TLSA records count only when DNSSEC-secure: senders ignore insecure ones, and refuse
    # the server when validation fails (bogus) (RFC 7672 §2.2)
    if dane is Status.ERROR:
        unknown.append(f"DANE ({dane_text})")
    elif dane is Status.FAIL and dane_state == "bogus":
        ratings.append(Rating("dane", INSUFFICIENT, f"DANE: {dane_text}"))
    elif dane is Status.PASS and dane_secure:
        ratings.append(Rating("dane", GOOD, f"DANE: {dane_text}"))
    elif dane is Status.FAIL and dane_secure:
        ratings.append(Rating("dane", INSUFFICIENT, f"DANE: {dane_text}"))
    reasons = [f"{r.reason}" for r in ratings]
    if dane is None:
        reasons.append("no TLSA records (DANE not in use, not graded)")
    elif not dane_secure and dane_state not in ("bogus", "error"):
        reasons.append(
            "TLSA records that are not DNSSEC-secure: senders ignore them (DANE not graded)"
        )
    if staple_reason:
        reasons.append(staple_reason)
    overall = worst([r.category for r in ratings])
    if unknown:
        yield finding(
            "tls.grade",
            Status.ERROR,
            f"could not determine the grade: {'; '.join(unknown)} (baseline: {BASELINE})",
            evidence=tuple(reasons),
            subject=host,
        )
        return
    yield finding(
        "tls.grade",
        STATUS.get(overall, Status.FAIL),
        f"{overall.capitalize()} ({BASELINE}): " + "; ".join(reasons),
        evidence=tuple(f"{r.aspect}: {r.category}: {r.reason}" for r in ratings),
        subject=host,
    )
