"""What every command shares: options, the error boundary, consoles and the output writer."""

from __future__ import annotations

import contextlib
import enum
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailcheck.errors import MailcheckError
from mailcheck.model import Status
from mailcheck.outcome import error_exit_code
from mailcheck.render import Format

if TYPE_CHECKING:
    from rich.console import Console

    from mailcheck.net.dns import DnsOptions

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing at or above the --fail-on level; 1 a check failed (or warned, with "
    "--fail-on warn); 2 usage, input or output error (stdout cannot be written); "
    "3 inconclusive (network or DNS errors, no failures); 4 internal error; "
    "130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."
)


class Color(str, enum.Enum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class FailOn(str, enum.Enum):
    FAIL = "fail"
    WARN = "warn"
    REGRESSION = "regression"  # mailcheck domain --baseline: only new or worse findings
    NEVER = "never"  # reporting-only jobs: findings never make the exit code 1


# -- shared options (Annotated types keep each command's signature short) ----------------


def option(*names: str, help: str, panel: str, **settings: Any) -> Any:
    """One option in one call, for `Annotated[TYPE, option(...)]`: names, help, help panel
    and any other typer.Option setting (metavar, min ...)."""
    return typer.Option(*names, help=help, rich_help_panel=panel, **settings)


def port_option(*names: str, help: str, panel: str) -> Any:
    """A TCP port: 1 to 65535."""
    return option(*names, metavar="PORT", min=1, max=65535, help=help, panel=panel)


def jobs_option(*, help: str, panel: str) -> Any:
    """--jobs/-j: worker processes, 0 (the default) for automatic."""
    return option("--jobs", "-j", metavar="N", min=0, max=64, help=help, panel=panel)


NameserverOpt = Annotated[
    list[str] | None,
    option(
        "--nameserver",
        "-n",
        metavar="IP[:PORT]",
        envvar="MAILCHECK_NAMESERVER",
        help="Ask this DNS server instead of the system resolver (repeatable; IPv6 as [::1]:53).",
        panel="DNS",
    ),
]
ZoneOpt = Annotated[
    list[str] | None,
    option(
        "--zone",
        "-z",
        metavar="[ORIGIN=]FILE",
        help="Answer names under this BIND zone file's origin from the file "
        "(repeatable): check a zone before it is published.",
        panel="DNS",
    ),
]
AllowPrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-addresses",
        help="Fetch MTA-STS and BIMI URLs whose hosts resolve to loopback, private or "
        "link-local addresses (refused by default).",
        rich_help_panel="HTTPS",
    ),
]
OfflineOpt = Annotated[
    bool,
    option("--offline", help="Use no DNS server at all: only --zone files answer.", panel="DNS"),
]
ColorOpt = Annotated[
    Color,
    option(
        "--color",
        envvar="MAILCHECK_COLOR",
        case_sensitive=False,
        help="Colour text output (auto: on a terminal, or with FORCE_COLOR; NO_COLOR wins). "
        "never also turns off the progress spinner.",
        panel="Output",
    ),
]
VerboseOpt = Annotated[
    bool,
    option("--verbose", "-v", help="Show evidence, details and every DNS query.", panel="Output"),
]
QuietOpt = Annotated[
    bool,
    option(
        "--quiet",
        "-q",
        help="Text output: only WARN, ERROR and FAIL findings, and the verdict.",
        panel="Output",
    ),
]
DebugOpt = Annotated[
    bool, option("--debug", help="Show the traceback of internal errors.", panel="Output")
]
FailOnOpt = Annotated[
    FailOn,
    option(
        "--fail-on",
        case_sensitive=False,
        help="Lowest status that makes the exit code 1; regression (domain --baseline): only "
        "new or worse findings; never: reporting only (exit 3 still marks an inconclusive run).",
        panel="Output",
    ),
]


def complete_ids(incomplete: str) -> list[str]:
    """TAB completion of check ids and families (after a comma, the next one)."""
    from mailcheck.catalog import CHECKS, FAMILIES

    done, _, current = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    names = sorted(FAMILIES) + sorted(CHECKS)
    return [prefix + name for name in names if name.startswith(current)]


OnlyOpt = Annotated[
    list[str] | None,
    option(
        "--only",
        metavar="ID|FAMILY",
        autocompletion=complete_ids,
        help="Show only these check ids or families (repeatable, comma-separated).",
        panel="Output",
    ),
]
SkipOpt = Annotated[
    list[str] | None,
    option(
        "--skip",
        metavar="ID|FAMILY",
        autocompletion=complete_ids,
        help="Hide these check ids or families (repeatable, comma-separated).",
        panel="Output",
    ),
]


def split_list(values: list[str] | None) -> list[str]:
    """Ids as typed, split at commas and spaces; a value naming none stays as "", which
    check_selectors refuses (`--skip "$UNSET"` must not quietly skip nothing)."""
    out: list[str] = []
    for value in values or []:
        # ids are lower case; `explain SPF.PTR` works, so does `--only SPF`
        out.extend(value.lower().replace(",", " ").split() or [""])
    return out


_SETTINGS: dict[str, object] = {}  # what this run's output options say, for stderr notes


def note(message: str) -> None:
    """A line on stderr for --verbose runs (what mailcheck chose on its own, e.g. a file)."""
    if _SETTINGS.get("verbose"):
        from mailcheck.escape import printable

        sys.stderr.write(f"mailcheck: {printable(message)}\n")
        sys.stderr.flush()


@dataclass(frozen=True)
class OutputOptions:
    """The shared output options: format, colour, verbosity, exit-code policy."""

    format: Format = Format.TEXT
    color: Color = Color.AUTO
    verbose: bool = False
    debug: bool = False
    fail_on: FailOn = FailOn.FAIL
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    quiet: bool = False

    choice: str = ""  # --format as given, where the command has a choice of its own (csv)

    @classmethod
    def of(
        cls,
        format: Format,
        color: Color,
        verbose: bool,
        debug: bool,
        fail_on: FailOn,
        only: list[str] | None,
        skip: list[str] | None,
        quiet: bool = False,
        choice: str = "",
    ) -> OutputOptions:
        """The output options as every command declares them (--only/--skip as typed)."""
        selected = tuple(split_list(only)), tuple(split_list(skip))
        return cls(format, color, verbose, debug, fail_on, *selected, quiet=quiet, choice=choice)

    def __post_init__(self) -> None:
        # the progress spinner starts before any output: it learns --color here
        _SETTINGS["color"] = self.color
        _SETTINGS["verbose"] = self.verbose

    @property
    def threshold(self) -> Status | None:
        """The lowest status that makes the exit code 1 (None: --fail-on never)."""
        if self.fail_on is FailOn.NEVER:
            return None
        return Status.WARN if self.fail_on is FailOn.WARN else Status.FAIL

    def console(self, stderr: bool = False) -> Console:
        from rich.console import Console

        stream = sys.stderr if stderr else sys.stdout
        width = None
        if not stream.isatty() and not os.environ.get("COLUMNS"):
            width = 100
        # untrusted text is escaped at render: rich must add no markup, emoji or highlighting
        plain: dict[str, Any] = {"highlight": False, "markup": False, "emoji": False}
        if self.color is Color.NEVER:
            return Console(file=stream, width=width, color_system=None, **plain)
        if self.color is Color.ALWAYS:
            return Console(file=stream, width=width, force_terminal=True, no_color=False, **plain)
        return Console(file=stream, width=width, **plain)


@dataclass(frozen=True)
class DnsFlags:
    """The shared DNS options: name servers, zone files, offline, limits."""

    nameservers: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    offline: bool = False
    timeout: float = 2.0
    deadline: float = 30.0
    concurrency: int = 64
    extra: tuple[object, ...] = field(default=())
    total_deadline: float | None = None
    max_qps: float | None = None
    per_domain: bool = False  # domain: `deadline` is --domain-deadline, each domain's own

    def options(self) -> DnsOptions:
        from mailcheck.net.dns import DnsOptions, LimitNames
        from mailcheck.net.dns.answer import PER_DOMAIN

        names = PER_DOMAIN if self.per_domain else LimitNames()

        servers = self.nameservers
        if not servers and os.environ.get("MAILCHECK_NAMESERVER", "x").strip() == "":
            servers = ("",)  # click drops an empty variable; the DNS layer refuses it
        return DnsOptions(
            nameservers=servers,
            zones=self.zones,
            offline=self.offline,
            timeout=self.timeout,
            deadline=self.deadline,
            concurrency=self.concurrency,
            overall_deadline=self.total_deadline,
            max_qps=self.max_qps,
            names=names,
        )


ERROR_ROOM = 500  # characters of an error line: it may quote a 5 MB line of a file


def error_line(message: str, hint: str = "") -> None:
    from mailcheck.escape import printable

    sys.stderr.write(f"mailcheck: error: {_bounded(printable(message))}\n")
    if hint:
        first = hint.split(" ", 1)[0]
        if first.isalpha() and first != "mailcheck":
            hint = hint[0].upper() + hint[1:]
        sys.stderr.write(f"mailcheck: hint: {_bounded(printable(hint))}\n")
    sys.stderr.flush()


def _bounded(text: str) -> str:
    """Cut in the middle: the start names the input, the end says what is wrong with it."""
    if len(text) <= ERROR_ROOM:
        return text
    return text[: ERROR_ROOM * 3 // 4] + " … " + text[-(ERROR_ROOM // 4) :]


@contextlib.contextmanager
def boundary(debug: bool = False) -> Iterator[None]:
    """The one error boundary: a one-line message and the right exit code, never a traceback."""
    try:
        yield
    except typer.Exit:
        raise
    except MailcheckError as exc:
        # a file with several problems names each (path:line), then the count
        problems = getattr(exc, "problems", ())
        for problem in problems if len(problems) > 1 else ():
            error_line(problem.message, problem.hint)
        error_line(exc.message, exc.hint)
        raise typer.Exit(error_exit_code(exc)) from None
    except KeyboardInterrupt:
        sys.stderr.write("\nmailcheck: interrupted\n")
        raise typer.Exit(error_exit_code(KeyboardInterrupt())) from None
    except BrokenPipeError as exc:
        _quiet_stdout()
        raise typer.Exit(error_exit_code(exc)) from None
    except Exception as exc:
        if debug:
            # Plain traceback: frames and lines only, never local variables (secrets).
            traceback.print_exc(file=sys.stderr)
        error_line(
            f"internal error: {type(exc).__name__}: {exc}",
            ""
            if debug
            else "this is a bug in mailcheck; run again with --debug "
            "for the traceback and report it",
        )
        raise typer.Exit(error_exit_code(exc)) from None


def _quiet_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class ProgressView:
    """Progress on stderr: a spinner for one subject, a bar for many; silent when not a TTY."""

    def __init__(self, live: Any = None, task: Any = None) -> None:
        self._live = live
        self._task = task

    def status(self, message: str) -> None:
        from mailcheck.escape import printable

        if self._live is not None and self._task is None:
            self._live.update(printable(message))

    def advance(self, label: str) -> None:
        from mailcheck.escape import printable

        if self._live is not None and self._task is not None:
            self._live.update(self._task, advance=1, description=printable(label, limit=40))


_LIVE: list[Any] = []  # the spinner or bar on screen, paused while a report is printed


@contextlib.contextmanager
def paused_progress() -> Iterator[None]:
    """Clear the spinner while report lines are written, so it never shares their line."""
    live = _LIVE[-1] if _LIVE else None
    if live is None:
        yield
        return
    live.stop()
    try:
        yield
    finally:
        sys.stdout.flush()
        live.start()


@contextlib.contextmanager
def progress(enabled: bool, total: int = 1) -> Iterator[ProgressView]:
    """Yields a ProgressView; draws only on an interactive stderr outside CI, never with
    --color never (it is all cursor movement and colour)."""
    plain = _SETTINGS.get("color") is Color.NEVER
    if not enabled or plain or not sys.stderr.isatty() or os.environ.get("CI"):
        yield ProgressView()
        return
    from rich.console import Console

    console = Console(file=sys.stderr, highlight=False, markup=False)
    if total <= 1:
        with console.status("working…") as status:
            _LIVE.append(status)
            try:
                yield ProgressView(status)
            finally:
                _LIVE.remove(status)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task("checking", total=total)
        _LIVE.append(bar)
        try:
            yield ProgressView(bar, task)
        finally:
            _LIVE.remove(bar)
