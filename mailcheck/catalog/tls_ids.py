"""The tls check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

STARTTLS = _c(
    "tls.starttls",
    "STARTTLS",
    "Whether TLS was negotiated (STARTTLS or implicit TLS). Without it, messages and "
    "passwords travel in clear.",
    "Enable STARTTLS with a certificate for the host name.",
    "RFC 3207",
    "RFC 8314",
)

HANDSHAKE = _c(
    "tls.handshake",
    "TLS handshake completed",
    "Whether the TLS handshake (after STARTTLS, or at once on an implicit-TLS port) ran to "
    "its end. A server that goes silent or drops the connection inside the handshake leaves "
    "its TLS undetermined (ERROR); a handshake it refuses is judged under tls.starttls.",
    "Run the check again; if the handshake keeps stalling, look at the server's TLS logs and "
    "at firewalls or middleboxes between.",
    "RFC 8446 §4",
    "RFC 8314 §3",
)

VERSION = _c(
    "tls.version",
    "TLS version",
    "TLS 1.0 and 1.1 are deprecated (RFC 8996).",
    "Allow TLS 1.2 and 1.3 only.",
    "RFC 8996",
)

CERTIFICATE = _c(
    "tls.certificate",
    "Certificate trust",
    "Whether the presented chain leads to a trusted authority (the system store, or "
    "--ca-file). Opportunistic SMTP TLS tolerates untrusted certificates; MTA-STS, DANE-TA "
    "and mail clients do not.",
    "Use a certificate from a public CA (or publish DANE-EE TLSA).",
    "RFC 5280",
    "RFC 8461 §4.2",
)

EXPIRY = _c(
    "tls.expiry",
    "Certificate validity period",
    "An expired or not-yet-valid certificate fails verification; one that expires within 14 "
    "days soon will.",
    "Renew the certificate (and automate renewal).",
    "RFC 5280 §4.1.2.5",
)

HOSTNAME = _c(
    "tls.hostname",
    "Certificate names the host",
    "The certificate must name the host connected to (and, for MTA-STS, the MX host name) "
    "in its subjectAltName (FAIL when it does not). A name only in the CN of a certificate "
    "without subjectAltName is a WARN: OpenSSL-based clients accept it, RFC 9525 clients do "
    "not, and no password is sent to it.",
    "Add the host name to the certificate's subjectAltName.",
    "RFC 6125",
    "RFC 7817",
)

PROTOCOLS = _c(
    "tls.protocols",
    "TLS versions offered",
    "Which protocol versions the server accepts, each tried in its own handshake (TLS 1.0, "
    "1.1, 1.2, 1.3). Rated against the NCSC-NL TLS guidelines 2.1: 1.2 and 1.3 are good, "
    "1.0 and 1.1 phase-out. A probe cut off by the network leaves it undetermined (ERROR).",
    "Allow TLS 1.2 and 1.3 only (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
    "RFC 8996",
    "NCSC-NL TLS guidelines 2.1",
)

CIPHER = _c(
    "tls.cipher",
    "Cipher and key exchange",
    "The cipher the server chose when offered everything, and whether it also accepts weak "
    "ones (RSA key exchange, 3DES, RC4, NULL) when a client offers nothing else, rated "
    "against the NCSC-NL TLS guidelines 2.1 (good: ECDHE with AES-GCM or ChaCha20; "
    "sufficient: ECDHE with CBC, DHE; phase-out: RSA key exchange, 3DES).",
    "Prefer ECDHE with AEAD ciphers; disable anonymous ciphers, RSA key exchange and 3DES "
    "(Postfix: smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, 3DES, RC4).",
    "RFC 9325",
    "NCSC-NL TLS guidelines 2.1",
)

KEY_SIZE = _c(
    "tls.key-size",
    "Certificate key",
    "The certificate's public key, rated against the NCSC-NL TLS guidelines 2.1: RSA of "
    "3072 bits or more and the curves P-256/P-384 are good, RSA 2048 sufficient, shorter "
    "RSA keys insufficient.",
    "Use an RSA key of at least 2048 bits (3072 preferred) or an ECDSA P-256 key.",
    "NCSC-NL TLS guidelines 2.1",
)

OCSP_STAPLING = _c(
    "tls.ocsp-stapling",
    "OCSP stapling",
    "A dedicated handshake asks for the stapled OCSP response (status_request). None stapled "
    "is INFO (stapling is optional); a stapled response must be for the certificate served, "
    "signed by its issuer or the issuer's delegated responder, say good, and be fresh "
    "(thisUpdate not in the future, nextUpdate not past): otherwise FAIL. A handshake that "
    "failed for network reasons, or no issuer certificate to check against, is ERROR.",
    "Staple a fresh response from the CA's responder (Postfix cannot; a TLS proxy or "
    "Exim's tls_ocsp_file can), or turn stapling off rather than serve a stale one.",
    "RFC 6960",
    "RFC 6066 section 8",
)
GRADE = _c(
    "tls.grade",
    "TLS grade",
    "One grade per mail server: the worst NCSC-NL category (good, sufficient, phase-out, "
    "insufficient) over versions offered, cipher and key exchange, certificate key, OCSP "
    "stapling and the DANE TLSA match, with every reason. Good and sufficient pass, "
    "phase-out warns, insufficient fails; a probe that failed for network reasons makes it "
    "ERROR.",
    "Fix the reasons listed, worst first.",
    "NCSC-NL TLS guidelines 2.1",
    "RFC 9325",
)

INJECTION = _c(
    "tls.injection",
    "STARTTLS response injection",
    "Data arrived after the STARTTLS reply but before the TLS handshake. A server or "
    "middlebox that buffers it lets an attacker inject commands into the encrypted session "
    "(CVE-2011-0411 and relatives).",
    "Update the server; it must discard buffered plaintext when TLS starts.",
    "RFC 3207 §4.2",
)

REQUIRED = _c(
    "tls.required",
    "TLS required",
    "--require-tls was given and no TLS was negotiated.",
    "",
    "RFC 8689",
)
