"""README stays true to the program: the output it shows is what the program prints."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("update_readme", ROOT / "scripts/update_readme.py")
assert spec is not None and spec.loader is not None
readme = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme)


def test_readme_output_blocks_match_the_program() -> None:
    text = (ROOT / "README.md").read_text()
    blocks = readme.blocks(text)
    assert blocks, "README has no generated output blocks"
    for args, body in blocks:
        assert body.strip(), f"empty block for {args}; run scripts/update_readme.py"
        assert readme.normalise(readme.run(args)) == readme.normalise(body), (
            f"README output for `mailcheck {args}` drifted; run scripts/update_readme.py"
        )


@pytest.mark.parametrize("name", ["domain", "verify", "trace", "send", "report"])
def test_readme_mentions_every_option(name: str) -> None:
    from typer.main import get_command

    from mailcheck.cli import register

    app = register()

    text = (ROOT / "README.md").read_text()
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in text or f"{opt} " in text, f"{name} {opt} missing from README"
