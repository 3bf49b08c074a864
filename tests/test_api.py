"""The library API: the README's examples run as written and print what it says; the
reports are the CLI's; nothing is printed and no environment is read."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from mailcheck import Dns, check_domain, check_domains, verify_message
from mailcheck.errors import InputError
from tests.conftest import ROOT, CliRun

ZONES = Dns(zones=[str(ROOT / "examples" / "zones")], offline=True)


def readme_examples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Library API") : text.index("## Exit codes")]
    return re.findall(r"```python\n(.*?)```\n\nprints\n\n```text\n(.*?)```", section, re.S)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("index", [0, 1], ids=["api", "dask"])
def test_readme_example_runs_and_prints_what_it_says(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, expected = readme_examples()[index]
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102  (our own README)
    assert out.getvalue() == expected


def test_reports_are_the_ones_the_cli_renders(run_cli: CliRun) -> None:
    args = ("--offline", "--zone", str(ROOT / "examples" / "zones"), "--no-config")
    cli = json.loads(run_cli("domain", "example.net", *args, "--format", "json").stdout)
    report = check_domain("example.net", dns=ZONES)
    shown = cli["reports"][0]
    assert report.status.value == shown["status"]
    found = [(f.id, f.status.value, f.summary) for f in report.findings()]
    assert found == [
        (f["id"], f["status"], f["summary"]) for s in shown["sections"] for f in s["findings"]
    ]


def test_no_output_and_no_environment(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # an expectations file the CLI would find here: the library never reads it
    (tmp_path / ".git").mkdir()
    (tmp_path / "mailcheck.toml").write_text(
        '[defaults]\ndmarc-policy = "reject"\nno-mail = true\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    reports = check_domains(["example.com", "bücher.example"], dns=ZONES, parallel=2)
    message = (ROOT / "examples" / "messages" / "signed.eml").read_bytes()
    verified = verify_message(message, dns=ZONES)
    assert [r.subject for r in reports] == ["example.com", "xn--bcher-kva.example"]
    assert reports[0].status.value == "pass" and verified.status.value == "pass"
    assert not any(f.family == "policy" for r in reports for f in r.findings())
    assert capfd.readouterr() == ("", "")


def test_bad_input_raises_before_any_lookup() -> None:
    with pytest.raises(InputError):
        check_domains(["example.com", "not a domain"], dns=ZONES)
    with pytest.raises(InputError):
        verify_message(b"Subject: x\r\n\r\nbody\r\n", ip="999.1.1.1", dns=ZONES)
    assert check_domains([], dns=ZONES) == []
