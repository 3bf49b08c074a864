"""NS and SOA checks against name servers on loopback: several 127.0.0.x addresses on one
port act as the different name servers of a zone (--ask-ns --ns-port), each serving its own
version of the zone, one refusing it, one answering without authority, one never answering."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from mailcheck.checks.ns import AskOptions
from mailcheck.model import Finding, Report, Status
from mailcheck.net.dns import DnsOptions, build_engine
from mailcheck.records.domain_name import parse_domain
from mailcheck.services.domain import DomainRequest, check_domain
from tests.cli.test_json_schema import schema
from tests.conftest import CliRun
from tests.dnsserver import DnsServer

pytestmark = pytest.mark.timeout(60)

SOA = "@ SOA ns1 hostmaster {serial} {timers}\n"
GOOD_TIMERS = "7200 3600 1209600 3600"


def zone(origin: str, serial: int, ns: dict[str, str], body: str, timers: str = GOOD_TIMERS) -> str:
    lines = [f"$ORIGIN {origin}.", "$TTL 300", SOA.format(serial=serial, timers=timers)]
    lines += [f"@ NS {name}" for name in ns]
    lines += [f"{name} A {address}" for name, address in ns.items()]
    return "\n".join(lines) + "\n" + body


GOOD_NS = {"ns1": "127.0.0.2", "ns2": "127.0.0.3"}
BAD_NS = {
    "ns1": "127.0.0.2",
    "ns2": "127.0.0.3",
    "ns3": "127.0.0.4",  # refuses the zone (serves nothing): lame
    "ns4": "127.0.0.5",  # answers without the AA bit: lame
}
DEAD_NS = {"ns1": "127.0.0.2", "ns5": "127.0.0.6"}  # ns5 never answers
MAIL = '@ MX 10 mx\nmx A 192.0.2.10\n@ TXT "v=spf1 mx -all"\n_dmarc TXT "v=DMARC1; p=reject"\n'
OLD_MAIL = (
    '@ MX 10 oldmx\noldmx A 192.0.2.99\n@ TXT "v=spf1 a -all"\n_dmarc TXT "v=DMARC1; p=none"\n'
)
# one name server with two addresses, whose text order ("127.0.0.10" < "127.0.0.9") is not
# their value order
MULTI_ZONE = (
    "$ORIGIN nsmulti.example.\n$TTL 300\n"
    + SOA.format(serial=9, timers=GOOD_TIMERS)
    + "@ NS ns1\n@ NS ns2\nns1 A 127.0.0.10\nns1 A 127.0.0.9\nns2 A 127.0.0.2\n"
    + MAIL
)
# the parent zone, served by 127.0.0.7: nsgood is delegated as the zone says, nsbad also to
# ns9 (which refuses the zone), nsdead without ns5
PARENT = """$ORIGIN example.
$TTL 300
@ SOA parent h.parent 1 7200 3600 1209600 3600
@ NS parent
parent A 127.0.0.7
nsgood NS ns1.nsgood
nsgood NS ns2.nsgood
nsbad NS ns1.nsbad
nsbad NS ns2.nsbad
nsbad NS ns3.nsbad
nsbad NS ns4.nsbad
nsbad NS ns9.nsbad
ns9.nsbad A 127.0.0.4
nsdead NS ns1.nsdead
nsmulti NS ns1.nsmulti
nsmulti NS ns2.nsmulti
"""
ZONES = {
    # the view of the resolver (--nameserver)
    "resolver": {
        "example": PARENT,
        "nsgood.example": zone("nsgood.example", 5, GOOD_NS, MAIL),
        "nsbad.example": zone("nsbad.example", 2, BAD_NS, MAIL + "ns9 A 127.0.0.4\n"),
        "nsdead.example": zone("nsdead.example", 7, DEAD_NS, MAIL),
        # an NS that is an alias and one without an address
        "nsaddr.example": zone("nsaddr.example", 4, {"ns1": "192.0.2.53"}, MAIL)
        + "@ NS alias\n@ NS noaddr\nalias CNAME ns1\n",
        # a zone file that forgot its NS records: the SOA marks the apex
        "nonsrec.example": "$ORIGIN nonsrec.example.\n$TTL 300\n"
        + SOA.format(serial=3, timers=GOOD_TIMERS)
        + MAIL,
        "nsmulti.example": MULTI_ZONE,
        "nstimers.example": zone(
            "nstimers.example", 1, {"ns1": "192.0.2.53"}, MAIL, timers="60 120 3600 172800"
        ),
    },
    # what each name server serves itself
    "127.0.0.2": {
        "nsgood.example": zone("nsgood.example", 5, GOOD_NS, MAIL),
        "nsbad.example": zone("nsbad.example", 2, BAD_NS, MAIL),
        "nsdead.example": zone("nsdead.example", 7, DEAD_NS, MAIL),
        "nsmulti.example": MULTI_ZONE,
    },
    "127.0.0.3": {
        "nsgood.example": zone("nsgood.example", 5, GOOD_NS, MAIL),
        # a secondary that stopped taking transfers: an older serial, older mail records
        "nsbad.example": zone("nsbad.example", 1, BAD_NS, OLD_MAIL),
    },
    "127.0.0.4": {},
    "127.0.0.5": {"nsbad.example": zone("nsbad.example", 2, BAD_NS, MAIL)},
    "127.0.0.6": {"nsdead.example": zone("nsdead.example", 7, DEAD_NS, MAIL)},
    "127.0.0.7": {"example": PARENT},
    "127.0.0.9": {"nsmulti.example": MULTI_ZONE},
    "127.0.0.10": {"nsmulti.example": MULTI_ZONE},
}
BEHAVIOURS = {"127.0.0.5": {"nsbad.example.": "NOAA"}, "127.0.0.6": {"nsdead.example.": "DROP"}}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(resolver address, the port every name server listens on)."""
    base = tmp_path_factory.mktemp("ns")
    files: dict[str, list[Path]] = {}
    for who, zones in ZONES.items():
        files[who] = []
        for origin, text in zones.items():
            path = base / f"{who}-{origin}.zone"
            path.write_text(text)
            files[who].append(path)
    with contextlib.ExitStack() as stack:
        # the resolver fails every question under sf.nsgood.example
        resolver = stack.enter_context(
            DnsServer(files["resolver"], behaviours={"sf.nsgood.example.": "SERVFAIL"})
        )
        for _attempt in range(20):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(("127.0.0.2", 0))
                port = probe.getsockname()[1]
            started = contextlib.ExitStack()
            try:
                for host in (h for h in ZONES if h != "resolver"):
                    server = DnsServer(
                        files[host], behaviours=BEHAVIOURS.get(host), host=host, port=port
                    )
                    started.enter_context(server)
            except (OSError, RuntimeError):  # the port is taken on one of the addresses
                started.close()
                continue
            stack.enter_context(started)
            break
        else:  # pragma: no cover
            pytest.fail("no port free on 127.0.0.2-10")
        yield resolver.address, port


def run(servers: tuple[str, int], domain: str, ask: bool = True) -> dict[str, list[Finding]]:
    resolver, port = servers
    engine = build_engine(DnsOptions(nameservers=(resolver,), timeout=0.3, deadline=10.0))
    with engine:
        report: Report = check_domain(
            parse_domain(domain),
            engine,
            DomainRequest(families=("ns", "soa"), ask_ns=AskOptions(port) if ask else None),
        )
    out: dict[str, list[Finding]] = {}
    for item in report.findings():
        out.setdefault(item.id, []).append(item)
    return out


def one(found: dict[str, list[Finding]], check_id: str, status: Status) -> str:
    [item] = found[check_id]
    assert item.status is status, (check_id, item)
    return item.summary


def test_servers_that_agree(servers: tuple[str, int]) -> None:
    found = run(servers, "nsgood.example")
    assert one(found, "ns.records", Status.PASS).startswith("2 name servers for nsgood.example")
    assert one(found, "ns.count", Status.PASS) == "2 name servers (at least 2)"
    assert one(found, "ns.authoritative", Status.PASS) == (
        "all 2 server addresses answer authoritatively for nsgood.example"
    )
    [authoritative] = found["ns.authoritative"]
    assert authoritative.evidence[0] == (
        f"ns1.nsgood.example (127.0.0.2:{servers[1]}): SOA 1 record(s) AA, MX 1 record(s) AA, "
        "SPF 1 record(s) AA, DMARC 1 record(s) AA, MTA-STS name does not exist (NXDOMAIN) AA"
    )
    assert one(found, "ns.lame", Status.PASS).startswith("no lame delegation")
    assert "agree on MX, SPF, DMARC and MTA-STS" in one(found, "ns.consistent", Status.PASS)
    assert one(found, "soa.serial", Status.PASS) == "all 2 server addresses have serial 5"
    assert one(found, "ns.delegation", Status.PASS) == (
        "the parent zone example delegates to the same 2 name servers "
        f"(parent.example (127.0.0.7:{servers[1]}))"
    )
    assert one(found, "soa.timers", Status.PASS).startswith("refresh 2 h, retry 1 h, expire 14 d")
    # 127.0.0.2 and 127.0.0.3 share a /24: one network outage takes both down
    assert "every IPv4 address is in 127.0.0.0/24" in one(found, "ns.diversity", Status.WARN)


def test_a_servers_addresses_are_listed_by_value(servers: tuple[str, int]) -> None:
    """--ask-ns evidence listed a server's addresses in text order, 127.0.0.10 before
    127.0.0.9; they are listed by address value, as everywhere else."""
    found = run(servers, "nsmulti.example")
    assert one(found, "ns.authoritative", Status.PASS) == (
        "all 3 server addresses answer authoritatively for nsmulti.example"
    )
    [authoritative] = found["ns.authoritative"]
    assert [line.split(":")[0] for line in authoritative.evidence] == [
        "ns1.nsmulti.example (127.0.0.9",
        "ns1.nsmulti.example (127.0.0.10",
        "ns2.nsmulti.example (127.0.0.2",
    ]
    assert one(found, "soa.serial", Status.PASS) == "all 3 server addresses have serial 9"


def test_lame_servers_and_a_stale_secondary(servers: tuple[str, int]) -> None:
    found = run(servers, "nsbad.example")
    lame, parent_only = (f.summary for f in found["ns.lame"])
    assert {f.status for f in found["ns.lame"]} == {Status.FAIL}
    assert lame.startswith("lame delegation: 2 of 4 listed servers do not serve nsbad.example")
    assert "ns3.nsbad.example (127.0.0.4:" in lame and "REFUSED" in lame
    assert "ns4.nsbad.example (127.0.0.5:" in lame and "not authoritative (no AA bit)" in lame
    assert "ns.authoritative" not in found
    serial = one(found, "soa.serial", Status.WARN)
    assert "1: ns2.nsbad.example (127.0.0.3)" in serial
    assert "2: ns1.nsbad.example (127.0.0.2)" in serial
    consistent = one(found, "ns.consistent", Status.FAIL)
    assert "MX differs" in consistent and "10 oldmx.nsbad.example." in consistent
    assert "SPF differs" in consistent and "DMARC differs" in consistent
    assert "MTA-STS differs" not in consistent
    # ns9 is named only by the parent, and refuses the zone
    assert one(found, "ns.delegation", Status.WARN).endswith(
        "and the zone list different name servers: only at the parent: ns9.nsbad.example"
    )
    assert parent_only.startswith(
        "lame delegation: ns9.nsbad.example, listed at the parent example, does not serve "
        "nsbad.example: 127.0.0.4: REFUSED"
    )


def test_a_server_that_never_answers_is_unknown_not_lame(servers: tuple[str, int]) -> None:
    found = run(servers, "nsdead.example")
    summary = one(found, "ns.authoritative", Status.ERROR)
    assert summary.startswith("could not ask ns5.nsdead.example (127.0.0.6:")
    # the limit that ran out is named by its option, as every DNS timeout is
    assert summary.endswith("TIMEOUT: no answer within --timeout 0.3 s (per query)"), summary
    assert "ns.lame" not in found
    assert one(found, "soa.serial", Status.ERROR).startswith("could not get the serial from ns5")
    assert one(found, "ns.consistent", Status.ERROR).startswith("servers that answered agree")
    assert one(found, "ns.delegation", Status.WARN).endswith(
        "different name servers: only in the zone: ns5.nsdead.example"
    )


def test_timers_out_of_range_and_a_single_server(servers: tuple[str, int]) -> None:
    found = run(servers, "nstimers.example", ask=False)
    timers = one(found, "soa.timers", Status.WARN)
    assert "refresh 1 min (RFC 1912 §2.2 suggests 20 minutes to 12 hours)" in timers
    assert "expire 1 h (RFC 1912 §2.2 suggests 2 to 4 weeks)" in timers
    assert "minimum 2 d" in timers
    assert "retry 2 min is not shorter than refresh 1 min" in timers
    assert one(found, "ns.count", Status.WARN).startswith("only one name server")
    assert one(found, "ns.authoritative", Status.SKIP).startswith("name servers not asked")
    assert "ns.diversity" not in found


def test_subdomain_uses_the_zone_apex(servers: tuple[str, int]) -> None:
    found = run(servers, "mail.nsgood.example")
    assert one(found, "ns.records", Status.PASS).startswith("2 name servers for nsgood.example")
    assert one(found, "soa.serial", Status.PASS) == "all 2 server addresses have serial 5"


def test_cli_json_and_exit_codes(run_cli: CliRun, servers: tuple[str, int]) -> None:
    resolver, port = servers
    result = run_cli(
        "domain", "nsbad.example", "nsdead.example", "--nameserver", resolver, "--timeout", "0.3",
        "--ask-ns", "--ns-port", str(port), "--only", "ns,soa", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, schema())
    statuses = {
        (r["subject"], f["id"]): f["status"]
        for r in doc["reports"]
        for s in r["sections"]
        for f in s["findings"]
    }
    assert statuses[("nsbad.example", "ns.lame")] == "fail"
    assert statuses[("nsdead.example", "ns.authoritative")] == "error"
    dead = run_cli(
        "domain", "nsdead.example", "--nameserver", resolver, "--timeout", "0.3",
        "--ask-ns", "--ns-port", str(port), "--only", "ns,soa",
    )  # fmt: skip
    assert dead.returncode == 3, dead.stdout


def test_ask_ns_needs_the_network(run_cli: CliRun) -> None:
    result = run_cli("domain", "example.com", "--offline", "--zone", "examples/zones", "--ask-ns")
    assert result.returncode == 2
    assert result.stderr.startswith("mailcheck: error: --ask-ns asks the name servers")


def test_zone_without_ns_records(servers: tuple[str, int]) -> None:
    for name in ("nonsrec.example", "mail.nonsrec.example"):
        found = run(servers, name)
        assert one(found, "ns.records", Status.FAIL) == (
            "the zone nonsrec.example has an SOA record but no NS records"
        )
        assert one(found, "soa.record", Status.PASS).startswith("nonsrec.example: serial 3")
        assert "ns.authoritative" not in found and "soa.serial" not in found


def test_alias_and_addressless_name_servers(servers: tuple[str, int]) -> None:
    found = run(servers, "nsaddr.example", ask=False)
    assert one(found, "ns.records", Status.PASS).startswith("3 name servers for nsaddr.example")
    assert one(found, "ns.cname", Status.FAIL) == (
        "alias.nsaddr.example is a CNAME: an NS must name a host's own name"
    )
    assert one(found, "ns.host-address", Status.FAIL) == (
        "no A or AAAA record for noaddr.nsaddr.example: cannot be asked"
    )
    assert one(found, "ns.diversity", Status.WARN).startswith(
        "every IPv4 address is in 192.0.2.0/24"
    )


def test_a_failing_walk_is_unknown(servers: tuple[str, int]) -> None:
    found = run(servers, "mail.sf.nsgood.example")
    summary = one(found, "ns.records", Status.ERROR)
    assert summary.startswith("could not determine the name servers: SERVFAIL")
    # nothing judged over data we could not get; the SOA section says so on its own
    assert set(found) == {"ns.records", "soa.record"}
    soa = one(found, "soa.record", Status.ERROR)
    assert soa.startswith("could not determine the zone's SOA: SERVFAIL")


@pytest.mark.timeout(60)
def test_asking_the_servers_ends_with_the_runs_deadline(servers: tuple[str, int]) -> None:
    """--ask-ns took a fresh --domain-deadline from its own start, past the run's --deadline:
    a server that never answers held the run for its per-query timeouts."""
    resolver, port = servers
    options = DnsOptions(nameservers=(resolver,), timeout=5, deadline=30, overall_deadline=1.5)
    with build_engine(options) as engine, engine.scoped() as view:
        report = check_domain(
            parse_domain("nsdead.example"),
            view,
            DomainRequest(families=("ns", "soa"), ask_ns=AskOptions(port)),
        )
    found: dict[str, list[Finding]] = {}
    for item in report.findings():
        found.setdefault(item.id, []).append(item)
    summary = one(found, "ns.authoritative", Status.ERROR)
    assert summary.endswith("TIMEOUT: the overall limit, --deadline 1.5, ran out"), summary
