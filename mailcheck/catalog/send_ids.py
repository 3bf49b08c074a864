"""The send check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

MESSAGE = _c(
    "send.message",
    "The test message",
    "What was built or read, how large it is, its Message-ID and the token that finds it in "
    "a mailbox, and the route it takes (a submission server, or each recipient domain's MX "
    "hosts).",
    "",
    "RFC 5322",
    "RFC 6409",
)

DKIM = _c(
    "send.dkim",
    "DKIM signature of the test message",
    "mailcheck signs with the given key, then verifies the signature against the public key "
    "published at SELECTOR._domainkey.DOMAIN, as a receiver would. A signature that does not "
    "verify here will not verify anywhere: nothing is sent unless --force.",
    "Publish the public half of the key at the selector, or sign with the key that is "
    "published there.",
    "RFC 6376 §3.5",
    "RFC 8463",
)

DKIM_KEY = _c(
    "send.dkim-key",
    "Private key file permissions",
    "A DKIM private key readable by other users lets them sign mail as the domain.",
    "chmod 600 the key file.",
    "RFC 6376 §8.2",
)

RECIPIENT = _c(
    "send.recipient",
    "Delivery to one recipient",
    "What the server finally said about this recipient: accepted (with the queue id from the "
    "final 250 reply), rejected (5xx), or not delivered (4xx, unreachable, or the connection "
    "lost). Only an accepted recipient was delivered to the server; mailcheck never retries "
    "behind your back, and never resends after the message may have arrived.",
    "Read the server's reply: the enhanced status code says which side must change.",
    "RFC 5321 §4.2",
    "RFC 3463",
)

ARRIVED = _c(
    "send.arrived",
    "Arrival in the mailbox (--check-delivery)",
    "Whether the test message, found by its X-Mailcheck-Token, reached the IMAP folder "
    "named by --check-delivery within --delivery-wait, and how long after the server "
    "accepted it. It is read with BODY.PEEK from a folder opened read-only (EXAMINE), so it "
    "stays unseen. Not there in time is ERROR (exit 3): delayed, filtered to another "
    "folder, or lost cannot be told apart from outside.",
    "Look in the spam folder (--check-delivery .../Junk) and in the server's log for the queue id.",
    "RFC 9051",
)

AUTH_RESULTS = _c(
    "send.auth-results",
    "The receiver's verdict beside ours",
    "The Authentication-Results the receiving server added to the delivered copy, shown "
    "literally, next to mailcheck's own verdict on that copy. Only the authserv-ids given "
    "with --authserv-id are trusted in the delivered copy's auth-results checks.",
    "Where they differ, the receiver's DNS view, its policy or a forwarder explains it.",
    "RFC 8601",
)
