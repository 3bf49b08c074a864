"""Options shared by the commands that open connections to mail servers (trace, send)."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from mailcheck.cli.common import option


class TlsMode(str, enum.Enum):
    AUTO = "auto"
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


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


def check_connection(
    ipv4: bool, ipv6: bool, source_address: str | None, ca_file: str | None
) -> int | None:
    """Validate the options every connecting command shares; the address family asked for."""
    import ipaddress

    from mailcheck.errors import UsageError

    if ipv4 and ipv6:
        raise UsageError("-4 and -6 exclude each other")
    if source_address is not None:
        try:
            ipaddress.ip_address(source_address)
        except ValueError:
            raise UsageError(f"--source-address {source_address!r} is not an IP address") from None
    check_ca_file(ca_file)
    return 4 if ipv4 else 6 if ipv6 else None


def check_ip(value: str | None, needs_it: str = "") -> str | None:
    """--ip as an address in its normal form (None when not given); `needs_it` names the
    options that mean nothing without it, refused when they were given alone."""
    import ipaddress

    from mailcheck.errors import UsageError

    if value is None:
        if needs_it:
            raise UsageError(needs_it)
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise UsageError(f"--ip {value!r} is not an IP address") from None


def check_ca_file(ca_file: str | None) -> None:
    """--ca-file must hold PEM certificates: checked before any connection, so a bad file
    is exit 2 up front, never a failure after a message was already delivered."""
    if ca_file is None:
        return
    import re
    import ssl

    from mailcheck.errors import InputError
    from mailcheck.files import MB, read_file

    data = read_file(ca_file, f"--ca-file {ca_file}", limit=16 * MB)
    # ssl parses them (OpenSSL, as the connection will): cryptography would cost ~30-100 ms
    # of start-up before the first packet, on runs that may never judge a certificate
    blocks = re.findall(
        rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----", data
    )
    try:
        if not blocks:
            raise ssl.SSLError("no certificate")
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(
            cadata=b"\n".join(blocks).decode("ascii")
        )
    except ssl.SSLError:
        raise InputError(
            f"--ca-file {ca_file}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)"
        ) from None


def check_tls_name(name: str | None) -> str | None:
    """--tls-name: a DNS host name (A-labels for IDNs), lower-cased, without a final dot."""
    from mailcheck.errors import UsageError
    from mailcheck.net.address import is_ip_address

    if name is None:
        return None
    text = name.strip().rstrip(".").lower()
    try:
        text = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        raise UsageError(f"--tls-name {name!r} is not a host name") from None
    labels = text.split(".")
    valid = all(
        label and len(label) < 64 and all(c.isalnum() or c in "-_*" for c in label)
        for label in labels
    )
    if not valid or is_ip_address(text) or len(text) > 253:
        raise UsageError(f"--tls-name {name!r} is not a host name")
    return text


def refuse_login_to_address(
    user: str | None, host: str | None, allow_insecure_auth: bool, tls_name: str | None = None
) -> None:
    """A password goes only to a server whose certificate was verified for the name the user
    means. An IP address names no such host (a certificate from any trusted CA, for any
    domain, would do), so --user with an IP address is refused before anything is sent."""
    from mailcheck.errors import UsageError
    from mailcheck.net.address import is_ip_address

    if user is None or host is None or allow_insecure_auth or tls_name:
        return
    address = host.strip().strip("[]")
    if is_ip_address(address):
        raise UsageError(
            f"--user with the IP address {address}: no host name to verify the server's "
            "certificate for, so the password could go to any server",
            hint="give the name on its certificate with --tls-name NAME, or the host name "
            "instead of the address (--allow-insecure-auth sends it anyway)",
        )


def refuse_control_characters(value: str | None, option: str) -> None:
    """A value that goes into a protocol command (EHLO, MAIL FROM, RCPT TO, a user name) must
    not hold CR, LF, NUL or any other control character: CR LF would end the command and
    start one of the user's making (command injection)."""
    from mailcheck.errors import UsageError

    if value is None:
        return
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise UsageError(
            f"{option} {value!r}: control characters (CR, LF, NUL ...) are not allowed: "
            "they would end the command and start another"
        )
