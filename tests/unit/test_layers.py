"""The layers of DESIGN.md hold: each package imports only the layers below it (from source)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mailcheck"

# What each layer may import from mailcheck (besides itself). The top-level modules
# (model, errors, text, ...) are layers of their own, named by their module.
ALLOWED: dict[str, set[str]] = {
    # the foundation: plain data and the one escaping function
    "model": set(),
    "errors": {"model"},
    "escape": set(),
    # pure DNS record grammars: record text -> dataclasses, no I/O, nothing about messages
    "records": {"errors", "model", "escape"},
    # pure message-side parsing and composition; domain names come from records
    "message": {"errors", "model", "records", "__version__"},
    # the only I/O; thirdparty is the one named place for library patches
    "net": {"errors", "model", "escape", "thirdparty", "__version__"},
    "checks": {
        "catalog",
        "errors",
        "message",
        "model",
        "net",
        "records",
        "escape",
        "thirdparty",
    },
    # what a CI gate compares a report with (expectations, waivers, a baseline): judged from
    # the report's own data, so it needs no checks, no network and no command line
    "catalog": {"model"},
    "gating": {"catalog", "errors", "model", "records"},
    "render": {"catalog", "errors", "feedback", "model", "escape", "__version__"},
}

# Everything the CLI stands on, the library API (api.py) included: none of it may import the
# CLI (or the API), so the library reads no option, file or password the way the CLI does.
BELOW_CLI = (
    "api",
    "services",
    "feedback",
    "gating",
    "catalog",
    "checks",
    "render",
    "net",
    "records",
    "message",
    "model",
)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "mailcheck"
    return parts[1]


def _imports() -> dict[str, set[tuple[str, str]]]:
    """layer -> {(imported layer, importing file)}, top-level, lazy and TYPE_CHECKING alike."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        source = _layer(".".join(rel.parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "mailcheck":
                    names = [f"mailcheck.{alias.name}" for alias in node.names]
            for name in names:
                if name.split(".")[0] != "mailcheck":
                    continue
                target = _layer(name)
                if target != source:
                    found.setdefault(source, set()).add((target, str(rel)))
    return found


def test_no_relative_imports_hide_from_the_check() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path}: relative import"


def test_each_layer_imports_only_what_it_may() -> None:
    imports = _imports()
    wrong = [
        f"{file} ({layer}) imports mailcheck.{target}"
        for layer, allowed in ALLOWED.items()
        for target, file in sorted(imports.get(layer, set()))
        if target not in allowed
    ]
    assert wrong == []


def test_nothing_below_the_cli_imports_it() -> None:
    imports = _imports()
    upward = sorted(
        f"{file} ({layer}) imports mailcheck.{target}"
        for layer in BELOW_CLI
        for target, file in imports.get(layer, set())
        if target in {"cli", "api"} and target != layer
    )
    assert upward == []


def test_records_are_dns_grammars_and_message_parsing_lives_apart() -> None:
    # a records module that needs the email package or dkimpy is about messages, not DNS
    for path in (PACKAGE / "records").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] in {"email", "dkim", "smtplib"}], path
    message = {p.stem for p in (PACKAGE / "message").glob("*.py")}
    assert {"compose", "dkim_sign", "headers", "smtp_codes"} <= message


# Module names that appear in more than one layer because they ARE one concept seen from
# each layer: a mail family (record grammar, check, report parser) or a command (options,
# service). Any other repeated name is two things under one name.
SAME_CONCEPT = {
    "bimi": "family: records grammar and checks",
    "dkim": "family: records grammar and checks",
    "dmarc": "family: records grammar and checks",
    "spf": "family: records grammar and checks",
    "tlsrpt": "family (RFC 8460): the DNS record check and the report parser",
    "domain": "command: cli options and the service",
    "report": "command: cli options and the service",
    "send": "command: cli options and the service",
    "trace": "command: cli options and the service",
    "verify": "command: cli options and the service",
}


def test_no_two_modules_share_a_name_unless_they_are_one_concept() -> None:
    places: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.stem != "__init__":
            places.setdefault(path.stem, []).append(str(path.relative_to(PACKAGE)))
    repeated = {name: sorted(where) for name, where in places.items() if len(where) > 1}
    assert {name: where for name, where in repeated.items() if name not in SAME_CONCEPT} == {}
    # an exception that no longer repeats is stale
    assert set(SAME_CONCEPT) <= set(repeated)
