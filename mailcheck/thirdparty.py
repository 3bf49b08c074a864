"""Every change mailcheck makes to a third-party library, named, version-gated, reversible.

Nothing else in mailcheck assigns to another library's module attributes: a patch is
declared here (what it replaces, for which major versions of which distribution), and
installed and restored only through install()/restore()/patched(). Outside the supported
versions a patch is not installed and the library runs as released (slower, or through
its own DNS for pyspf: the session then reports that nothing can be determined)."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Patch:
    """Replace `attribute` of `module` with `make(original)`, for each target."""

    name: str
    distribution: str
    majors: tuple[int, ...]  # the major versions the replacements were checked against
    targets: tuple[tuple[str, str, Callable[[Any], Any]], ...]
    why: str


_LOCK = threading.RLock()
_ORIGINALS: dict[str, dict[str, Any]] = {}  # patch name -> "module.attribute" -> original
_USERS: dict[str, int] = {}  # patch name -> how many patched() blocks are inside it


def supported(patch: Patch) -> bool:
    """Is the installed release of the library one the patch was made for?"""
    from importlib import metadata  # ~12 ms: not for --help, which only needs the below

    try:
        version = metadata.version(patch.distribution)
    except metadata.PackageNotFoundError:
        return False
    major = version.split(".", 1)[0]
    return major.isdigit() and int(major) in patch.majors


def install(patch: Patch) -> dict[str, Any] | None:
    """Install `patch` (once); the originals by attribute name, or None when the installed
    library version is not one the patch supports (then nothing is changed)."""
    with _LOCK:
        if patch.name in _ORIGINALS:
            return _by_attribute(_ORIGINALS[patch.name])
        if not supported(patch):
            return None
        originals: dict[str, Any] = {}
        for module_name, attribute, make in patch.targets:
            module = importlib.import_module(module_name)
            original = getattr(module, attribute)
            originals[f"{module_name}.{attribute}"] = original
            setattr(module, attribute, make(original))
        _ORIGINALS[patch.name] = originals
        return _by_attribute(originals)


def restore(patch: Patch) -> None:
    """Put the library back exactly as it was (a no-op if the patch is not installed)."""
    with _LOCK:
        originals = _ORIGINALS.pop(patch.name, None)
        _USERS.pop(patch.name, None)
        for key, original in (originals or {}).items():
            module_name, attribute = key.rsplit(".", 1)
            setattr(importlib.import_module(module_name), attribute, original)


@contextlib.contextmanager
def patched(patch: Patch) -> Iterator[bool]:
    """Within the block (and any concurrent one), the patch is installed; the last block
    to leave restores the library. Yields whether the patch could be installed."""
    with _LOCK:
        active = install(patch) is not None
        if active:
            _USERS[patch.name] = _USERS.get(patch.name, 0) + 1
    try:
        yield active
    finally:
        if active:
            with _LOCK:
                left = _USERS.get(patch.name, 1) - 1
                _USERS[patch.name] = left
                if left <= 0:
                    restore(patch)


def installed() -> list[str]:
    """The names of the patches in place now."""
    with _LOCK:
        return sorted(_ORIGINALS)


def _by_attribute(originals: dict[str, Any]) -> dict[str, Any]:
    return {key.rsplit(".", 1)[1]: value for key, value in originals.items()}


# -- the patches ----------------------------------------------------------------------


def _signatures(name: str) -> Callable[[Any], Any]:
    """A replacement defined in mailcheck.checks.signatures (imported when installed)."""

    def make(original: Any) -> Any:
        from mailcheck.checks import signatures

        replacement = getattr(signatures, name)
        factory = name in ("_fast_rsa_verify", "fast_re_btag", "fast_rfc822_parse")
        return replacement(original) if factory else replacement

    return make


DKIMPY_SPEEDUPS = Patch(
    name="dkimpy-speedups",
    distribution="dkimpy",
    majors=(1,),
    targets=(
        ("dkim", "RSASSA_PKCS1_v1_5_verify", _signatures("_fast_rsa_verify")),
        ("dkim.crypto", "int2str", _signatures("fast_int2str")),
        ("dkim.crypto", "str2int", _signatures("fast_str2int")),
        ("dkim.canonicalization", "compress_whitespace", _signatures("fast_compress_whitespace")),
        ("dkim.canonicalization", "unfold_header_value", _signatures("fast_unfold_header_value")),
        (
            "dkim.canonicalization",
            "strip_trailing_whitespace",
            _signatures("fast_strip_trailing_whitespace"),
        ),
        ("dkim", "RE_BTAG", _signatures("fast_re_btag")),
        ("dkim", "rfc822_parse", _signatures("fast_rfc822_parse")),
    ),
    why="dkimpy verifies RSA with Python integers and compiles its canonicalization "
    "patterns at every call; the replacements are exact equivalents (tested against them)",
)


def _spf_lookup(original: Any) -> Any:
    from mailcheck.net.dns.adapters import spf_lookup

    return spf_lookup


PYSPF_DNS = Patch(
    name="pyspf-dns",
    distribution="pyspf",
    majors=(2,),
    targets=(("spf", "DNSLookup", _spf_lookup),),
    why="pyspf has no resolver parameter: its module-level DNSLookup is its only DNS seam; "
    "ours asks the engine of the current session (a context variable)",
)

PATCHES = (DKIMPY_SPEEDUPS, PYSPF_DNS)


# -- typer's help module, imported without what mailcheck never uses ----------------------
# typer.rich_utils imports rich's Markdown (markdown-it and pygments with it) for
# rich_markup_mode="markdown", and Traceback (rich.pretty) for typer's own exception hook,
# which mailcheck does not install: about a quarter of --help's time. Checked against these
# typer releases (major.minor); with another, typer's module is imported as released.
TYPER_HELP_RELEASES = ("0.28",)
_UNUSED_BY_HELP = (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback"))


def import_typer_help() -> None:
    """Import typer.rich_utils with those two modules standing in: each holds a name that
    imports the real class on first use, so typer works the same if it ever uses one. The
    stand-ins are gone from sys.modules once the import is done (a later `import
    rich.markdown` gets rich's own module), and if typer wants another name from them the
    import simply happens again the ordinary way."""
    if "typer.rich_utils" in sys.modules:
        return
    typer = importlib.import_module("typer")
    if ".".join(str(typer.__version__).split(".")[:2]) not in TYPER_HELP_RELEASES:
        importlib.import_module("typer.rich_utils")
        return
    stand_ins = {
        module: types.ModuleType(module, f"stands in for {module}.{name} (mailcheck)")
        for module, name in _UNUSED_BY_HELP
        if module not in sys.modules
    }
    for module, name in _UNUSED_BY_HELP:
        if module in stand_ins:
            setattr(stand_ins[module], name, _Deferred(name, (), {"__module__": module}))
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("typer.rich_utils")
    except ImportError:
        sys.modules.pop("typer.rich_utils", None)
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
    importlib.import_module("typer.rich_utils")  # a no-op, or the ordinary import


class _Deferred(type):
    """The class of a stand-in: calls, attributes and isinstance() go to the real class."""

    def real(cls) -> Any:
        return getattr(importlib.import_module(cls.__module__), cls.__name__)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __getattr__(cls, attribute: str) -> Any:
        return getattr(cls.real(), attribute)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.real())


# -- dnspython's optional features, known without importlib.metadata ---------------------
# dns._features imports importlib.metadata (with email, csv and zipfile: ~10 ms before a
# domain run's first query) to read the versions of optional packages; the only feature a
# mailcheck run asks at import is "idna" (dns.name), whose package states its own version.
DNSPYTHON_FEATURE_MAJORS = (2,)


def import_dns_features() -> types.ModuleType:
    """dns._features, imported with a stand-in for importlib.metadata that imports the real
    module on first use (so any have() mailcheck did not answer works as released), and
    "idna" answered from idna.__version__ against dnspython's own requirement."""
    if "dns._features" in sys.modules or "importlib.metadata" in sys.modules:
        return importlib.import_module("dns._features")
    version = importlib.import_module("dns.version")
    if version.MAJOR not in DNSPYTHON_FEATURE_MAJORS:
        return importlib.import_module("dns._features")
    package = importlib.import_module("importlib")
    stand_in = types.ModuleType("importlib.metadata", "stands in for importlib.metadata")

    def real(attribute: str) -> Any:
        if sys.modules.get("importlib.metadata") is stand_in:
            del sys.modules["importlib.metadata"]
        return getattr(importlib.import_module("importlib.metadata"), attribute)

    stand_in.__getattr__ = real  # type: ignore[method-assign]
    sys.modules["importlib.metadata"] = stand_in
    # what `import importlib.metadata` binds, until the real module replaces it
    package.metadata = stand_in  # type: ignore[attr-defined]
    try:
        features = importlib.import_module("dns._features")
    finally:
        if sys.modules.get("importlib.metadata") is stand_in:
            del sys.modules["importlib.metadata"]
    requirements = features._requirements.get("idna", [])
    known = requirements and all(r.startswith("idna>=") for r in requirements)
    if known and "idna" not in features._cache:
        try:
            idna = importlib.import_module("idna")
        except ImportError:
            features.force("idna", False)
        else:
            have = features._tuple_from_text(str(idna.__version__))
            needed = [features._tuple_from_text(r.split(">=", 1)[1]) for r in requirements]
            features.force("idna", all(have >= n for n in needed))
    return features
