"""Name servers: how many, in which networks, and (with --ask-ns) what each says on its own."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailcheck.catalog import finding
from mailcheck.checks.ns_delegation import DelegationCheck
from mailcheck.checks.options import AskOptions as AskOptions  # where it was defined
from mailcheck.model import Finding, Section, Status
from mailcheck.net.address import address_key
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.crawl import Crawler

if TYPE_CHECKING:
    # direct queries (dnspython's message code, ~11 ms to import): only with --ask-ns
    from mailcheck.net.dns.direct import DirectAnswer

MAX_NS = 13  # a referral holds at most 13 servers in practice; more is not worth asking
MAX_WALK = 8  # labels walked up to find the zone apex


@dataclass
class NsHost:
    """One name server of a zone: its addresses, and its own answers when asked directly."""

    name: str
    addresses: dict[str, Answer] = field(default_factory=dict)  # "A"/"AAAA" -> answer
    # address -> the server's own answers, by question ("SOA", "MX", "SPF", "DMARC", "MTA-STS")
    direct: dict[str, dict[str, DirectAnswer]] = field(default_factory=dict)

    @property
    def ips(self) -> list[str]:
        return [
            r.text for t in ("A", "AAAA") if t in self.addresses for r in self.addresses[t].records
        ]


class NsCheck:
    """Finds the zone apex and its NS set through the engine, then (optionally) asks each."""

    family = "ns"

    def __init__(self, domain: str, crawler: Crawler, ask: AskOptions | None = None) -> None:
        self.domain = domain
        self.crawler = crawler
        self.ask = ask
        self.apex: str | None = None
        self.answer: Answer | None = None  # the NS answer that ended the walk
        self.soa: Answer | None = None
        self.hosts: list[NsHost] = []
        self._deadline = 0.0
        self.delegation: DelegationCheck | None = None

    # -- collection -------------------------------------------------------------------

    def start(self) -> None:
        # the subject's own DNS deadline (capped by the run's): not a fresh one from now
        self._deadline = self.crawler.engine.deadline
        self._step(self.domain, 0)

    def _step(self, name: str, depth: int) -> None:
        """Ask NS and SOA of `name` at once: an apex has the SOA (even one that lacks NS)."""
        got: dict[str, Answer] = {}
        for rdtype in ("NS", "SOA"):
            self.crawler.ask(
                name, rdtype, functools.partial(self._on_step, name, depth, got, rdtype)
            )

    def _on_step(
        self, name: str, depth: int, got: dict[str, Answer], rdtype: str, answer: Answer
    ) -> None:
        got[rdtype] = answer
        if len(got) < 2:
            return
        ns, soa = got["NS"], got["SOA"]
        # an SOA reached through a CNAME is the target's, not this name's
        apex_soa = soa.exists and not soa.cnames
        parent = name.split(".", 1)[1] if "." in name else ""
        if ns.void and not apex_soa and not soa.outcome.is_error and parent and depth < MAX_WALK:
            # not a zone apex (or the name does not exist): its zone starts higher up
            self._step(parent, depth + 1)
            return
        self.answer, self.soa = ns, soa
        if not ns.exists:
            if apex_soa:
                self.apex = name  # an apex without NS records (a zone file that forgot them)
            elif soa.outcome.is_error and not ns.outcome.is_error:
                self.answer = soa  # could not tell whether this is the apex
            return
        self.apex = name
        names = sorted({r.rdata.target.to_text(omit_final_dot=True).lower() for r in ns.records})
        self.hosts = [NsHost(n) for n in names[:MAX_NS]]
        if self.ask is not None:
            self.delegation = DelegationCheck(name, names, self.crawler, self.ask.port)
            self.delegation.start()
        for host in self.hosts:
            for rdtype in ("A", "AAAA"):
                self.crawler.ask(
                    host.name, rdtype, functools.partial(self._on_address, host, rdtype)
                )

    def _on_address(self, host: NsHost, rdtype: str, answer: Answer) -> None:
        host.addresses[rdtype] = answer
        if self.ask is None or self.apex is None:
            return
        for record in answer.records:
            address = record.text
            self.crawler.spawn(
                functools.partial(self._ask_one, address),
                functools.partial(self._on_direct, host, address),
            )

    def questions(self) -> list[tuple[str, str, str]]:
        """(key, name, type) asked of every server: the zone's SOA and the mail records."""
        assert self.apex is not None
        return [
            ("SOA", self.apex, "SOA"),
            ("MX", self.domain, "MX"),
            ("SPF", self.domain, "TXT"),
            ("DMARC", f"_dmarc.{self.domain}", "TXT"),
            ("MTA-STS", f"_mta-sts.{self.domain}", "TXT"),
        ]

    def _ask_one(self, address: str) -> dict[str, DirectAnswer]:
        from mailcheck.net.dns.direct import ask_server

        assert self.ask is not None
        timeout = self.crawler.engine.config.timeout
        out: dict[str, DirectAnswer] = {}
        for key, name, rdtype in self.questions():
            answer = ask_server(
                address,
                self.ask.port,
                name,
                rdtype,
                timeout=timeout,
                deadline=self._deadline,
                said=self.crawler.engine.limit_text,
            )
            out[key] = answer
            if key == "SOA" and (answer.outcome.is_error or not answer.authoritative):
                break  # unreachable or lame: its other answers would mean nothing
        return out

    @staticmethod
    def _on_direct(host: NsHost, address: str, answers: dict[str, DirectAnswer]) -> None:
        host.direct[address] = answers

    # -- judgement --------------------------------------------------------------------

    def section(self) -> Section:
        findings = self._findings()
        data = {
            "zone": self.apex,
            "servers": [{"name": h.name, "addresses": h.ips} for h in self.hosts],
        }
        parts = [", ".join(h.name for h in self.hosts)]
        if self.apex and self.apex != self.domain:
            parts.append(f"(zone {self.apex})")
        headline = "   ".join(p for p in parts if p)
        return Section("ns", "Name servers", tuple(findings), headline, data)

    def _findings(self) -> list[Finding]:
        answer = self.answer
        assert answer is not None
        if answer.outcome.is_error:
            return [
                finding(
                    "ns.records",
                    Status.ERROR,
                    f"could not determine the name servers: {answer.describe()}",
                    evidence=[answer.error_text()],
                )
            ]
        if self.apex is not None and not answer.exists:
            return [
                finding(
                    "ns.records",
                    Status.FAIL,
                    f"the zone {self.apex} has an SOA record but no NS records",
                )
            ]
        if not answer.exists or self.apex is None:
            return [
                finding(
                    "ns.records",
                    Status.FAIL,
                    f"no NS records found at {self.domain} or above it",
                )
            ]
        names = [h.name for h in self.hosts]
        out = [
            finding(
                "ns.records",
                Status.PASS,
                f"{_n(len(names), 'name server')} for {self.apex}: {', '.join(names)}",
                evidence=[r.text for r in answer.records],
            )
        ]
        if len(names) < 2:
            out.append(
                finding(
                    "ns.count",
                    Status.WARN,
                    f"only one name server ({names[0]}): it is a single point of failure",
                )
            )
        else:
            out.append(finding("ns.count", Status.PASS, f"{len(names)} name servers (at least 2)"))
        out.extend(self._address_findings())
        out.extend(self._direct_findings())
        return out

    def _address_findings(self) -> list[Finding]:
        out: list[Finding] = []
        missing, errors = [], []
        for host in self.hosts:
            answers = [host.addresses.get(t) for t in ("A", "AAAA")]
            if any(a is not None and a.outcome.is_error for a in answers):
                errors.append(host)
            elif not host.ips:
                missing.append(host.name)
            elif any(a is not None and a.cnames for a in answers):
                out.append(
                    finding(
                        "ns.cname",
                        Status.FAIL,
                        f"{host.name} is a CNAME: an NS must name a host's own name",
                    )
                )
        for host in errors:
            failed = sorted(
                (a for a in host.addresses.values() if a.outcome.is_error), key=lambda a: a.rdtype
            )
            out.append(
                finding(
                    "ns.host-address",
                    Status.ERROR,
                    f"could not look up {host.name}: {failed[0].describe()}",
                )
            )
        if missing:
            out.append(
                finding(
                    "ns.host-address",
                    Status.FAIL,
                    f"no A or AAAA record for {', '.join(missing)}: cannot be asked",
                )
            )
        elif not errors:
            count = sum(len(h.ips) for h in self.hosts)
            out.append(
                finding(
                    "ns.host-address",
                    Status.PASS,
                    f"every name server resolves ({_n(count, 'address', 'addresses')})",
                )
            )
        out.extend(self._diversity(unknown=bool(errors)))
        return out

    def _diversity(self, unknown: bool) -> list[Finding]:
        """RFC 2182 §3.1: servers in different networks; judged per address family."""
        if len(self.hosts) < 2:
            return []
        nets: dict[int, dict[str, set[str]]] = {4: {}, 6: {}}
        for host in self.hosts:
            for text in host.ips:
                ip = ipaddress.ip_address(text)
                prefix = 24 if ip.version == 4 else 48
                net = str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
                nets[ip.version].setdefault(net, set()).add(host.name)
        shared = []
        for version, by_net in nets.items():
            hosts = set().union(*by_net.values()) if by_net else set()
            if len(hosts) >= 2 and len(by_net) == 1:
                shared.append(f"every IPv{version} address is in {next(iter(by_net))}")
        if shared:
            return [
                finding(
                    "ns.diversity",
                    Status.WARN,
                    "; ".join(shared) + ": one network outage takes every name server down",
                )
            ]
        if unknown:
            return [
                finding(
                    "ns.diversity",
                    Status.ERROR,
                    "could not determine every name server's address",
                )
            ]
        counts = ", ".join(
            f"{len(n)} IPv{v} /{24 if v == 4 else 48} networks" for v, n in nets.items() if n
        )
        return [
            finding("ns.diversity", Status.PASS, f"name servers in different networks ({counts})")
        ]

    # -- what each server says on its own (--ask-ns) -----------------------------------

    def servers(self) -> list[tuple[NsHost, str, dict[str, DirectAnswer]]]:
        return [
            (host, address, host.direct[address])
            for host in self.hosts
            for address in sorted(host.direct, key=address_key)
        ]

    def _direct_findings(self) -> list[Finding]:
        if self.ask is None:
            return [
                finding(
                    "ns.authoritative",
                    Status.SKIP,
                    "name servers not asked directly (--ask-ns asks each one: authoritative "
                    "answers, lame delegations, serial and mail records agreeing)",
                )
            ]
        servers = self.servers()
        if not servers:
            return []
        from mailcheck.net.dns.direct import server_label

        out: list[Finding] = []
        good, lame, unreachable = [], [], []
        asked = []  # --verbose: what each server said (these queries bypass the resolver log)
        for host, address, answers in servers:
            soa = answers["SOA"]
            who = f"{host.name} ({server_label(address, self.ask.port)})"
            said = ", ".join(
                f"{key} {a.describe()}{' AA' if a.authoritative else ''}"
                for key, a in answers.items()
            )
            asked.append(f"{who}: {said}")
            if soa.outcome in (Outcome.TIMEOUT, Outcome.ERROR, Outcome.SERVFAIL):
                unreachable.append(f"{who}: {soa.describe()}")
            elif soa.outcome is not Outcome.NOERROR or not soa.authoritative:
                flag = "" if soa.authoritative else ", not authoritative (no AA bit)"
                lame.append(f"{who}: {soa.describe()}{flag}")
            else:
                good.append(who)
        if lame:
            out.append(
                finding(
                    "ns.lame",
                    Status.FAIL,
                    (
                        f"lame delegation: {len(lame)} of {len(servers)} listed servers do not "
                        f"serve {self.apex}: " + "; ".join(lame)
                    ),
                    evidence=asked,
                )
            )
        elif not unreachable:
            out.append(
                finding("ns.lame", Status.PASS, "no lame delegation: every server serves the zone")
            )
        if unreachable:
            out.append(
                finding(
                    "ns.authoritative",
                    Status.ERROR,
                    "could not ask " + "; ".join(unreachable),
                    evidence=asked,
                )
            )
        elif not lame:
            out.append(
                finding(
                    "ns.authoritative",
                    Status.PASS,
                    f"all {len(good)} server addresses answer authoritatively for {self.apex}",
                    evidence=asked,
                )
            )
        # lame servers are known not to serve the zone: only unreachable ones leave a gap
        out.extend(self._agreement(complete=not unreachable))
        if self.delegation is not None:
            out.extend(self.delegation.findings())
        return out

    def _agreement(self, complete: bool) -> list[Finding]:
        """Do the servers that answered say the same mail records? (ns.consistent)"""
        served = [
            (host, address, answers)
            for host, address, answers in self.servers()
            if answers["SOA"].authoritative and answers["SOA"].outcome is Outcome.NOERROR
        ]
        if not served:
            return []
        differ, errors = [], []
        for key, _name, _rdtype in self.questions()[1:]:
            seen: dict[tuple[str, ...], list[str]] = {}
            for host, address, answers in served:
                answer = answers.get(key)
                if answer is None or answer.outcome.is_error:
                    errors.append(f"{key} from {host.name} ({address})")
                    continue
                values = _relevant(key, answer)
                seen.setdefault(values, []).append(f"{host.name} ({address})")
            if len(seen) > 1:
                shown = "; ".join(
                    f"{', '.join(who)}: {' | '.join(vals) or 'none'}"
                    for vals, who in sorted(seen.items())
                )
                differ.append(f"{key} differs: {shown}")
        if differ:
            return [
                finding(
                    "ns.consistent",
                    Status.FAIL,
                    "servers disagree: " + "; ".join(differ),
                )
            ]
        if errors or not complete:
            missing = ", ".join(errors) if errors else "some servers could not be asked"
            return [
                finding(
                    "ns.consistent",
                    Status.ERROR,
                    f"servers that answered agree, but not every answer is known: {missing}",
                )
            ]
        return [
            finding(
                "ns.consistent",
                Status.PASS,
                f"all {len(served)} server addresses agree on MX, SPF, DMARC and MTA-STS",
            )
        ]


def _relevant(key: str, answer: DirectAnswer) -> tuple[str, ...]:
    """The part of an answer that matters: SPF is the v=spf1 TXT, other TXT sets whole."""
    texts = answer.texts()
    if key == "SPF":
        return tuple(t for t in texts if t.strip('"').lower().startswith("v=spf1"))
    return texts


def _n(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"
