"""Option groups shared by the commands, declared once; each reaches a command as one container."""

from __future__ import annotations

import dataclasses
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
    boundary,
    option,
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
    TlsNameOpt,
    TlsOpt,
)
from mailcheck.errors import UsageError
from mailcheck.render import Format
from mailcheck.services.connecting import ConnectionOptions, LoginOptions, TlsMode

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
KW = inspect.Parameter.KEYWORD_ONLY

TIMEOUT_HELP = (
    "Per network operation: one DNS query (one retry follows a timeout), one connect, read "
    "or write of a mail server, one HTTPS fetch."
)


# Options more than one command has, declared once (name, kind, metavar); each command
# says in its own words what the option does there.


def address(name: str, help: str, panel: str) -> Any:
    """A mail address: --to, --from, --mail-from, --rcpt."""
    return option(name, metavar="ADDR", help=help, panel=panel)


def user_option(help: str, panel: str) -> Any:
    """--user: the login name (its password from --password-env/--password-file)."""
    return option("--user", metavar="NAME", help=help, panel=panel)


def ip_option(help: str, panel: str) -> Any:
    """--ip: the connecting address SPF is evaluated for."""
    return option("--ip", metavar="IP", help=help, panel=panel)


def helo_option(help: str, panel: str) -> Any:
    """--helo: the HELO name SPF is evaluated for."""
    return option("--helo", metavar="NAME", help=help, panel=panel)


def dnsbl_option(help: str, panel: str) -> Any:
    """--dnsbl: also ask the blocklists ([dnsbl] in mailcheck.toml, or the default list)."""
    return option("--dnsbl", help=help, panel=panel)


def authserv_option(help: str, panel: str) -> Any:
    """--authserv-id (repeatable): whose Authentication-Results are trusted."""
    return option("--authserv-id", metavar="ID", help=help, panel=panel)


def no_tls_grade_option(help: str, panel: str) -> Any:
    """--no-tls-grade: skip the extra handshakes that grade TLS."""
    return option("--no-tls-grade", help=help, panel=panel)


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
        if values["quiet"] and values["verbose"]:
            # one asks for less, the other for more: neither may win silently
            raise UsageError(
                "-q/--quiet and -v/--verbose cannot be used together",
                hint="-q keeps only WARN and worse; -v adds the evidence and the DNS queries",
            )
        chosen = str(values.pop("format").value)
        shown = Format(chosen) if chosen in Format._value2member_map_ else Format.TEXT
        return OutputOptions.of(shown, **values, choice=chosen)


@dataclass(frozen=True)
class Dns(Group):
    """Where answers come from, and the two time limits of every command: --timeout for each
    network operation, --deadline for the whole run (domain adds --domain-deadline)."""

    timeout: float = 2.0
    deadline: float = 30.0
    timeout_help: str = TIMEOUT_HELP
    deadline_help: str = "The whole run: nothing outlives it, however slowly a server answers."
    tuning: bool = True  # --concurrency and --max-qps (commands that ask many questions)
    concurrency: int = 256
    per_domain: bool = False  # domain: --deadline is optional, --domain-deadline each one's
    step_alias: bool = True  # --step-timeout, the old name in trace, send and report

    def parameters(self) -> list[inspect.Parameter]:
        seconds: dict[str, Any] = {"metavar": "SECONDS", "panel": "Time"}
        timeout_opt = Annotated[
            float, option("--timeout", min=0.05, help=self.timeout_help, **seconds)
        ]
        deadline_opt = Annotated[
            float | None,  # None: domain's default (no limit but each domain's own)
            option("--deadline", min=0.1, help=self.deadline_help, **seconds),
        ]
        params = [
            _param("nameserver", NameserverOpt, None),
            _param("zone", ZoneOpt, None),
            _param("offline", OfflineOpt, False),
            _param("timeout", timeout_opt, self.timeout),
            _param("deadline", deadline_opt, None if self.per_domain else self.deadline),
        ]
        # the names an older mailcheck gave (hidden): old scripts keep working
        if self.step_alias:
            step_opt = Annotated[float | None, _hidden("--step-timeout")]
            params.append(_param("step_timeout", step_opt, None))
        if self.per_domain:
            each = (
                "The time of each domain (DNS, HTTPS fetches, --smtp): a dead resolver or "
                "a stalling server cannot hang it."
            )
            each_opt = Annotated[float, option("--domain-deadline", min=0.1, help=each, **seconds)]
            params.append(_param("domain_deadline", each_opt, self.deadline))
            params.append(
                _param("total_deadline", Annotated[float | None, _hidden("--total-deadline")], None)
            )
        if self.tuning:
            in_flight = "DNS queries in flight at once."
            qps = "At most N DNS queries per second (be polite to a shared resolver)."
            limits: dict[str, Any] = {"metavar": "N", "panel": "DNS"}
            concurrency_opt = Annotated[
                int, option("--concurrency", min=1, max=1024, help=in_flight, **limits)
            ]
            qps_opt = Annotated[float | None, option("--max-qps", min=0.1, help=qps, **limits)]
            params.append(_param("concurrency", concurrency_opt, self.concurrency))
            params.append(_param("max_qps", qps_opt, None))
        return params

    def build(self, values: dict[str, Any]) -> DnsFlags:
        step, deadline = values.get("step_timeout"), values["deadline"]
        whole: float | None = None
        if self.per_domain:
            whole = deadline if deadline is not None else values["total_deadline"]
            deadline = values["domain_deadline"]
        return DnsFlags(
            nameservers=tuple(values["nameserver"] or ()),
            zones=tuple(values["zone"] or ()),
            offline=values["offline"],
            timeout=values["timeout"] if step is None else step,
            deadline=deadline,
            concurrency=values.get("concurrency", 64),
            total_deadline=whole,
            max_qps=values.get("max_qps"),
            per_domain=self.per_domain,
        )


def _hidden(name: str) -> Any:
    return typer.Option(name, min=0.05, hidden=True)


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


def _reaching(
    ipv4: Ipv4Opt = False,
    ipv6: Ipv6Opt = False,
    source_address: SourceAddressOpt = None,
    tls: TlsOpt = TlsMode.AUTO,
    ca_file: CaFileOpt = None,
    tls_name: TlsNameOpt = None,
    ehlo: EhloOpt = None,
) -> None:
    """How a connecting command reaches its server: the options, declared as a signature."""


class Connection(Group):
    """-4, -6, --source-address, --tls, --ca-file, --tls-name, --ehlo, and the login's."""

    login = Login()

    def parameters(self) -> list[inspect.Parameter]:
        declared = inspect.signature(_reaching, eval_str=True).parameters.values()
        return [*(p.replace(kind=KW) for p in declared), *self.login.parameters()]

    def build(self, values: dict[str, Any]) -> ConnectionOptions:
        login = {p.name: values.pop(p.name) for p in self.login.parameters()}
        values["tls"] = values["tls"].value
        return ConnectionOptions(**values, login=self.login.build(login))


def connecting(timeout: float, deadline: float, deadline_help: str) -> dict[str, Group]:
    """The groups of the commands that talk to mail servers (trace, send): how to reach and
    log in, names and time limits (--timeout one step, --deadline the run), output."""
    flags = Dns(timeout=timeout, deadline=deadline, tuning=False, deadline_help=deadline_help)
    return {"conn": Connection(), "flags": flags, "out": Output()}


def with_groups(**groups: Group) -> Callable[[F], F]:
    """Add each group's options to the command (after its own) and hand the command one
    container per group, under the keyword it names: `out=OutputOptions`, `flags=DnsFlags` ...
    The command returns its exit code; errors end in one line (`boundary`)."""

    def decorate(func: F) -> F:
        own = inspect.signature(func, eval_str=True).parameters
        params = [p.replace(kind=KW) for name, p in own.items() if name not in groups]
        declared = {name: group.parameters() for name, group in groups.items()}
        params += [p for group_params in declared.values() for p in group_params]

        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            # the one error boundary around the command, the options' own checks included:
            # its exit code, or a one-line error
            with boundary(kwargs.get("debug") is True):
                for name, group in groups.items():
                    values = {p.name: kwargs.pop(p.name) for p in declared[name]}
                    kwargs[name] = group.build(values)
                code = func(**kwargs)
            raise typer.Exit(int(code))

        del command.__wrapped__  # Typer reads the signature below, not the function's own
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command  # type: ignore[return-value]

    return decorate


def container(cls: type[T], values: dict[str, Any], *, partial: bool = False, **given: Any) -> T:
    """A command's own options as its options dataclass, each field from the parameter of
    the same name (a repeatable option as a tuple, a choice as its value), or from `given`:
    the command names each option once, in its signature. A field found in neither is a
    parameter renamed on one side only (TypeError on the first run), unless `partial`."""
    made: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        if spec.name in given:
            made[spec.name] = given[spec.name]
        elif spec.name in values:
            value = values[spec.name]
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, list) or (value is None and spec.default == ()):
                value = tuple(value or ())
            made[spec.name] = value
        elif not partial:
            raise TypeError(f"{cls.__name__}.{spec.name}: no parameter of that name")
    return cls(**made)
