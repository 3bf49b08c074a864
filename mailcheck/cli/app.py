"""The Typer application object every command module registers with, and the entry point."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, TextIO

import typer

from mailcheck import __version__
from mailcheck.cli.common import EXIT_CODES_HELP
from mailcheck.model import ExitCode
from mailcheck.outcome import error_exit_code

ENV_FORMAT = "MAILCHECK_FORMAT"

app = typer.Typer(
    name="mailcheck",
    help="Diagnose email: DNS records, message authentication, and mail servers.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mailcheck {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Diagnose email: DNS records, message authentication, and mail servers."""


def _escape_markup(command: Any) -> None:
    """Help texts are plain text: `[tool.mailcheck]` must not vanish as a rich markup tag.

    Escaped once on the built command, so --help and the completion descriptions (which
    typer also renders through rich) both show the brackets."""
    from rich.markup import escape

    for param in getattr(command, "params", ()):
        if getattr(param, "help", None):
            param.help = escape(param.help)
    for attribute in ("help", "epilog"):
        if getattr(command, attribute, None):
            setattr(command, attribute, escape(getattr(command, attribute)))
    for sub in getattr(command, "commands", {}).values():
        _escape_markup(sub)


def _finite_numbers(command: Any) -> None:
    """Every float option of every command refuses nan and inf (click's ranges let nan
    through: it compares false with both bounds, and a nan timeout waits forever)."""
    from typer._click import types

    for param in getattr(command, "params", ()):
        kind: Any = type(param.type)
        if issubclass(kind, types.FloatParamType) and not getattr(kind, "finite", False):
            param.type.__class__ = _finite(kind)  # keeps its range, so --help still shows it
    for sub in getattr(command, "commands", {}).values():
        _finite_numbers(sub)


def _version_everywhere(command: Any) -> None:
    """`mailcheck domain -V` prints the version too, as the top level does: people add -V
    to the command line they just ran. Hidden below the top level, where --help shows it."""
    from typer.core import TyperOption

    def show(ctx: Any, param: Any, value: bool) -> None:
        _version(value)

    for sub in getattr(command, "commands", {}).values():
        if not any("--version" in getattr(p, "opts", ()) for p in sub.params):
            sub.params.append(
                TyperOption(
                    param_decls=["--version", "-V"],
                    type=bool,
                    is_flag=True,
                    default=False,
                    expose_value=False,
                    is_eager=True,
                    hidden=True,
                    callback=show,
                )
            )
        _version_everywhere(sub)


def _environment_formats(command: Any) -> None:
    """MAILCHECK_FORMAT=csv is right for `report` and no other command: elsewhere a value
    some other command accepts is ignored with one line on stderr (the default format
    stays), so one environment serves every command. A value no command accepts is still
    the usage error it is, as is any value given as --format."""
    from mailcheck.render import ALL_FORMATS  # every command's, registered in this run or not

    params = [p for p in _all_params(command) if getattr(p, "envvar", None) == ENV_FORMAT]
    for param in params:
        kind: Any = type(param)
        param.__class__ = _lenient(kind, ALL_FORMATS)


def _all_params(command: Any) -> list[Any]:
    found = list(getattr(command, "params", ()))
    for sub in getattr(command, "commands", {}).values():
        found += _all_params(sub)
    return found


@functools.cache
def _lenient(kind: Any, known: frozenset[str]) -> Any:
    from typer._click import exceptions as click_errors

    def value_from_envvar(self: Any, ctx: Any) -> Any:
        value = kind.value_from_envvar(self, ctx)
        if not isinstance(value, str) or value.lower() not in known:
            return value  # unset, or a typo: the usual checks say what is wrong
        try:
            self.type.convert(value, self, ctx)
        except click_errors.BadParameter:
            if not ctx.resilient_parsing:  # not while completing a command line
                from mailcheck.escape import printable

                sys.stderr.write(
                    f"mailcheck: warning: {ENV_FORMAT}={printable(value)} is not a format of "
                    f"{ctx.command_path}: ignored (the default, text)\n"
                )
            return None  # the option's default
        return value

    return type(f"Lenient{kind.__name__}", (kind,), {"value_from_envvar": value_from_envvar})


@functools.cache
def _finite(kind: Any) -> Any:
    def convert(self: Any, value: Any, param: Any, ctx: Any) -> Any:
        number = kind.convert(self, value, param, ctx)
        if number is not None and not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number

    return type(f"Finite{kind.__name__}", (kind,), {"convert": convert, "finite": True})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; usage errors in the one `mailcheck: error:` style; the exit code."""
    from typer._click import exceptions as click_errors

    args = list(sys.argv[1:] if argv is None else argv)
    columns = os.environ.get("COLUMNS", "1").strip()
    if not columns.isdigit() or int(columns) == 0:
        # rich takes COLUMNS=0 as a width of 0 and printed nothing at all (reports and
        # --help alike): a width that is no width means the terminal's, or 100 in a pipe
        os.environ.pop("COLUMNS", None)
    elif "COLUMNS" in os.environ:
        os.environ["COLUMNS"] = columns  # " 80" is 80 for us, and for rich
    if os.environ.get("_MAILCHECK_COMPLETE"):
        # typer renders completion descriptions through rich at the terminal width: a
        # wrapped description becomes a bogus candidate line in fish
        os.environ["COLUMNS"] = "10000"
    command = typer.main.get_command(app)
    _finite_numbers(command)
    _version_everywhere(command)
    _environment_formats(command)
    helps = not args or "--help" in args or "-h" in args or os.environ.get("_MAILCHECK_COMPLETE")
    if helps and not os.environ.get("_MAILCHECK_COMPLETE", "").endswith("_bash"):
        # help, and the descriptions zsh and fish show beside candidates (bash shows values
        # only): a run, and a TAB press in bash, must not pay for rich (~14 ms)
        _escape_markup(command)
        from mailcheck.thirdparty import import_typer_help

        import_typer_help()
    if not args and not os.environ.get("_MAILCHECK_COMPLETE"):
        # a bare `mailcheck` asked nothing: the help goes to stderr, like any usage error
        with _trimmed(sys.stderr):
            command.main(["--help"], prog_name="mailcheck", standalone_mode=False)
        return ExitCode.USAGE
    helping = "--help" in args or "-h" in args
    for flag in ("--install-completion", "--show-completion"):
        if flag in args and len(args) > 1 and not helping:
            # typer acts on the flag alone, for the shell it finds running this program:
            # `--install-completion zsh` installed for bash without a word
            from mailcheck.cli.common import error_line

            extra = " ".join(a for a in args if a != flag)
            error_line(
                f"{flag} takes nothing after it (got '{extra}'): it is for the shell it runs in",
                "For another shell, copy its script from completions/ (README: Shell completion)",
            )
            return ExitCode.USAGE
    try:
        with _trimmed(sys.stdout) if helping else contextlib.nullcontext():
            result = command.main(args, prog_name="mailcheck", standalone_mode=False)
    except click_errors.UsageError as exc:
        from mailcheck.cli.common import error_line

        where = exc.ctx.command_path if exc.ctx is not None else "mailcheck"
        message = exc.format_message()
        if message.endswith(".") and not message.endswith(".."):
            message = message[:-1]  # click's sentences end with a period, ours do not
        error_line(message[:1].lower() + message[1:], f"Run '{where} --help' for the options")
        return error_exit_code(exc)
    except click_errors.ClickException as exc:
        from mailcheck.cli.common import error_line

        error_line(exc.format_message())
        return error_exit_code(exc)
    except typer.Abort:
        sys.stderr.write("\nmailcheck: interrupted\n")
        return ExitCode.INTERRUPTED
    return result if isinstance(result, int) else ExitCode.OK


@contextlib.contextmanager
def _trimmed(out: TextIO) -> Iterator[None]:
    """Standard output, for the help, into `out` without rich's padding (see _Trimmed)."""
    trimmed = _Trimmed(out)
    try:
        with contextlib.redirect_stdout(trimmed):
            yield
    finally:
        trimmed.finish()


class _Trimmed(io.TextIOBase):
    """The help's stream without the spaces rich pads each line with to the full width
    (rich has no option not to): lines end at their last character, colours kept."""

    _TAIL = re.compile(r"(?: |\x1b\[[0-9;]*m)+$")  # spaces and colour codes, to the end

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self._out = out
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._out.write(self._trim(line) + "\n")
        return len(text)

    def _trim(self, line: str) -> str:
        tail = self._TAIL.search(line)
        return line if tail is None else line[: tail.start()] + tail.group().replace(" ", "")

    def flush(self) -> None:
        self._out.flush()

    def finish(self) -> None:  # the end of the help: what is left of its last line
        self._out.write(self._trim(self._partial))
        self._partial = ""
        self._out.flush()

    def isatty(self) -> bool:  # rich chooses colours and width by the real stream
        return self._out.isatty()

    def fileno(self) -> int:
        return self._out.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._out, "encoding", "utf-8") or "utf-8"
