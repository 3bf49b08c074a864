"""A run imports only the libraries its data needs: fixed cost is paid for a reason."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailcheck.cli import COMMANDS

HEAVY = ("cryptography", "checkdmarc", "rich", "requests", "dkim", "nacl")

PROBE = """
import contextlib, sys
sys.argv = {argv!r}
from mailcheck.cli import main
with contextlib.suppress(SystemExit):
    main()
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
print("UNUSED=" + ",".join(sorted(set(sys.modules) & set({unused!r}))), file=sys.stderr)
"""

# A domain run needs neither the other commands (each costs its module and its Typer
# command) nor importlib.metadata (dnspython's optional-feature probe: ~10 ms before the
# first question could leave); offline, nor the network side of the DNS engine (dnspython's
# message code, ~11 ms).
OTHER_COMMANDS = tuple(
    f"mailcheck.cli.{name}" for name in ("explain", "report", "schema", "send", "trace", "verify")
)
UNUSED_BY_DOMAIN = (
    *OTHER_COMMANDS,
    "importlib.metadata",
    "dns.message",
    "mailcheck.net.dns.upstream",
    "mailcheck.net.dns.direct",
)


def _zone(tmp_path: Path, extra: list[str]) -> Path:
    zone = tmp_path / "plain.test.zone"
    lines = [
        "$ORIGIN plain.test.",
        "$TTL 300",
        "@ SOA ns hostmaster 1 3600 600 86400 300",
        "@ MX 10 mx",
        '@ TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        "mx A 192.0.2.10",
        '_dmarc TXT "v=DMARC1; p=reject"',
        *extra,
    ]
    zone.write_text("\n".join(lines) + "\n")
    return zone


def _run(zone: Path, fmt: str) -> tuple[str, set[str]]:
    argv = ["mailcheck", "domain", "plain.test", "--offline", "--zone", str(zone), "-f", fmt]
    code = PROBE.format(argv=argv, heavy=HEAVY, unused=UNUSED_BY_DOMAIN)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    line = [x for x in result.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, result.stderr
    assert "UNUSED=" in result.stderr.splitlines(), result.stderr  # see UNUSED_BY_DOMAIN
    return result.stdout, set(filter(None, line[-1][6:].split(",")))


@pytest.mark.timeout(300)
def test_a_domain_without_keys_or_policies_loads_no_cryptography_checkdmarc_or_rich(
    tmp_path: Path,
) -> None:
    out, heavy = _run(_zone(tmp_path, []), "json")
    assert '"subject": "plain.test"' in out
    assert heavy == set()


@pytest.mark.timeout(300)
def test_an_rsa_key_and_text_output_load_what_they_need_and_judge_the_same(
    tmp_path: Path,
) -> None:
    key = rsa.generate_private_key(65537, 2048).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    p = base64.b64encode(der).decode()
    zone = _zone(tmp_path, [f'selector1._domainkey TXT "v=DKIM1; k=rsa; p={p[:200]}" "{p[200:]}"'])
    out, heavy = _run(zone, "text")
    # the key was sized (its DER read without cryptography: records/rsakey.py) and rendered
    assert "selector1: RSA 2048-bit key" in out
    assert heavy == {"rich"}


TAB_PROBE = """
import contextlib, sys
from mailcheck.cli import COMMANDS, main
with contextlib.suppress(SystemExit):
    main()
built = [name for name in COMMANDS if f"mailcheck.cli.{name}" in sys.modules]
print("BUILT=" + ",".join(built), file=sys.stderr)
print("RICH=" + str("rich" in sys.modules), file=sys.stderr)
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("shell", "env", "built", "candidate"),
    [
        # a word after the command: only that command is built
        ("bash", {"COMP_WORDS": "mailcheck explain spf.", "COMP_CWORD": "2"}, "explain", "spf.all"),
        ("zsh", {"_TYPER_COMPLETE_ARGS": "mailcheck explain spf."}, "explain", "spf.all"),
        (
            "fish",
            {
                "_TYPER_COMPLETE_ARGS": "mailcheck explain spf.",
                "_TYPER_COMPLETE_FISH_ACTION": "get-args",  # as completions/ fish script
            },
            "explain",
            "spf.all",
        ),
        # the command word itself: every command is a candidate
        ("bash", {"COMP_WORDS": "mailcheck ex", "COMP_CWORD": "1"}, ",".join(COMMANDS), "explain"),
    ],
)
def test_a_tab_press_builds_only_the_command_it_completes(
    shell: str, env: dict[str, str], built: str, candidate: str
) -> None:
    """Completing an argument of `explain` imports and builds `explain` alone (each command
    costs its module and its Typer command at every TAB press); the candidates are the same
    as with every command built (tests/cli/test_completions.py runs the real shells)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("COMP_", "_TYPER_"))}
    environ.update(env, _MAILCHECK_COMPLETE=f"complete_{shell}")
    result = subprocess.run(
        [sys.executable, "-c", TAB_PROBE], capture_output=True, text=True, env=environ, timeout=60
    )
    assert f"BUILT={built}" in result.stderr.splitlines(), result.stderr
    assert candidate in result.stdout, result.stdout
    # bash shows candidates only: rich, which renders descriptions and help, is not loaded
    assert f"RICH={shell != 'bash'}" in result.stderr.splitlines(), result.stderr
