"""`mailcheck send --check-delivery imap://user@host/FOLDER`: log in to the receiving mailbox
(TLS verified for its name before the password), send, wait a bounded time for the message
with our token, read it without marking it seen, verify the delivered copy.

The mailbox is opened before the message goes out, so a wrong password or an untrusted
certificate stops the run before anything is sent.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from mailcheck.catalog import finding
from mailcheck.errors import NetworkError, UsageError
from mailcheck.escape import decode
from mailcheck.model import Report, Section, Status
from mailcheck.net.address import is_ip_address
from mailcheck.net.session import SessionError

if TYPE_CHECKING:
    from mailcheck.feedback.imap import Mailbox
    from mailcheck.net.dns.engine import DnsEngine

FIRST_POLL, MAX_POLL = 1.0, 10.0  # seconds between searches: doubling, capped
_SEARCH = re.compile(r"^\* SEARCH((?: \d+)*)", re.I)


@dataclass(frozen=True)
class DeliveryTarget:
    """The mailbox `send --check-delivery` watches for the message."""

    user: str
    host: str
    port: int
    folder: str
    implicit: bool

    @property
    def label(self) -> str:
        scheme = "imaps" if self.implicit else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_target(text: str) -> DeliveryTarget:
    """imap://user@host[:port]/FOLDER (STARTTLS, 143) or imaps:// (implicit TLS, 993)."""
    option = f"--check-delivery {text!r}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if parts.scheme.lower() not in ("imap", "imaps"):
        raise UsageError(f"{option}: give imap://user@host[:port]/FOLDER (or imaps://)")
    if parts.password is not None:
        raise UsageError(  # the URL itself is not repeated: it holds the password
            "--check-delivery: a password in the URL lands in shell history",
            hint="use --delivery-password-env VAR, --delivery-password-file FILE or the prompt",
        )
    user = unquote(parts.username or "")
    host = (parts.hostname or "").rstrip(".")
    if not user or not host:
        raise UsageError(f"{option}: give the user and the host (imap://user@host/INBOX)")
    if is_ip_address(host):
        raise UsageError(
            f"{option}: give the server's name: its certificate is checked for that name "
            "before the password is sent"
        )
    if any(ord(c) < 0x20 or c == "\x7f" for c in user + host):
        raise UsageError(f"{option}: control characters are not allowed")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    implicit = parts.scheme.lower() == "imaps"
    return DeliveryTarget(user, host, port or (993 if implicit else 143), folder, implicit)


def open_target(
    target: DeliveryTarget,
    password: str,
    engine: DnsEngine,
    ca_file: str | None,
    step_timeout: float,
    deadline: float,
) -> Mailbox:
    """Logged in and EXAMINEd (read-only). The certificate must be trusted, valid and name the
    host before the password goes out (report --imap's judgement, reused)."""
    from mailcheck.feedback.imap import ImapOptions, LiteralSession, _address, _login
    from mailcheck.net.session import Transcript

    options = ImapOptions(
        server=f"{target.host}:{target.port}",
        user=target.user,
        folder=target.folder,
        tls="implicit" if target.implicit else "starttls",
        ca_file=ca_file,
        step_timeout=step_timeout,
    )
    address = _address(engine, target.host)
    session = LiteralSession(Transcript(), step_timeout, time.monotonic() + deadline)
    try:
        return _login(
            options, session, target.host, address, target.port, target.implicit, password
        )
    except SessionError as exc:
        session.close()
        raise NetworkError(f"--check-delivery {target.label}: {exc.message}") from None
    except BaseException:
        session.close()
        raise


@dataclass
class Arrival:
    """The message found in the mailbox (or not), with the time it took."""

    data: bytes = b""
    uid: int = 0
    seconds: float = 0.0
    polls: int = 0
    problem: str = ""  # the mailbox failed while waiting: arrival unknown


def _search(box: Mailbox, token: str) -> list[int]:
    box.client.command("NOOP")  # a read-only folder learns of new messages on NOOP
    reply = box.client.command(f'UID SEARCH HEADER X-Mailcheck-Token "{token}"')
    if reply.status != "OK":
        raise SessionError("garbage", f"UID SEARCH refused: {reply.text[:200]}")
    uids: list[int] = []
    for line in reply.untagged:
        match = _SEARCH.match(line)
        if match:
            uids.extend(int(n) for n in match.group(1).split())
    return uids


def wait_for(box: Mailbox, token: str, wait: float) -> Arrival:
    """Search for the token until it is there or `wait` seconds have passed; then fetch it
    with BODY.PEEK (its \\Seen flag stays as it was)."""
    started = time.monotonic()
    ends = started + wait
    pause = FIRST_POLL
    arrival = Arrival()
    try:
        while True:
            arrival.polls += 1
            uids = _search(box, token)
            if uids:
                arrival.seconds = time.monotonic() - started
                arrival.uid = uids[-1]
                arrival.data = box._fetch(arrival.uid)
                return arrival
            left = ends - time.monotonic()
            if left <= 0:
                arrival.seconds = time.monotonic() - started
                return arrival
            time.sleep(min(pause, left))
            pause = min(pause * 2, MAX_POLL)
    except SessionError as exc:
        arrival.problem = exc.message
        arrival.seconds = time.monotonic() - started
        box.session.close()
        return arrival
    except BaseException:
        box.session.close()  # Ctrl-C: no LOGOUT that could wait a whole step
        raise
    finally:
        if box.session.sock is not None:
            box.finish({})


def delivery_sections(
    target: DeliveryTarget,
    arrival: Arrival | None,
    wait: float,
    engine: DnsEngine,
    authserv_ids: frozenset[str],
) -> tuple[list[Section], dict[str, Any]]:
    """The delivery section (arrival, delay, the receiver's Authentication-Results beside our
    verdict) and, when it arrived, verify's sections for the delivered copy."""
    where = target.label
    data: dict[str, Any] = {"mailbox": where, "wait": wait}
    if arrival is None:
        item = finding(
            "send.arrived",
            Status.SKIP,
            f"no recipient accepted the message: {where} was not searched",
        )
        return [Section("send", "Delivery check", (item,))], data
    data.update({"polls": arrival.polls, "seconds": round(arrival.seconds, 1)})
    if arrival.problem:
        item = finding(
            "send.arrived",
            Status.ERROR,
            (
                f"could not determine whether it arrived: {where}: {arrival.problem} "
                f"(after {arrival.seconds:.1f} s)"
            ),
        )
        return [Section("send", "Delivery check", (item,))], data
    if not arrival.data:
        item = finding(
            "send.arrived",
            Status.ERROR,
            f"not in {where} after {arrival.seconds:.0f} s ({arrival.polls} searches; "
            f"--delivery-wait {wait:g}): delayed, filtered to another folder, or lost",
        )
        return [Section("send", "Delivery check", (item,))], data
    from mailcheck.message.headers import split_headers
    from mailcheck.messages import RawMessage
    from mailcheck.services.verify import VerifyRequest, verify_message

    data.update({"uid": arrival.uid, "size": len(arrival.data)})
    checked = verify_message(
        RawMessage(f"{where};UID={arrival.uid}", arrival.data, kind="folder"),
        engine,
        VerifyRequest(authserv_ids=authserv_ids),
    )
    ours = str(checked.data.get("verdict", ""))
    theirs = [decode(v) for v in split_headers(arrival.data).values("Authentication-Results")]
    data.update({"receiver_authentication_results": theirs, "verdict": ours})
    items = [
        finding(
            "send.arrived",
            Status.PASS,
            f"arrived in {where} (UID {arrival.uid}) {arrival.seconds:.1f} s after the "
            f"server accepted it ({arrival.polls} searches); read with BODY.PEEK, left unseen",
        ),
        finding(
            "send.auth-results",
            Status.INFO,
            (
                ("the receiver says: " + " | ".join(theirs))
                if theirs
                else "the receiver added no Authentication-Results header"
            )
            + f"; mailcheck says: {ours}",
            evidence=tuple(theirs),
        ),
    ]
    sections = [Section("send", "Delivery check", tuple(items))]
    for section in checked.sections:
        sections.append(
            Section(
                section.family,
                f"Delivered copy: {section.title}",
                section.findings,
                section.headline,
                section.data,
            )
        )
    return sections, data


def with_delivery(report: Report, sections: list[Section], data: dict[str, Any]) -> Report:
    from dataclasses import replace

    return replace(
        report,
        sections=report.sections + tuple(sections),
        data={**report.data, "delivery": data},
    )
