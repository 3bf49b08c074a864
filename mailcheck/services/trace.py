"""`mailcheck trace`: find the server(s), hold the conversation, judge it; returns a Report."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mailcheck.catalog import finding
from mailcheck.checks.connection import IMPLICIT_DEFAULT
from mailcheck.checks.transport import TraceContext, certificate_data, connect_id, judge
from mailcheck.model import Finding, Report, Section, Status, TranscriptLine
from mailcheck.net.address import is_ip_address
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.net.probe import HostTrace, ProbeOptions, probe, wants
from mailcheck.net.tlsprobe import Grading, Handshake
from mailcheck.services.trace_dns import LOGIN_PORTS as LOGIN_PORTS
from mailcheck.services.trace_dns import Beside, Policy
from mailcheck.services.trace_dns import context as judging_context
from mailcheck.services.trace_dns import policy_of as policy_of

IMPLICIT_PORTS = {port: protocol for protocol, port in IMPLICIT_DEFAULT.items()}
PROTOCOL_PORTS = {143: "imap", 993: "imap", 110: "pop3", 995: "pop3"}
DEFAULT_PORT = {"smtp": 25, "imap": 143, "pop3": 110}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TraceRequest:
    """Everything `trace` needs to talk to its target."""

    target: str
    protocol: str | None = None
    port: int | None = None
    tls: str = "auto"
    require_tls: bool = False
    ehlo: str = "mailcheck.invalid"
    mail_from: str | None = None
    rcpt: tuple[str, ...] = ()
    quit_after: str | None = None
    family: int | None = None
    source_address: str | None = None
    ca_file: str | None = None
    tls_name: str | None = None  # verify (and SNI) this name, whatever the target
    all_mx: bool = False
    host_only: bool = False
    step_timeout: float = 10.0
    deadline: float = 60.0
    step_option: str = "--timeout"  # which options set the two limits, for messages
    deadline_option: str = "--deadline"
    # a caller's deadline (monotonic) that ends sooner than `deadline`: `domain --smtp` under
    # the run's --deadline or the domain's --domain-deadline (which `deadline_option` names)
    ends_at: float | None = None
    user: str | None = None
    password: str | None = None
    https_port: int | None = None
    allow_private: bool = False  # fetch the MTA-STS policy from a non-public address
    allow_insecure_auth: bool = False
    grade_tls: bool = True  # dedicated handshakes per TLS version and a grade (SMTP only)

    def options(self) -> ProbeOptions:
        protocol = self.protocol or PROTOCOL_PORTS.get(self.port or 0, "smtp")
        tls = self.tls
        if self.port is None:
            port = IMPLICIT_DEFAULT[protocol] if tls == "implicit" else DEFAULT_PORT[protocol]
        else:
            port = self.port
        if tls == "auto" and IMPLICIT_PORTS.get(port) == protocol:
            tls = "implicit"
        return ProbeOptions(
            protocol=protocol,
            port=port,
            tls=tls,
            ehlo=self.ehlo,
            mail_from=self.mail_from,
            rcpt=self.rcpt,
            quit_after=self.quit_after,
            source_address=self.source_address,
            step_timeout=self.step_timeout,
            deadline=self.deadline,
            step_option=self.step_option,
            deadline_option=self.deadline_option,
            user=self.user,
            password=self.password,
            allow_insecure_auth=self.allow_insecure_auth,
            ca_file=self.ca_file,
            tls_name=self.tls_name,
        )


@dataclass
class Target:
    """A host to trace: its name, MX preference and addresses, or why it cannot be."""

    host: str
    preference: int | None
    addresses: list[str]
    problem: str = ""


def _addresses(engine: DnsEngine, host: str, family: int | None) -> tuple[list[str], str]:
    return _addresses_of(engine, [host], family)[0]


def _addresses_of(
    engine: DnsEngine, hosts: list[str], family: int | None
) -> list[tuple[list[str], str]]:
    """Each host's addresses (or why there are none): every A and AAAA question asked at
    once, in the hosts' order, then awaited (one round trip, not two per host)."""
    types = {4: ("A",), 6: ("AAAA",)}.get(family or 0, ("A", "AAAA"))
    asked = [[engine.submit(host, t) for t in types] for host in hosts]
    return [
        _found(host, [f.result() for f in futures], types)
        for host, futures in zip(hosts, asked, strict=True)
    ]


def _found(host: str, answers: list[Answer], types: tuple[str, ...]) -> tuple[list[str], str]:
    found = [r.text for a in answers for r in a.records]
    if found:
        return found, ""
    errors = [a for a in answers if a.outcome.is_error]
    if errors:
        return [], f"could not resolve {host}: {errors[0].describe()}"
    if all(a.outcome is Outcome.NXDOMAIN for a in answers):
        return [], f"{host} does not exist (NXDOMAIN)"
    return [], f"{host} has no {' or '.join(types)} record"


def resolve_targets(
    engine: DnsEngine, request: TraceRequest, protocol: str
) -> tuple[list[Target], str | None, list[Finding]]:
    """Hosts to try in order; the mail domain when the target was one; findings on the way.
    A mail domain is resolved as RFC 5321 section 5.1 says, for `trace` and `domain --smtp`
    alike: its MX hosts; without MX records the domain itself (the implicit MX); a null MX
    (RFC 7505), a name that does not exist or one without any address: nothing to contact."""
    name = request.target.strip().rstrip(".").lower()
    if is_ip_address(name.strip("[]")):
        return [Target(name.strip("[]"), None, [name.strip("[]")])], None, []
    if protocol != "smtp" or request.host_only:
        addresses, problem = _addresses(engine, name, request.family)
        return [Target(name, None, addresses, problem)], None, []
    mx = engine.resolve(name, "MX")
    hosts = sorted(
        (r.rdata.preference, r.rdata.exchange.to_text(omit_final_dot=True).lower())
        for r in mx.records
    )
    if mx.outcome.is_error:
        why = f"could not look up the MX hosts: {mx.describe()}"
        return [], None, [finding("smtp.connect", Status.ERROR, why)]
    if mx.outcome is Outcome.NXDOMAIN:
        return [], name, [_nothing(f"{name} does not exist: nothing to contact", Status.FAIL)]
    if hosts and all(h == "" or h == "." for _p, h in hosts):
        # the domain says it takes no mail (RFC 7505): as it should be, not a failure
        return [], name, [_nothing(f"{name} publishes a null MX: no MX host to contact")]
    if hosts:
        found = _addresses_of(engine, [host for _p, host in hosts], request.family)
        targets = [
            Target(host, preference, addresses, problem)
            for (preference, host), (addresses, problem) in zip(hosts, found, strict=True)
        ]
        return targets, name, []
    addresses, problem = _addresses(engine, name, request.family)
    if not addresses and not problem.startswith("could not"):
        why = f"{name} has no MX records and no address (A/AAAA): nothing to contact"
        return [], name, [_nothing(why, Status.FAIL)]
    # the implicit MX: the domain itself (RFC 5321 section 5.1; no "MX 0" shown, as no MX
    # record names it)
    return [Target(name, None, addresses, problem)], name, []


def _nothing(why: str, status: Status = Status.SKIP) -> Finding:
    # a name that DNS says does not exist, or has no address, is a known answer: FAIL (never
    # OK: a trace of a misspelt name must not pass), and ERROR only when the lookup failed
    return finding("smtp.connect", status, why, hint=_NO_NAME if status is Status.FAIL else None)


# the connection hint (firewalls, a running service) is beside the point when DNS said no
_NO_NAME = "Check the spelling of the name, and that its MX or A/AAAA records are published."


def _unresolved(problem: str) -> Status:
    """A lookup that failed is inconclusive; NXDOMAIN or no address is an answer."""
    return Status.ERROR if problem.startswith("could not") else Status.FAIL


Attempt = tuple[HostTrace, Grading | None]


def _try_host(target: Target, options: ProbeOptions, grade: bool, beside: Beside) -> list[Attempt]:
    """The conversation with each of the host's addresses until one answers; with `grade`,
    the grading handshakes run alongside each conversation (a trace used to last as long
    as both, one after the other), as do the DNS questions about the address (`beside`)."""
    attempts: list[Attempt] = []
    for address in target.addresses:
        beside.host(target.host, address, options.protocol, options.tls_name)
        grading = None
        if grade:
            grading = Grading(target.host, address, options, options.tls_name or target.host)
        result = None
        try:
            result = probe(target.host, address, options, target.preference, grading)
        finally:
            if grading is not None and (result is None or not _gradable(result)):
                grading.close()  # nothing to grade: the probes not started are skipped
        attempts.append((result, grading))
        if result.reached:
            break
    return attempts


_GRADING = ("OpenSSL.SSL", "mailcheck.checks.tls_grade")


def _preload(modules: tuple[str, ...]) -> threading.Thread | None:
    """Import `modules` in a thread of their own, joined before the trace returns: a daemon
    thread still inside cryptography's Rust code when the interpreter exits (a refused
    connection ends the run in a few ms) aborts the process ("FATAL: exception not
    rethrown"). A failed import here is retried, and reported, where it is needed."""
    wanted = [m for m in modules if m not in sys.modules]
    if not wanted:
        return None
    thread = threading.Thread(target=_import_all, args=(wanted,), name="mailcheck-preload")
    thread.start()
    return thread


def _import_all(modules: list[str]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def run_trace(
    engine: DnsEngine,
    request: TraceRequest,
    progress: Progress | None = None,
    policy: Policy | None = None,
) -> Report:
    """`policy`: the domain's MTA-STS policy when the caller already fetched it."""
    preloading: list[threading.Thread] = []
    try:
        return _run_trace(engine, request, progress, policy, preloading)
    finally:
        for thread in preloading:
            thread.join()


def _run_trace(
    engine: DnsEngine,
    request: TraceRequest,
    progress: Progress | None,
    policy: Policy | None,
    preloading: list[threading.Thread],
) -> Report:
    started = time.monotonic()
    # one deadline for the whole trace, however many hosts are tried one after another
    ends_at = started + request.deadline
    if request.ends_at is not None:
        ends_at = min(ends_at, request.ends_at)
    options = dataclasses.replace(request.options(), ends_at=ends_at)
    if _reaches_tls(options):
        # the certificate's judgement (cryptography) and the grading handshakes' libraries
        # load while the lookups and the conversation wait on the network, not after them
        grading = request.grade_tls and options.protocol == "smtp"
        thread = _preload(("mailcheck.net.tlsinfo", *(_GRADING if grading else ())))
        if thread is not None:
            preloading.append(thread)
    targets, domain, early = resolve_targets(engine, request, options.protocol)
    sections: list[Section] = []
    if early:
        sections.append(Section("smtp", "SMTP", tuple(early)))
    # what only the judgement needs from DNS (the MTA-STS policy, PTR and TLSA records) is
    # asked beside the conversations, not before or after them: no round trips of its own
    beside = Beside(engine, request, domain, options.port)
    try:
        fetching = None
        if policy is None and options.protocol == "smtp" and domain is not None:
            fetching = beside.policy()
        attempts: list[Attempt] = []
        try:
            first = _conversations(targets, options, request, progress, beside, attempts)
            if fetching is not None:
                policy, sts_problems = fetching.result()
                if sts_problems:
                    sections.append(Section("mta-sts", "MTA-STS", tuple(sts_problems)))
            unresolved = [
                finding(
                    connect_id(options.protocol),
                    _unresolved(t.problem),
                    t.problem,
                    subject=t.host,
                    hint=None if _unresolved(t.problem) is Status.ERROR else _NO_NAME,
                )
                for t in targets
                if t.problem
            ]
            if unresolved:
                sections.append(Section("smtp", "Name resolution", tuple(unresolved)))
            if progress and any(g is not None for _t, g in attempts):
                progress("grading TLS")
            for trace, grader in attempts:
                facts = beside.facts(trace.host, trace.address, trace.protocol, trace.tls_name)
                context = judging_context(facts, request, policy or (None, ()), options.port)
                # judged (which loads cryptography) while the grading handshakes finish
                judged = judge(trace, context)
                if grader is not None:
                    probes = grader.results() if _gradable(trace) else []
                else:
                    key = (trace.host, trace.address)
                    probes = first.get(key, []) if _gradable(trace) else []
                if probes:
                    judged.extend(_graded(trace, probes, judged, context))
                sections.append(trace_section(trace, judged, probes))
        finally:
            for _trace, grader in attempts:
                if grader is not None:
                    grader.close()
    finally:
        beside.close()
    policy = policy or (None, ())
    data: dict[str, Any] = {
        "protocol": options.protocol,
        "port": options.port,
        "tls_mode": options.tls,
        "domain": domain,
        "mx": [
            {"host": t.host, "preference": t.preference, "addresses": t.addresses} for t in targets
        ],
    }
    if policy[0]:
        data["mta_sts"] = {"mode": policy[0], "mx": list(policy[1])}
    return Report(
        "trace",
        request.target,
        tuple(sections),
        duration=time.monotonic() - started,
        dns=engine.stats(),
        queries=engine.log(),
        data=data,
    )


def _conversations(
    targets: list[Target],
    options: ProbeOptions,
    request: TraceRequest,
    progress: Progress | None,
    beside: Beside,
    attempts: list[Attempt],
) -> dict[tuple[str, str], list[Handshake]]:
    """Talk to the hosts (`attempts` gets each conversation and its grading); returns the
    grading handshakes made before them, with a login test."""
    usable = [t for t in targets if t.addresses]
    # with a login test the grading handshakes come first, on connections of their own: the
    # account's session stays one connection, and none of them carries credentials
    first = _early_probes(usable, options, progress) if request.grade_tls else {}
    # without a login the grading handshakes run alongside each conversation (SMTP, when it
    # is to reach STARTTLS); each host's, when --all-mx talks to several at once
    grade = (
        request.grade_tls
        and not first
        and not options.user
        and options.protocol == "smtp"
        and options.tls != "none"
        and wants(options, "tls")
    )
    _talk(usable, options, request.all_mx, grade, progress, attempts, beside)
    return first


def _talk(
    usable: list[Target],
    options: ProbeOptions,
    all_mx: bool,
    grade: bool,
    progress: Progress | None,
    attempts: list[Attempt],
    beside: Beside,
) -> None:
    """The conversations: every host at once with --all-mx, else one host after another
    until one answers. `attempts` gets each (kept by the caller, which closes the gradings
    whatever happens)."""
    if all_mx and len(usable) > 1:
        for target in usable:  # asked about in the hosts' order, as they were one by one
            beside.host(target.host, target.addresses[0], options.protocol, options.tls_name)
        with ThreadPoolExecutor(max_workers=min(8, len(usable))) as pool:
            for found in pool.map(lambda t: _try_host(t, options, grade, beside), usable):
                attempts.extend(found)
        return
    for target in usable:
        if progress:
            progress(f"talking to {target.host}")
        found = _try_host(target, options, grade, beside)
        attempts.extend(found)
        if found and found[-1][0].reached:
            break


def _reaches_tls(options: ProbeOptions) -> bool:
    """Whether a conversation gets as far as TLS: implicit TLS always, STARTTLS unless
    --tls none, or --quit-after stops before it (then nothing is graded either)."""
    return options.tls == "implicit" or (options.tls != "none" and wants(options, "tls"))


def _gradable(trace: HostTrace) -> bool:
    return trace.protocol == "smtp" and trace.tls is not None and trace.error is None


def _early_probes(
    targets: list[Target], options: ProbeOptions, progress: Progress | None
) -> dict[tuple[str, str], list[Handshake]]:
    """With --user (SMTP): every grading handshake before the login session, against each
    host's first address, with the credentials taken out of the options they travel with."""
    if not options.user or options.protocol != "smtp" or not _reaches_tls(options):
        return {}
    from mailcheck.net.tlsprobe import probe_tls

    if progress:
        progress("grading TLS")
    anonymous = dataclasses.replace(options, user=None, password=None)
    out = {}
    for target in targets:
        address = target.addresses[0]
        name = options.tls_name or target.host
        out[target.host, address] = probe_tls(target.host, address, anonymous, name, "")
    return out


def _graded(
    trace: HostTrace, probes: list[Handshake], judged: list[Finding], context: TraceContext
) -> list[Finding]:
    from mailcheck.checks.tls_grade import grade

    dane = next((f for f in judged if f.id == "dane.match"), None)
    status, text = (dane.status, dane.summary) if dane else (None, "")
    secure = bool(context.tlsa_secure)
    return list(grade(trace, probes, status, text, secure, context.ca_file, context.tlsa_state))


def trace_section(
    trace: HostTrace, findings: list[Finding], probes: list[Handshake] | None = None
) -> Section:
    start = trace.transcript.lines
    data: dict[str, Any] = {
        "host": trace.host,
        "address": trace.address,
        "port": trace.port,
        "protocol": trace.protocol,
        "preference": trace.preference,
        "transcript": tuple(
            TranscriptLine(round(line.at * 1000, 1), line.who, line.text) for line in start
        ),
        "banner_seconds": trace.banner_seconds,
        "error": trace.error.message if trace.error else None,
    }
    for key, caps in (
        ("capabilities_before", trace.caps_before),
        ("capabilities_after", trace.caps_after),
    ):
        if caps is not None:
            data[key] = dict(caps.items)
    if trace.mailbox_caps_before:
        data["capabilities_before"] = dict.fromkeys(trace.mailbox_caps_before, "")
    if trace.mailbox_caps_after:
        data["capabilities_after"] = dict.fromkeys(trace.mailbox_caps_after, "")
    if trace.tls is not None:
        data["tls"] = {
            "mode": trace.tls.mode,
            "version": trace.tls.version,
            "cipher": trace.tls.cipher,
            "bits": trace.tls.bits,
            "certificates": certificate_data(trace),
        }
        if probes:
            data["tls"]["handshakes"] = [
                {
                    "probe": p.label,
                    "outcome": p.outcome,
                    "version": p.version,
                    "cipher": p.cipher,
                    "detail": p.detail,
                }
                for p in probes
            ]
    where = f"{trace.host} [{trace.address}]:{trace.port}"
    if trace.preference is not None:
        where += f"  (MX {trace.preference})"
    return Section(
        "smtp" if trace.protocol == "smtp" else "mailbox",
        where,
        tuple(findings),
        trace.protocol.upper(),
        data,
    )
