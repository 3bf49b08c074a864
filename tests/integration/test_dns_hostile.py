"""The engine against a resolver that misbehaves on purpose: it must never hang, never take a
forged answer, never call an unusable answer "missing", and always complete every lookup."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from mailcheck.net.dns import DnsEngine, DnsOptions, Outcome, build_engine
from tests.conftest import CliRun
from tests.dnsserver import DnsServer

ZONE = """$ORIGIN hostile.test.
$TTL 300
@            SOA   ns hostmaster 1 3600 600 86400 300
             NS    ns
ns           A     127.0.0.1
spoof        TXT   "v=spf1 -all"
             A     192.0.2.1
spoofport    TXT   "v=spf1 -all"
mismatch     TXT   "v=spf1 -all"
tc           TXT   "v=spf1 -all"
tc-tcp       MX    10 mx.tc-tcp
             TXT   "v=spf1 -all"
_dmarc.tc-tcp TXT  "v=DMARC1; p=reject"
mx.tc-tcp    A     192.0.2.2
s._domainkey.tc-tcp TXT "v=DKIM1; p=MIIB"
drop2        TXT   "v=spf1 ip4:192.0.2.0/24 -all"
{chains}
"""


def _chain(label: str, links: int) -> str:
    """`label` -> label-1 -> ... -> label-N (links CNAMEs), which holds the DMARC record."""
    names = [f"_dmarc.{label}"] + [f"{label}-{i}" for i in range(1, links + 1)]
    lines = [f"{a} CNAME {b}" for a, b in itertools.pairwise(names)]
    lines.append(f'{names[-1]} TXT "v=DMARC1; p=reject"')
    lines.append(f"{label} MX 0 .")
    return "\n".join(lines)


BEHAVIOURS = {
    "tc-eof.hostile.test.": "TC_EOF",
    "tc-tcp.hostile.test.": "TC_TCP",
    "tc-stall.hostile.test.": "TC_STALL",
    "tc.hostile.test.": "TC",
    "spoof.hostile.test.": "SPOOF",
    "spoofport.hostile.test.": "SPOOF_PORT",
    "mismatch.hostile.test.": "MISMATCH",
    "drop.hostile.test.": "DROP",
    "half.hostile.test.": "DROP_HALF",
    "drop2.hostile.test.": "DROP_FIRST_2",
    "referral.hostile.test.": "REFERRAL",
    "stray.hostile.test.": "STRAY",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.test.zone"
    path.write_text(ZONE.format(chains=_chain("chain12", 12) + "\n" + _chain("chain20", 20)))
    with DnsServer([path], behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture
def engine_for(hostile: DnsServer) -> Iterator[Callable[..., DnsEngine]]:
    engines: list[DnsEngine] = []

    def make(**overrides: object) -> DnsEngine:
        options: dict[str, object] = {"nameservers": (hostile.address,), "timeout": 0.5}
        options.update(overrides)
        engine = build_engine(DnsOptions(**options))  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


# -- hangs: every I/O path completes every lookup ------------------------------------------


@pytest.mark.timeout(10)
def test_truncated_then_tcp_closed_is_an_error(engine_for: Callable[..., DnsEngine]) -> None:
    answer = engine_for().resolve("x.tc-eof.hostile.test", "TXT")
    assert answer.outcome is Outcome.ERROR
    assert "connection closed" in answer.detail


@pytest.mark.timeout(10)
def test_truncated_then_tcp_silent_times_out(engine_for: Callable[..., DnsEngine]) -> None:
    answer = engine_for(retries=0).resolve("x.tc-stall.hostile.test", "TXT")
    assert answer.outcome is Outcome.TIMEOUT
    assert answer.detail == "no answer within --timeout 0.5 s (per query, over TCP)"


@pytest.mark.timeout(10)
def test_truncated_over_tcp_too_is_not_missing(engine_for: Callable[..., DnsEngine]) -> None:
    answer = engine_for().resolve("tc-tcp.hostile.test", "MX")
    assert answer.outcome is Outcome.ERROR and not answer.void
    assert "truncated even over TCP" in answer.detail


@pytest.mark.timeout(20)
def test_ten_thousand_queued_lookups_all_end_by_the_deadline(
    engine_for: Callable[..., DnsEngine],
) -> None:
    """A burst far larger than the wake-up socket's buffer, queued behind 2 slots: nothing
    blocks the I/O thread, and queued work ends at the deadline instead of being sent."""
    engine = engine_for(concurrency=2, timeout=0.3, deadline=1.0)
    futures = [engine.submit(f"n{i}.drop.hostile.test", "A") for i in range(10_000)]
    answers = [f.result(timeout=15) for f in futures]
    assert {a.outcome for a in answers} == {Outcome.TIMEOUT}
    assert sum("deadline" in a.detail for a in answers) > 9_000


@pytest.mark.timeout(180)
def test_stress_every_future_completes_when_half_the_packets_vanish(
    engine_for: Callable[..., DnsEngine], hostile: DnsServer
) -> None:
    engine = engine_for(concurrency=256, timeout=0.5, retries=1, deadline=150)
    futures = [engine.submit(f"q{i}.half.hostile.test", "TXT") for i in range(20_000)]
    answers = [f.result(timeout=150) for f in futures]
    outcomes = {a.outcome for a in answers}
    assert outcomes <= {Outcome.NXDOMAIN, Outcome.TIMEOUT}
    # about a quarter lose both tries; most get their answer
    assert sum(a.outcome is Outcome.NXDOMAIN for a in answers) > 10_000


@pytest.mark.timeout(10)
def test_close_completes_every_open_lookup(engine_for: Callable[..., DnsEngine]) -> None:
    engine = engine_for(timeout=5, deadline=60)
    futures = [engine.submit(f"c{i}.drop.hostile.test", "A") for i in range(100)]
    engine.close()
    answers = [f.result(timeout=5) for f in futures]
    assert all(a.outcome.is_error for a in answers)


@pytest.mark.timeout(10)
def test_retry_from_a_completion_callback_after_close_does_not_deadlock(
    engine_for: Callable[..., DnsEngine],
) -> None:
    """close() completes lookups whose retry asks again from the callback: no lock re-entry."""
    engine = engine_for(timeout=5, retries=3, deadline=60)
    futures = [engine.scoped().submit(f"r{i}.drop.hostile.test", "A") for i in range(50)]
    threads = [threading.Thread(target=engine.close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert all(f.result(timeout=5).outcome.is_error for f in futures)


# -- forged answers ------------------------------------------------------------------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "name", ["spoof.hostile.test", "spoofport.hostile.test", "mismatch.hostile.test"]
)
def test_forged_answer_from_another_address_or_port_or_for_another_question_is_ignored(
    engine_for: Callable[..., DnsEngine], name: str
) -> None:
    answer = engine_for().resolve(name, "TXT")
    assert answer.outcome is Outcome.NOERROR
    assert [r.text for r in answer.records] == ['"v=spf1 -all"']


# -- CNAME chains as a resolver serves them -------------------------------------------------


@pytest.mark.timeout(10)
def test_chain_longer_than_the_resolver_follows_is_completed(
    engine_for: Callable[..., DnsEngine],
) -> None:
    """The test server (like BIND or Unbound) stops following after some links."""
    answer = engine_for().resolve("_dmarc.chain12.hostile.test", "TXT")
    assert answer.outcome is Outcome.NOERROR
    assert [r.text for r in answer.records] == ['"v=DMARC1; p=reject"']
    assert len(answer.cnames) == 12


@pytest.mark.timeout(10)
def test_chain_of_sixteen_links_or_more_is_an_error(engine_for: Callable[..., DnsEngine]) -> None:
    answer = engine_for().resolve("_dmarc.chain20.hostile.test", "TXT")
    assert answer.outcome.is_error and not answer.void
    assert "CNAME chain too long" in answer.detail


# -- limits ----------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_tcp_fallbacks_obey_concurrency(hostile: DnsServer) -> None:
    hostile.config.delay = 0.2
    hostile.config.tcp_peak = 0
    try:
        engine = build_engine(
            DnsOptions(nameservers=(hostile.address,), timeout=3, concurrency=2, deadline=60)
        )
        with engine:
            answers = engine.resolve_many([(f"t{i}.tc.hostile.test", "TXT") for i in range(12)])
    finally:
        hostile.config.delay = 0.0
    assert {a.outcome for a in answers} == {Outcome.NXDOMAIN}
    assert 1 <= hostile.config.tcp_peak <= 2


@pytest.mark.timeout(4)
def test_port_unreachable_ends_the_query_at_once() -> None:
    """--timeout 5 with a retry would take 10 s; the hard test timeout is 4 s."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    engine = build_engine(DnsOptions(nameservers=(f"127.0.0.1:{closed}",), timeout=5))
    with engine:
        answer = engine.resolve("example.com", "A")
    assert answer.outcome is Outcome.ERROR
    assert "port unreachable" in answer.detail


@pytest.mark.timeout(10)
def test_a_transient_failure_is_asked_again_by_the_next_subject(
    engine_for: Callable[..., DnsEngine],
) -> None:
    """The first two packets for a shared include vanish: the domain that asked first has
    had its two tries, the others that share the include ask once more (together) instead
    of all reporting ERROR for the rest of the run."""
    engine = engine_for(timeout=0.3, retries=1)
    futures = [engine.scoped().submit("drop2.hostile.test", "TXT") for _ in range(5)]
    answers = [f.result(timeout=5) for f in futures]
    assert answers[0].outcome is Outcome.TIMEOUT
    assert {a.outcome for a in answers[1:]} == {Outcome.NOERROR}
    assert engine.scoped().resolve("drop2.hostile.test", "TXT").outcome is Outcome.NOERROR
    # one subject sees one answer per question
    scope = engine.scoped()
    assert scope.resolve("drop2.hostile.test", "TXT") is scope.resolve("drop2.hostile.test", "TXT")


# -- deadlines -------------------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_deadline_is_per_subject(engine_for: Callable[..., DnsEngine]) -> None:
    engine = engine_for(deadline=0.5)
    time.sleep(0.6)
    late = engine.resolve("spoof.hostile.test", "A")
    assert late.outcome is Outcome.TIMEOUT
    assert late.detail == "the overall limit, --deadline 0.5, ran out"
    fresh = engine.scoped().resolve("spoof.hostile.test", "A")  # a later domain: its own time
    assert fresh.outcome is Outcome.NOERROR


@pytest.mark.timeout(10)
def test_overall_deadline_bounds_every_subject(engine_for: Callable[..., DnsEngine]) -> None:
    engine = engine_for(deadline=30, overall_deadline=0.5)
    time.sleep(0.6)
    answer = engine.scoped().resolve("tc.hostile.test", "TXT")
    assert answer.outcome is Outcome.TIMEOUT and "deadline" in answer.detail


@pytest.mark.timeout(10)
def test_waiting_on_a_longer_lived_lookup_ends_at_my_deadline(
    engine_for: Callable[..., DnsEngine],
) -> None:
    engine = engine_for(timeout=3, retries=0)
    patient = engine.scoped(seconds=30)
    hasty = engine.scoped(seconds=0.5)
    slow = patient.submit("x.drop.hostile.test", "A")
    mine = hasty.submit("x.drop.hostile.test", "A")
    assert mine.result(timeout=2).outcome is Outcome.TIMEOUT
    assert not slow.done()


# -- the command line --------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_cli_truncated_everywhere_is_error_not_missing(run_cli: CliRun, hostile: DnsServer) -> None:
    result = run_cli(
        "domain", "tc-tcp.hostile.test", "--nameserver", hostile.address, "--only", "mx,spf,dmarc"
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "missing" not in result.stdout
    assert "FAIL" not in result.stdout and "ERROR" in result.stdout


@pytest.mark.timeout(60)
def test_cli_a_referral_is_error_not_missing(run_cli: CliRun, hostile: DnsServer) -> None:
    """--nameserver pointed at a server that refers instead of answering (an authoritative
    server for other zones, a broken forwarder): each empty referral was read as 'no such
    record', and the domain failed mx.missing, spf.missing, dmarc.missing (exit 1)."""
    result = run_cli(
        "domain", "referral.hostile.test", "--nameserver", hostile.address,
        "--only", "mx,spf,dmarc", "--color", "never", "--no-config",
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "missing" not in result.stdout
    assert (
        f"could not determine the SPF record: ERROR from {hostile.address}: {hostile.address} "
        "a referral to ns.elsewhere.example, not an answer: not a recursive resolver (2 tries)"
    ) in " ".join(result.stdout.split())


@pytest.mark.timeout(60)
def test_cli_records_of_another_name_are_error_not_missing(
    run_cli: CliRun, hostile: DnsServer
) -> None:
    """An answer that holds TXT or MX records, but only of a name the question did not lead
    to, was read as 'no such record': spf.missing and mx.missing FAIL (exit 1)."""
    result = run_cli(
        "domain", "stray.hostile.test", "--nameserver", hostile.address,
        "--only", "mx,spf", "--color", "never", "--no-config",
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "missing" not in result.stdout
    text = " ".join(result.stdout.split())
    assert (
        f"could not determine the SPF record: ERROR from {hostile.address}: the answer holds "
        "TXT records of stray.elsewhere.example, not of stray.hostile.test"
    ) in text
    assert "MX records of stray.elsewhere.example, not of stray.hostile.test" in text


@pytest.mark.timeout(60)
def test_cli_long_cname_chain_is_error_not_missing(run_cli: CliRun, hostile: DnsServer) -> None:
    result = run_cli(
        "domain", "chain20.hostile.test", "--nameserver", hostile.address, "--only", "dmarc"
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "dmarc.missing" not in result.stdout and "CNAME chain too long" in result.stdout


@pytest.mark.timeout(60)
def test_cli_verify_key_truncated_everywhere_is_temperror_not_no_key(
    run_cli: CliRun, hostile: DnsServer, tmp_path: Path
) -> None:
    message = tmp_path / "m.eml"
    message.write_text(
        "DKIM-Signature: v=1; a=rsa-sha256; d=tc-tcp.hostile.test; s=s; c=relaxed/relaxed; "
        "h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
        "From: a@tc-tcp.hostile.test\r\nTo: b@example.com\r\nSubject: x\r\n\r\n"
    )
    result = run_cli("verify", str(message), "--nameserver", hostile.address)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "TEMPERROR" in result.stdout and "truncated even over TCP" in result.stdout
    assert "no key" not in result.stdout.lower() and "PERMERROR" not in result.stdout


def _summary(result: CompletedProcess[str], check: str) -> str:
    import json

    findings = [
        f
        for report in json.loads(result.stdout)["reports"]
        for section in report["sections"]
        for f in section["findings"]
    ]
    return str(next(f["summary"] for f in findings if f["id"] == check))


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("limits", "said"),
    [
        (["--timeout", "5", "--domain-deadline", "1"], "the domain's limit, --domain-deadline 1,"),
        (["--timeout", "5", "--deadline", "1"], "the overall limit, --deadline 1,"),
        (["--timeout", "0.3"], "no answer within --timeout 0.3 s (per query)"),
    ],
)
def test_cli_dns_timeout_names_the_limit_that_ran_out(
    run_cli: CliRun, hostile: DnsServer, limits: list[str], said: str
) -> None:
    """A resolver that never answers: the message names the option to raise, as trace does."""
    result = run_cli(
        "domain", "drop.hostile.test", "-n", hostile.address, *limits, "--only", "mx", "-f", "json"
    )
    assert result.returncode == 3, result.stdout + result.stderr
    ran_out = said + (" ran out" if said.endswith(",") else "")
    assert _summary(result, "mx.records") == (
        f"could not determine the MX records: TIMEOUT from {hostile.address}: {ran_out}"
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("limits", "said"),
    [
        (["--timeout", "5", "--deadline", "1"], "the overall limit, --deadline 1, ran out"),
        (["--timeout", "0.3"], "no answer within --timeout 0.3 s (per query)"),
    ],
)
def test_cli_verify_dns_timeout_names_the_limit_that_ran_out(
    run_cli: CliRun, hostile: DnsServer, tmp_path: Path, limits: list[str], said: str
) -> None:
    message = tmp_path / "m.eml"
    message.write_text(
        "DKIM-Signature: v=1; a=rsa-sha256; d=drop.hostile.test; s=s; c=relaxed/relaxed; "
        "h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\n"
        "From: a@drop.hostile.test\r\nTo: b@example.com\r\nSubject: x\r\n\r\n"
    )
    result = run_cli("verify", str(message), "-n", hostile.address, *limits, "-f", "json")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"looking up the key: TIMEOUT from {hostile.address}: {said}\n" in (
        _summary(result, "dkim.signature") + "\n"
    )


def _wait_for_queries(server: DnsServer, count: int) -> None:
    deadline = time.monotonic() + 20
    while server.queries < count and time.monotonic() < deadline:
        time.sleep(0.05)


def _quiet_queries(server: DnsServer) -> int:
    """The server's query count once it stops moving: an earlier run killed mid-way leaves
    queries in the server's socket buffer, and counting those as the new run's would signal
    the new process before it has even started."""
    deadline = time.monotonic() + 20
    count = server.queries
    while time.monotonic() < deadline:
        time.sleep(0.3)
        if server.queries == count:
            break
        count = server.queries
    return count


def _spawn(*args: str) -> object:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILCHECK_")}
    env["NO_COLOR"] = "1"
    return subprocess.Popen(
        [sys.executable, "-m", "mailcheck", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("signals", "code", "word"),
    [(1, 130, "interrupted"), (3, 130, "interrupted"), (-1, 143, "terminated")],
)
def test_one_signal_ends_a_bulk_run_at_once(
    hostile: DnsServer, tmp_path: Path, signals: int, code: int, word: str
) -> None:
    import signal
    import subprocess

    domains = tmp_path / "domains.txt"
    domains.write_text("".join(f"d{i}.drop.hostile.test\n" for i in range(2000)))
    before = _quiet_queries(hostile)
    process = _spawn(
        "domain",
        "--from-file",
        str(domains),
        "--nameserver",
        hostile.address,
        "--timeout",
        "5",
        "--deadline",
        "120",
    )
    assert isinstance(process, subprocess.Popen)
    _wait_for_queries(hostile, before + 50)
    for _ in range(max(1, signals)):
        process.send_signal(signal.SIGINT if signals > 0 else signal.SIGTERM)
    _out, err = process.communicate(timeout=5)  # the run had minutes of work left
    assert process.returncode == code
    assert err.strip().splitlines() == [f"mailcheck: {word}"]
    assert "Traceback" not in err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
@pytest.mark.parametrize(("domain", "code"), [("example.com", 0), ("broken.example.org", 1)])
def test_reader_that_goes_away_changes_nothing(fmt: str, domain: str, code: int) -> None:
    """`mailcheck domain ... | head -1`: the exit code is the verdict, no traceback."""
    import os
    import subprocess
    import sys

    from tests.conftest import EXAMPLES, ROOT

    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "mailcheck",
                "domain",
                domain,
                "--offline",
                "--zone",
                str(EXAMPLES / "zones"),
                "--format",
                fmt,
            ],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=50,
        )
    finally:
        os.close(write)
    assert result.returncode == code
    assert result.stderr == ""


@pytest.mark.timeout(90)
@pytest.mark.parametrize("command", ["verify", "trace"])
@pytest.mark.parametrize(
    ("signum", "code", "word"), [(2, 130, "interrupted"), (15, 143, "terminated")]
)
def test_every_command_ends_at_once_on_a_signal(
    hostile: DnsServer, tmp_path: Path, command: str, signum: int, code: int, word: str
) -> None:
    import socket
    import subprocess

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(30)
    message = tmp_path / "m.eml"
    message.write_text(
        "From: a@m.drop.hostile.test\r\nTo: b@example.com\r\nSubject: x\r\n"
        "Message-ID: <1@m.drop.hostile.test>\r\n\r\nbody\r\n"
    )
    before = hostile.queries
    if command == "verify":
        args = ["verify", str(message), "--nameserver", hostile.address, "--timeout", "10"]
    else:
        port = str(listener.getsockname()[1])
        args = ["trace", "127.0.0.1", "--host", "--port", port, "--offline", "--step-timeout", "30"]
    process = _spawn(*args)
    assert isinstance(process, subprocess.Popen)
    try:
        if command == "verify":
            _wait_for_queries(hostile, before + 1)
        else:
            _connection, _ = listener.accept()  # connected: now waiting for a banner
        process.send_signal(signum)
        _out, err = process.communicate(timeout=5)
    finally:
        process.kill()
        listener.close()
    assert process.returncode == code
    assert err.strip().splitlines() == [f"mailcheck: {word}"]


@pytest.mark.timeout(120)
def test_cli_domain_deadline_is_per_domain_and_deadline_for_the_run(
    run_cli: CliRun, tmp_path: Path
) -> None:
    """Six domains one after the other, 0.25 s per answer: each needs well under its 3 s,
    together far more. Only --deadline (the whole run, as in every command) cuts the later
    ones short."""
    from tests.conftest import BEHAVIOURS, STATIC_ZONES

    names = [
        "clean.test",
        "nullmx.test",
        "mxcname.test",
        "ipv4only.test",
        "noptr.test",
        "mxip.test",
    ]
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(names) + "\n")
    zones = sorted(STATIC_ZONES.glob("*.zone"))
    with DnsServer(zones, delay=0.25, behaviours=BEHAVIOURS) as server:
        common = ["domain", "--from-file", str(listing), "--nameserver", server.address]
        common += ["--parallel", "1", "--only", "mx,spf,dmarc", "--format", "jsonl"]
        each = run_cli(*common, "--domain-deadline", "3", timeout=100)
        total = run_cli(*common, "--domain-deadline", "3", "--deadline", "1.5", timeout=100)
    import json

    first = [json.loads(line) for line in each.stdout.splitlines()]
    second = [json.loads(line) for line in total.stdout.splitlines()]
    assert [r["subject"] for r in first] == names, each.stderr
    assert [r["counts"]["error"] for r in first] == [0] * 6
    assert "deadline" not in each.stdout
    assert second[-1]["counts"]["error"] > 0
    assert "deadline" in json.dumps(second[-1])


def test_an_answer_larger_than_the_edns_size_comes_over_tcp(tmp_path: Path) -> None:
    """The test server itself: a TXT record of 3,000 bytes (a huge SPF record) asked with
    EDNS (1232 bytes) made dnspython raise TooBig in the server's UDP thread, which died, and
    every later question went unanswered; it is truncated over UDP, then answered over TCP."""
    record = "v=spf1 " + " ".join(f"include:i{i}.big.test" for i in range(150)) + " -all"
    strings = " ".join(f'"{record[i : i + 250]}"' for i in range(0, len(record), 250))
    zone = tmp_path / "big.zone"
    zone.write_text(
        "$ORIGIN big.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n"
        f'@ TXT {strings}\nsmall TXT "v=spf1 -all"\n'
    )
    with DnsServer([zone]) as server:
        options = DnsOptions(nameservers=(server.address,), timeout=0.5, deadline=5.0)
        with build_engine(options) as engine:
            big = engine.resolve("big.test", "TXT")
            small = engine.resolve("small.big.test", "TXT")
    assert big.outcome is Outcome.NOERROR
    assert [r.txt.decode() for r in big.records] == [record]
    assert small.outcome is Outcome.NOERROR  # the UDP side still answers
