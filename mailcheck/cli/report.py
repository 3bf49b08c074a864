"""`mailcheck report`: read DMARC aggregate/failure reports and TLS reports; judge readiness."""

from __future__ import annotations

import enum
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
    MaxQpsOpt,
    NameserverOpt,
    OfflineOpt,
    OnlyOpt,
    OutputOptions,
    SkipOpt,
    TimeoutOpt,
    VerboseOpt,
    ZoneOpt,
    boundary,
)
from mailcheck.cli.connect_options import (
    CaFileOpt,
    PasswordEnvOpt,
    PasswordFileOpt,
    PasswordOpt,
    StepTimeoutOpt,
    TlsMode,
    TlsOpt,
)
from mailcheck.render import Format


class ReportFormat(str, enum.Enum):
    """Every shared format, plus CSV (one row per source per aggregate report)."""

    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"
    MARKDOWN = "markdown"


EPILOG = (
    "Examples:\n\n"
    "  mailcheck report ~/Maildir/.DMARC                (report messages in a Maildir)\n\n"
    "  mailcheck report 'google.com!example.com!1732924800!1733011199.xml.gz'\n\n"
    "  mailcheck report reports/ --check-dns --format csv > sources.csv\n\n"
    "  mailcheck report --imap imap.example.com --user dmarc@example.com "
    "--password-env IMAP_PASSWORD --folder DMARC --move-to DMARC/done\n\n"
    "  mailcheck report reports/ --offline --max-unaligned 2 --format github\n\n" + EXIT_CODES_HELP
)


@app.command(epilog=EPILOG)
def report(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH...",
            help="Report files (.xml, .xml.gz, .zip, .json, .json.gz), messages (.eml), "
            "Maildirs, mbox files, '-' for stdin: kinds are recognised by content.",
            show_default=False,
        ),
    ] = None,
    imap: Annotated[
        str | None,
        typer.Option(
            "--imap",
            metavar="HOST[:PORT]",
            help="Read report messages from this IMAP server (993: implicit TLS).",
            rich_help_panel="IMAP",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="NAME", help="IMAP login.", rich_help_panel="IMAP"),
    ] = None,
    folder: Annotated[
        str,
        typer.Option("--folder", metavar="NAME", help="IMAP folder.", rich_help_panel="IMAP"),
    ] = "INBOX",
    move_to: Annotated[
        str | None,
        typer.Option(
            "--move-to",
            metavar="FOLDER",
            help="Move messages whose reports were read to this folder (else read-only).",
            rich_help_panel="IMAP",
        ),
    ] = None,
    password_env: PasswordEnvOpt = None,
    password_file: PasswordFileOpt = None,
    password: PasswordOpt = None,
    tls: TlsOpt = TlsMode.AUTO,
    ca_file: CaFileOpt = None,
    step_timeout: StepTimeoutOpt = 10.0,
    check_dns: Annotated[
        bool,
        typer.Option(
            "--check-dns",
            help="Re-check each failing source against today's SPF and DKIM keys.",
            rich_help_panel="Judgement",
        ),
    ] = False,
    max_unaligned: Annotated[
        float | None,
        typer.Option(
            "--max-unaligned",
            metavar="PERCENT",
            min=0.0,
            max=100.0,
            help="FAIL (exit 1) a domain when more than this share of its mail fails DMARC.",
            rich_help_panel="Judgement",
        ),
    ] = None,
    nameserver: NameserverOpt = None,
    zone: ZoneOpt = None,
    offline: OfflineOpt = False,
    timeout: TimeoutOpt = 2.0,
    deadline: DeadlineOpt = 120.0,
    concurrency: ConcurrencyOpt = 256,
    max_qps: MaxQpsOpt = None,
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            envvar="MAILCHECK_FORMAT",
            case_sensitive=False,
            help="Output format on stdout (csv: one row per source per aggregate report).",
            rich_help_panel="Output",
        ),
    ] = ReportFormat.TEXT,
    color: ColorOpt = Color.AUTO,
    verbose: VerboseOpt = False,
    fail_on: FailOnOpt = FailOn.FAIL,
    only: OnlyOpt = None,
    skip: SkipOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Read DMARC aggregate and failure reports and TLS reports; say which domains are ready
    for the next DMARC policy step and which senders would break."""
    csv = format is ReportFormat.CSV
    shown = Format.TEXT if csv else Format(format.value)
    out = OutputOptions.of(shown, color, verbose, debug, fail_on, only, skip)
    flags = DnsFlags(
        tuple(nameserver or ()),
        tuple(zone or ()),
        offline,
        timeout,
        deadline,
        concurrency,
        max_qps=max_qps,
    )
    with boundary(debug):
        from mailcheck.cli.run_report import ImapOptions, RunOptions, run

        mailbox = ImapOptions(
            imap,
            user,
            folder,
            move_to,
            password_env,
            password_file,
            password,
            tls.value,
            ca_file,
            step_timeout,
        )
        opts = RunOptions(check_dns=check_dns, max_unaligned=max_unaligned, csv=csv)
        code = run(inputs or [], mailbox=mailbox, opts=opts, flags=flags, out=out)
    raise typer.Exit(int(code))
