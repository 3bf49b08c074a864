"""`mailcheck domain`: the DNS records of one or many domains."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import (
    EXIT_CODES_HELP,
    AllowPrivateOpt,
    DnsFlags,
    OutputOptions,
    jobs_option,
    option,
    port_option,
)
from mailcheck.cli.groups import (
    Dns,
    Output,
    container,
    dnsbl_option,
    helo_option,
    ip_option,
    no_tls_grade_option,
    with_groups,
)
from mailcheck.model import ExitCode
from mailcheck.services.domain_request import CONCURRENCY

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
@with_groups(
    flags=Dns(
        step_alias=False,
        concurrency=CONCURRENCY,
        timeout_help="Per DNS query (one retry follows a timeout); --smtp-timeout and "
        "--http-timeout set the steps of --smtp and each HTTPS fetch.",
        deadline_help="The whole run, all domains together (default: none; each domain "
        "still has --domain-deadline).",
        per_domain=True,
    ),
    out=Output(),
)
def domain(
    domains: Annotated[
        list[str] | None,
        typer.Argument(metavar="DOMAIN...", help="Mail domains to check.", show_default=False),
    ] = None,
    from_file: Annotated[
        str | None,
        option(
            "--from-file",
            metavar="FILE",
            help="Read domains from FILE, one per line ('-' for stdin, '#' starts a comment).",
            panel="Domains",
        ),
    ] = None,
    from_zones: Annotated[
        bool,
        option(
            "--from-zones",
            help="The arguments are zone files: check each file's domain (its origin) "
            "with the file overlaid (for pre-commit hooks).",
            panel="Domains",
        ),
    ] = False,
    parallel: Annotated[
        int,
        option(
            "--parallel",
            metavar="N",
            min=1,
            max=256,
            help="Domains checked at once.",
            panel="Domains",
        ),
    ] = 64,
    jobs: Annotated[
        int,
        jobs_option(
            help="Processes checking domains at once, each with its own DNS engine; 0 (the "
            "default) uses every core for 200 domains or more, one process below that. "
            "--concurrency, --max-qps and --parallel are totals, split among them.",
            panel="Domains",
        ),
    ] = 0,
    no_mail: Annotated[
        bool,
        option(
            "--no-mail",
            help="Judge as a parked domain: null MX, v=spf1 -all, DMARC reject.",
            panel="Domains",
        ),
    ] = False,
    selector: Annotated[
        list[str] | None,
        option(
            "--selector",
            "-s",
            metavar="NAME",
            help="DKIM selector to check (repeatable, or comma-separated); without it, common "
            "selectors are probed.",
            panel="DKIM",
        ),
    ] = None,
    bimi_selector: Annotated[
        str,
        option(
            "--bimi-selector",
            metavar="NAME",
            help="BIMI selector (the BIMI-Selector header's s= value): NAME._bimi.DOMAIN.",
            panel="BIMI",
        ),
    ] = "default",
    ip: Annotated[
        str | None,
        ip_option("Evaluate SPF (check_host) for mail from this address.", "SPF evaluation"),
    ] = None,
    sender: Annotated[
        str | None,
        option(
            "--sender",
            metavar="ADDR",
            help="MAIL FROM for --ip (default postmaster@DOMAIN).",
            panel="SPF evaluation",
        ),
    ] = None,
    helo: Annotated[
        str | None,
        helo_option("HELO name for --ip (default DOMAIN).", "SPF evaluation"),
    ] = None,
    smtp: Annotated[
        bool,
        option(
            "--smtp",
            help="Also talk to every MX host: banner, STARTTLS, certificate, DANE, MTA-STS match.",
            panel="SMTP",
        ),
    ] = False,
    smtp_port: Annotated[
        int,
        port_option(
            "--smtp-port",
            help="Port for --smtp (a lab server; real MX hosts listen on 25).",
            panel="SMTP",
        ),
    ] = 25,
    smtp_timeout: Annotated[
        float,
        option(
            "--smtp-timeout",
            metavar="SECONDS",
            min=0.1,
            help="Each connect, read or write of --smtp.",
            panel="SMTP",
        ),
    ] = 10.0,
    no_tls_grade: Annotated[
        bool,
        no_tls_grade_option(
            "With --smtp: skip the extra handshakes that grade each MX's TLS (one per "
            "version, weak ciphers, OCSP stapling), and tls.grade.",
            "SMTP",
        ),
    ] = False,
    dnsbl: Annotated[
        bool,
        dnsbl_option(
            "Also ask blocklists about the MX and SPF addresses and the domain "
            "([dnsbl] in mailcheck.toml, or a small default list).",
            "Blocklists",
        ),
    ] = False,
    ask_ns: Annotated[
        bool,
        option(
            "--ask-ns",
            help="Also ask every name server directly: authoritative answers, lame "
            "delegations, SOA serial and mail records agreeing.",
            panel="Name servers",
        ),
    ] = False,
    ns_port: Annotated[
        int,
        port_option(
            "--ns-port",
            help="Port for --ask-ns (a lab server; real name servers listen on 53).",
            panel="Name servers",
        ),
    ] = 53,
    ca_file: Annotated[
        str | None,
        option(
            "--ca-file",
            metavar="PEM",
            help="Trust this CA instead of the system's (HTTPS for MTA-STS and BIMI; --smtp).",
            panel="HTTPS",
        ),
    ] = None,
    http_timeout: Annotated[
        float,
        option(
            "--http-timeout", metavar="SECONDS", min=0.1, help="Per HTTPS fetch.", panel="HTTPS"
        ),
    ] = 10.0,
    https_port: Annotated[
        int | None,
        port_option(
            "--https-port",
            help="Fetch over this port instead of 443 (a lab or staging server).",
            panel="HTTPS",
        ),
    ] = None,
    allow_private_addresses: AllowPrivateOpt = False,
    config: Annotated[
        str | None,
        option(
            "--config",
            metavar="FILE",
            help="Expectations file (default: the nearest mailcheck.toml, or pyproject.toml "
            "with [tool.mailcheck], from here up to the repository root; -v names it).",
            panel="Expectations",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        option(
            "--baseline",
            metavar="live|FILE",
            help="Compare with the live DNS (with --zone) or a saved JSON report of these "
            "domains: what is new, worse, fixed; use --fail-on regression in CI.",
            panel="Expectations",
        ),
    ] = None,
    no_config: Annotated[
        bool, option("--no-config", help="Ignore any expectations file.", panel="Expectations")
    ] = False,
    *,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    """Check MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, BIMI, DNSSEC/DANE, NS, SOA of each DOMAIN."""
    from mailcheck.cli.run_domain import DomainOptions, run

    # the other parameters are fields of DomainOptions, by the same name
    opts = container(
        DomainOptions,
        locals(),
        selectors=tuple(name for value in selector or () for name in value.split(",")),
        smtp_port=smtp_port if smtp else None,
        ns_port=ns_port if ask_ns else None,
        allow_private=allow_private_addresses,
        tls_grade=not no_tls_grade,
    )
    return run(domains or [], opts=opts, flags=flags, out=out)
