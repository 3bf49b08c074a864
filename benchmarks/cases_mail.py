"""`mailcheck verify` over a Maildir (vs mailauth on Node) and `trace` (vs swaks)."""

from __future__ import annotations

import base64
import contextlib
import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dnsrig import DnsRig
from measure import (
    ROOT,
    Row,
    Sample,
    child_env,
    expect_exit,
    mailcheck_command,
    ms,
    run,
    which,
)

NODE_DIR = Path(__file__).resolve().parent / ".node"
MAILAUTH = "mailauth@4"  # 5 and later need Node 22 (undici 8)


@dataclass
class Corpus:
    maildir: Path
    messages: int
    keys: list[tuple[str, str]]  # (label under verify.test, base64 SPKI)


def build_corpus(folder: Path, messages: int, key_count: int) -> Corpus:
    """`messages` messages with two DKIM signatures each (author and ESP) from `key_count`
    domains' RSA-2048 keys, a Received header from an SPF-authorised address, in a Maildir."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    sys.path.insert(0, str(ROOT))
    from tests.mailgen import fast_sign

    pems, keys = [], []
    for index in range(key_count):
        key = rsa.generate_private_key(65537, 2048)
        pems.append(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        keys.append((f"d{index:02d}", base64.b64encode(der).decode()))
    maildir = folder / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for number in range(messages):
        author = number % key_count
        esp = (number * 7 + 3) % key_count
        domain = f"{keys[author][0]}.verify.test"
        data = (
            f"Return-Path: <bounce@{domain}>\r\n"
            f"Received: from out.{domain} (out.{domain} [192.0.2.25]) by mx.verify.test "
            f"with ESMTPS id Q{number}; Sat, 28 Nov 2026 08:00:00 +0000\r\n"
            f"From: sender@{domain}\r\nTo: r@verify.test\r\nSubject: message {number}\r\n"
            f"Date: Sat, 28 Nov 2026 08:00:00 +0000\r\nMessage-ID: <{number}@{domain}>"
            "\r\n\r\n" + f"Body of message {number}.\r\n" * 40
        ).encode()
        for index in (esp, author):
            data = fast_sign(data, pems[index], "s1", f"{keys[index][0]}.verify.test")
        (maildir / "cur" / f"{number:05d}.eml").write_bytes(data)
    return Corpus(maildir, messages, keys)


def mailauth_ready(install: bool) -> str | None:
    """None when node and mailauth are there (installing it with npm if allowed), else why not."""
    if which("node") is None:
        return "Node.js not found (apt-get install nodejs): mailauth column skipped"
    if (NODE_DIR / "node_modules" / "mailauth").is_dir():
        return None
    if not install:
        return f"mailauth not installed (npm install --prefix benchmarks/.node {MAILAUTH})"
    npm = which("npm")
    if npm is None:
        return "npm not found (apt-get install npm): mailauth column skipped"
    NODE_DIR.mkdir(exist_ok=True)
    print(f"installing {MAILAUTH} into {NODE_DIR} with npm ...", file=sys.stderr)
    result = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(NODE_DIR),
            MAILAUTH,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        return f"npm install {MAILAUTH} failed: {result.stderr.strip()[-200:]}"
    return None


def _check_verified(count: int) -> Callable[[Sample], None]:
    def check(sample: Sample) -> None:
        expect_exit(0)(sample)
        doc = json.loads(sample.stdout)
        if len(doc["reports"]) != count:
            raise RuntimeError(f"{len(doc['reports'])} reports for {count} messages")

    return check


def verify(rig: DnsRig, corpus: Corpus, runs: int, install: bool) -> list[Row]:
    """JSON, text and mailauth in turn, run after run: on a shared machine the load drifts,
    and measuring all runs of one before the next charged the drift to whichever came first
    (JSON measured at half the rate of text in one run, the same in the next)."""
    exe = [*mailcheck_command(), "verify", str(corpus.maildir), "-n", rig.address]
    rig.delay = 0.0
    assert rig.proxy is not None
    as_json_command = [*exe, "--format", "json"]
    check_json = _check_verified(corpus.messages)
    why_not = mailauth_ready(install)
    peer, dmarc = "mailauth", ""
    peer_command: list[str] | None = None
    env = child_env({"MAILAUTH_PREFIX": str(NODE_DIR)})
    if why_not is None:
        peer_command = [
            "node",
            str(Path(__file__).with_name("mailauth_verify.mjs")),
            str(corpus.maildir),
            rig.address,
        ]
    else:
        peer = f"mailauth: {why_not}"
    # the warm-ups (bytecode, file caches); the JSON one counts mailcheck's key queries
    keys_before = rig.proxy.key_queries
    check_json(run(as_json_command))
    key_queries = float(rig.proxy.key_queries - keys_before)
    expect_exit(0)(run(exe))
    if peer_command is not None:
        expect_exit(0)(run(peer_command, env))
    as_json: list[Sample] = []
    as_text: list[Sample] = []
    peers: list[Sample] = []
    for _ in range(runs):
        as_json.append(run(as_json_command))
        check_json(as_json[-1])
        as_text.append(run(exe))
        expect_exit(0)(as_text[-1])
        if peer_command is not None:
            peers.append(run(peer_command, env))
            expect_exit(0)(peers[-1])
    rate = [[corpus.messages / s.wall for s in samples] for samples in (as_json, as_text)]
    peer_values: list[float] = []
    if peers:
        done = json.loads(peers[-1].stdout)
        if done["messages"] != corpus.messages:
            raise RuntimeError(f"mailauth verified {done['messages']} of {corpus.messages}")
        peer_values = [corpus.messages / s.wall for s in peers]
        peer = "mailauth (Node)"
        dmarc = f"mailauth's DMARC results {done['dmarc']}; "
    rows = []
    for label, values in (("JSON", rate[0]), ("text", rate[1])):
        met = None
        if peer_values:
            met = statistics.median(values) >= 1.5 * statistics.median(peer_values)
        rows.append(
            Row(
                "verify",
                f"verify {corpus.messages:,} messages, {label} output",
                "msg/s",
                values,
                ">= 1.5x mailauth",
                met,
                peer,
                peer_values,
                higher_is_better=True,
            )
        )
    distinct = len(corpus.keys)
    rows.append(
        Row(
            "verify",
            "DNS queries for DKIM keys per run",
            "queries",
            [key_queries],
            f"= {distinct} (one per distinct key)",
            key_queries <= distinct,
            note=f"{dmarc}{distinct} keys; delay 0 ms (verify is CPU-bound); seconds per run: JSON "
            f"{statistics.median(ms(as_json)) / 1000:.1f}, text "
            f"{statistics.median(ms(as_text)) / 1000:.1f}",
        )
    )
    return rows


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[str, int, Path, str, str]]:
    """(label, port, CA file, host name, recipient): a private Postfix where tests/mtas.py
    can start one (root, Postfix and Dovecot installed), else aiosmtpd (labelled)."""
    import tempfile

    import trustme

    sys.path.insert(0, str(ROOT))
    from tests import mtas

    with tempfile.TemporaryDirectory() as tmp:
        ca_file = Path(tmp) / "ca.pem"
        if mtas.available():
            ca = trustme.CA()
            ca.cert_pem.write_to_path(str(ca_file))
            with mtas.MailServers(ca) as servers:
                yield ("Postfix", servers.ports.smtp, ca_file, "mx.postfix.test", mtas.USER)
            return
        from tests.smtpfixtures import Certificates, server_context, start_smtp

        certs = Certificates()
        certs.ca.cert_pem.write_to_path(str(ca_file))
        server = start_smtp(starttls=server_context(certs.good), name="mx.smtp-good.test")
        try:
            yield (
                "aiosmtpd (Postfix not available)",
                server.port,
                ca_file,
                "mx.smtp-good.test",
                "b@smtp-good.test",
            )
        finally:
            server.stop()


def trace(folder: Path, runs: int) -> list[Row]:
    """`mailcheck trace` (banner, EHLO, STARTTLS, certificate check, EHLO, MAIL, RCPT, QUIT)
    against swaks doing the same conversation, both as whole processes."""
    with smtp_server() as (label, port, ca_file, name, rcpt):
        zone = folder / "trace.zone"
        zone.write_text(
            f"$ORIGIN {name}.\n$TTL 300\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n"
            "@ A 127.0.0.1\n"
        )
        ours_command = [
            *mailcheck_command(),
            "trace",
            name,
            "--host",
            "--offline",
            "--zone",
            str(zone),
            "--port",
            str(port),
            "--ca-file",
            str(ca_file),
            "--ehlo",
            "bench.test",
            "--mail-from",
            "a@bench.test",
            "--rcpt",
            rcpt,
            "--quit-after",
            "rcpt",
            "--format",
            "json",
        ]
        expect_exit(0, 1)(run(ours_command))  # the warm-up
        swaks = which("swaks")
        peer = "swaks: not installed (apt-get install swaks libnet-ssleay-perl)"
        command: list[str] | None = None
        if swaks is not None:
            command = [
                swaks,
                "--server",
                "127.0.0.1",
                "--port",
                str(port),
                "--ehlo",
                "bench.test",
                "--from",
                "a@bench.test",
                "--to",
                rcpt,
                "--tls",
                "--quit-after",
                "RCPT",
            ]
            first = run(command)
            if "Net::SSLeay" in first.stdout + first.stderr:
                peer, command = "swaks: no TLS support (apt-get install libnet-ssleay-perl)", None
            else:
                expect_exit(0)(first)
                peer = "swaks"
        # in turn, run after run, so that the machine's drift falls on both alike
        ours: list[Sample] = []
        theirs: list[Sample] = []
        for _ in range(runs):
            ours.append(run(ours_command))
            expect_exit(0, 1)(ours[-1])
            if command is not None:
                theirs.append(run(command))
                expect_exit(0)(theirs[-1])
        peer_values = ms(theirs)
    values = ms(ours)
    target, met = "< swaks + 100 ms", None
    if peer_values:
        limit = statistics.median(peer_values) + 100
        target, met = f"< swaks + 100 ms = {limit:.0f} ms", statistics.median(values) < limit
    return [
        Row(
            "trace",
            f"trace to {label} on loopback",
            "ms",
            values,
            target,
            met,
            peer,
            peer_values,
            note="same conversation (EHLO, STARTTLS, EHLO, MAIL, RCPT, QUIT); swaks does not "
            "verify the certificate, mailcheck does, and grades TLS with five more handshakes "
            "(all at once, alongside the conversation)",
        )
    ]
