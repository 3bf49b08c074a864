"""One hostile SPF tree costs bounded work: 60 includes of 60 a: terms each (3,600 terms, every
one a question unless bounded) give a bounded number of questions, findings, memory and
output, and the lookup count says "at least"."""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import pytest

from mailcheck.checks.spf_tree import MAX_QUESTIONS
from mailcheck.model import SpfTreeNode
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.records.domain_name import parse_domain
from mailcheck.render.jsonfmt import report_dict
from mailcheck.services.domain import DomainRequest, check_domain
from mailcheck.services.domain_plan import walk_ahead
from tests.dnsserver import DnsServer

INCLUDES = 60
TERMS = 60


def txt(text: str) -> str:
    """A TXT value split into strings of at most 255 bytes, split at spaces."""
    parts, current = [], ""
    for word in text.split(" "):
        piece = (" " if current else "") + word
        if len(current) + len(piece) > 250:
            parts.append(current + " ")
            current = word
        else:
            current += piece
    parts.append(current)
    return " ".join(f'"{p}"' for p in parts)


def zone_head(origin: str) -> list[str]:
    """The first lines of a test zone: its SOA, and a name server on loopback."""
    return [
        f"$ORIGIN {origin}.",
        "$TTL 300",
        f"@ SOA ns.{origin}. h.{origin}. 1 7200 3600 1209600 300",
        f"@ NS ns.{origin}.",
        "ns A 127.0.0.1",
    ]


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = zone_head("fan.test")
    root = " ".join(f"include:i{n}.fan.test" for n in range(INCLUDES))
    lines.append(f"@ TXT {txt('v=spf1 ' + root + ' -all')}")
    for n in range(INCLUDES):
        terms = " ".join(f"a:h{n}-{t}.fan.test" for t in range(TERMS))
        lines.append(f"i{n} TXT {txt('v=spf1 ' + terms + ' -all')}")
    for n in range(50):
        lines.append(f"wide MX {n} mx{n}.fan.test.")
        lines.append(f"mx{n} A 192.0.2.{n + 1}")
    rua = ",".join(f"mailto:d@r{n}.example" for n in range(30))
    value = "v=DMARC1; p=reject; rua=" + rua
    chunks = " ".join(f'"{value[i : i + 200]}"' for i in range(0, len(value), 200))
    lines.append(f"_dmarc.wide TXT {chunks}")
    path = tmp_path_factory.mktemp("fan") / "fan.test.zone"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.timeout(60)
def test_fan_out_is_bounded(zone: Path) -> None:
    engine = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    tracemalloc.start()
    with engine:
        report = check_domain(parse_domain("fan.test"), engine, DomainRequest(families=("spf",)))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # questions: the tree's budget plus the root's own (TXT, SPF) and a few more
    assert len(report.queries) <= MAX_QUESTIONS + 10, len(report.queries)
    assert peak < 64 * 1024 * 1024, peak
    [limit] = [f for f in report.findings() if f.id == "spf.lookup-limit"]
    assert limit.status.value == "fail"
    assert limit.summary.startswith(f"{INCLUDES + INCLUDES * TERMS} DNS-querying terms")
    # per-id findings are capped, with one finding counting the rest
    spf = [f for f in report.findings() if f.family == "spf"]
    assert len(spf) <= 30, len(spf)
    size = len(json.dumps(report_dict(report)))
    assert size < 256 * 1024, size
    # what was not asked is unknown, not void: the void count says "at least"
    [voids] = [f for f in report.findings() if f.id == "spf.void-lookups"]
    assert voids.status.value in ("error", "fail", "warn")
    assert "not followed" in voids.summary or voids.status.value != "error"


@pytest.mark.timeout(60)
def test_many_mx_hosts_and_report_domains_are_bounded(zone: Path) -> None:
    from mailcheck.checks.dmarc_reports import MAX_DESTINATIONS
    from mailcheck.checks.mx import MAX_HOSTS

    engine = build_engine(DnsOptions(zones=(str(zone),), offline=True))
    with engine:
        report = check_domain(parse_domain("wide.fan.test"), engine, DomainRequest())
    asked_hosts = {q.name for q in report.queries if q.name.startswith("mx")}
    assert len(asked_hosts) == MAX_HOSTS
    [bound] = [f for f in report.findings() if f.id == "mx.records" and f.status.value == "warn"]
    assert bound.summary == f"50 MX records: only the {MAX_HOSTS} most preferred are checked"
    report_domains = {q.name for q in report.queries if q.name.endswith(".example")}
    assert len({n.split(".")[-2] for n in report_domains}) <= MAX_DESTINATIONS
    [more] = [f for f in report.findings() if f.id == "dmarc.report-uri"]
    assert more.summary.startswith(f"{30 - MAX_DESTINATIONS} more report destinations")
    # every family's findings per id are capped
    ids: dict[str, int] = {}
    for item in report.findings():
        ids[item.id] = ids.get(item.id, 0) + 1
    assert max(ids.values()) <= 21, ids


# where a record came from: a zone file's line, or the server's address
_ORIGIN = re.compile(r" \((/\S+\.zone:\d+|127\.0\.0\.1:\d+)\)$")


def _spf_section(
    engine: DnsEngine, ahead: bool = False, domain: str = "fan.test"
) -> tuple[object, ...]:
    """The SPF section's findings, data and tree; `ahead`: the checks walk ahead first (their
    continuations run as answers arrive, or at once for answers already there)."""
    request = DomainRequest(families=("spf",))
    with engine:
        view = engine.scoped()
        if ahead:
            walk_ahead(view, domain, request)
        report = check_domain(parse_domain(domain), view, request)
    [section] = [s for s in report.sections if s.family == "spf"]
    evidence = [tuple(_ORIGIN.sub("", line) for line in f.evidence) for f in section.findings]
    findings = tuple(
        (f.id, f.status.value, f.summary, lines)
        for f, lines in zip(section.findings, evidence, strict=True)
    )
    data = {k: v for k, v in section.data.items() if k != "tree"}
    return findings, data, _shape(section.data["tree"])


def _shape(node: SpfTreeNode) -> tuple[object, ...]:
    """A tree node without where its record came from (a zone file line, or the server)."""
    children = tuple(_shape(child) for child in node.children)
    return node.label, node.status, node.record, node.total_lookups, node.total_exact, children


@pytest.mark.timeout(120)
def test_bounds_do_not_depend_on_the_order_answers_arrive_in(zone: Path) -> None:
    """Past the tree's bounds, what is followed is chosen by the tree's order, not by which
    answer came first: a server answering in a random order (each answer 0 to 20 ms late)
    gives the same SPF findings and tree on every run, and the same as the zone file read
    offline (answers in the order asked), walking ahead or not."""
    files = DnsOptions(zones=(str(zone),), offline=True)
    offline = _spf_section(build_engine(files))
    runs = [_spf_section(build_engine(files), ahead=True)]
    with DnsServer([zone], jitter=0.02) as server:
        options = DnsOptions(nameservers=(server.address,), timeout=2.0, deadline=60.0)
        runs += [_spf_section(build_engine(options), ahead=ahead) for ahead in (False, False, True)]
    for run in runs:
        assert run == offline
    # records come first: every include of the root is followed and counted; the lookups
    # of the a: terms take what is left, in evaluation order (the first includes' first)
    _findings, data, tree = offline
    assert data["lookups"] == INCLUDES + INCLUDES * TERMS
    children = tree[-1]
    assert isinstance(children, tuple) and len(children) == INCLUDES
    assert {child[1] for child in children} == {"ok"}


def test_an_include_past_the_record_bound_says_which_bound(tmp_path: Path) -> None:
    """120 includes (the bound is MAX_NODES records): the includes not followed name the
    bound that stopped them, not a depth the tree never had nor a bound it does not have."""
    from mailcheck.checks.spf_tree import MAX_NODES

    lines = zone_head("many.test")
    root = " ".join(f"include:i{n}.many.test" for n in range(120))
    lines.append(f"@ TXT {txt('v=spf1 ' + root + ' -all')}")
    lines += [f'i{n} TXT "v=spf1 ip4:192.0.2.{n} -all"' for n in range(120)]
    path = tmp_path / "many.test.zone"
    path.write_text("\n".join(lines) + "\n")
    engine = build_engine(DnsOptions(zones=(str(path),), offline=True))
    with engine:
        report = check_domain(parse_domain("many.test"), engine, DomainRequest(families=("spf",)))
    cut = [f.summary for f in report.findings() if f.summary.startswith("include:")]
    # the root is the first record: its first MAX_NODES - 1 includes are followed
    assert cut[0] == (
        f"include:i{MAX_NODES - 1}.many.test: not followed "
        f"(the tree's bounds reached: {MAX_NODES} records, {MAX_QUESTIONS} DNS questions)"
    ), cut


def test_the_lookup_count_is_shown_however_many_includes_were_cut(tmp_path: Path) -> None:
    """More includes not followed than findings shown per id (MAX_LISTED): the permerror
    of the lookup count (spf.lookup-limit, FAIL) is shown, not folded into "and N more"
    behind the warnings of the includes not followed."""
    from mailcheck.checks.spf import MAX_LISTED
    from mailcheck.checks.spf_tree import MAX_NODES

    count = MAX_NODES + MAX_LISTED + 5
    lines = zone_head("many.test")
    root = " ".join(f"include:i{n}.many.test" for n in range(count))
    lines.append(f"@ TXT {txt('v=spf1 ' + root + ' -all')}")
    lines += [f'i{n} TXT "v=spf1 ip4:192.0.2.{n % 250} -all"' for n in range(count)]
    path = tmp_path / "many.test.zone"
    path.write_text("\n".join(lines) + "\n")
    engine = build_engine(DnsOptions(zones=(str(path),), offline=True))
    with engine:
        report = check_domain(parse_domain("many.test"), engine, DomainRequest(families=("spf",)))
    limits = [(f.status.value, f.summary) for f in report.findings() if f.id == "spf.lookup-limit"]
    status, summary = limits[0]
    assert (status, summary.split(";")[:2]) == (
        "fail",
        [
            f"at least {count} DNS-querying terms in the tree (limit 10)",
            " evaluation stops with permerror at the 11th: include:i10.many.test",
        ],
    ), limits


@pytest.mark.parametrize(
    "records",
    [
        # a redirect= loop
        ['@ TXT "v=spf1 ip4:192.0.2.1 redirect=a.r.test"', 'a TXT "v=spf1 redirect=r.test"'],
        # a redirect= past the tree's bounds
        [
            "@ TXT "
            + txt(
                "v=spf1 "
                + " ".join(f"include:i{n}.r.test" for n in range(120))
                + " redirect=last.r.test"
            ),
            *(f'i{n} TXT "v=spf1 ip4:192.0.2.{n} -all"' for n in range(120)),
            'last TXT "v=spf1 -all"',
        ],
    ],
)
def test_a_redirect_not_followed_is_no_missing_all(tmp_path: Path, records: list[str]) -> None:
    """A record ending in redirect= whose target was not followed: spf.all-missing ("no 'all'
    and no redirect=") would be false; the loop or the bound is reported instead."""
    head = ["$ORIGIN r.test.", "$TTL 300", "@ SOA ns.r.test. h.r.test. 1 7200 3600 1209600 300"]
    path = tmp_path / "r.test.zone"
    path.write_text("\n".join([*head, "@ NS ns.r.test.", "ns A 127.0.0.1", *records]) + "\n")
    engine = build_engine(DnsOptions(zones=(str(path),), offline=True))
    with engine:
        report = check_domain(parse_domain("r.test"), engine, DomainRequest(families=("spf",)))
    ids = {f.id for f in report.findings()}
    assert "spf.all-missing" not in ids
    assert ids & {"spf.include-loop", "spf.lookup-limit"}


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 records chained by includes, each include first and then 200 a: terms: built in
    levels, each level's lookups alone would take the whole question budget."""
    lines = zone_head("deep.test")
    for level in range(12):
        name = "@" if level == 0 else f"d{level}"
        include = f"include:d{level + 1}.deep.test " if level < 11 else ""
        terms = " ".join(f"a:h{n}.d{level}.deep.test" for n in range(200))
        lines.append(f"{name} TXT {txt('v=spf1 ' + include + terms + ' -all')}")
        lines += [f"h{n}.d{level} A 10.{level}.{n}.1" for n in range(200)]
    path = tmp_path_factory.mktemp("deep") / "deep.test.zone"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.timeout(120)
def test_a_deep_tree_costs_at_most_twice_its_question_bound(deep: Path) -> None:
    """The eager start asks up to the bound, the settling steps up to the bound again (they
    reuse its answers): a deep tree whose every level would take the whole budget asked
    ~400 new questions per level (4,734 for this tree) before. The result is the same from
    a server answering in a random order."""
    engine = build_engine(DnsOptions(zones=(str(deep),), offline=True))
    with engine:
        report = check_domain(parse_domain("deep.test"), engine, DomainRequest(families=("spf",)))
    assert len(report.queries) <= 2 * MAX_QUESTIONS + 10, len(report.queries)
    offline = _spf_section(
        build_engine(DnsOptions(zones=(str(deep),), offline=True)), False, "deep.test"
    )
    with DnsServer([deep], jitter=0.01) as server:
        options = DnsOptions(nameservers=(server.address,), timeout=2.0, deadline=60.0)
        assert _spf_section(build_engine(options), False, "deep.test") == offline
    # every record is followed and counted (12 of the 100-record bound)
    _findings, data, _tree = offline
    assert data["lookups"] == 11 + 12 * 200
