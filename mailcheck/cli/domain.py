"""`mailcheck domain`: the DNS records of one or many domains."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import (
    EXIT_CODES_HELP,
    Color,
    ColorOpt,
    ConcurrencyOpt,
    DeadlineOpt,
    DebugOpt,
    DnsFlags,
    FailOn,
    FailOnOpt,
    FormatOpt,
    NameserverOpt,
    OfflineOpt,
    OnlyOpt,
    OutputOptions,
    SkipOpt,
    TimeoutOpt,
    VerboseOpt,
    ZoneOpt,
    boundary,
    split_list,
)
from mailcheck.render import Format

EPILOG = (
    "Examples:\n\n"
    "  mailcheck domain example.com\n\n"
    "  mailcheck domain example.com --ip 192.0.2.10 --sender alice@example.com\n\n"
    "  mailcheck domain example.com --zone example.com.zone --offline\n\n"
    "  mailcheck domain example.com --nameserver 127.0.0.1:5353 --format json\n\n"
    "  mailcheck domain example.com --only spf --fail-on warn\n\n" + EXIT_CODES_HELP
)


@app.command(epilog=EPILOG, no_args_is_help=True)
def domain(
    domains: Annotated[
        list[str], typer.Argument(metavar="DOMAIN...", help="Mail domains to check.")
    ],
    ip: Annotated[
        str | None,
        typer.Option(
            "--ip",
            metavar="IP",
            help="Evaluate SPF (check_host) for mail from this address.",
            rich_help_panel="SPF evaluation",
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender",
            metavar="ADDR",
            help="MAIL FROM for --ip (default postmaster@DOMAIN).",
            rich_help_panel="SPF evaluation",
        ),
    ] = None,
    helo: Annotated[
        str | None,
        typer.Option(
            "--helo",
            metavar="NAME",
            help="HELO name for --ip (default DOMAIN).",
            rich_help_panel="SPF evaluation",
        ),
    ] = None,
    nameserver: NameserverOpt = None,
    zone: ZoneOpt = None,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 2.0,
    deadline: DeadlineOpt = 30.0,
    concurrency: ConcurrencyOpt = 32,
    format: FormatOpt = Format.TEXT,
    color: ColorOpt = Color.AUTO,
    verbose: VerboseOpt = False,
    fail_on: FailOnOpt = FailOn.FAIL,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check MX, SPF and DMARC records of DOMAIN: the include tree, limits, policy."""
    out = OutputOptions(
        format, color, verbose, debug, fail_on, tuple(split_list(only)), tuple(split_list(skip))
    )
    flags = DnsFlags(
        tuple(nameserver or ()), tuple(zone or ()), offline, timeout, deadline, concurrency
    )
    with boundary(debug):
        from mailcheck.cli.run_domain import run

        code = run(domains, ip=ip, sender=sender, helo=helo, flags=flags, out=out)
    raise typer.Exit(int(code))
