"""A one-domain run's first DNS questions, sent before the command line interface loads.

Loading the CLI (Typer, Click and the command's options) is about a third of a short run's
start-up. `mailcheck domain NAME` always begins with the same questions whatever its
options (services.domain_run.early_questions): when the command line is one this module
reads with certainty, they leave before the CLI loads, and the run adopts the engine that
asked them once its own reading of the command line agrees (`take`). Anything else (another
command or option, a MAILCHECK_ variable, an expectations file, a name or server the CLI
would refuse) leaves everything to the CLI: a command line that is refused sends nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailcheck.net.dns import DnsEngine, DnsOptions
    from mailcheck.services.domain_request import DomainRequest

# The options read here; any other word that starts with "-" leaves the run to the CLI (so
# do -q and the rest: none of them can be refused in combination with these).
_SERVER = frozenset({"-n", "--nameserver"})
_FORMAT = frozenset({"-f", "--format"})
_FLAGS = frozenset({"-v", "--verbose", "--no-config"})


@dataclass(frozen=True)
class Early:
    """An engine built as the command line asks, and the domain's view with its first
    questions under way and its checks walking ahead."""

    name: str  # the domain, in ASCII
    options: DnsOptions
    engine: DnsEngine
    view: DnsEngine
    walked: DomainRequest  # the request its checks walk ahead for


_started: Early | None = None


def start(argv: list[str]) -> None:
    """Send the first questions of `mailcheck domain NAME [-n SERVER]... [--format F] [-v]
    [--no-config]` now (see the module's text); nothing for any other command line."""
    global _started
    read = _read(argv)
    if read is None:
        return
    name, servers = read
    from mailcheck.errors import MailcheckError
    from mailcheck.net.dns import DnsOptions, build_engine
    from mailcheck.net.dns.answer import PER_DOMAIN
    from mailcheck.records.domain_name import parse_domain
    from mailcheck.services.domain_request import CONCURRENCY, DomainRequest
    from mailcheck.services.domain_run import ask_early

    try:
        domain = parse_domain(name)
        # the domain command's defaults (cli/domain.py): `take` compares with what it read
        options = DnsOptions(nameservers=servers, concurrency=CONCURRENCY, names=PER_DOMAIN)
        engine = build_engine(options)
    except MailcheckError:
        return  # the CLI says what is wrong, and sends nothing
    # such a command line checks every family as by default: walk ahead for that
    walked = DomainRequest()
    view = ask_early(engine, domain, walked)
    _started = Early(domain.ascii, options, engine, view, walked)


def take(name: str | None, options: DnsOptions) -> Early | None:
    """The early engine and view, if they were made for the domain `name` with `options`
    as the CLI read them; otherwise they are closed (None: the run builds its own)."""
    global _started
    early, _started = _started, None
    if early is None:
        return None
    if name == early.name and _same(options, early.options):
        return early
    early.view.close()  # its checks stop walking ahead
    early.engine.close()
    return None


def _same(read: DnsOptions, early: DnsOptions) -> bool:
    import dataclasses

    return dataclasses.replace(read, nameservers=tuple(read.nameservers)) == early


def _read(argv: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """(domain, --nameserver values) of a command line read with certainty, else None."""
    if len(argv) < 3 or argv[1] != "domain":
        return None
    if any(key.startswith(("MAILCHECK_", "_MAILCHECK")) for key in os.environ):
        return None  # options from the environment, or a shell completing a word
    names: list[str] = []
    servers: list[str] = []
    config = True
    words = iter(argv[2:])
    for word in words:
        if word in _FLAGS:
            config = config and word != "--no-config"
            continue
        if not word.startswith("-"):
            names.append(word)
            continue
        option, equals, value = word.partition("=")
        if not (option in _SERVER or option in _FORMAT) or (equals and option[1] != "-"):
            return None  # another option, "--", or "-n=X" (Click reads "=X")
        if not equals:
            value = next(words, "-")
        if value.startswith("-") or (option in _FORMAT and not _format(value)):
            return None
        if option in _SERVER:
            servers.append(value)
    if len(names) != 1 or (config and _has_config()):
        return None
    return names[0], tuple(servers)


def _format(value: str) -> bool:
    from mailcheck.render import Format

    return value.lower() in {f.value for f in Format}


def _has_config() -> bool:
    from pathlib import Path

    from mailcheck.files import find_config

    return find_config(Path.cwd()) is not None
