"""Many domains checked in one run: threads over one engine, --jobs workers, the baseline."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from mailcheck.model import Report

if TYPE_CHECKING:
    from mailcheck.gating.baseline import Baseline
    from mailcheck.gating.expectations import Config
    from mailcheck.net.dns import DnsOptions
    from mailcheck.net.dns.engine import DnsEngine
    from mailcheck.records.domain_name import DomainName
    from mailcheck.services.domain_pool import DomainPool
    from mailcheck.services.domain_request import DomainRequest


@dataclasses.dataclass(frozen=True)
class Judging:
    """What each report is judged against once checked: the expectations file (its policy
    and waivers, as of `today`) and the baseline."""

    config: Config | None = None
    today: datetime.date = dataclasses.field(default_factory=datetime.date.today)
    baseline: Baseline | None = None


def for_domain(request: DomainRequest, config: Config | None, name: str) -> DomainRequest:
    """The request with what the expectations file says about this domain."""
    if config is None:
        return request
    expected = config.expectations(name)
    changes: dict[str, object] = {}
    if expected.no_mail:
        changes["no_mail"] = True
    if expected.dkim_selectors and not request.selectors:
        changes["selectors"] = expected.dkim_selectors
    return dataclasses.replace(request, **changes) if changes else request  # type: ignore[arg-type]


def _check_one(
    engine: DnsEngine,
    name: DomainName,
    request: DomainRequest,
    update: Callable[[str], None] | None,
    view: DnsEngine | None = None,
) -> Report:
    from mailcheck.services.domain import check_domain

    # A view per domain: its own deadline, and its answers released to the engine's bounded
    # cache when it is done (memory stays flat over any number of domains). `view`: the one
    # the domain's first questions were asked in (ask_early).
    with view or engine.scoped() as mine:
        return check_domain(name, mine, request, update)


def early_questions(name: DomainName) -> list[tuple[str, str]]:
    """What every domain check asks first, whatever its options: MX, SPF and DMARC always
    run (MxCheck, SpfCheck and DmarcCheck start with these)."""
    domain = name.ascii
    return [
        (domain, "MX"),
        (domain, "A"),
        (domain, "AAAA"),
        (domain, "TXT"),
        (domain, "SPF"),
        (f"_dmarc.{domain}", "TXT"),
    ]


def ask_early(
    engine: DnsEngine,
    name: DomainName,
    request: DomainRequest,
    view: DnsEngine | None = None,
    walked: DomainRequest | None = None,
) -> DnsEngine:
    """One domain's first questions sent now, in the view it will be checked in (given to
    reports() as `early`), and its checks walking ahead as they load (domain_plan): the
    network works while the run loads, not after. `view` holds them if they were sent
    already, before the CLI loaded (mailcheck.early), walking ahead for `walked`: done
    again only if `request` asks otherwise."""
    from mailcheck.services.domain_plan import walk_ahead, walk_key

    if view is None:
        view = engine.scoped()
        for question in early_questions(name):
            view.ahead(*question)
    elif walked is not None and walk_key(walked) == walk_key(request):
        return view
    import dns.message  # noqa: F401  # to read the answers: loaded while they travel

    walk_ahead(view, name.ascii, request)
    return view


def reports(
    names: list[DomainName],
    engine: DnsEngine,
    request: DomainRequest,
    parallel: int,
    update: Callable[[str], None] | None,
    config: Config | None = None,
    early: DnsEngine | None = None,
) -> Iterator[tuple[int, Report]]:
    """(input index, report) as each domain finishes; a few domains are queued ahead of the
    workers, and a report is held nowhere here once yielded (flat memory in bulk runs)."""
    workers = max(1, min(parallel, len(names)))
    todo = iter(enumerate(names))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailcheck-domain") as pool:
        running: dict[Future[Report], int] = {}

        def fill() -> None:
            for index, name in itertools.islice(todo, 2 * workers - len(running)):
                future = pool.submit(
                    _check_one,
                    engine,
                    name,
                    for_domain(request, config, name.ascii),
                    update if len(names) == 1 else None,
                    early if index == 0 else None,
                )
                running[future] = index

        fill()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index = running.pop(future)
                yield index, future.result()
            fill()


def pool_for(
    jobs: int,
    options: DnsOptions,
    request: DomainRequest,
    domains: int,
    parallel: int,
    overall: float | None,
) -> DomainPool | None:
    """--jobs: worker processes each checking its share of the domains with an engine of its
    own (--concurrency, --max-qps and --parallel split among them), or None: one process.
    Made before any thread starts: the workers fork."""
    if domains <= 1:
        return None  # one domain is one process whatever --jobs says: no multiprocessing import
    from mailcheck.services.domain_pool import DomainPool, default_jobs

    jobs = min(jobs or default_jobs(domains), domains)
    if jobs <= 1:
        return None
    if "dmarc" in request.families:
        from mailcheck.checks.dmarc_walk import psl_org_domain

        # the Public Suffix List's rules read once, here: the workers share them (forked)
        psl_org_domain("example.com")
    return DomainPool(jobs, options, parallel, overall)


def judged(report: Report, judging: Judging) -> Report:
    """The report with the expectations file applied, then compared with the baseline."""
    if judging.config is not None:
        from mailcheck.gating.apply import apply  # imported only when there is a file

        report = apply(report, judging.config, judging.today)
    if judging.baseline is not None:
        from mailcheck.gating.baseline import against
        from mailcheck.render.jsonfmt import report_dict

        report = against(report, report_dict(report), judging.baseline)
    return report


def domain_reports(
    names: list[DomainName],
    engine: DnsEngine,
    request: DomainRequest,
    parallel: int,
    judging: Judging,
    *,
    pool: DomainPool | None = None,
    update: Callable[[str], None] | None = None,
    early: DnsEngine | None = None,
) -> Iterator[tuple[int, Report]]:
    """(input index, judged report) as each domain finishes: checked by the --jobs `pool`
    when there is one, else by threads over `engine` (`update`: one domain's progress)."""
    config = judging.config
    found: Iterable[tuple[int, Report]]
    if pool is not None:
        tasks = ((i, n, for_domain(request, config, n.ascii)) for i, n in enumerate(names))
        found = pool.reports(tasks)
    else:
        found = reports(names, engine, request, parallel, update, config, early)
    for index, report in found:
        yield index, judged(report, judging)


def live_baseline(
    options: DnsOptions,
    names: list[DomainName],
    request: DomainRequest,
    parallel: int,
    judging: Judging,
    done: Callable[[str], None],
) -> Baseline:
    """--baseline live: the domains checked alike against the DNS of `options` (no zone
    files), each report given to `done` by its domain as it finishes."""
    from mailcheck.net.dns import build_engine
    from mailcheck.render.jsonfmt import report_dict

    live = build_engine(options)
    out: dict[str, dict[str, Any]] = {}
    alike = Judging(judging.config, judging.today)  # the expectations, not the baseline
    with live:
        for _index, report in domain_reports(names, live, request, parallel, alike):
            out[report.subject] = report_dict(report)
            done(report.subject)
    return "the live DNS", out


def saved_baseline(spec: str) -> Baseline:
    """--baseline FILE: the reports of a saved `mailcheck domain --format json` run."""
    from mailcheck.errors import InputError
    from mailcheck.files import MB, read_text
    from mailcheck.gating.baseline import saved
    from mailcheck.render.jsonfmt import SCHEMA_VERSION

    if not os.path.exists(spec):
        raise InputError(
            f"--baseline {spec}: no such file",
            hint="save one first: mailcheck domain ... --format json --fail-on never > " + spec,
        )
    text = read_text(spec, f"--baseline {spec}", limit=256 * MB)
    return saved(spec, text, SCHEMA_VERSION)
