"""The methods Python's dataclasses write for each class, compiled once and kept.

For every dataclass, Python writes its __init__, __repr__, __eq__ (and __hash__,
__setattr__, __delattr__ for frozen ones) as source text and compiles it each time the class
is created: ~0.4 ms for a plain class and ~0.9 ms for a frozen one on these machines, and a
`domain` run creates 64 classes (ours and dnspython's): about a fifth of its CPU, every run.
The text depends only on the class, so its compiled code is kept in a file beside mailcheck's
own bytecode (its `__pycache__`, under Python's rules for .pyc files: not written with -B or
PYTHONDONTWRITEBYTECODE, under PYTHONPYCACHEPREFIX when that is set, skipped where it
cannot be written) and read back at the next start.

The key is the source text itself: a changed class compiles afresh, and what is kept for a
text is only ever what compiling that text gives. The file starts with the interpreter's
bytecode magic number, so another Python never reads it; anything unreadable is ignored.
The command-line program installs it (`python -m mailcheck`, `mailcheck`); importing
mailcheck as a library changes nothing.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import Any

# When the file would hold more (classes changed over many versions), only the entries this
# process used are written: what one run of every command needs is a few hundred.
MAX_ENTRIES = 2000
MAX_FILE_BYTES = 4 * 1024 * 1024


def cache_path() -> str | None:
    """Where the kept code lives: beside mailcheck's own .pyc files (None: nowhere)."""
    spec = sys.modules["mailcheck"].__spec__
    cached = spec.cached if spec is not None else None
    if not cached or sys.implementation.cache_tag is None:
        return None
    name = f"dataclass-methods.{sys.implementation.cache_tag}.bin"
    return os.path.join(os.path.dirname(cached), name)


class CodeCache:
    """`exec` for the dataclasses module: source text compiled once, across runs."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.known: dict[str, CodeType] = {}
        self.used: dict[str, CodeType] = {}
        self.compiled = 0  # texts compiled by this process (0: everything came from the file)

    def load(self) -> None:
        if self.path is None:
            return
        try:
            with open(self.path, "rb") as file:
                data = file.read(MAX_FILE_BYTES + 1)
        except OSError:
            return
        if len(data) > MAX_FILE_BYTES or not data.startswith(MAGIC_NUMBER):
            return
        try:
            # S302: the file sits beside mailcheck's own .pyc files, whose writer can
            # already make Python run anything: no trust is added
            known = marshal.loads(data[len(MAGIC_NUMBER) :])  # noqa: S302
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(known, dict):
            self.known = known

    def exec(self, source: Any, /, *args: Any, **kwargs: Any) -> None:
        if isinstance(source, str):
            text = source
            source = self.known.get(text)
            if not isinstance(source, CodeType):
                source = self.known[text] = compile(text, "<string>", "exec")
                self.compiled += 1
            self.used[text] = source
        # S102: runs what the dataclasses module asked to run, compiled from its own text
        builtins.exec(source, *args, **kwargs)  # noqa: S102

    def save(self) -> None:
        """Write the file when this process compiled something (atomically: a run beside
        this one reads the old file or the new one, never half of one)."""
        if not self.compiled or self.path is None or sys.dont_write_bytecode:
            return
        entries = self.known if len(self.known) <= MAX_ENTRIES else self.used
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "wb") as file:
                file.write(MAGIC_NUMBER + marshal.dumps(entries))
            os.replace(temporary, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        else:
            self.compiled = 0


def install() -> CodeCache:
    """Serve the dataclasses module's `exec` from the kept code from now on."""
    cache = CodeCache(cache_path())
    cache.load()
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]
    return cache
