"""Zone files for the benchmarks, generated into a folder: one realistic domain, many, keys.

Every address in them is a documentation address that is only looked up: nothing connects
to it (checkdmarc runs with skip_tls, mailcheck domain without --smtp).
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

# The longest chain of dependent lookups in bench.test, in round trips:
# TXT bench.test -> TXT _spf1 -> TXT _spf1a; MX -> A mx1 -> PTR (whose target's A is cached);
# TXT _dmarc -> the report destination's authorisation; _domainkey -> selector probes.
DEPTH = 3
SOA = "@ SOA ns hostmaster 1 3600 600 86400 300"


@functools.cache
def rsa_public_key() -> str:
    """A fresh RSA-2048 public key (base64 SPKI), as a realistic DKIM record carries."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(65537, 2048)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def txt(text: str) -> str:
    """A TXT value split into quoted strings of at most 255 characters."""
    return " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))


def _write(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def root_zone(folder: Path) -> dict[str, Path]:
    """The root, so that names outside every test zone get NXDOMAIN, not REFUSED."""
    return {".": _write(folder, "root.zone", ["$ORIGIN .", "$TTL 300", "@ SOA a. b. 1 1 1 1 1"])}


def bench_zone(folder: Path) -> dict[str, Path]:
    """bench.test: every family published, DEPTH round trips deep (see above)."""
    key = rsa_public_key()
    bench = [
        "$ORIGIN bench.test.",
        "$TTL 300",
        SOA,
        "@ NS ns",
        "@ MX 10 mx1",
        "@ MX 20 mx2",
        '@ TXT "v=spf1 mx include:_spf1.bench.test include:_spf2.bench.test -all"',
        "@ A 192.0.2.1",
        "ns A 192.0.2.53",
        "mx1 A 192.0.2.10",
        "mx2 A 192.0.2.20",
        '_spf1 TXT "v=spf1 include:_spf1a.bench.test a:out1.bench.test -all"',
        '_spf1a TXT "v=spf1 ip4:198.51.100.0/24 ip4:198.51.101.0/24 -all"',
        '_spf2 TXT "v=spf1 ip4:203.0.113.0/24 -all"',
        "out1 A 198.51.100.1",
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.test"',
        f"selector1._domainkey TXT {txt(f'v=DKIM1; k=rsa; p={key}')}",
    ]
    reports = [
        "$ORIGIN reports.test.",
        "$TTL 300",
        SOA,
        "@ MX 10 mx1.bench.test.",
        '_dmarc TXT "v=DMARC1; p=reject"',
        'bench.test._report._dmarc TXT "v=DMARC1"',
    ]
    reverse = [
        "$ORIGIN 2.0.192.in-addr.arpa.",
        "$TTL 300",
        "@ SOA ns.bench.test. h.bench.test. 1 3600 600 86400 300",
        "10 PTR mx1.bench.test.",
        "20 PTR mx2.bench.test.",
        "1 PTR bench.test.",
    ]
    return {
        **root_zone(folder),
        "bench.test.": _write(folder, "bench.test.zone", bench),
        "reports.test.": _write(folder, "reports.test.zone", reports),
        "2.0.192.in-addr.arpa.": _write(folder, "reverse.zone", reverse),
    }


def bulk_zone(folder: Path, count: int) -> tuple[dict[str, Path], list[str]]:
    """`count` domains under bulk.test: two shared MX hosts with reverse DNS, a two-level SPF
    tree with a shared include, DMARC with a report address, an RSA DKIM key at selector1."""
    key = txt(f"v=DKIM1; k=rsa; p={rsa_public_key()}")
    lines = [
        "$ORIGIN bulk.test.",
        "$TTL 300",
        SOA,
        "ns A 192.0.2.53",
        "mx1 A 203.0.113.110",
        "mx2 A 203.0.113.120",
        '_spf TXT "v=spf1 include:_spf2.bulk.test ip4:198.51.100.0/24 -all"',
        '_spf2 TXT "v=spf1 ip4:203.0.113.0/24 -all"',
    ]
    domains = []
    for index in range(count):
        name = f"d{index:05d}"
        domains.append(f"{name}.bulk.test")
        lines += [
            f"{name} MX 10 mx1",
            f"{name} MX 20 mx2",
            f'{name} TXT "v=spf1 mx include:_spf.bulk.test -all"',
            f'_dmarc.{name} TXT "v=DMARC1; p=reject; rua=mailto:d@{name}.bulk.test"',
            f"selector1._domainkey.{name} TXT {key}",
        ]
    reverse = [
        "$ORIGIN 113.0.203.in-addr.arpa.",
        "$TTL 300",
        "@ SOA ns.bulk.test. h.bulk.test. 1 3600 600 86400 300",
        "110 PTR mx1.bulk.test.",
        "120 PTR mx2.bulk.test.",
    ]
    zones = {
        **root_zone(folder),
        "bulk.test.": _write(folder, "bulk.test.zone", lines),
        "113.0.203.in-addr.arpa.": _write(folder, "reverse.zone", reverse),
    }
    return zones, domains


def keys_zone(folder: Path, keys: list[tuple[str, str]]) -> dict[str, Path]:
    """verify.test: for each (domain label, base64 SPKI) a DKIM key, SPF and DMARC."""
    lines = ["$ORIGIN verify.test.", "$TTL 300", SOA]
    for label, spki in keys:
        lines += [
            f"s1._domainkey.{label} TXT {txt(f'v=DKIM1; k=rsa; p={spki}')}",
            f'{label} TXT "v=spf1 ip4:192.0.2.0/24 -all"',
            f'_dmarc.{label} TXT "v=DMARC1; p=reject; rua=mailto:r@verify.test"',
        ]
    return {**root_zone(folder), "verify.test.": _write(folder, "verify.test.zone", lines)}
