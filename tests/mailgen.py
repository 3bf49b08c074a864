"""Test messages: built with the email package, signed with dkimpy and the keys the test
zones publish, then altered on purpose."""

from __future__ import annotations

import base64
import email.utils
import time
from collections.abc import Callable
from typing import Any

import dkim
from cryptography.hazmat.primitives import serialization

from tests.zonegen import Generated

_KEYS: dict[bytes, Any] = {}
BODY = b"Hello Bob,\r\n\r\nthe report is attached.\r\n\r\nAlice\r\n"


def message(
    sender: str = "alice@dkim.test",
    subject: str = "Quarterly report",
    received: list[str] | None = None,
    extra: list[str] | None = None,
    body: bytes = BODY,
) -> bytes:
    lines = list(received or [])
    lines += [
        f"From: Alice <{sender}>",
        "To: Bob <bob@clean.test>",
        f"Subject: {subject}",
        f"Date: {email.utils.formatdate(time.time() - 60)}",
        f"Message-ID: <{int(time.time() * 1000)}.test@{sender.split('@')[1]}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        *(extra or []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def received(
    ip: str = "192.0.2.10",
    helo: str = "mx1.clean.test",
    by: str = "mx.receiver.test",
    when: float | None = None,
    protocol: str = "ESMTPS",
) -> str:
    stamp = email.utils.formatdate(when or time.time() - 30)
    return (
        f"Received: from {helo} ({helo} [{ip}])\r\n\tby {by} (Postfix) with {protocol} "
        f"id 4F1A2B3C4D\r\n\tfor <bob@clean.test>; {stamp}"
    )


def _private(gen: Generated, selector: str) -> bytes:
    pem = gen.dkim_keys[selector]
    if selector == "ed":
        key = serialization.load_pem_private_key(pem, None)
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return base64.b64encode(raw)
    return pem


def sign(
    gen: Generated,
    data: bytes,
    selector: str = "rsa2048",
    domain: str = "dkim.test",
    key_selector: str | None = None,
    canonicalize: tuple[bytes, bytes] = (b"relaxed", b"relaxed"),
    algorithm: bytes = b"rsa-sha256",
    length: bool = False,
    headers: list[bytes] | None = None,
) -> bytes:
    """Prepend a DKIM-Signature made with the test key of `key_selector` (default selector)."""
    key = _private(gen, key_selector or selector)
    if selector == "ed" or (key_selector == "ed"):
        algorithm = b"ed25519-sha256"
    include = headers or [b"from", b"to", b"subject", b"date", b"message-id"]
    signature = dkim.sign(
        data,
        selector.encode(),
        domain.encode(),
        key,
        include_headers=include,
        canonicalize=canonicalize,
        signature_algorithm=algorithm,
        length=length,
    )
    return signature + data


def tamper_signature(data: bytes, old: bytes, new: bytes) -> bytes:
    """Change a tag in the first DKIM-Signature (the header itself, not the content)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    assert old in head, old
    return head.replace(old, new, 1) + sep + rest


def sign_without_from(
    gen: Generated, data: bytes, selector: str = "rsa2048", domain: str = "dkim.test"
) -> bytes:
    """A valid signature whose h= omits From (dkimpy refuses to make one, as it should;
    verifiers must reject it)."""
    pem = gen.dkim_keys[selector]
    return fast_sign(data, pem, selector, domain, ["to", "subject", "date"])


def multiprime_signer(primes: list[int], exponent: int = 65537) -> Callable[[bytes], bytes]:
    """RSASSA-PKCS1-v1_5 SHA-256 with a key of many primes (CRT, so a 17,000-bit key signs
    at once): for keys larger than OpenSSL will use, which dkimpy cannot sign with either."""
    import hashlib

    modulus = 1
    for prime in primes:
        modulus *= prime
    size = (modulus.bit_length() + 7) // 8
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420")

    def sign_bytes(digest_input: bytes) -> bytes:
        t = digest_info + hashlib.sha256(digest_input).digest()
        m = int.from_bytes(b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t, "big")
        s = 0
        for p in primes:
            rest = modulus // p
            part = pow(m % p, pow(exponent, -1, p - 1), p)
            s += part * rest * pow(rest, -1, p)
        return (s % modulus).to_bytes(size, "big")

    return sign_bytes


def fast_sign(
    data: bytes,
    pem: bytes,
    selector: str,
    domain: str,
    signed: list[str] | None = None,
    extra_tags: str = "",
    signer: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """rsa-sha256 relaxed/relaxed (RFC 6376 3.4.2/3.4.4) with cryptography's fast RSA: for
    building thousands of benchmark messages (dkimpy signs in pure Python). `signer`, if
    given, signs instead of the key in `pem`."""
    import hashlib
    import re

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signed = signed or ["from", "to", "subject", "date"]
    head, _, body = data.partition(b"\r\n\r\n")
    lines = re.sub(rb"[ \t]+\r\n", b"\r\n", body)
    lines = re.sub(rb"[ \t]+", b" ", lines).rstrip(b"\r\n") + b"\r\n"
    bh = base64.b64encode(hashlib.sha256(lines).digest()).decode()
    fields: dict[str, bytes] = {}
    for name, value in re.findall(rb"^([^:\r\n]+):(.*(?:\r\n[ \t].*)*)", head, re.M):
        fields[name.lower().decode()] = value  # the last instance (bottom-most) is signed

    def canon(name: str, value: bytes) -> bytes:
        text = re.sub(rb"\r\n", b"", value)
        text = re.sub(rb"[ \t]+", b" ", text).strip()
        return name.encode() + b":" + text

    tag_list = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s={selector}; "
        f"h={':'.join(signed)}; {extra_tags}bh={bh}; b="
    )
    digest_input = b"\r\n".join(canon(h, fields[h]) for h in signed) + b"\r\n"
    digest_input += canon("dkim-signature", tag_list.encode())
    if signer is not None:
        signature = signer(digest_input)
    else:
        key = _KEYS.get(pem)
        if key is None:  # loading validates the key, which is slow: once per key
            key = _KEYS[pem] = serialization.load_pem_private_key(pem, None)
        signature = key.sign(digest_input, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    header = f"DKIM-Signature: {tag_list}{base64.b64encode(signature).decode()}\r\n"
    return header.encode() + data


# Bytes a terminal acts on: clear screen, a title change (OSC, ended by BEL), the 8-bit CSI.
HOSTILE = "\x1b[2J\x1b]0\x07\x9b"


def hostile_message() -> bytes:
    """Every header field that verify shows in a table or a finding, each carrying HOSTILE
    (no ';' in it, so it survives inside tag=value lists)."""
    e = HOSTILE
    signature = (
        f"DKIM-Signature: v=1; a=rsa-sha256{e}; c=relaxed{e}/relaxed; d=dkim{e}.test; "
        f"s=rsa2048{e}; l=1{e}; h=from:to{e}; bh=abc{e}; b=def{e}"
    )
    arc = [
        f"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=arc{e}.test; s=s{e}; b=xyz",
        f"ARC-Message-Signature: i=1; a=rsa-sha256{e}; c=relaxed/relaxed; d=arc{e}.test; "
        f"s=s{e}; h=from; bh=abc; b=xyz",
        f"ARC-Authentication-Results: i=1; mx.test; dkim=pass header.d=x{e}.test",
    ]
    results = [
        f"Authentication-Results: mx{e}.test; dkim=pass header.d=dkim.test",
        f"Authentication-Results: mx.test; dkim=pass header.d=dkim{e}.test; spf=pass "
        f"smtp.mailfrom=a{e}.test; arc=pass",
        f"Received-SPF: pass{e} client-ip=1.2.3.4{e}; receiver=r{e}; helo=h{e}",
    ]
    hop = (
        f"Received: from helo{e} (rdns{e} [192.0.2.10])\r\n\tby by{e}.test with ESMTP{e} "
        f"(using TLSv1.3{e}) id 1; Sat, 28 Nov 2026 08:00:00 +0000"
    )
    data = message(
        subject=f"Subject {e}",
        received=[hop, *results, *arc, signature],
        extra=[f"Message-ID: <id{e}@dkim.test>", f"Return-Path: <b{e}@dkim.test>"],
    )
    return data.replace(b"From: Alice <", f"From: Al{e}ice <".encode())


def _arc_signer() -> Any:
    """dkimpy's ARC signer without its 50-instance limit (a local constant of ARC.sign, so
    the only way past it is a copy of the method with that constant changed): to build
    the chains a verifier must refuse."""
    import types

    code = dkim.ARC.sign.__code__
    assert 50 in code.co_consts
    consts = tuple(1000 if c == 50 else c for c in code.co_consts)
    sign = types.FunctionType(
        code.replace(co_consts=consts),
        dkim.ARC.sign.__globals__,
        "sign",
        dkim.ARC.sign.__defaults__,
    )
    return type("UnlimitedARC", (dkim.ARC,), {"sign": sign})


def arc_chain(
    gen: Generated,
    data: bytes,
    sets: int,
    first: int = 1,
    selector: str = "rsa1024",
    key_selector: str | None = None,
) -> bytes:
    """`data` forwarded through `sets` intermediaries, each adding its Authentication-Results
    (arc=none at the first, arc=pass after) and an ARC set signed by dkimpy for dkim.test
    (with the private key of `key_selector`, default `selector`)."""
    signer = _arc_signer()
    key = gen.dkim_keys[key_selector or selector]
    for hop in range(first, first + sets):
        server = f"hop{hop}.test"
        verdict = "none" if hop == 1 else "pass"
        data = f"Authentication-Results: {server}; arc={verdict}\r\n".encode() + data
        arc = signer(data)
        headers = arc.sign(
            selector.encode(), b"dkim.test", key, server.encode(), include_headers=[b"from", b"to"]
        )
        assert headers, f"dkimpy refused to seal set {hop}"
        data = b"".join(headers) + data
    return data
