"""Report messages from an IMAP folder (RFC 9051/3501): TLS verified for the server's name before
the password goes out, EXAMINE (read-only) unless --move-to, every literal bounded in size."""

from __future__ import annotations

import contextlib
import datetime
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck.errors import InputError, NetworkError, UsageError
from mailcheck.escape import printable
from mailcheck.feedback.unpack import Item, Problem, expand_safely
from mailcheck.net.address import is_ip_address, split_host_port
from mailcheck.net.mailbox import ImapClient, ImapStatus, greeting_capabilities, imap_login
from mailcheck.net.sasl import certificate_problem
from mailcheck.net.session import Budget, Session, SessionError, Transcript

if TYPE_CHECKING:
    from mailcheck.net.dns.engine import DnsEngine

MAILBOX = "report.mailbox"
MAX_MESSAGES = 10_000
MAX_MESSAGE = 32 * 1024 * 1024
_LITERAL = re.compile(r"\{(\d+)\}$")
_SIZE = re.compile(r"UID (\d+).*RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*UID (\d+)", re.I)


@dataclass(frozen=True)
class ImapOptions:
    """Which mailbox to read (report --imap, send --check-delivery) and how to reach it; the
    password comes apart, already read."""

    server: str | None = None
    user: str | None = None
    folder: str = "INBOX"
    move_to: str | None = None
    tls: str = "auto"
    ca_file: str | None = None
    step_timeout: float = 10.0


class LiteralSession(Session):
    """A Session that also reads IMAP literals ({N} then N bytes), never more than asked."""

    def read_exact(self, size: int) -> bytes:
        started = time.monotonic()  # a literal gets one step budget, however it trickles in
        while len(self._buffer) < size:
            self._fill(started)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        self.transcript.add("S", f"({size} bytes)")
        return data


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_name(name: str) -> str:
    """A folder name in modified UTF-7 (RFC 3501 §5.1.3), quoted: "Entwürfe" is
    "Entw&APw-rfe"; control characters cannot break out of the quoted string."""
    import base64

    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return _quote("".join(out))


def _target(text: str) -> tuple[str, int | None]:
    try:
        host, port = split_host_port(text)
    except ValueError as exc:
        raise UsageError(f"--imap {text!r}: {exc}") from None
    if not host or any(c.isspace() or c in "/@" for c in host):
        raise UsageError(f"--imap {text!r}: give a host name or an IP address")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise UsageError(f"--imap {text!r}: invalid port")
    return host, int(port) if port else None


def _address(engine: DnsEngine, host: str) -> str:
    """Through our DNS engine, like every other lookup (never the system resolver)."""
    if is_ip_address(host):
        return host
    for rdtype in ("A", "AAAA"):
        answer = engine.resolve(host, rdtype)
        if answer.records:
            return str(answer.records[0].text)
        if answer.outcome.is_error:
            raise NetworkError(f"--imap {host}: could not resolve ({answer.describe()})")
    raise InputError(f"--imap {host}: the name has no A or AAAA record")


class Mailbox:
    """An open, logged-in IMAP session on one folder."""

    def __init__(self, options: ImapOptions, session: LiteralSession, client: ImapClient) -> None:
        self.options = options
        self.session = session
        self.client = client
        self.label = f"imap://{options.server}/{options.folder}"
        self.uids: dict[str, int] = {}  # carrier label -> UID
        self.caps: list[str] = []
        self.broken = False  # the connection failed: nothing more is sent on it

    def items(self) -> Iterator[Item]:
        """Each message's reports; a broken connection ends the reading with one problem
        (what was read so far is still judged, and the run is inconclusive)."""
        try:
            sizes = self._sizes()
            wanted = sorted(sizes)[:MAX_MESSAGES]
            for done, uid in enumerate(wanted):
                label = f"{self.label};UID={uid}"
                if sizes[uid] > MAX_MESSAGE:
                    yield Problem(label, f"{sizes[uid]} bytes: larger than mailcheck reads")
                    continue
                try:
                    data = self._fetch(uid)
                except SessionError as exc:
                    self.broken = True
                    left = len(wanted) - done
                    yield Problem(label, f"{exc.message}; {left} message(s) not read")
                    return
                self.uids[label] = uid
                yield from expand_safely(label, data, message_id=label)
        except SessionError as exc:
            self.broken = True
            yield Problem(self.label, exc.message, check_id=MAILBOX)
            return
        if len(sizes) > MAX_MESSAGES:
            why = f"{len(sizes)} messages: only the first {MAX_MESSAGES} read"
            yield Problem(self.label, why, check_id=MAILBOX)

    def _sizes(self) -> dict[int, int]:
        reply = self._ok("UID FETCH 1:* (UID RFC822.SIZE)", allow_no=True)
        out: dict[int, int] = {}
        for line in reply.untagged:
            match = _SIZE.search(line)
            if match:
                uid = match.group(1) or match.group(4)
                size = match.group(2) or match.group(3)
                out[int(uid)] = int(size)
        return out

    def _fetch(self, uid: int) -> bytes:
        """UID FETCH n (BODY.PEEK[]): PEEK leaves \\Seen alone (read-only means read-only)."""
        self.client._tag += 1
        tag = f"a{self.client._tag}"
        self.session.write_line(f"{tag} UID FETCH {uid} (BODY.PEEK[])")
        data = b""
        for _ in range(1000):
            line = self.session.read_line()
            match = _LITERAL.search(line)
            if match:
                size = int(match.group(1))
                if size > MAX_MESSAGE:
                    raise SessionError("too-long", f"a {size}-byte message literal")
                data = self.session.read_exact(size)
                continue
            if line.startswith(tag + " "):
                if not line[len(tag) + 1 :].upper().startswith("OK"):
                    raise SessionError("garbage", f"UID FETCH {uid}: {line[:120]}")
                return data
        raise SessionError("too-long", "an endless FETCH response")

    def _ok(self, command: str, shown: str | None = None, allow_no: bool = False) -> ImapStatus:
        reply = self.client.command(command, shown)
        if reply.status != "OK" and not (allow_no and reply.status == "NO"):
            raise NetworkError(f"{self.label}: {command.split()[0]} refused: {reply.text[:200]}")
        return reply

    def finish(self, carriers: dict[str, bool]) -> None:
        """--move-to: move the messages whose every report was read; then log out."""
        if self.broken:
            self.session.close()
            return
        try:
            target = self.options.move_to
            done = sorted(self.uids[k] for k, ok in carriers.items() if ok and k in self.uids)
            if target and done:
                uid_set = ",".join(str(u) for u in done)
                # the folder the user named may not exist yet; NO (it exists) is fine
                self.client.command(f"CREATE {mailbox_name(target)}")
                if "MOVE" in self.caps:
                    self._ok(f"UID MOVE {uid_set} {mailbox_name(target)}")
                else:
                    self._ok(f"UID COPY {uid_set} {mailbox_name(target)}")
                    self._ok(f"UID STORE {uid_set} +FLAGS.SILENT (\\Deleted)")
                    # a plain EXPUNGE would also remove what the user had marked \Deleted:
                    # without UIDPLUS the copies stay flagged, for the user's client to purge
                    if "UIDPLUS" in self.caps:
                        self._ok(f"UID EXPUNGE {uid_set}")
            with contextlib.suppress(SessionError):
                self.client.command("LOGOUT")
        except SessionError as exc:
            raise NetworkError(f"{self.label}: {exc.message}") from None
        finally:
            self.session.close()


def unreachable(options: ImapOptions, error: NetworkError) -> Problem:
    """A mailbox that could not be opened (unreachable, silent, TLS not verified): an ERROR
    finding of the run, as an unreachable server is in trace, and the other inputs' reports
    are still shown; only the command line's own mistakes (exit 2) end the run."""
    why = re.sub(r"^--imap \S+: ", "", error.message)  # the label names the server already
    where = f"imap://{options.server}/{options.folder}"
    return Problem(where, why, check_id=MAILBOX, hint=error.hint)


def imap_address(options: ImapOptions) -> tuple[str, int, bool]:
    """(host, port, implicit TLS) of --imap, checked before the password is asked for."""
    assert options.server is not None
    host, port = _target(options.server)
    if not options.user:
        raise UsageError("--imap needs --user (and --password-env or --password-file)")
    if options.tls == "none":
        raise UsageError("--imap with --tls none: the password is never sent without TLS")
    implicit = options.tls == "implicit" or (options.tls == "auto" and port in (None, 993))
    return host, port or (993 if implicit else 143), implicit


def open_mailbox(
    options: ImapOptions,
    where: tuple[str, int, bool],
    password: str,
    engine: DnsEngine,
    deadline: float,
) -> Mailbox:
    host, port, implicit = where
    address = _address(engine, host)
    budget = Budget(step=options.step_timeout, total=deadline)
    session = LiteralSession(Transcript(), budget, time.monotonic() + deadline)
    try:
        return _login(options, session, host, address, port, implicit, password)
    except SessionError as exc:
        session.close()
        raise NetworkError(f"--imap {host}:{port}: {exc.message}") from None
    except BaseException:
        session.close()
        raise


def _login(
    options: ImapOptions,
    session: LiteralSession,
    host: str,
    address: str,
    port: int,
    implicit: bool,
    password: str,
) -> Mailbox:
    session.connect(address, port)
    client = ImapClient(session)
    try:
        if implicit:
            _verified_tls(session, host, options.ca_file)
        greeting = client.greeting()
    except SessionError as exc:
        # a TLS choice that is not the server's: say which --tls to try, as trace does
        from mailcheck.checks.connection import tls_mismatch_hint

        up = session.tls is not None
        hint = tls_mismatch_hint("imap", port, exc, session.first, greeting=True, tls_up=up)
        raise NetworkError(f"--imap {host}:{port}: {exc.message}", hint=hint or "") from None
    caps = greeting_capabilities(greeting) or client.capabilities()[1]
    if not implicit:
        if "STARTTLS" not in caps:
            raise NetworkError(f"--imap {host}:{port}: no STARTTLS offered; the password stays")
        if client.command("STARTTLS").status != "OK":
            raise NetworkError(f"--imap {host}:{port}: STARTTLS refused; the password stays")
        _verified_tls(session, host, options.ca_file)
        caps = client.capabilities()[1]  # what was offered before TLS is void after (9051 7.1)
    # the login path trace uses: AUTHENTICATE when offered, LOGIN unless LOGINDISABLED
    login = imap_login(client, options.user or "", password, caps)
    if not login.mechanism:
        raise NetworkError(f"--imap {host}: {printable(login.text)}")
    if login.fault:
        raise NetworkError(f"--imap {host}: {printable(login.text[:300])}")
    if not login.accepted:
        raise InputError(
            f"--imap {host}: login refused ({login.mechanism}): {printable(login.text[:200])}"
        )
    box = Mailbox(options, session, client)
    box.caps = client.capabilities()[1]
    verb = "SELECT" if options.move_to else "EXAMINE"  # EXAMINE: nothing can change
    reply = client.command(f"{verb} {mailbox_name(options.folder)}")
    if reply.status != "OK":
        raise InputError(f"--imap {host}: folder {options.folder!r}: {reply.text[:200]}")
    return box


def _verified_tls(session: Session, host: str, ca_file: str | None) -> None:
    """The rule trace's login test follows (net/sasl.certificate_problem): trusted chain,
    valid now, names the host."""
    from mailcheck.net.tlsinfo import presented_chain

    def injected(_data: bytes) -> None:
        raise SessionError("tls", "bytes arrived before the TLS handshake (STARTTLS injection)")

    tls = session.start_tls(host, injected)
    now = datetime.datetime.now(datetime.timezone.utc)
    problem = certificate_problem(presented_chain(tls), ca_file, now, host)
    if problem:
        raise NetworkError(f"--imap {host}: {problem}: the password was not sent")
