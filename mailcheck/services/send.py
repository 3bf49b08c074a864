"""`mailcheck send`: sign and check a message, deliver it through a submission server or the
recipients' MX hosts, and report per recipient what the servers said. Returns a Report."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.transport import TraceContext, judge
from mailcheck.message.dkim_sign import SigningKey, sign
from mailcheck.message.headers import split_headers
from mailcheck.message.smtp_codes import explain
from mailcheck.model import Finding, Report, Section, Status
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.net.probe import HostTrace, ProbeOptions, probe
from mailcheck.net.smtp import Reply, queue_id
from mailcheck.services.trace import (
    LOGIN_PORTS,
    Target,
    TraceRequest,
    resolve_targets,
    trace_section,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DkimPlan:
    """How `send` signs: the key, selector and domain, and the key file's safety."""

    key: SigningKey
    selector: str
    domain: str
    key_file: str = ""
    key_readable_by_others: bool = False


@dataclass(frozen=True)
class Prepared:
    """The message as it will be sent, and what we found out before sending it."""

    message: bytes
    findings: tuple[Finding, ...]
    signature_ok: bool = True


def prepare(message: bytes, dkim: DkimPlan | None, engine: DnsEngine) -> Prepared:
    """Sign (when asked), then verify the signature against the key published in DNS."""
    if dkim is None:
        return Prepared(message, ())
    from mailcheck.checks.signatures import verify_dkim

    findings: list[Finding] = []
    if dkim.key_readable_by_others:
        findings.append(
            finding(
                "send.dkim-key",
                Status.WARN,
                f"{dkim.key_file} is readable by other users: it is a private key",
            )
        )
    signed = sign(message, dkim.key, dkim.selector, dkim.domain)
    what = f"d={dkim.domain} s={dkim.selector} {dkim.key.algorithm} ({dkim.key.description})"
    record = f"{dkim.selector}._domainkey.{dkim.domain}"
    results = verify_dkim(signed, split_headers(signed), engine)
    ours = results[0]
    if ours.result == "pass":
        findings.append(
            finding(
                "send.dkim",
                Status.PASS,
                f"signed {what}; verified against the key at {record}",
            )
        )
        return Prepared(signed, tuple(findings))
    mismatch = _published_mismatch(dkim, ours.key)
    reason = mismatch or ours.reason
    status = Status.ERROR if ours.result == "temperror" else Status.FAIL
    findings.append(
        finding(
            "send.dkim",
            status,
            f"signed {what}, but it does not verify against {record}: {reason}",
        )
    )
    return Prepared(signed, tuple(findings), signature_ok=False)


def _published_mismatch(dkim: DkimPlan, published: Any) -> str:
    """When DNS has a key, say plainly if it is not the public half of ours."""
    if published is None or not getattr(published, "tags", None):
        return ""
    import base64

    try:
        data = base64.b64decode("".join(published.tags.get("p", "").split()))
    except ValueError:
        return ""
    if not data:
        return ""
    ours = dkim.key.public_der
    if data != ours:
        return f"the key published there is not the public half of {dkim.key_file or 'the key'}"
    return ""


@dataclass(frozen=True)
class SendRequest:
    """Everything `send` needs to deliver one message."""

    mail_from: str  # envelope sender (A-label domain unless SMTPUTF8)
    recipients: tuple[str, ...]
    server: str | None = None  # host or IP; None: each recipient domain's MX hosts
    port: int | None = None
    tls: str = "auto"
    ca_file: str | None = None
    tls_name: str | None = None
    ehlo: str = "mailcheck.invalid"
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log or traceback
    allow_insecure_auth: bool = False
    source_address: str | None = None
    family: int | None = None
    step_timeout: float = 10.0
    deadline: float = 120.0
    started: float | None = None  # time.monotonic() the deadline counts from (None: now)
    smtputf8: bool = False
    verbose: bool = False
    step_option: str = "--timeout"  # what timeout messages call the two limits
    deadline_option: str = "--deadline"


@dataclass
class Outcome:
    """What became of one recipient; `final` once a server accepted or refused it for good."""

    recipient: str
    status: str = "pending"  # accepted | rejected | deferred | unknown | pending
    reply: str = ""
    host: str = ""
    queue_id: str = ""
    history: list[str] = field(default_factory=list)
    hint: str | None = None  # what to do when nothing was sent for a reason of ours

    @property
    def final(self) -> bool:
        return self.status in ("accepted", "rejected", "unknown")


Routing = tuple[list[str], list[Target], str, bool]


def _routes(engine: DnsEngine, request: SendRequest) -> list[Routing]:
    """(recipients, hosts to try in order, problem, whether the problem is permanent) per
    route. A null MX (RFC 7505), a domain that does not exist or has no address is
    permanent, as an MTA bounces it; a lookup that failed is for later, as an MTA retries."""
    if request.server is not None:
        trace_request = TraceRequest(target=request.server, host_only=True, family=request.family)
        targets, _domain, early = resolve_targets(engine, trace_request, "smtp")
        problem = early[0].summary if early else ""
        return [(list(request.recipients), targets, problem, False)]
    by_domain: dict[str, list[str]] = {}
    for recipient in request.recipients:
        by_domain.setdefault(recipient.rpartition("@")[2].lower(), []).append(recipient)
    routes = []
    for domain, recipients in by_domain.items():
        trace_request = TraceRequest(target=domain, family=request.family)
        targets, _domain, early = resolve_targets(engine, trace_request, "smtp")
        problem = early[0].summary if early else ""
        permanent = bool(early) and early[0].status in (Status.SKIP, Status.FAIL)
        routes.append((recipients, targets, problem, permanent))
    return routes


def _options(request: SendRequest, message: bytes) -> ProbeOptions:
    """What every attempt shares: the connection settings (port and TLS mode as trace
    derives them) and the message; each attempt adds its recipients."""
    from mailcheck.message.compose import has_eight_bit
    from mailcheck.net.smtp import content_lines

    connection = TraceRequest(
        target="",
        protocol="smtp",
        port=request.port or 25,
        tls=request.tls,
        ehlo=request.ehlo,
        mail_from=request.mail_from,
        source_address=request.source_address,
        ca_file=request.ca_file,
        tls_name=request.tls_name,
        step_timeout=request.step_timeout,
        deadline=request.deadline,
        step_option=request.step_option,
        deadline_option=request.deadline_option,
        user=request.user,
        password=request.password,
        allow_insecure_auth=request.allow_insecure_auth,
    ).options()
    return dataclasses.replace(
        connection,
        message=message,
        shown_content=tuple(content_lines(message, request.verbose)),
        smtputf8=request.smtputf8,
        eight_bit=has_eight_bit(message),
    )


def _settle(trace: HostTrace, outcomes: dict[str, Outcome]) -> bool:
    """Record what this attempt means for each recipient; True when the route is done (no
    other host should be tried for the recipients still pending)."""
    where = f"{trace.host} [{trace.address}]"
    pending = [outcomes[r] for r in outcomes if not outcomes[r].final]

    def mark(
        status: str, text: str, targets: list[Outcome] | None = None, hint: str | None = None
    ) -> None:
        for outcome in pending if targets is None else targets:
            outcome.status, outcome.reply, outcome.host = status, text, trace.host
            outcome.hint = hint
            outcome.history.append(f"{where}: {text}")

    if not trace.reached:
        mark("deferred", f"could not connect ({trace.error.message if trace.error else ''})")
        return False
    if trace.content_sent and trace.data_reply is not None and trace.data_reply.code != 354:
        return _after_data(trace, outcomes, where)
    if trace.content_sent:
        accepted = _accepted_rcpts(trace, outcomes)
        # what came instead of the reply: silence, a hang-up, a reply that never ended
        what = trace.error.message if trace.error is not None else "the session ended"
        mark(
            "unknown",
            f"the whole message was sent, then no reply came ({what}): it may or may not "
            "have been accepted (not retried, to avoid a duplicate)",
            accepted,
        )
        _rcpt_refusals(trace, outcomes, where)
        return all(o.final for o in outcomes.values())
    if trace.error is not None:
        step = trace.failed_step or "connect"
        text = "the connection was lost" if trace.error.kind == "closed" else trace.error.message
        mark("deferred", f"{step}: {text}")
        return False
    if trace.greeting_code != 220:
        mark("deferred", f"refused at connect: {trace.greeting_code} {trace.greeting}")
        return False
    if trace.login in ("refused", "fault", "no-tls", "untrusted", "unavailable"):
        mark("rejected", _login_text(trace), hint=_login_hint(trace))
        return True
    if trace.blocked:
        mark("rejected", f"not sent: {trace.blocked}", hint=_NOT_SENT)
        return True
    if trace.mail_reply is not None and not trace.mail_reply.positive:
        status = "deferred" if trace.mail_reply.code < 500 else "rejected"
        mark(status, f"MAIL FROM refused: {_reply_text(trace.mail_reply)}")
        return status == "rejected"
    _rcpt_refusals(trace, outcomes, where)
    if trace.data_reply is not None and trace.data_reply.code != 354:
        accepted = _accepted_rcpts(trace, outcomes)
        status = "deferred" if trace.data_reply.code < 500 else "rejected"
        said = _reply_text(trace.data_reply)
        if trace.data_reply.code < 400:  # not a refusal: the server skipped "354 go ahead"
            said = f"the server answered DATA with {said} instead of 354: the message was not sent"
        else:
            said = f"DATA refused: {said}"
        mark(status, said, accepted)
    if trace.mail_reply is None and not trace.rcpt_replies:
        mark("deferred", "the session ended before MAIL FROM")
    return all(o.final for o in outcomes.values())


def _after_data(trace: HostTrace, outcomes: dict[str, Outcome], where: str) -> bool:
    reply = trace.data_reply
    assert reply is not None
    accepted = _accepted_rcpts(trace, outcomes)
    if reply.positive:
        qid = queue_id(reply)
        for outcome in accepted:
            outcome.status, outcome.reply, outcome.host = "accepted", str(reply), trace.host
            outcome.queue_id = qid
            outcome.history.append(f"{where}: {reply}")
    else:
        status = "deferred" if reply.code < 500 else "rejected"
        text = f"message refused after DATA: {_reply_text(reply)}"
        for outcome in accepted:
            outcome.status, outcome.reply, outcome.host = status, text, trace.host
            outcome.history.append(f"{where}: {text}")
    _rcpt_refusals(trace, outcomes, where)
    return all(o.final for o in outcomes.values())


def _accepted_rcpts(trace: HostTrace, outcomes: dict[str, Outcome]) -> list[Outcome]:
    return [outcomes[r] for r, reply in trace.rcpt_replies if reply.positive and r in outcomes]


def _rcpt_refusals(trace: HostTrace, outcomes: dict[str, Outcome], where: str) -> None:
    for recipient, reply in trace.rcpt_replies:
        if reply.positive or recipient not in outcomes:
            continue
        outcome = outcomes[recipient]
        outcome.status = "deferred" if reply.code < 500 else "rejected"
        outcome.reply = f"RCPT TO refused: {_reply_text(reply)}"
        outcome.host = trace.host
        outcome.history.append(f"{where}: {outcome.reply}")


def _reply_text(reply: Reply) -> str:
    return f"{reply} ({explain(reply.code, reply.enhanced)})"


def _login_text(trace: HostTrace) -> str:
    if trace.login == "refused":
        reply = trace.login_reply
        why = _reply_text(reply) if reply and reply.code >= 400 else trace.login_text
        return f"not sent: the server refused the login: {why}"
    return f"not sent: {trace.login_text}"


def _login_hint(trace: HostTrace) -> str:
    """What to do when the message stayed here because the login did not happen: the
    advice of the login itself, never the one about a message too big for the server."""
    if trace.login == "refused":
        return "Nothing was sent: the server refused the login. Check --user and the password."
    if trace.login == "fault":
        return (
            "Nothing was sent: the server claimed success before the password was sent, "
            "which no working server does. Submit through another server."
        )
    if trace.login == "unavailable":
        return (
            "Nothing was sent: the server offers no login mechanism mailcheck speaks. Submit "
            "through a server that offers one over TLS."
        )
    return (
        "Nothing was sent: the password goes only over TLS, to a certificate trusted for the "
        "server's name. Fix the server's TLS, or name what to trust (--tls-name, --ca-file); "
        "--allow-insecure-auth sends it anyway."
    )


def deliver(
    engine: DnsEngine,
    request: SendRequest,
    prepared: Prepared,
    progress: Progress | None = None,
) -> tuple[list[Section], list[Outcome]]:
    """Try each route's hosts in order (the next on connection failure or 4xx, as an MTA
    does); never beyond a definite answer, never again after the message may have arrived."""
    sections: list[Section] = []
    outcomes: list[Outcome] = []
    started = time.monotonic() if request.started is None else request.started
    shared = dataclasses.replace(
        _options(request, prepared.message), ends_at=started + request.deadline
    )
    for recipients, targets, problem, permanent in _routes(engine, request):
        route = {r: Outcome(r) for r in recipients}
        outcomes.extend(route.values())
        if problem:
            for outcome in route.values():
                outcome.status = "rejected" if permanent else "deferred"
                outcome.reply = problem
            continue
        done = False
        tried: list[HostTrace] = []
        for target in targets:
            if done:
                break
            if target.problem:
                for outcome in route.values():
                    if not outcome.final:
                        outcome.history.append(target.problem)
                        outcome.status, outcome.reply = "deferred", target.problem
                continue
            for address in target.addresses:
                pending = [r for r, o in route.items() if not o.final]
                if progress:
                    progress(f"sending to {target.host} [{address}]")
                options = dataclasses.replace(shared, rcpt=tuple(pending))
                trace = probe(target.host, address, options, target.preference)
                tried.append(trace)
                done = _settle(trace, {r: route[r] for r in pending})
                if trace.reached:
                    break  # next host, not the next address of this one
        answered = all(o.status in ("accepted", "rejected") for o in route.values())
        sections.extend(_attempt_section(t, request, shared, answered) for t in tried)
    return sections, outcomes


def _attempt_section(
    trace: HostTrace, request: SendRequest, options: ProbeOptions, answered: bool
) -> Section:
    """`answered`: every recipient of the route got a definite answer (from this host or a
    later one), so what went wrong with this host's transport did not stop the mail."""
    context = TraceContext(
        names=(trace.verified_name,),
        require_tls=options.tls in ("starttls", "implicit"),
        login_port=options.port in LOGIN_PORTS,
        ca_file=request.ca_file,
        sending=True,
    )
    # Delivery decides the exit code; what the transport looked like is advice (a
    # self-signed certificate on an MX does not stop the mail): a FAIL is a WARN here. What
    # could not be determined (silence, a lost connection) stays ERROR, as in trace, unless
    # another host then delivered or refused the message for good.
    demoted = (Status.FAIL, Status.ERROR) if answered else (Status.FAIL,)
    findings = [
        dataclasses.replace(f, status=Status.WARN) if f.status in demoted else f
        for f in judge(trace, context)
    ]
    return trace_section(trace, findings)


def recipient_findings(outcomes: list[Outcome]) -> list[Finding]:
    out = []
    for outcome in outcomes:
        hint = None
        if outcome.status == "accepted":
            qid = f", queue id {outcome.queue_id}" if outcome.queue_id else ""
            status, text = Status.PASS, f"accepted by {outcome.host}{qid}: {outcome.reply}"
        elif outcome.status == "rejected":
            status, text = Status.FAIL, f"rejected: {outcome.reply}"
            # refused by us before MAIL FROM (SIZE, SMTPUTF8, no login): no reply to read
            hint = outcome.hint
        elif outcome.status == "unknown":
            status, text = Status.ERROR, f"unknown: {outcome.reply}"
        else:
            tried = len(outcome.history)
            after = f" (after {tried} attempt{'s' if tried != 1 else ''})" if tried else ""
            status, text = Status.ERROR, f"not delivered{after}: {outcome.reply}"
        out.append(
            finding(
                "send.recipient",
                status,
                f"{outcome.recipient}: {text}",
                subject=outcome.recipient,
                evidence=tuple(outcome.history),
                hint=hint,
            )
        )
    return out


_NOT_SENT = (
    "Nothing was sent: the server's EHLO said it would refuse this message. Make it fit "
    "(smaller attachments, ASCII addresses), or send through a server that accepts it."
)


def send_report(
    subject: str,
    display: str,
    message_findings: list[Finding],
    attempts: list[Section],
    outcomes: list[Outcome],
    data: dict[str, Any],
    started: float,
    engine: DnsEngine,
) -> Report:
    sections = [Section("send", "Message", tuple(message_findings))]
    sections.extend(attempts)
    if outcomes:
        sections.append(Section("send", "Delivery", tuple(recipient_findings(outcomes))))
        data = {
            **data,
            "recipients": [
                {
                    "address": o.recipient,
                    "status": o.status,
                    "reply": o.reply,
                    "host": o.host,
                    "queue_id": o.queue_id,
                    "attempts": o.history,
                }
                for o in outcomes
            ],
        }
    return Report(
        "send",
        subject,
        tuple(sections),
        display=display,
        duration=time.monotonic() - started,
        dns=engine.stats(),
        queries=engine.log(),
        data=data,
    )
