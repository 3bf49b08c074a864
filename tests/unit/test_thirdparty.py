"""Changes to third-party libraries: named, version-gated, reversible, and only here."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path

import pytest

from mailcheck import thirdparty
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.net.dns.adapters import spf_session

ROOT = Path(__file__).resolve().parents[2]


def current(patch: thirdparty.Patch) -> dict[str, object]:
    return {
        f"{module}.{attribute}": getattr(importlib.import_module(module), attribute)
        for module, attribute, _make in patch.targets
    }


@pytest.mark.parametrize("patch", thirdparty.PATCHES, ids=lambda p: p.name)
def test_each_patch_installs_and_restores_exactly(patch: thirdparty.Patch) -> None:
    was_installed = patch.name in thirdparty.installed()
    thirdparty.restore(patch)
    released = current(patch)
    assert thirdparty.supported(patch)  # the pinned range in pyproject.toml is supported
    originals = thirdparty.install(patch)
    assert originals is not None
    assert patch.name in thirdparty.installed()
    now = current(patch)
    assert all(now[key] is not released[key] for key in released)  # every target replaced
    assert set(originals.values()) == set(released.values())
    thirdparty.restore(patch)
    assert current(patch) == released and patch.name not in thirdparty.installed()
    if was_installed:
        thirdparty.install(patch)


def test_a_release_the_patch_was_not_made_for_is_left_alone() -> None:
    future = dataclasses.replace(thirdparty.PYSPF_DNS, name="pyspf-future", majors=(99,))
    import spf

    before = spf.DNSLookup
    assert thirdparty.install(future) is None
    with thirdparty.patched(future) as active:
        assert not active and spf.DNSLookup is before
    assert "pyspf-future" not in thirdparty.installed()


def test_pyspf_is_patched_only_while_a_session_is_open(tmp_path: Path) -> None:
    import spf

    released = spf.DNSLookup
    zone = tmp_path / "example.com.zone"
    zone.write_text('$ORIGIN example.com.\n@ 300 TXT "v=spf1 ip4:192.0.2.0/24 -all"\n')
    engine = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    with spf_session(engine):
        with spf_session(engine):  # nested (or another thread's) session: still patched
            assert spf.DNSLookup is not released
        assert spf.DNSLookup is not released
        assert spf.query(i="192.0.2.5", s="a@example.com", h="example.com").check()[0] == "pass"
    assert spf.DNSLookup is released


def test_no_other_module_assigns_to_a_third_party_library() -> None:
    assignment = re.compile(r"^\s*(spf|dkim|dns|checkdmarc)\.[\w.]+\s*=[^=]|setattr\(")
    offenders = []
    for path in (ROOT / "mailcheck").rglob("*.py"):
        if path.name == "thirdparty.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if assignment.search(line) and "setattr(command" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


FEATURES_PROBE = """
import importlib, sys
{setup}
import dns._features, dns.name
features = {{f: dns._features.have(f) for f in ("idna", "dnssec")}}
print(features["idna"], features["dnssec"], type(dns.name.IDNA_DEFAULT).__name__)
import importlib.metadata
print(importlib.metadata.version("dnspython") == dns.version.version)
"""


def _features(setup: str) -> list[str]:
    import subprocess
    import sys

    code = FEATURES_PROBE.format(setup=setup)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.split()


def test_dnspython_features_without_importlib_metadata_are_dnspythons_own() -> None:
    # dnspython as released reads the versions through importlib.metadata; mailcheck's
    # import answers "idna" from the package itself and leaves the rest to the stand-in,
    # which imports the real module when asked: same answers, same IDNA codec
    released = _features("")
    ours = _features(
        "from mailcheck import thirdparty\n"
        "thirdparty.import_dns_features()\n"
        "assert 'importlib.metadata' not in sys.modules, 'imported at once'\n"
        "assert sys.modules['dns._features']._cache == {'idna': True}"
    )
    assert released == ours == ["True", "True", "IDNA2008Codec", "True"]
