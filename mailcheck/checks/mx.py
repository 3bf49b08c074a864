"""MX checks: presence, null MX, targets, addresses, IPv6, forward-confirmed reverse DNS."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field

import dns.reversename

from mailcheck.catalog import finding
from mailcheck.checks.count import bounded
from mailcheck.model import Finding, Location, Section, Status
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.crawl import Crawler

_SHARED = ipaddress.ip_network("100.64.0.0/10")
# Hosts followed (addresses, PTR, DNSSEC, MTA-STS coverage, --smtp): one domain with
# thousands of MX records must cost bounded work. The rest are named, not checked.
MAX_HOSTS = 20


@dataclass
class MxHost:
    """One MX host: its record, preference, and the answers about its addresses."""

    name: str
    preference: int
    record_text: str
    origin: str = ""
    location: Location | None = None  # the zone file line of this host's MX record
    addresses: dict[str, Answer] = field(default_factory=dict)  # "A"/"AAAA" -> answer
    ptr: dict[str, Answer] = field(default_factory=dict)  # address -> PTR answer
    forward: dict[tuple[str, str], Answer] = field(default_factory=dict)  # (addr, ptr) -> answer

    @property
    def ips(self) -> list[str]:
        out: list[str] = []
        for rdtype in ("A", "AAAA"):
            answer = self.addresses.get(rdtype)
            if answer is not None:
                out.extend(r.text for r in answer.records)
        return out

    @property
    def aliased(self) -> Answer | None:
        """The first address answer that went through a CNAME."""
        for rdtype in ("A", "AAAA"):
            answer = self.addresses.get(rdtype)
            if answer is not None and answer.cnames:
                return answer
        return None

    @property
    def cname_target(self) -> str | None:
        aliased = self.aliased
        return aliased.cnames[-1].target if aliased is not None else None


def _non_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    # Documentation ranges (192.0.2.0/24 ...) are deliberately not flagged: they appear in
    # examples and test zones, and a real MX never uses them.
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _non_public(str(ip.ipv4_mapped))
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_multicast
        or (
            isinstance(ip, ipaddress.IPv4Address)
            and any(
                ip in ipaddress.ip_network(n)
                for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
            )
        )
        or (isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"))
    )


def _ptr_names(answer: Answer) -> list[str]:
    """The names of a PTR answer in a fixed order: which ten are followed, and the name a
    finding shows, must not follow the order a server lists them in (resolvers rotate it)."""
    return sorted({r.rdata.target.to_text(omit_final_dot=True).lower() for r in answer.records})


def _is_ip_literal(name: str) -> bool:
    text = name.strip("[]")
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return all(p.isdigit() for p in text.split(".") if p)


class MxCheck:
    """Collects MX data through the crawler, then judges it."""

    family = "mx"

    def __init__(self, domain: str, crawler: Crawler, *, fcrdns: bool = True) -> None:
        self.domain = domain
        self.crawler = crawler
        self.fcrdns = fcrdns
        self.answer: Answer | None = None
        self.apex: dict[str, Answer] = {}
        self.hosts: list[MxHost] = []
        self.unchecked = 0  # MX records past MAX_HOSTS, by preference
        self.null_mx = False

    # -- collection -------------------------------------------------------------------

    def start(self) -> None:
        self.crawler.ask(self.domain, "MX", self._on_mx)
        for rdtype in ("A", "AAAA"):
            self.crawler.store(self.domain, rdtype, self.apex, rdtype)

    def _on_mx(self, answer: Answer) -> None:
        self.answer = answer
        hosts = []
        for record in answer.records:
            target = record.rdata.exchange.to_text(omit_final_dot=True).lower()
            origin = str(record.origin) if record.origin else ""
            where = record.origin if record.origin and record.origin.line is not None else None
            hosts.append(MxHost(target, record.rdata.preference, record.text, origin, where))
        hosts.sort(key=lambda h: (h.preference, h.name))
        self.null_mx = any(h.name == "." for h in hosts)
        self.unchecked = max(0, len(hosts) - MAX_HOSTS)
        self.hosts = hosts[:MAX_HOSTS]
        for host in self.hosts:
            if host.name == ".":
                continue
            for rdtype in ("A", "AAAA"):
                self.crawler.ask(
                    host.name, rdtype, functools.partial(self._on_address, host, rdtype)
                )

    def _on_address(self, host: MxHost, rdtype: str, answer: Answer) -> None:
        host.addresses[rdtype] = answer
        if not self.fcrdns:
            return
        for record in answer.records:
            address = record.text
            reverse = dns.reversename.from_address(address).to_text()
            self.crawler.ask(reverse, "PTR", functools.partial(self._on_ptr, host, address))

    def _on_ptr(self, host: MxHost, address: str, answer: Answer) -> None:
        host.ptr[address] = answer
        rdtype = "AAAA" if ":" in address else "A"
        for name in _ptr_names(answer)[:10]:
            self.crawler.store(name, rdtype, host.forward, (address, name))

    # -- judgement --------------------------------------------------------------------

    def domain_exists(self) -> bool | None:
        if self.answer is None or self.answer.outcome.is_error:
            return None
        return self.answer.outcome is not Outcome.NXDOMAIN

    def section(self) -> Section:
        answer = self.answer
        assert answer is not None
        data = {
            "hosts": [
                {
                    "name": h.name,
                    "preference": h.preference,
                    "addresses": h.ips,
                    "cname": h.cname_target,
                }
                for h in self.hosts
            ],
            "null_mx": self.null_mx,
        }
        headline = ", ".join(f"{h.name} ({h.preference})" for h in self.hosts)
        findings = bounded(self._findings(answer))
        return Section("mx", "MX", tuple(findings), headline, data)

    def _findings(self, answer: Answer) -> list[Finding]:
        if answer.outcome.is_error:
            return [
                finding(
                    "mx.records",
                    Status.ERROR,
                    f"could not determine the MX records: {answer.describe()}",
                    evidence=[answer.error_text()],
                )
            ]
        if answer.outcome is Outcome.NXDOMAIN:
            return [
                finding(
                    "mx.records",
                    Status.SKIP,
                    f"{self.domain} does not exist (NXDOMAIN)",
                    evidence=[answer.error_text()],
                )
            ]
        if not self.hosts:
            return [self._missing()]
        if self.null_mx:
            return self._null_findings()
        out = [
            finding(
                "mx.records",
                Status.PASS,
                f"{len(self.hosts)} host{'s' if len(self.hosts) > 1 else ''}: "
                + ", ".join(f"{h.name} ({h.preference})" for h in self.hosts),
                evidence=[
                    (f"{h.record_text}  ({h.origin})" if h.origin else h.record_text)
                    for h in self.hosts
                ],
            )
        ]
        if self.unchecked:
            out.append(
                finding(
                    "mx.records",
                    Status.WARN,
                    f"{len(self.hosts) + self.unchecked} MX records: only the "
                    f"{MAX_HOSTS} most preferred are checked",
                    hint="Publish a handful of MX hosts; senders try few of them anyway.",
                )
            )
        out.extend(self._host_findings())
        if len(self.hosts) == 1:
            out.append(
                finding(
                    "mx.single",
                    Status.INFO,
                    f"only one MX host ({self.hosts[0].name}): no fallback while it is down",
                )
            )
        return out

    def _missing(self) -> Finding:
        apex = [self.apex.get(t) for t in ("A", "AAAA")]
        errors = [a for a in apex if a is not None and a.outcome.is_error]
        addresses = [r.text for a in apex if a is not None for r in a.records]
        if addresses:
            return finding(
                "mx.missing",
                Status.WARN,
                f"no MX records: mail goes to {self.domain}'s own address "
                f"({', '.join(addresses)}, the implicit MX)",
            )
        if errors:
            return finding(
                "mx.missing",
                Status.ERROR,
                "no MX records, and the fallback address could not be determined: "
                + errors[0].describe(),
            )
        return finding(
            "mx.missing",
            Status.FAIL,
            f"no MX records and no A/AAAA address: {self.domain} cannot receive mail",
        )

    def _null_findings(self) -> list[Finding]:
        if len(self.hosts) > 1:
            others = ", ".join(h.name for h in self.hosts if h.name != ".")
            return [
                finding(
                    "mx.null-mixed",
                    Status.FAIL,
                    f'null MX (".") published together with {others}',
                    evidence=[h.record_text for h in self.hosts],
                )
            ]
        host = self.hosts[0]
        if host.preference != 0:
            return [
                finding(
                    "mx.null",
                    Status.WARN,
                    f'null MX with preference {host.preference} (RFC 7505 says "0 .")',
                    hint='Publish the null MX as "0 .".',
                )
            ]
        return [
            finding(
                "mx.null", Status.INFO, 'null MX ("0 ."): the domain accepts no mail (RFC 7505)'
            )
        ]

    def _host_findings(self) -> list[Finding]:
        out: list[Finding] = []
        reachable = 0
        ipv6_hosts = 0
        for host in self.hosts:
            if _is_ip_literal(host.name):
                out.append(
                    finding(
                        "mx.ip-literal",
                        Status.FAIL,
                        f"MX target {host.name} is an IP address, not a host name",
                        subject=host.name,
                        location=host.location,
                    )
                )
            aliased = host.aliased
            if aliased is not None and aliased.outcome.is_error:
                # a loop or a chain that breaks off has no host at its end to point the MX at
                chain = " → ".join([host.name, *(link.target for link in aliased.cnames)])
                out.append(
                    finding(
                        "mx.cname-target",
                        Status.FAIL,
                        f"{host.name} is a CNAME, and its chain does not end at a host "
                        f"({chain}): {aliased.describe()}",
                        hint="Point the MX at a host name with its own A or AAAA records.",
                        subject=host.name,
                        location=host.location,
                    )
                )
            elif aliased is not None:
                target = aliased.cnames[-1].target
                out.append(
                    finding(
                        "mx.cname-target",
                        Status.FAIL,
                        f"{host.name} is a CNAME to {target}",
                        hint=f"Point the MX at {target}.",
                        subject=host.name,
                        location=host.location,
                    )
                )
            answers = [host.addresses.get(t) for t in ("A", "AAAA")]
            failed = [a for a in answers if a is not None and a.outcome.is_error]
            if host.ips:
                reachable += 1
            elif failed:
                out.append(
                    finding(
                        "mx.host-address",
                        Status.ERROR,
                        f"could not resolve {host.name}: {failed[0].describe()}",
                        subject=host.name,
                        location=host.location,
                    )
                )
            else:
                out.append(
                    finding(
                        "mx.host-address",
                        Status.FAIL,
                        f"{host.name} has no A or AAAA record",
                        subject=host.name,
                        location=host.location,
                    )
                )
            aaaa = host.addresses.get("AAAA")
            if aaaa is not None and aaaa.records:
                ipv6_hosts += 1
            for address in host.ips:
                if _non_public(address):
                    out.append(
                        finding(
                            "mx.private-address",
                            Status.WARN,
                            f"{host.name} resolves to {address}, which is not "
                            "reachable from the Internet",
                            subject=host.name,
                            location=host.location,
                        )
                    )
            if self.fcrdns:
                out.extend(self._fcrdns(host))
        if reachable == len(self.hosts):
            count = sum(len(h.ips) for h in self.hosts)
            out.append(
                finding(
                    "mx.host-address",
                    Status.PASS,
                    f"every MX host resolves ({count} address{'' if count == 1 else 'es'})",
                )
            )
        aaaa_failed = [
            h.name
            for h in self.hosts
            if (a := h.addresses.get("AAAA")) is not None and a.outcome.is_error
        ]
        if ipv6_hosts == 0 and aaaa_failed:
            out.append(
                finding(
                    "mx.ipv6",
                    Status.ERROR,
                    "could not determine IPv6 reachability: the AAAA lookup failed for "
                    + ", ".join(aaaa_failed),
                )
            )
        elif ipv6_hosts == 0 and reachable:
            out.append(finding("mx.ipv6", Status.INFO, "no MX host has an IPv6 (AAAA) address"))
        elif ipv6_hosts:
            out.append(
                finding(
                    "mx.ipv6",
                    Status.PASS,
                    f"{'at least ' if aaaa_failed else ''}{ipv6_hosts} of {len(self.hosts)} "
                    "MX hosts have IPv6",
                )
            )
        # "every address" only when every host's addresses are known
        complete = reachable == len(self.hosts)
        if self.fcrdns and complete and not any(f.id == "mx.fcrdns" for f in out):
            out.append(
                finding(
                    "mx.fcrdns", Status.PASS, "every MX address has a PTR that resolves back to it"
                )
            )
        return out

    def _fcrdns(self, host: MxHost) -> list[Finding]:
        out = []
        for address in host.ips:
            ptr = host.ptr.get(address)
            if ptr is None:
                continue
            if ptr.outcome.is_error:
                out.append(
                    finding(
                        "mx.fcrdns",
                        Status.ERROR,
                        f"{address}: PTR lookup failed: {ptr.describe()}",
                        subject=address,
                        location=host.location,
                    )
                )
                continue
            names = _ptr_names(ptr)
            if not names:
                out.append(
                    finding(
                        "mx.fcrdns",
                        Status.WARN,
                        f"{address} ({host.name}) has no PTR record",
                        subject=address,
                        location=host.location,
                    )
                )
                continue
            confirmed = False
            seen: list[str] = []
            unknown: list[Answer] = []
            for name in names[:10]:
                forward = host.forward.get((address, name))
                if forward is None or forward.outcome.is_error:
                    if forward is not None:
                        unknown.append(forward)
                    continue
                ips = [r.text for r in forward.records]
                seen.extend(ips)
                if any(ipaddress.ip_address(ip) == ipaddress.ip_address(address) for ip in ips):
                    confirmed = True
            if not confirmed and unknown:
                # what the failed forward lookup would have said decides it: unknown
                out.append(
                    finding(
                        "mx.fcrdns",
                        Status.ERROR,
                        (
                            f"{address}: could not determine whether PTR {names[0]} resolves "
                            f"back: {unknown[0].error_text()}"
                        ),
                        subject=address,
                        location=host.location,
                    )
                )
            elif not confirmed:
                back = ", ".join(seen) if seen else "nothing"
                out.append(
                    finding(
                        "mx.fcrdns",
                        Status.WARN,
                        f"{address}: PTR {names[0]} resolves to {back}, not back to {address}",
                        subject=address,
                        location=host.location,
                    )
                )
        return out
