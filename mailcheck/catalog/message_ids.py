"""The message check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

FORMAT = _c(
    "message.format",
    "Message format",
    "The input must be an RFC 5322 message: header fields, an empty line, the body.",
    "Give the raw message (.eml, as received, with all headers).",
    "RFC 5322 §2.1",
)

READ = _c(
    "message.read",
    "Reading the message",
    "The message could not be read (permission denied, a dangling link, a named pipe or a "
    "directory where a message file should be, a file removed during the run): nothing about "
    "it can be determined. The other messages of the run are still verified.",
    "Check the file's permissions and type.",
)

TOO_LARGE = _c(
    "message.too-large",
    "Message too large",
    "The message, or its header section, is larger than mailcheck reads: rather than judge "
    "part of it (a header cut off looks like a missing From:), it is not evaluated.",
    "Verify the message with a smaller header section, or check it on the receiving server.",
    "RFC 5322 §2.1.1",
)

FROM = _c(
    "message.from",
    "Author (From:)",
    "DMARC needs exactly one From: header with exactly one address; receivers reject messages "
    "with none or several.",
    "Send with exactly one From: address.",
    "RFC 9989 §4.7",
    "RFC 5322 §3.6",
)

LINE_ENDINGS = _c(
    "message.line-endings",
    "Line endings",
    "Messages travel with CRLF line ends; a file with LF only is read as a receiving server "
    "would read it (each LF as CRLF) before verifying signatures.",
    "",
    "RFC 5322 §2.1",
)
