"""DMARC failure reports (RFC 9991; ARF, RFC 5965 / RFC 6591): pure parsing of the
machine-readable part and the original headers, kept as received (they are escaped when shown)."""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import ipaddress
from dataclasses import dataclass

from mailcheck.feedback.aggregate import ReportError

MAX_HEADERS = 200
MAX_FIELD = 2000


@dataclass(frozen=True)
class FailureReport:
    """A DMARC failure report (ARF, RFC 6591), as read from its message."""

    source: str
    reporter: str  # the report message's From:
    feedback_type: str  # auth-failure (RFC 6591) | abuse | fraud ...
    auth_failure: str  # dmarc | dkim | spf | adsp | bodyhash | revoked | signature
    source_ip: str
    reported_domain: str
    arrival: str
    original_mail_from: str
    auth_results: str
    delivery_result: str
    dkim_domain: str
    dkim_selector: str
    identity_alignment: str
    original_headers: tuple[tuple[str, str], ...]
    message_id: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.reporter.lower(), self.message_id)


def _field(value: object) -> str:
    return str(value or "").strip()[:MAX_FIELD]


def parse_arf(data: bytes, source: str) -> FailureReport:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    fields: email.message.Message | None = None
    original: list[tuple[str, str]] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report" and fields is None:
            fields = _feedback_fields(part)
        elif kind in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            original = _original_headers(part)
    if fields is None:
        raise ReportError("a multipart/report without a message/feedback-report part")
    ip = _field(fields.get("Source-IP"))
    # an address that does not parse is kept as written: shown escaped, grouped under itself
    with contextlib.suppress(ValueError):
        ip = str(ipaddress.ip_address(ip.strip("[]")))
    domain = _field(fields.get("Reported-Domain")).lower().rstrip(".")
    if not domain:
        domain = _domain_of(next((v for n, v in original if n.lower() == "from"), ""))
    return FailureReport(
        source=source,
        reporter=_field(message.get("From")),
        feedback_type=_field(fields.get("Feedback-Type")).lower(),
        auth_failure=_field(fields.get("Auth-Failure")).lower(),
        source_ip=ip,
        reported_domain=domain,
        arrival=_field(fields.get("Arrival-Date")),
        original_mail_from=_field(fields.get("Original-Mail-From")),
        auth_results=_field(fields.get("Authentication-Results")),
        delivery_result=_field(fields.get("Delivery-Result")).lower(),
        dkim_domain=_field(fields.get("DKIM-Domain")).lower(),
        dkim_selector=_field(fields.get("DKIM-Selector")),
        identity_alignment=_field(fields.get("Identity-Alignment")).lower(),
        original_headers=tuple(original),
        message_id=_field(message.get("Message-ID")) or source,
    )


def _feedback_fields(part: email.message.Message) -> email.message.Message:
    """The fields live in the part's body (a header block); compat32 may have parsed it."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        return payload[0]
    raw = part.get_payload(decode=True)
    text = raw if isinstance(raw, bytes) else str(payload).encode("utf-8", "replace")
    return email.message_from_bytes(text.lstrip(b"\r\n"), policy=email.policy.compat32)


def _original_headers(part: email.message.Message) -> list[tuple[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        inner = payload[0]
    else:
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else str(payload).encode("utf-8", "replace")
        inner = email.message_from_bytes(data.lstrip(b"\r\n"), policy=email.policy.compat32)
    return [(str(name), _field(value)) for name, value in inner.items()[:MAX_HEADERS]]


def _domain_of(address: str) -> str:
    from email.utils import parseaddr

    _name, addr = parseaddr(address)
    return addr.rpartition("@")[2].lower().rstrip(">").rstrip(".") if "@" in addr else ""
