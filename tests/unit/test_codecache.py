"""The dataclass methods compiled once and kept (mailcheck.codecache): a second run compiles
nothing, classes behave exactly as without it, a changed class is never served stale code,
and a damaged, foreign or oversized file is ignored; the program writes the file where
Python writes bytecode, and never with PYTHONDONTWRITEBYTECODE."""

from __future__ import annotations

import dataclasses
import marshal
import os
import subprocess
import sys
from importlib.util import MAGIC_NUMBER
from pathlib import Path

import pytest

import mailcheck
from mailcheck.codecache import MAX_ENTRIES, MAX_FILE_BYTES, CodeCache


@pytest.fixture(autouse=True)
def _bytecode_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """As Python runs by default (this shell or CI may say -B)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def _classes(cache: CodeCache | None, monkeypatch: pytest.MonkeyPatch, extra: bool = False) -> type:
    """A frozen dataclass made with `cache` serving the dataclasses module's exec (None:
    Python's own)."""
    if cache is None:
        monkeypatch.delattr(dataclasses, "exec", raising=False)
    else:
        monkeypatch.setattr(dataclasses, "exec", cache.exec, raising=False)

    @dataclasses.dataclass(frozen=True)
    class Point:
        """A point."""

        x: int
        y: int = 0
        tags: tuple[str, ...] = ()

    if not extra:
        return Point

    @dataclasses.dataclass(frozen=True)
    class Point3:
        """A point with one more field: other source text."""

        x: int
        y: int = 0
        z: int = 0

    return Point3


def _behaviour(cls: type) -> tuple[object, ...]:
    one, same, other = cls(1, 2), cls(1, 2), cls(3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.x = 5  # type: ignore[attr-defined]
    name = cls.__qualname__
    return repr(one).replace(name, "P"), one == same, one != other, hash(one) == hash(same)


def test_a_second_process_compiles_nothing_and_gets_the_same_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _behaviour(_classes(None, monkeypatch))
    assert expected == ("P(x=1, y=2, tags=())", True, True, True)
    path = str(tmp_path / "kept.bin")
    first = CodeCache(path)
    first.load()
    assert _behaviour(_classes(first, monkeypatch)) == expected
    assert first.compiled > 0
    first.save()
    assert Path(path).read_bytes().startswith(MAGIC_NUMBER)

    second = CodeCache(path)
    second.load()
    assert _behaviour(_classes(second, monkeypatch)) == expected
    assert second.compiled == 0
    # a class whose source differs is compiled, never served another class's code
    point3 = _classes(second, monkeypatch, extra=True)
    assert second.compiled > 0
    assert repr(point3(1, 2, 3)).endswith(".Point3(x=1, y=2, z=3)")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a cache",
        MAGIC_NUMBER + b"\x00\x01garbage",  # marshal refuses it
        MAGIC_NUMBER + marshal.dumps(["a list", "not a dict"]),
        MAGIC_NUMBER + marshal.dumps({"def f(): pass": "a string, not code"}),
        b"\x00\x00\r\n" + marshal.dumps({}),  # another Python's magic number
        MAGIC_NUMBER + b"\x00" * (MAX_FILE_BYTES + 1),  # too large to be ours
    ],
    ids=["empty", "text", "bad-marshal", "not-a-dict", "not-code", "other-python", "huge"],
)
def test_a_damaged_or_foreign_file_is_ignored_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    path = tmp_path / "kept.bin"
    path.write_bytes(content)
    cache = CodeCache(str(path))
    cache.load()
    assert _behaviour(_classes(cache, monkeypatch)) == ("P(x=1, y=2, tags=())", True, True, True)
    assert cache.compiled > 0
    cache.save()
    again = CodeCache(str(path))
    again.load()
    _classes(again, monkeypatch)
    assert again.compiled == 0


def test_the_file_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries of classes long changed are dropped once the file would hold too many."""
    path = tmp_path / "kept.bin"
    code = compile("pass", "<string>", "exec")
    stale = {f"# an old class {n}\n": code for n in range(MAX_ENTRIES)}
    path.write_bytes(MAGIC_NUMBER + marshal.dumps(stale))
    cache = CodeCache(str(path))
    cache.load()
    _classes(cache, monkeypatch)
    cache.save()
    kept = marshal.loads(path.read_bytes()[len(MAGIC_NUMBER) :])  # noqa: S302 (ours)
    assert set(kept) == set(cache.used)
    assert not any(text.startswith("# an old class") for text in kept)


def test_nothing_is_written_when_bytecode_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kept.bin"
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = CodeCache(str(path))
    _classes(cache, monkeypatch)
    cache.save()
    assert not path.exists()
    # and a path that cannot be written is no error
    blocked = CodeCache(str(tmp_path / "a-file" / "kept.bin"))
    (tmp_path / "a-file").write_text("in the way")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    _classes(blocked, monkeypatch)
    blocked.save()
    assert (tmp_path / "a-file").read_text() == "in the way"


def _run(prefix: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environ.update(PYTHONPYCACHEPREFIX=str(prefix), **env)
    return subprocess.run(
        [sys.executable, "-m", "mailcheck", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_the_program_keeps_the_code_where_python_keeps_bytecode(tmp_path: Path) -> None:
    prefix = tmp_path / "pycache"
    quiet = _run(prefix, "explain", "spf.record", PYTHONDONTWRITEBYTECODE="1")
    assert quiet.returncode == 0, quiet.stderr
    assert not list(prefix.rglob("dataclass-methods.*")), "written despite -B"

    first = _run(prefix, "explain", "spf.record")
    [kept] = prefix.rglob(f"dataclass-methods.{sys.implementation.cache_tag}.bin")
    assert kept.read_bytes().startswith(MAGIC_NUMBER)
    # beside the package's own bytecode, as Python places it under the prefix
    assert kept.parent == prefix / Path(mailcheck.__file__).parent.resolve().relative_to("/")
    second = _run(prefix, "explain", "spf.record")
    assert (first.returncode, first.stdout, first.stderr) == (0, quiet.stdout, quiet.stderr)
    assert (second.returncode, second.stdout, second.stderr) == (0, quiet.stdout, "")

    kept.write_bytes(b"damaged")
    damaged = _run(prefix, "explain", "spf.record")
    assert (damaged.returncode, damaged.stdout, damaged.stderr) == (0, quiet.stdout, "")
    assert kept.read_bytes().startswith(MAGIC_NUMBER)  # written afresh
