"""The dkim check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

SELECTORS = _c(
    "dkim.selectors",
    "Selector discovery",
    "Without --selector, mailcheck probes the selectors large providers and ESPs use. DKIM "
    "keys live at names only the sender knows, so discovery can show keys but never prove "
    "that none exist.",
    "",
    "RFC 6376 §3.6.2.1",
)

KEY_MISSING = _c(
    "dkim.key-missing",
    "Named selector without a key",
    "The selector given with --selector has no key record: signatures that use it fail "
    "(permerror, no key for signature).",
    "Publish the key at <selector>._domainkey.<domain>.",
    "RFC 6376 §6.1.2",
)

KEY = _c(
    "dkim.key",
    "DKIM key",
    "A usable key: RSA of 2048 bits or more, or Ed25519.",
    "",
    "RFC 8301 §3.2",
    "RFC 8463",
)

KEY_WEAK = _c(
    "dkim.key-weak",
    "Weak RSA key",
    "RSA keys under 1024 bits must be rejected by verifiers; 1024-bit keys are accepted but "
    "breakable, so RFC 8301 asks for at least 2048 bits.",
    "Generate a 2048-bit key, publish it under a new selector, then switch signing to it.",
    "RFC 8301 §3.2",
)

KEY_LARGE = _c(
    "dkim.key-large",
    "RSA key larger than verifiers must support",
    "Verifiers must be able to check RSA keys of 1024 to 4096 bits and may refuse larger ones "
    "(RFC 8301); OpenSSL, under most verifiers, refuses keys over 16384 bits outright, so "
    "every signature made with such a key fails to verify there.",
    "Use a 2048-bit (or at most 4096-bit) RSA key, or an Ed25519 key beside it.",
    "RFC 8301 §3.2",
)

KEY_INVALID = _c(
    "dkim.key-invalid",
    "Key that cannot be used",
    "The p= data is not valid base64, not a public key, or of an unknown type. A common cause "
    "is a key record cut at 255 bytes instead of being split into several strings. A key "
    "read whole fails too when its encoding is one some verifiers refuse (rsaEncryption "
    "without the NULL parameters of RFC 3279, an integer with a needless leading zero "
    "byte), or when it is an RSASSA-PSS key, which RFC 4055 bars from the RSASSA-PKCS1-v1_5 "
    "signatures of k=rsa.",
    "Publish the whole key, as OpenSSL writes it; split long records into strings of at most "
    "255 bytes.",
    "RFC 6376 §3.6.1",
)

SYNTAX = _c(
    "dkim.syntax",
    "Key record syntax",
    "The key record does not follow the tag=value grammar, or v= is not DKIM1 first.",
    "Fix the record as the message says.",
    "RFC 6376 §3.6.1",
)

REVOKED = _c(
    "dkim.revoked",
    "Revoked key",
    "An empty p= revokes the key: signatures with it fail.",
    "",
    "RFC 6376 §3.6.1",
)

TESTING = _c(
    "dkim.testing",
    "Testing flag (t=y)",
    "t=y tells verifiers the domain is testing DKIM: they should not treat failures "
    "differently from unsigned mail.",
    "Remove t=y once signing works.",
    "RFC 6376 §3.6.1",
)

HASH_SHA1 = _c(
    "dkim.hash-sha1",
    "SHA-1 only",
    "h= limits the key to SHA-1, which RFC 8301 forbids verifiers to accept.",
    "Remove h= or set h=sha256.",
    "RFC 8301 §3.1",
)

SERVICE = _c(
    "dkim.service",
    "Service type excludes email",
    "s= lists the services the key may be used for; without * or email, mail signatures fail.",
    "Remove s= or include email.",
    "RFC 6376 §3.6.1",
)

CNAME = _c(
    "dkim.cname",
    "Selector delegated by CNAME",
    "The selector is a CNAME to a record the provider manages (common with ESPs).",
    "",
    "RFC 6376 §3.6.2.2",
)

MULTIPLE = _c(
    "dkim.multiple",
    "Several key records at one selector",
    "A selector with more than one key record gives undefined results.",
    "Keep one record.",
    "RFC 6376 §3.6.2.2",
)

ED25519_ONLY = _c(
    "dkim.ed25519-only",
    "Only Ed25519 keys",
    "Ed25519 (RFC 8463) is not verified everywhere yet; RFC 8463 expects signers to add an RSA "
    "signature as well.",
    "Sign with both an RSA and an Ed25519 key.",
    "RFC 8463 §1",
)

SIGNATURE = _c(
    "dkim.signature",
    "DKIM signature",
    "Each DKIM-Signature verified on its own: pass, fail (the body or a signed header "
    "changed), permerror (no key, revoked key, malformed or expired signature), temperror "
    "(DNS error fetching the key), policy (not acceptable: rsa-sha1, a key too small, or "
    "one over 16384 bits, which OpenSSL refuses).",
    "Look at the reason: a changed body means something rewrote the message after signing.",
    "RFC 6376 §6",
    "RFC 8601 §2.7.1",
    "RFC 8301",
)

BODY_LENGTH = _c(
    "dkim.body-length",
    "Body length limit (l=)",
    "l= signs only the first part of the body: anyone can append content (a different link, "
    "an attachment) and the signature still verifies.",
    "Sign without l=.",
    "RFC 6376 §8.2",
)

UNSIGNED = _c(
    "dkim.unsigned",
    "No DKIM signature",
    "The message carries no DKIM-Signature; DMARC can then only pass through aligned SPF, "
    "which forwarding breaks.",
    "Sign outgoing mail with DKIM.",
    "RFC 6376",
)
