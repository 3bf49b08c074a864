"""The check catalogue: every id the code uses is catalogued, every catalogued id is used."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from mailcheck.catalog import CHECKS, FAMILIES, family_module

PACKAGE = Path(__file__).resolve().parents[2] / "mailcheck"
CATALOG = PACKAGE / "catalog"

# Strings shaped like an id that are not ids, with the reason.
NOT_IDS = {
    "dkim.crypto": "a dkimpy module that thirdparty.py patches",
    "dkim.canonicalization": "a dkimpy module that thirdparty.py patches",
}

# Ids the code builds instead of spelling out, with the file and the f-string that builds them.
BUILT = {
    "dnsbl.ip": ("checks/dnsbl.py", 'f"dnsbl.{kind}"'),
    "dnsbl.domain": ("checks/dnsbl.py", 'f"dnsbl.{kind}"'),
}

SHAPE = re.compile(r"^(?:" + "|".join(re.escape(f) for f in FAMILIES) + r")\.[a-z0-9][a-z0-9.-]*$")


def _constants() -> dict[str, dict[str, str]]:
    """family module name (spf_ids) -> {constant: id}."""
    out: dict[str, dict[str, str]] = {}
    for family in FAMILIES:
        module = importlib.import_module(family_module(family))
        names = {k: v for k, v in vars(module).items() if k.isupper() and isinstance(v, str)}
        out[module.__name__.rsplit(".", 1)[1]] = names
    return out


def _uses() -> tuple[set[str], set[str]]:
    """(id-shaped string literals, ids named through a family module's constants) in mailcheck/
    outside the catalogue."""
    constants = _constants()
    literals: set[str] = set()
    named: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if CATALOG in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SHAPE.match(node.value):
                    literals.add(node.value)
            elif isinstance(node, ast.ImportFrom) and node.module:
                table = constants.get(node.module.removeprefix("mailcheck.catalog."), {})
                named |= {table[a.name] for a in node.names if a.name in table}
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                named |= {constants.get(node.value.id, {}).get(node.attr, "")} - {""}
    return literals, named


def test_every_id_the_code_uses_is_catalogued() -> None:
    literals, named = _uses()
    assert sorted(literals - set(CHECKS) - set(NOT_IDS)) == []
    assert named <= set(CHECKS)


def test_every_catalogued_id_is_used() -> None:
    literals, named = _uses()
    assert sorted(set(CHECKS) - literals - named - set(BUILT)) == []


def test_the_exceptions_are_still_true() -> None:
    literals, _ = _uses()
    assert set(NOT_IDS) <= literals and not set(NOT_IDS) & set(CHECKS)
    for check_id, (file, builder) in BUILT.items():
        assert check_id in CHECKS and check_id not in literals
        assert builder in (PACKAGE / file).read_text(encoding="utf-8")


def test_each_family_module_holds_its_family_only_named_by_constants() -> None:
    seen: set[str] = set()
    for module, table in _constants().items():
        family = module.removesuffix("_ids").replace("_", "-")
        assert family in FAMILIES
        for name, check_id in table.items():
            assert check_id.startswith(family + "."), (module, check_id)
            wanted = check_id.split(".", 1)[1].upper().replace("-", "_").replace(".", "_")
            assert name == wanted, (module, name, check_id)
        seen |= set(table.values())
    assert seen == set(CHECKS)


def test_ids_are_lower_case_family_dot_name_and_explained() -> None:
    for check_id, spec in CHECKS.items():
        assert re.fullmatch(r"[a-z-]+\.[a-z0-9][a-z0-9.-]*", check_id), check_id
        assert spec.family in FAMILIES and spec.title and spec.explain, check_id
