"""What SMTP reply codes (RFC 5321 4.2) and enhanced status codes (RFC 3463) mean (pure)."""

from __future__ import annotations

BASIC = {
    211: "system status",
    214: "help message",
    220: "service ready",
    221: "closing the connection",
    235: "authentication succeeded",
    250: "requested action completed",
    251: "user not local; will forward",
    252: "cannot verify the user, will try to deliver",
    334: "authentication challenge",
    354: "start mail input; end with <CRLF>.<CRLF>",
    421: "service not available, closing the connection",
    450: "mailbox unavailable (busy, or greylisting)",
    451: "local error in processing (often greylisting)",
    452: "insufficient system storage (or too many recipients)",
    454: "TLS or authentication temporarily unavailable",
    455: "server unable to accommodate parameters",
    500: "syntax error, command unrecognised",
    501: "syntax error in parameters or arguments",
    502: "command not implemented",
    503: "bad sequence of commands",
    504: "command parameter not implemented",
    521: "host does not accept mail (RFC 7504)",
    523: "message too big for the recipient",
    530: "authentication required",
    534: "authentication mechanism too weak",
    535: "authentication credentials invalid",
    538: "encryption required for the requested authentication mechanism",
    550: "mailbox unavailable (no such user, or policy)",
    551: "user not local",
    552: "exceeded storage allocation, or message too big",
    553: "mailbox name not allowed",
    554: "transaction failed (often a policy rejection)",
    555: "MAIL FROM/RCPT TO parameters not recognised",
    556: "domain does not accept mail (RFC 7504)",
}

SUBJECT = {
    "0.0": "other or undefined status",
    "1.0": "other address status",
    "1.1": "bad destination mailbox address (no such user)",
    "1.2": "bad destination system address",
    "1.3": "bad destination mailbox address syntax",
    "1.6": "destination mailbox has moved",
    "1.7": "bad sender's mailbox address syntax",
    "1.8": "bad sender's system address",
    "1.10": "recipient address has a null MX (RFC 7505)",
    "2.0": "other or undefined mailbox status",
    "2.1": "mailbox disabled, not accepting messages",
    "2.2": "mailbox full",
    "2.3": "message length exceeds administrative limit",
    "3.0": "other or undefined mail system status",
    "3.4": "message too big for the system",
    "4.0": "other or undefined network or routing status",
    "4.1": "no answer from host",
    "4.2": "bad connection",
    "4.3": "directory server failure",
    "4.4": "unable to route",
    "4.7": "delivery time expired",
    "5.0": "other or undefined protocol status",
    "5.1": "invalid command",
    "5.2": "syntax error",
    "5.3": "too many recipients",
    "5.4": "invalid command arguments",
    "6.0": "other or undefined media error",
    "7.0": "other or undefined security status",
    "7.1": "delivery not authorised, message refused (policy)",
    "7.8": "authentication credentials invalid",
    "7.9": "authentication mechanism too weak",
    "7.11": "encryption required",
    "7.23": "SPF validation failed",
    "7.25": "reverse DNS validation failed",
    "7.26": "multiple authentication checks failed (DMARC)",
    "7.27": "sender address has a null MX",
}

CLASS = {
    "2": "success",
    "4": "temporary failure (retry later)",
    "5": "permanent failure (do not retry)",
}


def explain(code: int, enhanced: str = "") -> str:
    """'550 mailbox unavailable; 5.1.1 bad destination mailbox address (no such user)'."""
    text = BASIC.get(code, CLASS.get(str(code)[:1], "unknown code"))
    if enhanced:
        detail = SUBJECT.get(enhanced.split(".", 1)[1] if "." in enhanced else "")
        text += f"; {enhanced} {detail}" if detail else f"; {enhanced}"
    return text


EXTENSIONS = {
    "PIPELINING": "commands may be pipelined (RFC 2920)",
    "8BITMIME": "8-bit message bodies accepted (RFC 6152)",
    "SMTPUTF8": "UTF-8 addresses and headers accepted (RFC 6531)",
    "CHUNKING": "BDAT chunks accepted (RFC 3030)",
    "BINARYMIME": "binary bodies accepted with BDAT (RFC 3030)",
    "DSN": "delivery status notifications on request (RFC 3461)",
    "ENHANCEDSTATUSCODES": "replies carry enhanced status codes (RFC 2034)",
    "STARTTLS": "TLS upgrade offered (RFC 3207)",
    "REQUIRETLS": "senders may require TLS for the whole path (RFC 8689)",
    "SIZE": "message size limit announced (RFC 1870)",
    "AUTH": "authentication offered (RFC 4954)",
    "LIMITS": "transaction limits announced (RFC 9422)",
    "VRFY": "address verification enabled (leaks valid users)",
    "ETRN": "remote queue starting (RFC 1985)",
    "DELIVERBY": "deliver-by deadlines (RFC 2852)",
    "MTRK": "message tracking (RFC 3885)",
    "XCLIENT": "Postfix XCLIENT (only for trusted clients)",
}


def explain_extension(keyword: str, params: str) -> str:
    base = EXTENSIONS.get(keyword.upper(), "")
    if keyword.upper() == "SIZE" and params.isdigit() and int(params) > 0:
        size = int(params)
        return (
            f"messages up to {size / 1_000_000:.0f} MB (RFC 1870)"
            if size >= 1_000_000
            else f"messages up to {size} bytes (RFC 1870)"
        )
    if keyword.upper() == "AUTH" and params:
        return f"authentication: {params} (RFC 4954)"
    if keyword.upper() == "LIMITS" and params:
        return f"limits {params} (RFC 9422)"
    return base
