"""Options shared by the commands that open connections to mail servers (trace, send)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli.common import option
from mailcheck.services.connecting import TlsMode

TlsOpt = Annotated[
    TlsMode,
    option(
        "--tls",
        case_sensitive=False,
        help="auto: implicit on 465/993/995, else STARTTLS when offered.",
        panel="TLS",
    ),
]
CaFileOpt = Annotated[
    str | None,
    option("--ca-file", metavar="PEM", help="Trust this CA instead of the system's.", panel="TLS"),
]
EhloOpt = Annotated[
    str | None,
    typer.Option("--ehlo", metavar="NAME", help="Name to send in EHLO.", rich_help_panel="SMTP"),
]
SourceAddressOpt = Annotated[
    str | None,
    option(
        "--source-address", metavar="IP", help="Connect from this local address.", panel="Target"
    ),
]
Ipv4Opt = Annotated[bool, typer.Option("-4", help="IPv4 only.", rich_help_panel="Target")]
Ipv6Opt = Annotated[bool, typer.Option("-6", help="IPv6 only.", rich_help_panel="Target")]
PasswordEnvOpt = Annotated[
    str | None,
    option(
        "--password-env", metavar="VAR", help="Read the password from this variable.", panel="Login"
    ),
]
PasswordFileOpt = Annotated[
    str | None,
    option(
        "--password-file", metavar="FILE", help="Read the password from this file.", panel="Login"
    ),
]
# Accepted only to refuse it with a clear message: a password typed on the command line
# lands in shell history and process listings.
PasswordOpt = Annotated[str | None, typer.Option("--password", hidden=True)]
AllowInsecureAuthOpt = Annotated[
    bool,
    option(
        "--allow-insecure-auth",
        help="Send the password even without TLS, to an untrusted certificate, or to an IP "
        "address.",
        panel="Login",
    ),
]
TlsNameOpt = Annotated[
    str | None,
    option(
        "--tls-name",
        metavar="NAME",
        help="Verify the certificate for NAME (and send it as SNI) while connecting to the "
        "address given: a server by IP, or before DNS points at it.",
        panel="TLS",
    ),
]
