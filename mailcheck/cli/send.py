"""`mailcheck send`: send a real test message, optionally DKIM-signed, and report per
recipient what the server said."""

from __future__ import annotations

import enum
from typing import Annotated

from mailcheck.cli.app import app
from mailcheck.cli.common import DnsFlags, OutputOptions, option, port_option
from mailcheck.cli.groups import (
    address,
    authserv_option,
    connecting,
    container,
    user_option,
    with_groups,
)
from mailcheck.model import ExitCode
from mailcheck.services.connecting import ConnectionOptions


class DkimAlgorithm(str, enum.Enum):
    RSA = "rsa-sha256"
    ED25519 = "ed25519-sha256"


EPILOG = (
    "Examples:\n\n"
    "  mailcheck send --from me@example.com --to postmaster@example.org     (to the MX hosts)"
    "\n\n"
    "  mailcheck send --server smtp.example.com --user me --password-env SMTP_PASSWORD"
    " --from me@example.com --to you@example.org\n\n"
    "  mailcheck send --from me@example.com --to you@example.org --dkim-key mail.pem"
    " --dkim-selector mail --dry-run\n\n"
    "  mailcheck send --server smtp.example.com --user me@example.com --password-env PW"
    " --from me@example.com --to me@example.com"
    " --check-delivery imap://me@example.com@imap.example.com/INBOX\n\n"
    "Exit codes: 0 every recipient accepted; 1 a recipient rejected, or the DKIM signature "
    "does not verify (or, with --check-delivery, the delivered copy fails a check); 2 usage, "
    "input or output error; 3 a recipient deferred or not reached, the delivery unknown, or the "
    "message not arrived within --delivery-wait; 4 internal error; 130 interrupted."
)


@app.command(epilog=EPILOG)
@with_groups(
    **connecting(
        30.0,
        120.0,
        "Looking up and delivering to every route: a server that trickles "
        "cannot stretch it (--delivery-wait comes on top).",
    )
)
def send(
    to: Annotated[
        list[str] | None,
        address("--to", "Recipient (repeatable).", "Addresses"),
    ] = None,
    sender: Annotated[
        str | None,
        address(
            "--from", "Author (From:), 'Name <addr>' allowed; the envelope sender too.", "Addresses"
        ),
    ] = None,
    mail_from: Annotated[
        str | None,
        address(
            "--mail-from", "Envelope sender (MAIL FROM) when it differs from --from.", "Addresses"
        ),
    ] = None,
    server: Annotated[
        str | None,
        option(
            "--server",
            metavar="HOST[:PORT]",
            help="Submit through this server (default port 587); without it, deliver to "
            "each recipient domain's MX hosts.",
            panel="Route",
        ),
    ] = None,
    port: Annotated[
        int | None,
        port_option(
            "--port", "-p", help="Port of --server (587) or of the MX hosts (25).", panel="Route"
        ),
    ] = None,
    user: Annotated[
        str | None,
        user_option(
            "AUTH as this user (with --server): only over TLS, with a trusted certificate.", "Login"
        ),
    ] = None,
    subject: Annotated[
        str | None,
        option("--subject", metavar="TEXT", help="Default: mailcheck test TOKEN.", panel="Message"),
    ] = None,
    body: Annotated[
        str | None,
        option(
            "--body",
            metavar="TEXT",
            help="Plain-text body (default: a note with a unique token).",
            panel="Message",
        ),
    ] = None,
    body_file: Annotated[
        str | None,
        option(
            "--body-file",
            metavar="FILE",
            help="Plain-text body from a UTF-8 file ('-' for stdin).",
            panel="Message",
        ),
    ] = None,
    html: Annotated[
        str | None,
        option(
            "--html", metavar="FILE", help="An HTML alternative from a UTF-8 file.", panel="Message"
        ),
    ] = None,
    attach: Annotated[
        list[str] | None,
        option("--attach", metavar="FILE", help="Attach a file (repeatable).", panel="Message"),
    ] = None,
    header: Annotated[
        list[str] | None,
        option(
            "--header", metavar="'NAME: VALUE'", help="Add a header (repeatable).", panel="Message"
        ),
    ] = None,
    eml: Annotated[
        str | None,
        option(
            "--eml",
            metavar="FILE",
            help="Send this message file unchanged instead of building one.",
            panel="Message",
        ),
    ] = None,
    dkim_key: Annotated[
        str | None,
        option(
            "--dkim-key",
            metavar="FILE",
            help="Sign with this private key (PEM or DER; RSA or Ed25519).",
            panel="DKIM",
        ),
    ] = None,
    dkim_selector: Annotated[
        str | None, option("--dkim-selector", metavar="NAME", help="Selector (s=).", panel="DKIM")
    ] = None,
    dkim_domain: Annotated[
        str | None,
        option(
            "--dkim-domain",
            metavar="DOMAIN",
            help="Signing domain (d=); default: the From domain.",
            panel="DKIM",
        ),
    ] = None,
    dkim_algorithm: Annotated[
        DkimAlgorithm | None,
        option(
            "--dkim-algorithm", case_sensitive=False, help="Default: from the key.", panel="DKIM"
        ),
    ] = None,
    force: Annotated[
        bool,
        option(
            "--force",
            help="Send even when the signature does not verify against DNS.",
            panel="DKIM",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        option(
            "--dry-run",
            help="Build and sign, print the message (or --save it); connect to no server.",
            panel="Output file",
        ),
    ] = False,
    save: Annotated[
        str | None,
        option(
            "--save",
            metavar="FILE",
            help="Write the message as sent to FILE (a new file; never overwritten).",
            panel="Output file",
        ),
    ] = None,
    check_delivery: Annotated[
        str | None,
        option(
            "--check-delivery",
            metavar="imap://USER@HOST[:PORT]/FOLDER",
            help="After sending, wait for the message in this mailbox (imaps:// for implicit "
            "TLS), read it unseen and verify the delivered copy.",
            panel="Delivery check",
        ),
    ] = None,
    delivery_wait: Annotated[
        float,
        option(
            "--delivery-wait",
            metavar="SECONDS",
            min=0,
            max=3600,
            help="How long to wait for the message to arrive.",
            panel="Delivery check",
        ),
    ] = 120.0,
    delivery_password_env: Annotated[
        str | None,
        option(
            "--delivery-password-env",
            metavar="VAR",
            help="The mailbox password from this variable (default: --password-env when "
            "the mailbox user is --user or there is no --user, else a prompt).",
            panel="Delivery check",
        ),
    ] = None,
    delivery_password_file: Annotated[
        str | None,
        option(
            "--delivery-password-file",
            metavar="FILE",
            help="The mailbox password from the first line of FILE.",
            panel="Delivery check",
        ),
    ] = None,
    authserv_ids: Annotated[
        list[str] | None,
        authserv_option(
            "Trust the receiving server's Authentication-Results with this "
            "authserv-id in the delivered copy (repeatable).",
            "Delivery check",
        ),
    ] = None,
    *,
    conn: ConnectionOptions,
    flags: DnsFlags,
    out: OutputOptions,
) -> ExitCode:
    """Send a real test message, optionally DKIM-signed, and show what each server said."""
    from mailcheck.cli.run_send import SendOptions, run

    # every parameter above is a field of SendOptions, by the same name
    return run(container(SendOptions, locals()), flags=flags, out=out)
