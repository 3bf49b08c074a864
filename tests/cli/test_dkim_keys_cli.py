"""Keys that some verifiers cannot use, end to end: `mailcheck domain` (the key record) and
`mailcheck verify` (a message signed with it) give the same verdict in the same words, and
exit 1."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.conftest import CliRun
from tests.dnsserver import DnsServer
from tests.mailgen import fast_sign, message, multiprime_signer, received, sign
from tests.zonegen import Generated

NO_NULL = (
    "p= is not the DER RFC 3279 requires: rsaEncryption without NULL parameters; "
    "dkimpy- and Go-based verifiers cannot read it"
)
PSS = "p= holds an RSASSA-PSS key, which k=rsa (RSASSA-PKCS1-v1_5) signatures cannot use"
PADDED = (
    "p= is not DER: an integer of the key has a needless leading zero byte; "
    "strict verifiers (Go, Rust, cryptography) cannot read it"
)
# delivered by a host dkim.test's SPF does not list: DKIM alone decides DMARC
FORGER = received(ip="203.0.113.200", helo="forger.test")


def ns(server: DnsServer) -> list[str]:
    return ["--nameserver", server.address, "--timeout", "0.5"]


def findings(stdout: str, family: str) -> list[tuple[str, str, str]]:
    [report] = json.loads(stdout)["reports"]
    return [
        (f["id"], f["status"], f["summary"])
        for s in report["sections"]
        if s["family"] == family
        for f in s["findings"]
    ]


def run_both(
    run_cli: CliRun, server: DnsServer, selector: str, data: bytes, tmp_path: Path
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    domain = run_cli(
        "domain", "dkim.test", *ns(server), "--only", "dkim", "-s", selector, "--format", "json"
    )
    assert domain.returncode == 1, domain.stdout + domain.stderr
    path = tmp_path / "m.eml"
    path.write_bytes(data)
    verify = run_cli("verify", str(path), *ns(server), "--format", "json")
    assert verify.returncode == 1, verify.stdout + verify.stderr
    return findings(domain.stdout, "dkim"), findings(verify.stdout, "dkim")


@pytest.mark.parametrize(
    ("selector", "error"),
    [("nonull", NO_NULL), ("pss", PSS), ("pssnull", PSS), ("padded", PADDED)],
)
def test_misencoded_key(
    run_cli: CliRun,
    dns_server: DnsServer,
    generated: Generated,
    tmp_path: Path,
    selector: str,
    error: str,
) -> None:
    """rsa2048's key, in an encoding some verifiers refuse: domain FAILs the record and
    verify finds the signature a permerror, naming the same defect (before, domain passed
    nonull and pss, which verify called permerror in dkimpy's words, and both commands
    called pssnull and padded 'cut short, or not a key')."""
    data = sign(generated, message(received=[FORGER]), selector=selector, key_selector="rsa2048")
    domain, verify = run_both(run_cli, dns_server, selector, data, tmp_path)
    assert domain == [("dkim.key-invalid", "fail", f"{selector}: {error}")]
    assert verify == [
        (
            "dkim.signature",
            "fail",
            f"#1 d=dkim.test s={selector} rsa-sha256 relaxed/relaxed: permerror: "
            f"key unusable: {error}",
        )
    ]


def test_key_over_openssl_limit(
    run_cli: CliRun, dns_server: DnsServer, generated: Generated, tmp_path: Path
) -> None:
    """A real key of over 16384 bits: domain says receivers cannot check its signatures, and
    verify no longer passes one through dkimpy's own RSA."""
    bits = math.prod(generated.huge_primes).bit_length()
    signer = multiprime_signer(generated.huge_primes)
    data = fast_sign(message(received=[FORGER]), b"", "huge", "dkim.test", signer=signer)
    domain, verify = run_both(run_cli, dns_server, "huge", data, tmp_path)
    assert domain == [
        (
            "dkim.key-large",
            "fail",
            f"huge: RSA {bits}-bit key: OpenSSL refuses keys over 16384 bits, so most "
            "verifiers cannot check its signatures",
        )
    ]
    assert verify == [
        (
            "dkim.signature",
            "fail",
            "#1 d=dkim.test s=huge rsa-sha256 relaxed/relaxed: policy: key too large "
            f"({bits} bits): OpenSSL refuses keys over 16384 bits, so most verifiers cannot "
            "check it",
        )
    ]


@pytest.mark.parametrize(
    ("selector", "domain_says", "verify_says"),
    [
        (
            "pupper",
            [
                (
                    "dkim.syntax",
                    "fail",
                    "pupper: tag P= is not p=: tag names are case-sensitive, and verifiers "
                    "ignore it",
                ),
                ("dkim.syntax", "fail", "pupper: the p= tag (the key) is missing"),
                ("dkim.key-invalid", "fail", "pupper: no p= tag"),
            ],
            "#1 d=dkim.test s=pupper rsa-sha256 relaxed/relaxed: permerror: key unusable: "
            "no p= tag",
        ),
        (
            "kupper",
            [
                (
                    "dkim.key-invalid",
                    "fail",
                    "kupper: k=RSA is not a known key type (key types are case-sensitive: k=rsa)",
                )
            ],
            "#1 d=dkim.test s=kupper rsa-sha256 relaxed/relaxed: permerror: key unusable: "
            "k=RSA is not a known key type (key types are case-sensitive: k=rsa)",
        ),
    ],
)
def test_tags_and_key_types_are_case_sensitive(
    run_cli: CliRun,
    dns_server: DnsServer,
    generated: Generated,
    tmp_path: Path,
    selector: str,
    domain_says: list[tuple[str, str, str]],
    verify_says: str,
) -> None:
    """RFC 6376 3.2: tag names and values are case-sensitive. A key record with P= has no
    key for verifiers, and dkimpy refuses k=RSA; domain read both as p= and k=rsa and
    passed them, while verify failed the signature."""
    data = sign(generated, message(received=[FORGER]), selector=selector, key_selector="rsa2048")
    domain, verify = run_both(run_cli, dns_server, selector, data, tmp_path)
    assert domain == domain_says
    assert verify == [("dkim.signature", "fail", verify_says)]
