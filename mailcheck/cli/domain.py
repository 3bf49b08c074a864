"""`mailcheck domain`: the DNS records of one or many domains."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import (
    EXIT_CODES_HELP,
    AllowPrivateOpt,
    Color,
    ColorOpt,
    ConcurrencyOpt,
    DeadlineOpt,
    DebugOpt,
    DnsFlags,
    FailOn,
    FailOnOpt,
    FormatOpt,
    MaxQpsOpt,
    NameserverOpt,
    OfflineOpt,
    OnlyOpt,
    OutputOptions,
    QuietOpt,
    SkipOpt,
    TimeoutOpt,
    TotalDeadlineOpt,
    VerboseOpt,
    ZoneOpt,
    boundary,
)
from mailcheck.render import Format

EPILOG = (
    "Examples:\n\n"
    "  mailcheck domain example.com\n\n"
    "  mailcheck domain example.com --ip 192.0.2.10 --sender alice@example.com\n\n"
    "  mailcheck domain example.com --zone example.com.zone --offline\n\n"
    "  mailcheck domain example.com --nameserver 127.0.0.1:5353 --format json\n\n"
    "  mailcheck domain example.com --only spf --fail-on warn\n\n"
    "  # CI gate: only what a zone change makes new or worse fails the job\n"
    "  mailcheck domain example.com --zone zones/example.com.zone \\\n"
    "      --baseline live --fail-on regression\n\n"
    "  mailcheck domain example.com --selector google --selector s1\n\n"
    "  mailcheck domain --from-file domains.txt --format jsonl\n\n"
    "  mailcheck domain parked.example --no-mail\n\n"
    "  mailcheck domain example.com --ask-ns --dnsbl --format html > report.html\n\n"
    + EXIT_CODES_HELP
)


@app.command(epilog=EPILOG)
def domain(
    domains: Annotated[
        list[str] | None,
        typer.Argument(metavar="DOMAIN...", help="Mail domains to check.", show_default=False),
    ] = None,
    from_file: Annotated[
        str | None,
        typer.Option(
            "--from-file",
            metavar="FILE",
            help="Read domains from FILE, one per line ('-' for stdin, '#' starts a comment).",
            rich_help_panel="Domains",
        ),
    ] = None,
    from_zones: Annotated[
        bool,
        typer.Option(
            "--from-zones",
            help="The arguments are zone files: check each file's domain (its origin) "
            "with the file overlaid (for pre-commit hooks).",
            rich_help_panel="Domains",
        ),
    ] = False,
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel",
            metavar="N",
            min=1,
            max=256,
            help="Domains checked at once.",
            rich_help_panel="Domains",
        ),
    ] = 16,
    no_mail: Annotated[
        bool,
        typer.Option(
            "--no-mail",
            help="Judge as a parked domain: null MX, v=spf1 -all, DMARC reject.",
            rich_help_panel="Domains",
        ),
    ] = False,
    selector: Annotated[
        list[str] | None,
        typer.Option(
            "--selector",
            "-s",
            metavar="NAME",
            help="DKIM selector to check (repeatable); without it, common selectors are probed.",
            rich_help_panel="DKIM",
        ),
    ] = None,
    bimi_selector: Annotated[
        str,
        typer.Option(
            "--bimi-selector",
            metavar="NAME",
            help="BIMI selector (the BIMI-Selector header's s= value): NAME._bimi.DOMAIN.",
            rich_help_panel="BIMI",
        ),
    ] = "default",
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
    smtp: Annotated[
        bool,
        typer.Option(
            "--smtp",
            help="Also talk to every MX host: banner, STARTTLS, certificate, DANE, MTA-STS match.",
            rich_help_panel="SMTP",
        ),
    ] = False,
    smtp_port: Annotated[
        int,
        typer.Option(
            "--smtp-port",
            metavar="PORT",
            min=1,
            max=65535,
            help="Port for --smtp (a lab server; real MX hosts listen on 25).",
            rich_help_panel="SMTP",
        ),
    ] = 25,
    smtp_timeout: Annotated[
        float,
        typer.Option(
            "--smtp-timeout",
            metavar="SECONDS",
            min=0.1,
            help="Each connect, read or write of --smtp.",
            rich_help_panel="SMTP",
        ),
    ] = 10.0,
    dnsbl: Annotated[
        bool,
        typer.Option(
            "--dnsbl",
            help="Also ask blocklists about the MX and SPF addresses and the domain "
            "([dnsbl] in mailcheck.toml, or a small default list).",
            rich_help_panel="Blocklists",
        ),
    ] = False,
    ask_ns: Annotated[
        bool,
        typer.Option(
            "--ask-ns",
            help="Also ask every name server directly: authoritative answers, lame "
            "delegations, SOA serial and mail records agreeing.",
            rich_help_panel="Name servers",
        ),
    ] = False,
    ns_port: Annotated[
        int,
        typer.Option(
            "--ns-port",
            metavar="PORT",
            min=1,
            max=65535,
            help="Port for --ask-ns (a lab server; real name servers listen on 53).",
            rich_help_panel="Name servers",
        ),
    ] = 53,
    ca_file: Annotated[
        str | None,
        typer.Option(
            "--ca-file",
            metavar="PEM",
            help="Trust this CA instead of the system's (HTTPS for MTA-STS and BIMI; --smtp).",
            rich_help_panel="HTTPS",
        ),
    ] = None,
    http_timeout: Annotated[
        float,
        typer.Option(
            "--http-timeout",
            metavar="SECONDS",
            min=0.1,
            help="Per HTTPS fetch.",
            rich_help_panel="HTTPS",
        ),
    ] = 10.0,
    https_port: Annotated[
        int | None,
        typer.Option(
            "--https-port",
            metavar="PORT",
            min=1,
            max=65535,
            help="Fetch over this port instead of 443 (a lab or staging server).",
            rich_help_panel="HTTPS",
        ),
    ] = None,
    allow_private_addresses: AllowPrivateOpt = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Expectations file (default: the nearest mailcheck.toml, or pyproject.toml "
            "with [tool.mailcheck], from here up to the repository root; -v names it).",
            rich_help_panel="Expectations",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            metavar="live|FILE",
            help="Compare with the live DNS (with --zone) or a saved JSON report: what is "
            "new, worse, fixed; use --fail-on regression in CI.",
            rich_help_panel="Expectations",
        ),
    ] = None,
    no_config: Annotated[
        bool,
        typer.Option(
            "--no-config", help="Ignore any expectations file.", rich_help_panel="Expectations"
        ),
    ] = False,
    nameserver: NameserverOpt = None,
    zone: ZoneOpt = None,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 2.0,
    deadline: DeadlineOpt = 30.0,
    total_deadline: TotalDeadlineOpt = None,
    concurrency: ConcurrencyOpt = 256,
    max_qps: MaxQpsOpt = None,
    format: FormatOpt = Format.TEXT,
    color: ColorOpt = Color.AUTO,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
    fail_on: FailOnOpt = FailOn.FAIL,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, BIMI, DNSSEC/DANE, NS, SOA of each DOMAIN."""
    out = OutputOptions.of(format, color, verbose, debug, fail_on, only, skip, quiet)
    flags = DnsFlags(
        tuple(nameserver or ()),
        tuple(zone or ()),
        offline,
        timeout,
        deadline,
        concurrency,
        total_deadline=total_deadline,
        max_qps=max_qps,
    )
    with boundary(debug):
        from mailcheck.cli.run_domain import DomainOptions, run

        opts = DomainOptions(
            ip,
            sender,
            helo,
            tuple(selector or ()),
            no_mail,
            ca_file,
            http_timeout,
            https_port,
            parallel,
            from_file,
            smtp_port if smtp else None,
            smtp_timeout,
            config,
            no_config,
            baseline,
            from_zones,
            bimi_selector,
            ns_port if ask_ns else None,
            dnsbl,
            allow_private_addresses,
        )
        code = run(domains or [], opts=opts, flags=flags, out=out)
    raise typer.Exit(int(code))
