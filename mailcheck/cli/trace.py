"""`mailcheck trace`: a live, explained conversation with an SMTP, IMAP or POP3 server."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.app import app
from mailcheck.cli.common import (
    EXIT_CODES_HELP,
    AllowPrivateOpt,
    DnsFlags,
    OutputOptions,
    option,
    port_option,
)
from mailcheck.cli.groups import (
    address,
    connecting,
    container,
    no_tls_grade_option,
    user_option,
    with_groups,
)
from mailcheck.model import ExitCode
from mailcheck.services.connecting import ConnectionOptions
from mailcheck.services.trace_request import MailProtocol, QuitStep

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
@with_groups(
    **connecting(
        10.0,
        60.0,
        "The whole trace, every host tried: a server that trickles cannot stretch it.",
    )
)
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
        port_option(
            "--port",
            "-p",
            help="25 (default), 587, 465; 143/993 IMAP; 110/995 POP3.",
            panel="Target",
        ),
    ] = None,
    protocol: Annotated[
        MailProtocol | None,
        option("--protocol", case_sensitive=False, help="Default: from the port.", panel="Target"),
    ] = None,
    all_mx: Annotated[
        bool, option("--all-mx", help="Trace every MX host (in parallel).", panel="Target")
    ] = False,
    host: HostOpt = False,
    require_tls: Annotated[
        bool, typer.Option("--require-tls", help="Fail without TLS.", rich_help_panel="TLS")
    ] = False,
    no_tls_grade: Annotated[
        bool,
        no_tls_grade_option(
            "Skip the extra handshakes that grade TLS (one per version, weak ciphers, "
            "OCSP stapling): one connection per server, and no tls.grade.",
            "TLS",
        ),
    ] = False,
    mail_from: Annotated[
        str | None,
        address("--mail-from", "Probe MAIL FROM (then RSET; never DATA).", "SMTP"),
    ] = None,
    rcpt: Annotated[
        list[str] | None,
        address("--rcpt", "Probe RCPT TO (repeatable).", "SMTP"),
    ] = None,
    quit_after: Annotated[
        QuitStep | None,
        option("--quit-after", case_sensitive=False, help="Stop after this step.", panel="SMTP"),
    ] = None,
    user: Annotated[
        str | None,
        user_option(
            "Login test as this user (SMTP AUTH, IMAP, POP3): only over TLS, with a "
            "trusted certificate, to the server named (implies --host).",
            "Login",
        ),
    ] = None,
    https_port: Annotated[int | None, typer.Option("--https-port", hidden=True)] = None,
    allow_private_addresses: AllowPrivateOpt = False,
    *,
    conn: ConnectionOptions,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    """Talk to a mail server and explain every step: banner, EHLO, STARTTLS, certificate."""
    import gc

    # One bounded conversation (a few MX hosts at most), the process's last act: the cyclic
    # collector would only walk the tens of thousands of objects the imports below create,
    # again and again (7 middle-generation passes, a tenth of the CPU), to free kilobytes.
    gc.disable()
    from mailcheck.cli.run_trace import run
    from mailcheck.services.trace_request import TraceOptions

    # the other parameters are fields of TraceOptions, by the same name
    given = {"host_only": host, "grade_tls": not no_tls_grade}
    opts = container(TraceOptions, locals(), allow_private=allow_private_addresses, **given)
    return run(opts, flags=flags, out=out)
