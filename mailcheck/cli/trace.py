"""`mailcheck trace`: a live, explained conversation with an SMTP, IMAP or POP3 server."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import (
    EXIT_CODES_HELP,
    Color,
    ColorOpt,
    DebugOpt,
    DnsFlags,
    FailOn,
    FailOnOpt,
    FormatOpt,
    NameserverOpt,
    OfflineOpt,
    OnlyOpt,
    OutputOptions,
    QuietOpt,
    SkipOpt,
    VerboseOpt,
    ZoneOpt,
    boundary,
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
    StepTimeoutOpt,
    TlsMode,
    TlsNameOpt,
    TlsOpt,
)
from mailcheck.render import Format


class Protocol(str, enum.Enum):
    SMTP = "smtp"
    IMAP = "imap"
    POP3 = "pop3"


class Step(str, enum.Enum):
    CONNECT = "connect"
    BANNER = "banner"
    EHLO = "ehlo"
    TLS = "tls"
    MAIL = "mail"
    RCPT = "rcpt"


EPILOG = (
    "Examples:\n\n"
    "  mailcheck trace example.com                  (its MX hosts, port 25)\n\n"
    "  mailcheck trace mx.example.com --all-mx --mail-from a@example.org --rcpt b@example.com"
    "\n\n"
    "  mailcheck trace smtp.example.com --port 587 --require-tls\n\n"
    "  mailcheck trace imap.example.com --port 993 --user alice --password-env IMAP_PASSWORD"
    "\n\n"
    "  mailcheck trace 192.0.2.25 --port 587 --tls-name smtp.example.com --user alice\n\n"
    "  mailcheck trace 127.0.0.1 --port 2525 --tls none --quit-after ehlo\n\n" + EXIT_CODES_HELP
)

HostOpt = Annotated[
    bool,
    typer.Option("--host", help="TARGET is a host: do not look up MX.", rich_help_panel="Target"),
]


@app.command(epilog=EPILOG)
def trace(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="A host name, an IP address, or a mail domain; HOST:PORT and [IPv6]:PORT "
            "set the port.",
        ),
    ],
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            min=1,
            max=65535,
            help="25 (default), 587, 465; 143/993 IMAP; 110/995 POP3.",
            rich_help_panel="Target",
        ),
    ] = None,
    protocol: Annotated[
        Protocol | None,
        typer.Option(
            "--protocol",
            case_sensitive=False,
            help="Default: from the port.",
            rich_help_panel="Target",
        ),
    ] = None,
    all_mx: Annotated[
        bool,
        typer.Option(
            "--all-mx", help="Trace every MX host (in parallel).", rich_help_panel="Target"
        ),
    ] = False,
    host: HostOpt = False,
    ipv4: Ipv4Opt = False,
    ipv6: Ipv6Opt = False,
    source_address: SourceAddressOpt = None,
    tls: TlsOpt = TlsMode.AUTO,
    require_tls: Annotated[
        bool, typer.Option("--require-tls", help="Fail without TLS.", rich_help_panel="TLS")
    ] = False,
    ca_file: CaFileOpt = None,
    tls_name: TlsNameOpt = None,
    ehlo: EhloOpt = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--mail-from",
            metavar="ADDR",
            help="Probe MAIL FROM (then RSET; never DATA).",
            rich_help_panel="SMTP",
        ),
    ] = None,
    rcpt: Annotated[
        list[str] | None,
        typer.Option(
            "--rcpt", metavar="ADDR", help="Probe RCPT TO (repeatable).", rich_help_panel="SMTP"
        ),
    ] = None,
    quit_after: Annotated[
        Step | None,
        typer.Option(
            "--quit-after",
            case_sensitive=False,
            help="Stop after this step.",
            rich_help_panel="SMTP",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="NAME",
            help="Login test as this user (SMTP AUTH, IMAP, POP3): only over TLS, with a "
            "trusted certificate.",
            rich_help_panel="Login",
        ),
    ] = None,
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    password: PasswordOpt = None,
    allow_insecure_auth: AllowInsecureAuthOpt = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=0.1,
            help="Overall deadline of the trace.",
            rich_help_panel="Time",
        ),
    ] = 60.0,
    step_timeout: StepTimeoutOpt = 10.0,
    https_port: Annotated[int | None, typer.Option("--https-port", hidden=True)] = None,
    nameserver: NameserverOpt = None,
    zone: ZoneOpt = None,
    offline: OfflineOpt = False,
    format: FormatOpt = Format.TEXT,
    color: ColorOpt = Color.AUTO,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    fail_on: FailOnOpt = FailOn.FAIL,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Talk to a mail server and explain every step: banner, EHLO, STARTTLS, certificate."""
    out = OutputOptions.of(format, color, verbose, debug, fail_on, only, skip, quiet)
    flags = DnsFlags(tuple(nameserver or ()), tuple(zone or ()), offline, 2.0, timeout, 64)
    with boundary(debug):
        from mailcheck.cli.run_trace import TraceOptions, run

        opts = TraceOptions(
            target=target,
            port=port,
            protocol=protocol.value if protocol else None,
            all_mx=all_mx,
            host_only=host,
            ipv4=ipv4,
            ipv6=ipv6,
            source_address=source_address,
            tls=tls.value,
            require_tls=require_tls,
            ca_file=ca_file,
            tls_name=tls_name,
            ehlo=ehlo,
            mail_from=mail_from,
            rcpt=tuple(rcpt or ()),
            quit_after=quit_after.value if quit_after else None,
            user=user,
            password_env=password_env,
            password_file=password_file,
            password=password,
            allow_insecure_auth=allow_insecure_auth,
            timeout=timeout,
            step_timeout=step_timeout,
            https_port=https_port,
        )
        code = run(opts, flags=flags, out=out)
    raise typer.Exit(int(code))
