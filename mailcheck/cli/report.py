"""`mailcheck report`: read DMARC aggregate/failure reports and TLS reports; judge readiness."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import EXIT_CODES_HELP, DnsFlags, OutputOptions, option
from mailcheck.cli.connect_options import CaFileOpt, TlsOpt
from mailcheck.cli.groups import Dns, Login, Output, user_option, with_groups
from mailcheck.model import ExitCode
from mailcheck.render import ReportFormat
from mailcheck.services.connecting import LoginOptions, TlsMode

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
@with_groups(
    login=Login(insecure=False),
    flags=Dns(
        timeout=10.0,
        deadline=120.0,
        timeout_help="Per network operation: one DNS query (one retry follows a timeout), "
        "one IMAP connect, read or write.",
        deadline_help="The whole run (DNS, IMAP, reading stdin): nothing outlives it.",
    ),
    out=Output(formats=ReportFormat, extra_help=" (csv: one row per source per aggregate report)"),
)
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
        option(
            "--imap",
            metavar="HOST[:PORT]",
            help="Read report messages from this IMAP server (993: implicit TLS).",
            panel="IMAP",
        ),
    ] = None,
    user: Annotated[
        str | None,
        user_option("IMAP login.", "IMAP"),
    ] = None,
    folder: Annotated[
        str,
        typer.Option("--folder", metavar="NAME", help="IMAP folder.", rich_help_panel="IMAP"),
    ] = "INBOX",
    move_to: Annotated[
        str | None,
        option(
            "--move-to",
            metavar="FOLDER",
            help="Move messages whose reports were read to this folder (else read-only).",
            panel="IMAP",
        ),
    ] = None,
    tls: TlsOpt = TlsMode.AUTO,
    ca_file: CaFileOpt = None,
    check_dns: Annotated[
        bool,
        option(
            "--check-dns",
            help="Re-check each failing source against today's SPF and DKIM keys.",
            panel="Judgement",
        ),
    ] = False,
    max_unaligned: Annotated[
        float | None,
        option(
            "--max-unaligned",
            metavar="PERCENT",
            min=0.0,
            max=100.0,
            help="FAIL (exit 1) a domain when more than this share of its mail fails DMARC.",
            panel="Judgement",
        ),
    ] = None,
    *,
    login: LoginOptions,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    """Read DMARC and TLS reports: which domains can tighten DMARC, which senders would break."""
    from mailcheck.cli.run_report import RunOptions, run
    from mailcheck.feedback.imap import ImapOptions

    mailbox = ImapOptions(imap, user, folder, move_to, tls.value, ca_file, flags.timeout)
    opts = RunOptions(check_dns, max_unaligned, csv=out.choice == ReportFormat.CSV.value)
    return run(inputs or [], mailbox=mailbox, login=login, opts=opts, flags=flags, out=out)
