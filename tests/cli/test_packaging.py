"""Packaging: the build works with the backend the metadata needs, the wheel and the sdist
carry the licence, the man page (generated from --help's source) and the changelog, and the
package installs one command of its own."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from mailcheck import __version__
from mailcheck.gating.expectations import tomllib
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
spec = importlib.util.spec_from_file_location("update_manpage", ROOT / "scripts/update_manpage.py")
assert spec is not None and spec.loader is not None
manpage = importlib.util.module_from_spec(spec)
spec.loader.exec_module(manpage)


def test_build_requirement_fits_the_metadata() -> None:
    [setuptools] = [r for r in PYPROJECT["build-system"]["requires"] if "setuptools" in r]
    minimum = re.fullmatch(r"setuptools>=(\d+)", setuptools)
    assert minimum is not None
    # an SPDX string in `license` and `license-files` arrived in setuptools 77
    assert isinstance(PYPROJECT["project"]["license"], str)
    assert int(minimum.group(1)) >= 77
    assert PYPROJECT["project"]["version"] == __version__


def test_man_page_matches_the_program() -> None:
    shipped = (ROOT / "man" / "mailcheck.1").read_text()
    assert shipped == manpage.manpage(), "man page drifted; run scripts/update_manpage.py"
    for text in ("\\-\\-quiet", "\\-\\-fail\\-on", "[tool.mailcheck]", ".SH EXIT STATUS"):
        assert text in shipped
    assert '.SS "mailcheck domain [OPTIONS] DOMAIN..."' in shipped


def test_changelog_and_licence() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{__version__}]" in changelog


@pytest.mark.timeout(600)
def test_sdist_and_wheel(tmp_path: Path) -> None:
    """python -m build: the sdist, then the wheel built from that sdist (so nothing the wheel
    needs is missing from the sdist)."""
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [sdist] = tmp_path.glob("*.tar.gz")
    [wheel] = tmp_path.glob("*.whl")
    name = PYPROJECT["project"]["name"].replace("-", "_")
    assert sdist.name == f"{name}-{__version__}.tar.gz"
    with tarfile.open(sdist) as archive:
        files = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"LICENSE", "CHANGELOG.md", "man/mailcheck.1", "pyproject.toml"} <= files
    assert "completions/mailcheck.fish" in files and "examples/ci/gitlab-ci.yml" in files
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"{name}-{__version__}.dist-info"
        assert f"{info}/licenses/LICENSE" in names
        assert f"{name}-{__version__}.data/data/share/man/man1/mailcheck.1" in names
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert "License-Expression: MIT" in metadata
    # mailcheck's own commands: just one (the others on PATH come from dependencies)
    scripts = entry_points.split("[console_scripts]")[1].strip().splitlines()
    assert scripts == ["mailcheck = mailcheck.__main__:main"]
