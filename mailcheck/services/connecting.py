"""How trace and send reach a server (address family, source, TLS, EHLO name, login), and
the checks every value passes before anything is sent: the CLI's and the library's."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class TlsMode(str, enum.Enum):
    """How TLS is started: implicit on 465/993/995 and STARTTLS when offered elsewhere (auto)."""

    AUTO = "auto"
    STARTTLS = "starttls"
    IMPLICIT = "implicit"
    NONE = "none"


@dataclass(frozen=True)
class LoginOptions:
    """Where the password comes from (never the command line), and whether TLS is waived."""

    password_env: str | None = None
    password_file: str | None = None
    password: str | None = None  # given only to be refused with a clear message
    allow_insecure_auth: bool = False


@dataclass(frozen=True)
class ConnectionOptions:
    """How trace and send reach a server (address family, source, TLS, EHLO name) and
    log in to it."""

    ipv4: bool = False
    ipv6: bool = False
    source_address: str | None = None
    tls: str = "auto"
    ca_file: str | None = None
    tls_name: str | None = None
    ehlo: str | None = None
    login: LoginOptions = field(default_factory=LoginOptions)


_HOST_NAME = re.compile(r"(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+")


def default_ehlo() -> str:
    """The EHLO name when --ehlo is not given: this host's name, found without DNS.

    socket.getfqdn() asks the resolver (a reverse lookup of our own name): outside every
    deadline, a dead resolver stalled the run for seconds, and --offline must send nothing.
    Like swaks: gethostname(), completed from /etc/hosts when it has no dot."""
    import socket  # here: the options above are imported by --help, which needs no socket

    name = socket.gethostname().strip().rstrip(".").lower()
    if "." not in name:
        name = _hosts_file_name(name) or name
    local = name.endswith((".localdomain", ".localhost")) or name.startswith("localhost.")
    numeric = name.rsplit(".", 1)[-1].isdigit()  # an address is no name (RFC 5321 §4.1.3)
    if _HOST_NAME.fullmatch(name) and not local and not numeric:
        return name
    return "mailcheck.invalid"


def _hosts_file_name(short: str) -> str | None:
    """The first dotted name of `short`'s line in /etc/hosts (what `hostname -f` finds there)."""
    try:
        with open("/etc/hosts", encoding="utf-8", errors="replace") as file:
            text = file.read(1 << 16)  # a hosts file is small: never read without bound
    except OSError:
        return None
    for line in text.splitlines():
        names = line.split("#", 1)[0].lower().split()[1:]
        if short in names:
            dotted = [n.rstrip(".") for n in names if "." in n.rstrip(".")]
            if dotted:
                return dotted[0]
    return None


def check_connection(
    ipv4: bool, ipv6: bool, source_address: str | None, ca_file: str | None, ehlo: str | None
) -> int | None:
    """Validate the options every connecting command shares; the address family asked for."""
    import ipaddress

    from mailcheck.errors import UsageError

    refuse_control_characters(ehlo, "--ehlo")
    if ehlo is not None and (not ehlo or any(c.isspace() for c in ehlo)):
        # an empty name used to fall back to this host's name without a word
        raise UsageError(
            f"--ehlo {ehlo!r}: give one name: a host name or an address literal ([192.0.2.1])"
        )
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
