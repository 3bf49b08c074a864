"""The smtp check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

CONNECT = _c(
    "smtp.connect",
    "Connection",
    "Whether a TCP connection to the server could be opened (the address actually used).",
    "Check the address, firewalls (port 25 is often blocked), and that the service runs.",
    "RFC 5321 §3.1",
)

BANNER = _c(
    "smtp.banner",
    "Greeting",
    "The first reply: 220 means the server serves you; 421 or 554 at connect means it refuses "
    "(busy, blocklisted, or your address is not welcome).",
    "Read the text: it usually names the reason or a blocklist.",
    "RFC 5321 §3.1",
    "RFC 5321 §4.2",
)

EHLO = _c(
    "smtp.ehlo",
    "EHLO",
    "Modern clients start with EHLO to learn the server's extensions; a server that only takes "
    "HELO offers none (no STARTTLS, no SIZE).",
    "Enable ESMTP on the server.",
    "RFC 5321 §4.1.1.1",
)

EXTENSIONS = _c(
    "smtp.extensions",
    "Extensions",
    "The ESMTP extensions the server offers, explained.",
    "",
    "RFC 5321 §2.2",
)

AUTH_PLAINTEXT = _c(
    "smtp.auth-plaintext",
    "AUTH before TLS",
    "The server offers PLAIN or LOGIN authentication (or an XOAUTH2/OAUTHBEARER token) on an "
    "unencrypted connection: a client that uses it sends the password in clear (FAIL). A "
    "challenge-response mechanism (CRAM-MD5, SCRAM) offered there is a WARN: the password is "
    "not sent, but the user name and the session after the login are, and the exchange can "
    "be guessed offline.",
    "Offer AUTH only after STARTTLS (Postfix: smtpd_tls_auth_only = yes).",
    "RFC 4954 §4",
    "RFC 8314 §3",
)

BANNER_NAME = _c(
    "smtp.banner-name",
    "Host names agree",
    "The banner's host name, the EHLO greeting's and the address's PTR should agree; "
    "receivers and reputation systems compare them.",
    "Make the banner name the server's canonical name, with matching PTR and A records.",
    "RFC 5321 §4.1.3",
)

SLOW = _c(
    "smtp.slow",
    "Slow replies",
    "A reply that takes seconds: a tarpit (deliberate delay), an overloaded server, or slow "
    "DNS lookups on the server side.",
    "Look at the server's DNS and load.",
    "RFC 5321 §4.5.3.2",
)

MAIL = _c(
    "smtp.mail",
    "MAIL FROM probe",
    "How the server answers MAIL FROM for the given sender.",
    "",
    "RFC 5321 §3.3",
)

RCPT = _c(
    "smtp.rcpt",
    "RCPT TO probe",
    "How the server answers RCPT TO (no message is sent: the probe resets and quits). A 4xx "
    "is usually greylisting: real senders retry later.",
    "",
    "RFC 5321 §3.3",
    "RFC 6647",
)

PROTOCOL = _c(
    "smtp.protocol",
    "Protocol errors",
    "The server broke the conversation: sent something that is not a reply, a line or "
    "reply without end (FAIL); or it went silent or the connection was lost, which leaves "
    "the server undetermined (ERROR).",
    "Look at the transcript: the last lines show where.",
    "RFC 5321 §4.2",
)

LOGIN = _c(
    "smtp.login",
    "SMTP AUTH test",
    "Whether the given user could authenticate (submission, port 587 or 465). The password is "
    "sent only over TLS and never appears in output.",
    "Check the user name and password, and that the server offers AUTH after TLS.",
    "RFC 4954",
    "RFC 8314 §3",
)
