"""Runs `mailcheck domain`: parse input, build the engine, check, render, pick the exit code."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailcheck import early
from mailcheck.checks import libs
from mailcheck.checks.options import AskOptions, FetchOptions
from mailcheck.cli.common import DnsFlags, FailOn, OutputOptions, progress
from mailcheck.cli.config_file import load as load_config
from mailcheck.cli.output import check_selection, families_wanted, open_writer
from mailcheck.errors import InputError, UsageError
from mailcheck.files import read_stdin, read_text
from mailcheck.model import ExitCode, Report, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.outcome import ExitTally
from mailcheck.records.domain_name import DomainName, parse_domain
from mailcheck.render import Format
from mailcheck.services import domain_run
from mailcheck.services.connecting import check_ca_file, check_ip
from mailcheck.services.domain_request import DEADLINE_OPTIONS, FAMILIES, DomainRequest

if TYPE_CHECKING:
    from mailcheck.checks.dnsbl import Blocklist
    from mailcheck.gating.baseline import Baseline
    from mailcheck.gating.expectations import Config
    from mailcheck.services.trace import TraceRequest


OFFLINE_EHLO = "mailcheck.invalid"


@dataclass(frozen=True)
class DomainOptions:
    """`mailcheck domain`'s own options, as given on the command line."""

    ip: str | None = None
    sender: str | None = None
    helo: str | None = None
    selectors: tuple[str, ...] = ()
    no_mail: bool = False
    ca_file: str | None = None
    http_timeout: float = 10.0
    https_port: int | None = None
    parallel: int = 64
    from_file: str | None = None
    smtp_port: int | None = None  # --smtp (port 25 unless --smtp-port)
    smtp_timeout: float = 10.0
    config: str | None = None
    no_config: bool = False
    baseline: str | None = None  # "live" or a saved JSON report
    from_zones: bool = False  # the arguments are zone files: check their origins
    bimi_selector: str = "default"
    ns_port: int | None = None  # --ask-ns (port 53 unless --ns-port)
    dnsbl: bool = False  # --dnsbl: lists from [dnsbl] in mailcheck.toml, or the defaults
    allow_private: bool = False  # --allow-private-addresses (HTTPS fetches)
    tls_grade: bool = True  # --smtp without --no-tls-grade: grading handshakes per MX
    jobs: int = 0  # --jobs: worker processes; 0 picks by the number of domains


def _request(opts: DomainOptions, out: OutputOptions, offline: bool = False) -> DomainRequest:
    alone = "--sender and --helo need --ip (the address to evaluate SPF for)"
    ip = check_ip(opts.ip, alone if opts.sender or opts.helo else "")
    if opts.sender is not None and "@" not in opts.sender:
        raise UsageError(f"--sender {opts.sender!r} is not an address (local@domain)")
    check_ca_file(opts.ca_file)
    for selector in opts.selectors:
        # DNS labels, internationalised ones too (RFC 8616): never markup or control bytes
        if not _is_selector(selector, idn=True):
            raise UsageError(f"--selector {selector!r} is not a selector name")
    if not _is_selector(opts.bimi_selector):
        raise UsageError(f"--bimi-selector {opts.bimi_selector!r} is not a selector name")
    families = families_wanted(FAMILIES, out.only, out.skip)
    if opts.baseline is not None:
        # a comparison needs every family on both sides; --only/--skip filter what is shown
        families = list(FAMILIES)
    elif any(o.split(".")[0] in ("policy", "regression") for o in out.only):
        # expectations are judged from every family's data: check them all, show the policy
        families = [f for f in FAMILIES if f not in out.skip]
    return DomainRequest(
        families=families,
        ip=ip,
        sender=opts.sender,
        helo=opts.helo,
        selectors=opts.selectors,
        no_mail=opts.no_mail,
        fetch=FetchOptions(
            opts.ca_file,
            opts.http_timeout,
            opts.https_port,
            opts.allow_private,
            offline,
            DEADLINE_OPTIONS,
        ),
        smtp=_smtp_request(opts, offline),
        bimi_selector=opts.bimi_selector.lower().rstrip("."),
        ask_ns=_ask_ns(opts),
        input_errors=bool(out.only),  # select_findings keeps them if --only matched nothing
    )


def blocklists_of(config: Config | None) -> tuple[Blocklist, ...]:
    """--dnsbl: the zones of [dnsbl] in mailcheck.toml, or the documented defaults."""
    from mailcheck.checks import dnsbl

    zones = config.dnsbl if config is not None else None
    if zones is None:
        return dnsbl.blocklists()
    return dnsbl.blocklists(
        zones.ip_zones if zones.ip_zones is not None else dnsbl.DEFAULT_IP_ZONES,
        zones.domain_zones if zones.domain_zones is not None else dnsbl.DEFAULT_DOMAIN_ZONES,
        zones.ip6_zones,
    )


def _ask_ns(opts: DomainOptions) -> AskOptions | None:
    return None if opts.ns_port is None else AskOptions(opts.ns_port)


def _is_selector(name: str, idn: bool = False) -> bool:
    """A BIMI selector is one or more DNS labels (the BIMI-Selector header's s= value); a
    DKIM selector too, whose labels may be internationalised (`idn`)."""
    labels = name.rstrip(".").split(".")
    return bool(name) and all(
        0 < len(label) < 64
        and label.replace("-", "").replace("_", "").isalnum()
        and (idn or label.isascii())
        for label in labels
    )


def _smtp_request(opts: DomainOptions, offline: bool = False) -> TraceRequest | None:
    if opts.smtp_port is None:
        return None
    from mailcheck.services.connecting import default_ehlo
    from mailcheck.services.trace import TraceRequest

    return TraceRequest(
        target="",
        protocol="smtp",
        port=opts.smtp_port,
        # --offline sends nothing: not even the resolver question behind getfqdn()
        ehlo=OFFLINE_EHLO if offline else default_ehlo(),
        quit_after="tls",
        ca_file=opts.ca_file,
        step_timeout=opts.smtp_timeout,
        deadline=max(30.0, opts.smtp_timeout * 6),
        step_option="--smtp-timeout",
        deadline_option="",  # derived from --smtp-timeout, no option of its own
        https_port=opts.https_port,
        grade_tls=opts.tls_grade,
    )


def read_domain_file(path: str) -> list[tuple[str, str]]:
    """(where, text) for each domain line: `FILE:LINE`; '#' starts a comment; '-' is stdin."""
    label = f"--from-file {path}"
    text = read_stdin(label) if path == "-" else read_text(path, label)
    label = "<stdin>" if path == "-" else path
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if content:
            out.append((f"{label}:{number}", content))
    return out


def _names(domains: Sequence[str], from_file: str | None) -> list[DomainName]:
    entries = [("", d) for d in domains]
    if from_file:
        entries.extend(read_domain_file(from_file))
    if not entries and from_file:
        # the user gave a list: "no domain given" sent them looking at the command line
        raise UsageError(
            f"--from-file {from_file}: no domain in it (only blank lines or # comments)"
        )
    if not entries:
        raise UsageError("no domain given", hint="mailcheck domain example.com, or --from-file")
    names: list[DomainName] = []
    seen: set[str] = set()
    for where, text in entries:
        try:
            name = parse_domain(text)
        except InputError as exc:
            raise InputError(
                f"{where}: {exc.message}" if where else exc.message, exc.hint
            ) from None
        if name.ascii not in seen:
            seen.add(name.ascii)
            names.append(name)
    return names


def _zone_origins(files: Sequence[str]) -> list[str]:
    """The domain of each zone file (its origin), read as --zone reads it."""
    from mailcheck.net.dns.zones import ZoneSource

    origins = []
    for spec in files:
        source = ZoneSource.from_file(spec)
        origin = source.origin.to_text(omit_final_dot=True)
        # a reverse, root or top-level zone answers the others' lookups (PTR, delegations):
        # overlaid, not a mail domain
        if "." in origin.strip(".") and not origin.lower().endswith(".arpa"):
            origins.append(origin)
    if not origins:
        raise UsageError(
            "--from-zones: no mail domain's zone among the files",
            hint="reverse (.arpa), root and top-level zones only answer lookups: "
            "give them with --zone",
        )
    return origins


def _check_coverage(
    engine: DnsEngine, names: list[DomainName], flags: DnsFlags, baseline: str | None
) -> None:
    """A --zone file that covers none of the domains is a mistake worth saying out loud."""
    if not flags.zones:
        return
    import dns.name

    uncovered = [
        n.ascii
        for n in names
        if not any(s.covers(dns.name.from_text(n.ascii)) for s in engine.sources)
    ]
    if not uncovered:
        return
    listed = ", ".join(uncovered)
    zones = ", ".join(str(getattr(s, "origin", s.label)) for s in engine.sources)
    if baseline == "live":
        raise UsageError(
            f"--baseline live: no --zone file covers {listed} (the zones are for {zones}): "
            "there is nothing to compare",
            hint="check the zone file's $ORIGIN, or give it as --zone ORIGIN=FILE",
        )
    sys.stderr.write(
        f"mailcheck: warning: no --zone file covers {listed} (the zones are for {zones}); "
        "checked against the DNS only\n"
    )


def _baseline(
    opts: DomainOptions,
    flags: DnsFlags,
    names: list[DomainName],
    request: DomainRequest,
    judging: domain_run.Judging,
) -> Baseline:
    """(label, report dicts by domain): the live DNS checked alike, or a saved JSON report."""
    spec = opts.baseline or ""
    if spec != "live":
        from mailcheck.gating.baseline import missing, not_held_warning

        baseline = domain_run.saved_baseline(spec)
        # none of the domains in it: exit 2; some: said once here, and in each one's report
        absent = missing(baseline, [n.ascii for n in names])
        if absent:
            sys.stderr.write(f"mailcheck: warning: {not_held_warning(spec, absent)}\n")
        return baseline
    if flags.offline:
        raise UsageError("--baseline live asks the DNS: it cannot be used with --offline")
    if not flags.zones:
        raise UsageError("--baseline live compares --zone files with the live DNS: give --zone")
    options = dataclasses.replace(flags, zones=()).options()
    with progress(True, total=len(names)) as bar:
        return domain_run.live_baseline(
            options,
            names,
            request,
            opts.parallel,
            judging,
            lambda subject: bar.advance(f"live: {subject}"),
        )


def _ask_early(
    engine: DnsEngine,
    names: list[DomainName],
    flags: DnsFlags,
    opts: DomainOptions,
    request: DomainRequest,
    config: Config | None,
    sent: early.Early | None,
) -> DnsEngine | None:
    """One domain, checked against the DNS: its first questions go out now (or went out
    before the CLI loaded: `sent`), and its checks walk ahead while the run loads
    (ask_early), with what the expectations file says of it.
    Every option has been checked by now: a command line with an error sends nothing. Not
    with --jobs workers to fork (no thread may run before they are), nor with --zone or
    --baseline (which ask in an order of their own)."""
    if len(names) != 1 or flags.offline or flags.zones or opts.baseline is not None:
        return None
    name = names[0]
    request = domain_run.for_domain(request, config, name.ascii)
    if sent is None:
        return domain_run.ask_early(engine, name, request)
    return domain_run.ask_early(engine, name, request, sent.view, sent.walked)


def run(
    domains: Sequence[str], *, opts: DomainOptions, flags: DnsFlags, out: OutputOptions
) -> ExitCode:
    check_selection(out.only, out.skip)
    if opts.from_zones:
        if opts.from_file:
            raise UsageError("--from-zones and --from-file exclude each other")
        if not domains:
            raise UsageError("--from-zones needs zone files as arguments")
        flags = dataclasses.replace(flags, zones=(*flags.zones, *domains))
        domains = _zone_origins(domains)
    names = _names(domains, opts.from_file)
    if len(names) > 1:
        from mailcheck.services.domain_pool import bulk_gc

        bulk_gc()
    request = _request(opts, out, flags.offline)
    if request.ask_ns is not None and flags.offline:
        raise UsageError("--ask-ns asks the name servers over the network: not with --offline")
    if out.fail_on is FailOn.REGRESSION and opts.baseline is None:
        raise UsageError("--fail-on regression needs --baseline live|FILE")
    config = load_config(opts.config, opts.no_config)
    if opts.dnsbl:
        request = dataclasses.replace(request, dnsbl=blocklists_of(config))
    elif any(o.split(".")[0] == "dnsbl" for o in out.only):
        raise UsageError("--only dnsbl shows blocklist findings: ask the lists with --dnsbl")
    judging = domain_run.Judging(config, datetime.date.today())
    options = flags.options()
    # one domain: its first questions may have left before the CLI loaded (mailcheck.early)
    one = names[0].ascii if len(names) == 1 and opts.baseline is None else None
    sent = early.take(one, options)
    engine = sent.engine if sent else build_engine(options)
    overall = time.monotonic() + flags.total_deadline if flags.total_deadline else None
    _check_coverage(engine, names, flags, opts.baseline)
    # one domain: its first questions leave now, if they have not yet
    first = _ask_early(engine, names, flags, opts, request, config, sent)
    if opts.baseline is not None:
        baseline = _baseline(opts, flags, names, request, judging)
        judging = dataclasses.replace(judging, baseline=baseline)
    # reports are handed to the writer as they come (in name order for an ordered writer)
    # and not kept here: memory stays flat in the number of domains
    pending: dict[int, Report] = {}
    tally = ExitTally(out.threshold, regression=out.fail_on is FailOn.REGRESSION)
    # before any thread: the workers fork
    pool = domain_run.pool_for(opts.jobs, options, request, len(names), opts.parallel, overall)
    if out.format is Format.TEXT:
        libs.warm("mailcheck.render.text")  # rich: imported while the DNS answers travel
    writer = open_writer("domain", out)
    written = 0  # an ordered writer gets the reports in the order of the names
    with engine, pool or contextlib.nullcontext(), progress(True, total=len(names)) as bar:
        found = domain_run.domain_reports(
            names,
            engine,
            request,
            opts.parallel,
            judging,
            pool=pool,
            update=bar.status,
            early=first,
        )
        for index, report in found:
            report = select_findings(report, out.only, out.skip)
            tally.add(report)
            bar.advance(report.display or report.subject)
            if not writer.ordered:
                writer.report(report)
                continue
            pending[index] = report
            while written in pending:
                writer.report(pending.pop(written))
                written += 1
    code = tally.code
    stats = pool.stats() if pool is not None else engine.stats()
    dns = {"queries": stats.queries, "cache_hits": stats.cache_hits, "errors": stats.errors}
    writer.finish(code, {"dns": dns})
    return code
