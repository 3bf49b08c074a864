"""Option groups shared by the commands, declared once; each reaches a command as one container."""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer

from mailcheck.cli.common import (
    Color,
    ColorOpt,
    DebugOpt,
    DnsFlags,
    FailOn,
    FailOnOpt,
    NameserverOpt,
    OfflineOpt,
    OnlyOpt,
    OutputOptions,
    QuietOpt,
    SkipOpt,
    VerboseOpt,
    ZoneOpt,
)
from mailcheck.cli.connect_options import (
    AllowInsecureAuthOpt,
    CaFileOpt,
    EhloOpt,
    Ipv4Opt,
    Ipv6Opt,
    PasswordEnvOpt,
    PasswordFileOpt,
    PasswordOpt,
    SourceAddressOpt,
    TlsMode,
    TlsNameOpt,
    TlsOpt,
)
from mailcheck.render import Format

F = TypeVar("F", bound=Callable[..., Any])
KW = inspect.Parameter.KEYWORD_ONLY

TIMEOUT_HELP = (
    "Per network operation: one DNS query (one retry follows a timeout), one connect, read "
    "or write of a mail server, one HTTPS fetch."
)


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, KW, default=default, annotation=annotation)


class Group:
    """Options declared once; `build` turns their values into the command's container."""

    def parameters(self) -> list[inspect.Parameter]:
        raise NotImplementedError

    def build(self, values: dict[str, Any]) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Output(Group):
    """--format (the choices of `formats`), --color, -v, -q, --fail-on, --only, --skip, --debug."""

    formats: type[enum.Enum] = Format
    extra_help: str = ""

    def parameters(self) -> list[inspect.Parameter]:
        values = [str(f.value) for f in self.formats]
        names = f"{', '.join(values[:-1])} or {values[-1]}"
        format_opt = Annotated[
            self.formats,  # type: ignore[name-defined]
            typer.Option(
                "--format",
                "-f",
                envvar="MAILCHECK_FORMAT",
                case_sensitive=False,
                metavar="FORMAT",
                help=f"Output format on stdout: {names}.{self.extra_help}",
                rich_help_panel="Output",
            ),
        ]
        return [
            _param("format", format_opt, self.formats("text")),
            _param("color", ColorOpt, Color.AUTO),
            _param("verbose", VerboseOpt, False),
            _param("quiet", QuietOpt, False),
            _param("fail_on", FailOnOpt, FailOn.FAIL),
            _param("only", OnlyOpt, None),
            _param("skip", SkipOpt, None),
            _param("debug", DebugOpt, False),
        ]

    def build(self, values: dict[str, Any]) -> OutputOptions:
        chosen = str(values.pop("format").value)
        shown = Format(chosen) if chosen in Format._value2member_map_ else Format.TEXT
        return OutputOptions.of(shown, **values, choice=chosen)


@dataclass(frozen=True)
class Dns(Group):
    """Where answers come from, and the two time limits every command has: --timeout for
    each network operation, --deadline for the run (for domain: each domain)."""

    timeout: float = 2.0
    deadline: float = 30.0
    timeout_help: str = TIMEOUT_HELP
    deadline_help: str = "The whole run: nothing outlives it, however slowly a server answers."
    tuning: bool = True  # --concurrency and --max-qps (commands that ask many questions)
    concurrency: int = 256
    total_deadline: bool = False  # --total-deadline (domain: --deadline is per domain)

    def parameters(self) -> list[inspect.Parameter]:
        time_panel = "Time"
        timeout_opt = Annotated[
            float,
            typer.Option(
                "--timeout",
                metavar="SECONDS",
                min=0.05,
                help=self.timeout_help,
                rich_help_panel=time_panel,
            ),
        ]
        # the name trace, send and report once gave the per-step limit: old scripts keep working
        step_opt = Annotated[float | None, typer.Option("--step-timeout", min=0.05, hidden=True)]
        deadline_opt = Annotated[
            float,
            typer.Option(
                "--deadline",
                metavar="SECONDS",
                min=0.1,
                help=self.deadline_help,
                rich_help_panel=time_panel,
            ),
        ]
        params = [
            _param("nameserver", NameserverOpt, None),
            _param("zone", ZoneOpt, None),
            _param("offline", OfflineOpt, False),
            _param("timeout", timeout_opt, self.timeout),
            _param("step_timeout", step_opt, None),
            _param("deadline", deadline_opt, self.deadline),
        ]
        if self.total_deadline:
            total_opt = Annotated[
                float | None,
                typer.Option(
                    "--total-deadline",
                    metavar="SECONDS",
                    min=0.1,
                    help="The whole run, all domains together (default: none).",
                    rich_help_panel=time_panel,
                ),
            ]
            params.append(_param("total_deadline", total_opt, None))
        if self.tuning:
            concurrency_opt = Annotated[
                int,
                typer.Option(
                    "--concurrency",
                    metavar="N",
                    min=1,
                    max=1024,
                    help="DNS queries in flight at once.",
                    rich_help_panel="DNS",
                ),
            ]
            qps_opt = Annotated[
                float | None,
                typer.Option(
                    "--max-qps",
                    metavar="N",
                    min=0.1,
                    help="At most N DNS queries per second (be polite to a shared resolver).",
                    rich_help_panel="DNS",
                ),
            ]
            params.append(_param("concurrency", concurrency_opt, self.concurrency))
            params.append(_param("max_qps", qps_opt, None))
        return params

    def build(self, values: dict[str, Any]) -> DnsFlags:
        step = values.pop("step_timeout")
        return DnsFlags(
            nameservers=tuple(values["nameserver"] or ()),
            zones=tuple(values["zone"] or ()),
            offline=values["offline"],
            timeout=values["timeout"] if step is None else step,
            deadline=values["deadline"],
            concurrency=values.get("concurrency", 64),
            total_deadline=values.get("total_deadline"),
            max_qps=values.get("max_qps"),
        )


@dataclass(frozen=True)
class ConnectionOptions:
    """How trace and send reach a server: address family, source, TLS, EHLO name."""

    ipv4: bool = False
    ipv6: bool = False
    source_address: str | None = None
    tls: str = "auto"
    ca_file: str | None = None
    tls_name: str | None = None
    ehlo: str | None = None


@dataclass(frozen=True)
class LoginOptions:
    """Where the password comes from (never the command line), and whether TLS is waived."""

    password_env: str | None = None
    password_file: str | None = None
    password: str | None = None  # given only to be refused with a clear message
    allow_insecure_auth: bool = False


class Connection(Group):
    """-4, -6, --source-address, --tls, --ca-file, --tls-name, --ehlo."""

    def parameters(self) -> list[inspect.Parameter]:
        return [
            _param("ipv4", Ipv4Opt, False),
            _param("ipv6", Ipv6Opt, False),
            _param("source_address", SourceAddressOpt, None),
            _param("tls", TlsOpt, TlsMode.AUTO),
            _param("ca_file", CaFileOpt, None),
            _param("tls_name", TlsNameOpt, None),
            _param("ehlo", EhloOpt, None),
        ]

    def build(self, values: dict[str, Any]) -> ConnectionOptions:
        return ConnectionOptions(**{**values, "tls": values["tls"].value})


@dataclass(frozen=True)
class Login(Group):
    """--password-env, --password-file (and the refused --password), --allow-insecure-auth."""

    insecure: bool = True  # report reads IMAP only over trusted TLS: no waiver there

    def parameters(self) -> list[inspect.Parameter]:
        params = [
            _param("password_env", PasswordEnvOpt, None),
            _param("password_file", PasswordFileOpt, None),
            _param("password", PasswordOpt, None),
        ]
        if self.insecure:
            params.append(_param("allow_insecure_auth", AllowInsecureAuthOpt, False))
        return params

    def build(self, values: dict[str, Any]) -> LoginOptions:
        return LoginOptions(**values)


def with_groups(**groups: Group) -> Callable[[F], F]:
    """Add each group's options to the command (after its own) and hand the command one
    container per group, under the keyword it names: `out=OutputOptions`, `flags=DnsFlags` ..."""

    def decorate(func: F) -> F:
        own = inspect.signature(func, eval_str=True).parameters
        params = [p.replace(kind=KW) for name, p in own.items() if name not in groups]
        declared = {name: group.parameters() for name, group in groups.items()}
        params += [p for group_params in declared.values() for p in group_params]

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            for name, group in groups.items():
                values = {p.name: kwargs.pop(p.name) for p in declared[name]}
                kwargs[name] = group.build(values)
            return func(**kwargs)

        del command.__wrapped__  # Typer reads the signature below, not the function's own
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command  # type: ignore[return-value]

    return decorate
