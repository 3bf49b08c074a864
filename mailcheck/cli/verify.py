"""`mailcheck verify`: authenticate raw messages as a receiving server would."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import EXIT_CODES_HELP, DnsFlags, OutputOptions, jobs_option, option
from mailcheck.cli.groups import (
    Dns,
    Output,
    address,
    authserv_option,
    container,
    dnsbl_option,
    helo_option,
    ip_option,
    with_groups,
)
from mailcheck.model import ExitCode

EPILOG = (
    "Examples:\n\n"
    "  mailcheck verify message.eml\n\n"
    "  mailcheck verify - < message.eml\n\n"
    "  mailcheck verify ~/Maildir/.Spam --format jsonl\n\n"
    "  mailcheck verify archive.mbox --ip 192.0.2.10 --mail-from bounce@example.com\n\n"
    "  mailcheck verify message.eml --zone keys.zone --offline\n\n" + EXIT_CODES_HELP
)


@app.command(epilog=EPILOG)
@with_groups(
    flags=Dns(
        step_alias=False,
        timeout_help="Per DNS query (one retry follows a timeout).",
        deadline=120.0,
        deadline_help="The DNS time of the whole run, and the time stdin or a named pipe "
        "has to reach its end: a dead resolver or a stalled pipe cannot hang it.",
    ),
    out=Output(),
)
def verify(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE...",
            help="Message files, '-' for stdin, Maildir folders or mbox files.",
            show_default=False,
        ),
    ] = None,
    ip: Annotated[
        str | None,
        ip_option("The connecting IP for SPF (instead of the headers).", "SPF"),
    ] = None,
    helo: Annotated[str | None, helo_option("The HELO name for SPF.", "SPF")] = None,
    mail_from: Annotated[
        str | None,
        address("--mail-from", "The envelope sender for SPF ('' for a bounce).", "SPF"),
    ] = None,
    trusted_hop: Annotated[
        int,
        option(
            "--trusted-hop",
            metavar="N",
            min=1,
            help="Which Received header (1 = topmost) your "
            "receiving server added: its 'from' IP is the sender.",
            panel="Trust",
        ),
    ] = 1,
    dnsbl: Annotated[
        bool,
        dnsbl_option(
            "Also ask blocklists about the connecting IP ([dnsbl] in ./mailcheck.toml, "
            "or a small default list).",
            "Blocklists",
        ),
    ] = False,
    authserv_ids: Annotated[
        list[str] | None,
        authserv_option(
            "Your receiving server's authserv-id (repeatable): only its "
            "Authentication-Results count as your server's; all others are claims.",
            "Trust",
        ),
    ] = None,
    mbox_format: Annotated[
        str,
        option(
            "--mbox-format",
            metavar="auto|mboxo|mboxrd",
            help="How the mbox quoted '>From ' lines: mboxrd quotes '>From ' too, mboxo only "
            "'From '; auto reads '>>From ' as a sign of mboxrd.",
            panel="Input",
        ),
    ] = "auto",
    jobs: Annotated[
        int,
        jobs_option(
            help="Processes verifying signatures at once; 0 (the default) uses every core "
            "for 200 messages or more, one process below that. -v runs in one process.",
            panel="Input",
        ),
    ] = 0,
    *,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    """Verify DKIM, ARC, SPF and DMARC of messages, beside their Authentication-Results."""
    from mailcheck.cli.run_verify import VerifyOptions, run

    # every parameter above is a field of VerifyOptions, by the same name
    opts = container(VerifyOptions, locals())
    return run(inputs or [], opts=opts, flags=flags, out=out)
