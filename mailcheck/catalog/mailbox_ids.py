"""The mailbox check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

CONNECT = _c(
    "mailbox.connect",
    "Connection to the IMAP/POP3 server",
    "Whether a TCP connection to the mailbox server could be opened (the address actually used).",
    "Check the address, firewalls, and that the service listens on this port.",
    "RFC 9051 §2.1",
    "RFC 1939 §3",
)

GREETING = _c(
    "mailbox.greeting",
    "IMAP/POP3 greeting",
    "The server's first line: OK, or a refusal (FAIL). An IMAP PREAUTH greeting on a "
    "connection TLS does not protect is a FAIL too: the session is open without a login, and "
    "STARTTLS, allowed only before authentication, can no longer start (RFC 9051 §6.2.1).",
    "",
    "RFC 9051 §7.1",
    "RFC 1939 §4",
)

PROTOCOL = _c(
    "mailbox.protocol",
    "IMAP/POP3 protocol errors",
    "The server broke the conversation: sent something that is not an IMAP or POP3 "
    "response, a line or response without end (FAIL); or it went silent or the connection "
    "was lost, which leaves the server undetermined (ERROR).",
    "Look at the transcript: the last lines show where.",
    "RFC 9051 §2.2",
    "RFC 1939 §3",
)

CAPABILITIES = _c(
    "mailbox.capabilities",
    "IMAP/POP3 capabilities",
    "What the server offers before and after TLS (STARTTLS/STLS, AUTH= mechanisms, LOGINDISABLED).",
    "",
    "RFC 9051 §6.1.1",
    "RFC 2449",
)

PLAINTEXT_LOGIN = _c(
    "mailbox.plaintext-login",
    "Login before TLS",
    "An IMAP server should announce LOGINDISABLED before TLS, and a POP3 server should not "
    "offer USER/PASS or PLAIN in clear: otherwise clients may send passwords unencrypted "
    "(FAIL; so do XOAUTH2/OAUTHBEARER tokens). A challenge-response mechanism (CRAM-MD5, "
    "SCRAM) offered before TLS is a WARN: the password is not sent, but the user name and "
    "the session are, and the exchange can be guessed offline.",
    "Require TLS for authentication (Dovecot: disable_plaintext_auth = yes).",
    "RFC 9051 §6.2.3",
    "RFC 8314 §3",
)

LOGIN = _c(
    "mailbox.login",
    "Login test",
    "Whether the given user could log in. The password is sent only over TLS and never "
    "appears in output.",
    "Check the user name and password.",
    "RFC 9051 §6.2.3",
    "RFC 1939 §7",
)

SLOW = _c(
    "mailbox.slow",
    "Slow IMAP/POP3 replies",
    "A greeting or reply that takes seconds: an overloaded server, slow authentication "
    "back-ends, or slow DNS lookups on the server side. Clients time out or feel sluggish.",
    "Look at the server's load, its authentication back-end and its DNS.",
    "RFC 9051 §5.4",
    "RFC 1939 §3",
)
