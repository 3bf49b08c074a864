"""Zones made at test time: DKIM keys (RSA 512/1024/2048, Ed25519) and DNSSEC-signed zones.

`build(directory)` copies the static zones from tests/zones, adds the generated ones, puts
the DS records of the signed zones into the parent (test.) zone, and returns the keys so
tests can sign messages with them.
"""

from __future__ import annotations

import base64
import datetime
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import dns.zone
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.der import RSA_ENCRYPTION, element, integer, rsa_public_key, spki

STATIC = Path(__file__).resolve().parent / "zones"


@dataclass
class Generated:
    directory: Path
    dkim_keys: dict[str, bytes] = field(default_factory=dict)  # selector -> private key PEM
    dkim_public: dict[str, str] = field(default_factory=dict)  # selector -> p= value
    tlsa_spki: dict[str, bytes] = field(default_factory=dict)
    dane_key: bytes = b""  # PEM: the key the TLSA records of the dane-*.test zones name
    dane_port: int = 0  # the loopback port their TLSA records are also published for
    huge_primes: list[int] = field(default_factory=list)  # the factors of the "huge" key


# SubjectPublicKeyInfo of id-ecPublicKey with NULL parameters (neither a named curve nor a
# valid explicit one): cryptography raises UnsupportedAlgorithm for it.
EXPLICIT_CURVE_KEY = "MBgwCwYHKoZIzj0CAQUAAwkAMAYCAQACAQA="


def _large_spki(bits: int) -> str:
    """SubjectPublicKeyInfo (rsaEncryption) of an RSA public key with a `bits`-bit modulus."""
    modulus = (1 << (bits - 1)) | 0xF00D
    return base64.b64encode(spki(rsa_public_key(modulus, 65537))).decode()


RSASSA_PSS = bytes.fromhex("2a864886f70d01010a")  # 1.2.840.113549.1.1.10


def _misencoded(gen: Generated, defect: str) -> str:
    """The rsa2048 public key in an encoding some verifiers refuse (tests sign with its
    private key): without the NULL parameters of rsaEncryption, as an RSASSA-PSS key (with
    no parameters, as OpenSSL writes one, or NULL ones, which dkimpy reads), or with a
    modulus padded by a needless zero byte."""
    key = serialization.load_pem_private_key(gen.dkim_keys["rsa2048"], None)
    numbers = key.public_key().public_numbers()  # type: ignore[union-attr]
    pkcs1 = rsa_public_key(numbers.n, numbers.e)
    oid, params = {
        "nonull": (RSA_ENCRYPTION, b""),
        "pss": (RSASSA_PSS, b""),
        "pssnull": (RSASSA_PSS, b"\x05\x00"),
    }.get(defect, (RSA_ENCRYPTION, b"\x05\x00"))
    if defect == "padded":
        pkcs1 = element(0x30, integer(numbers.n, padded=True) + integer(numbers.e))
    algorithm = element(0x30, element(0x06, oid) + params)
    der = element(0x30, algorithm + element(0x03, b"\x00" + pkcs1))
    return base64.b64encode(der).decode()


def multiprime_key(count: int = 34) -> list[int]:
    """The prime factors of an RSA key of over 16384 bits (34 primes of 512 bits: a
    two-prime key this large takes minutes to generate); its public half is an ordinary
    RSA key, which verifiers cannot tell from one of two primes."""
    primes: set[int] = set()
    while len(primes) < count:
        # two 512-bit primes at a time, from OpenSSL's fast generator
        numbers = rsa.generate_private_key(65537, 1024).private_numbers()  # noqa: S505
        primes |= {numbers.p, numbers.q}
    return sorted(primes)[:count]


def _huge(gen: Generated) -> str:
    """The public key of selector "huge"; its private key is the PKCS#1 form dkimpy signs
    with, its two "primes" each the product of half the factors (CRT needs only coprime
    moduli), which dkimpy cannot tell from a key of two."""
    primes = gen.huge_primes = multiprime_key()
    e = 65537
    half_a, half_b = math.prod(primes[::2]), math.prod(primes[1::2])
    d = pow(e, -1, math.lcm(*(p - 1 for p in primes)))
    fields = (
        0,
        half_a * half_b,
        e,
        d,
        half_a,
        half_b,
        d % math.lcm(*(p - 1 for p in primes[::2])),
        d % math.lcm(*(p - 1 for p in primes[1::2])),
        pow(half_b, -1, half_a),
    )
    der = element(0x30, b"".join(integer(f) for f in fields))
    gen.dkim_keys["huge"] = (
        b"-----BEGIN RSA PRIVATE KEY-----\n"
        + base64.encodebytes(der)
        + b"-----END RSA PRIVATE KEY-----\n"
    )
    return base64.b64encode(spki(rsa_public_key(half_a * half_b, e))).decode()


def _pkcs1(gen: Generated) -> str:
    key = serialization.load_pem_private_key(gen.dkim_keys["rsa2048"], None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    return base64.b64encode(der).decode()


def _ec_spki() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _spki(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _pem(private_key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def small_rsa_key(bits: int = 512) -> rsa.RSAPrivateKey:
    """A deliberately weak key (cryptography refuses to generate one under 1024 bits)."""
    import random

    def is_prime(n: int) -> bool:
        if n % 2 == 0:
            return False
        d, r = n - 1, 0
        while d % 2 == 0:
            d, r = d // 2, r + 1
        for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
            x = pow(a, d, n)
            if x in (1, n - 1):
                continue
            for _ in range(r - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    def prime() -> int:
        while True:
            candidate = random.getrandbits(bits // 2) | (3 << (bits // 2 - 2)) | 1
            if (candidate - 1) % 65537 and is_prime(candidate):
                return candidate

    p, q = prime(), prime()
    d = pow(65537, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(65537, p * q)
    )
    return numbers.private_key()


def _split(text: str, size: int = 200) -> str:
    return " ".join(f'"{text[i : i + size]}"' for i in range(0, len(text), size))


def dkim_zone(gen: Generated) -> str:
    lines = [
        "$ORIGIN dkim.test.",
        "$TTL 300",
        "@ SOA ns.test. hostmaster.test. 1 3600 600 1209600 300",
        "@ MX 10 mx1.clean.test.",
        '@ TXT "v=spf1 mx -all"',
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:d@dkim.test"',
    ]
    for bits in (1024, 2048):
        key = rsa.generate_private_key(65537, bits)
        selector = f"rsa{bits}"
        gen.dkim_keys[selector] = _pem(key)
        gen.dkim_public[selector] = _spki(key.public_key())
        lines.append(
            f"{selector}._domainkey TXT " + _split(f"v=DKIM1; k=rsa; p={_spki(key.public_key())}")
        )
    weak = small_rsa_key()
    gen.dkim_keys["rsa512"] = _pem(weak)
    lines.append(f'rsa512._domainkey TXT "v=DKIM1; k=rsa; p={_spki(weak.public_key())}"')
    edkey = ed25519.Ed25519PrivateKey.generate()
    raw = edkey.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    gen.dkim_keys["ed"] = _pem(edkey)
    gen.dkim_public["ed"] = base64.b64encode(raw).decode()
    lines.append(f'ed._domainkey TXT "v=DKIM1; k=ed25519; p={gen.dkim_public["ed"]}"')
    good = gen.dkim_public["rsa2048"]
    record = f"v=DKIM1; k=rsa; p={good}"
    lines += [
        f'truncated._domainkey TXT "{record[:255]}"',
        f'testing._domainkey TXT "v=DKIM1; t=y; p={good[:200]}" "{good[200:]}"',
        'revoked._domainkey TXT "v=DKIM1; p="',
        f'sha1only._domainkey TXT "v=DKIM1; h=sha1; p={good[:200]}" "{good[200:]}"',
        'badbase64._domainkey TXT "v=DKIM1; p=this-is-not-base64!"',
        f'service._domainkey TXT "v=DKIM1; s=tlsrpt; p={good[:200]}" "{good[200:]}"',
        # t=s: a signature's i= must be in d= itself, not a subdomain (RFC 6376 3.6.1)
        f'tsflag._domainkey TXT "v=DKIM1; t=s; p={good[:200]}" "{good[200:]}"',
        f'dsa._domainkey TXT "v=DKIM1; k=dsa; p={good[:200]}" "{good[200:]}"',
        "delegated._domainkey CNAME rsa2048._domainkey.dkim.test.",
        # a bare PKCS#1 RSAPublicKey, which verifiers accept in place of SubjectPublicKeyInfo
        f"pkcs1._domainkey TXT {_split(f'v=DKIM1; p={_pkcs1(gen)}')}",
        # an EC key (P-256), and one on a curve of its own (explicit parameters: cryptography
        # refuses those with an exception of its own)
        f'ec._domainkey TXT "v=DKIM1; p={_ec_spki()}"',
        f'eccurve._domainkey TXT "v=DKIM1; p={EXPLICIT_CURVE_KEY}"',
        # keys larger than verifiers must support (RFC 8301: up to 4096 bits) and than
        # OpenSSL will verify with (16384): public keys of those sizes, as published (the
        # modulus of a made-up key: only its size is judged, and generating real ones of
        # these sizes takes minutes)
        f"rsa8192._domainkey TXT {_split(f'v=DKIM1; p={_large_spki(8192)}')}",
        f"rsa16392._domainkey TXT {_split(f'v=DKIM1; p={_large_spki(16392)}')}",
        # a real key of that size (tests sign with it), and rsa2048's public key encoded in
        # ways some verifiers refuse
        f"huge._domainkey TXT {_split(f'v=DKIM1; p={_huge(gen)}')}",
        *(
            f"{defect}._domainkey TXT {_split(f'v=DKIM1; k=rsa; p={_misencoded(gen, defect)}')}"
            for defect in ("nonull", "pss", "pssnull", "padded")
        ),
        # tags and key types are case-sensitive (RFC 6376 3.2): verifiers ignore P=, and
        # dkimpy refuses k=RSA
        f'pupper._domainkey TXT "v=DKIM1; k=rsa; P={good[:200]}" "{good[200:]}"',
        f'kupper._domainkey TXT "v=DKIM1; k=RSA; p={good[:200]}" "{good[200:]}"',
        'multi._domainkey TXT "v=DKIM1; p="',
        f'multi._domainkey TXT "v=DKIM1; p={good[:200]}" "{good[200:]}"',
        # discovery finds a key published at a common selector name
        f'google._domainkey TXT "v=DKIM1; k=rsa; p={good[:200]}" "{good[200:]}"',
        # a selector whose key lives where DNS fails (SERVFAIL from the test server)
        "broken._domainkey CNAME key.broken-ns.test.",
    ]
    return "\n".join(lines) + "\n"


def esp_zone(gen: Generated) -> str:
    """A second signing domain (an ESP) with the same RSA key and its own DMARC."""
    good = gen.dkim_public["rsa2048"]
    return (
        "\n".join(
            [
                "$ORIGIN esp.test.",
                "$TTL 300",
                "@ SOA ns.test. hostmaster.test. 1 3600 600 1209600 300",
                '@ TXT "v=spf1 ip4:198.51.100.0/24 -all"',
                "@ MX 10 mx1.clean.test.",
                '_dmarc TXT "v=DMARC1; p=none; rua=mailto:d@esp.test"',
                f'esp._domainkey TXT "v=DKIM1; k=rsa; p={good[:200]}" "{good[200:]}"',
            ]
        )
        + "\n"
    )


def _signed_zone(origin: str, body: str, *, expired: bool = False) -> tuple[dns.zone.Zone, object]:
    zone = dns.zone.from_text(
        f"$ORIGIN {origin}\n$TTL 300\n"
        "@ SOA ns.test. hostmaster.test. 1 3600 600 1209600 300\n"
        "@ NS ns.test.\n@ NS ns2.test.\n" + body,
        relativize=False,
        check_origin=False,
    )
    key = ed25519.Ed25519PrivateKey.generate()
    dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssec.Algorithm.ED25519, flags=257)
    now = datetime.datetime.now(datetime.timezone.utc)
    inception = now - datetime.timedelta(days=30 if expired else 1)
    expiration = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=30)
    dns.dnssec.sign_zone(zone, keys=[(key, dnskey)], inception=inception, expiration=expiration)
    return zone, dnskey


def signed_zones(gen: Generated) -> list[str]:
    """Write the signed zones; return the DS lines for the parent zone."""
    spki = (
        rsa.generate_private_key(65537, 2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    gen.tlsa_spki["mx.signed.test"] = spki
    import hashlib

    digest = hashlib.sha256(spki).hexdigest()
    common = (
        '@ MX 10 mx\nmx A 192.0.2.10\n@ TXT "v=spf1 mx -all"\n'
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:d@{o}"\n'
    )
    ds_lines = []
    for origin, extra, options in (
        ("signed.test.", f"_25._tcp.mx TLSA 3 1 1 {digest}\n", {}),
        ("badsig.test.", "", {}),
        ("expired.test.", "", {"expired": True}),
        ("island.test.", "", {}),
    ):
        zone, dnskey = _signed_zone(origin, common.format(o=origin.rstrip(".")) + extra, **options)  # type: ignore[arg-type]
        if origin == "badsig.test.":
            # change the MX record after signing: its RRSIG no longer verifies
            node = zone.get_node(dns.name.from_text(origin))
            assert node is not None
            mx = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.MX)
            assert mx is not None
            rdata = next(iter(mx))
            mx.remove(rdata)
            mx.add(rdata.replace(preference=99), 300)
        (gen.directory / f"{origin.rstrip('.')}.zone").write_text(
            f"$ORIGIN {origin}\n" + zone.to_text(relativize=False)
        )
        if origin != "island.test.":
            ds = dns.dnssec.make_ds(origin, dnskey, "SHA256")  # type: ignore[arg-type]
            ds_lines.append(f"{origin} 300 IN DS {ds.to_text()}")
    return ds_lines


def dane_zones(gen: Generated) -> list[str]:
    """Signed zones whose MX is a loopback server (tests/integration/test_dane_secure.py):
    TLSA naming gen.dane_key (dane-ok), another key (dane-other), a zone whose signatures
    expired (dane-expired), and one whose TLSA record was changed after signing
    (dane-forged: the A record still verifies, the TLSA does not). Returns the DS lines."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    gen.dane_key = _pem(key)  # type: ignore[arg-type]
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    right = hashlib.sha256(spki).hexdigest()
    wrong = hashlib.sha256(b"not the server's key").hexdigest()
    import socket

    with socket.socket() as sock:  # `trace --host H --port N` looks the TLSA up at _N._tcp
        sock.bind(("127.0.0.1", 0))
        gen.dane_port = sock.getsockname()[1]
    body = (
        "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 {digest}\n"
        f"_{gen.dane_port}._tcp.mx TLSA 3 1 1 {{digest}}\n"
    )
    ds_lines = []
    for origin, digest, options in (
        ("dane-ok.test.", right, {}),
        ("dane-other.test.", wrong, {}),
        ("dane-expired.test.", right, {"expired": True}),
        ("dane-forged.test.", wrong, {}),
    ):
        zone, dnskey = _signed_zone(origin, body.format(digest=digest), **options)  # type: ignore[arg-type]
        if origin == "dane-forged.test.":
            # an attacker's TLSA (naming the server's real key) under the old signature
            for port in (25, gen.dane_port):
                node = zone.get_node(dns.name.from_text(f"_{port}._tcp.mx.{origin}"))
                assert node is not None
                tlsa = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TLSA)
                assert tlsa is not None
                rdata = next(iter(tlsa))
                tlsa.remove(rdata)
                tlsa.add(rdata.replace(cert=bytes.fromhex(right)), 300)
        (gen.directory / f"{origin.rstrip('.')}.zone").write_text(
            f"$ORIGIN {origin}\n" + zone.to_text(relativize=False)
        )
        ds = dns.dnssec.make_ds(origin, dnskey, "SHA256")  # type: ignore[arg-type]
        ds_lines.append(f"{origin} 300 IN DS {ds.to_text()}")
    return ds_lines


def build(directory: Path) -> Generated:
    directory.mkdir(parents=True, exist_ok=True)
    gen = Generated(directory)
    for path in STATIC.glob("*.zone"):
        shutil.copy(path, directory / path.name)
    (directory / "dkim.test.zone").write_text(dkim_zone(gen))
    (directory / "esp.test.zone").write_text(esp_zone(gen))
    ds_lines = signed_zones(gen) + dane_zones(gen)
    with (directory / "test.zone").open("a") as handle:
        handle.write("\n; DS records of the zones signed at test time\n")
        handle.write("\n".join(ds_lines) + "\n")
    return gen
