"""The delegation (--ask-ns): what the parent zone's servers say the zone's name servers are,
compared with the zone's own NS records; servers listed only at the parent probed for lameness."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailcheck.catalog import finding
from mailcheck.model import Finding, Status
from mailcheck.net.dns.answer import Outcome
from mailcheck.net.dns.crawl import Crawler

MAX_PARENT_ADDRESSES = 4  # parent servers tried, one after another, until one answers


@dataclass
class Delegation:
    """The outcome of asking the parent: the delegated names, or why they are unknown."""

    parent: str = ""
    names: tuple[str, ...] = ()
    source: str = ""  # which parent server answered
    problem: str = ""
    # parent-only server name -> None (serves the zone), "lame: ..." or "unknown: ..."
    extra: dict[str, str | None] = field(default_factory=dict)


class DelegationCheck:
    """Runs as one background job beside the other lookups (it waits for answers in order)."""

    def __init__(self, apex: str, zone_names: list[str], crawler: Crawler, port: int) -> None:
        self.apex = apex
        self.zone_names = zone_names
        self.crawler = crawler
        self.port = port
        self.result: Delegation | None = None
        # the subject's own DNS deadline (capped by the run's): not a fresh one from now
        self._deadline = crawler.engine.deadline

    def start(self) -> None:
        if "." not in self.apex:
            return  # a top-level domain: its parent is the root, not worth asking here
        self.crawler.spawn(self._ask, self._done)

    def _done(self, result: Delegation) -> None:
        self.result = result

    def _addresses(self, host: str) -> list[str]:
        engine = self.crawler.engine
        out: list[str] = []
        for rdtype in ("A", "AAAA"):
            out.extend(r.text for r in engine.resolve(host, rdtype).records)
        return out

    def _ask(self) -> Delegation:
        # direct queries (dnspython's message code, ~11 ms to import): only with --ask-ns
        from mailcheck.net.dns.direct import ask_server, server_label

        engine = self.crawler.engine
        parent = self.apex.split(".", 1)[1]
        answer = engine.resolve(parent, "NS")
        while answer.void and "." in parent:
            parent = parent.split(".", 1)[1]
            answer = engine.resolve(parent, "NS")
        if not answer.exists:
            return Delegation(parent, problem=f"no name servers for {parent}: {answer.describe()}")
        hosts = sorted(r.rdata.target.to_text(omit_final_dot=True).lower() for r in answer.records)
        tried: list[str] = []
        for host in hosts:
            for address in self._addresses(host)[:MAX_PARENT_ADDRESSES]:
                reply = ask_server(
                    address,
                    self.port,
                    self.apex,
                    "NS",
                    timeout=engine.config.timeout,
                    deadline=self._deadline,
                    said=engine.limit_text,
                )
                label = f"{host} ({server_label(address, self.port)})"
                names = reply.referral or tuple(
                    sorted(
                        r.rdata.target.to_text(omit_final_dot=True).lower() for r in reply.records
                    )
                )
                if reply.outcome.is_error or not names:
                    tried.append(f"{label}: {reply.describe()}")
                    continue
                result = Delegation(parent, names, label)
                self._probe_extra(result)
                return result
            if len(tried) >= MAX_PARENT_ADDRESSES:
                break
        problem = "; ".join(tried) or f"no address for the servers of {parent}"
        return Delegation(parent, problem=problem)

    def _probe_extra(self, result: Delegation) -> None:
        """A server named only at the parent gets queries too: does it serve the zone?"""
        from mailcheck.net.dns.direct import ask_server

        timeout = self.crawler.engine.config.timeout
        for name in sorted(set(result.names) - set(self.zone_names)):
            addresses = self._addresses(name)
            verdict: str | None = f"unknown: {name} has no address"
            for address in addresses:
                soa = ask_server(
                    address,
                    self.port,
                    self.apex,
                    "SOA",
                    timeout=timeout,
                    deadline=self._deadline,
                    said=self.crawler.engine.limit_text,
                )
                if soa.outcome in (Outcome.TIMEOUT, Outcome.ERROR, Outcome.SERVFAIL):
                    verdict = f"unknown: {address}: {soa.describe()}"
                elif soa.outcome is not Outcome.NOERROR or not soa.authoritative:
                    flag = "" if soa.authoritative else ", not authoritative (no AA bit)"
                    verdict = f"lame: {address}: {soa.describe()}{flag}"
                    break
                else:
                    verdict = None
            result.extra[name] = verdict

    def findings(self) -> list[Finding]:
        result = self.result
        if result is None:
            return []
        if result.problem:
            return [
                finding(
                    "ns.delegation",
                    Status.ERROR,
                    f"could not ask the parent zone about the delegation: {result.problem}",
                )
            ]
        out: list[Finding] = []
        zone, parent = set(self.zone_names), set(result.names)
        if zone == parent:
            out.append(
                finding(
                    "ns.delegation",
                    Status.PASS,
                    (
                        f"the parent zone {result.parent} delegates to the same "
                        f"{len(parent)} name servers ({result.source})"
                    ),
                )
            )
        else:
            parts = []
            if parent - zone:
                parts.append(f"only at the parent: {', '.join(sorted(parent - zone))}")
            if zone - parent:
                parts.append(f"only in the zone: {', '.join(sorted(zone - parent))}")
            out.append(
                finding(
                    "ns.delegation",
                    Status.WARN,
                    (
                        f"the parent zone {result.parent} ({result.source}) and the zone list "
                        f"different name servers: {'; '.join(parts)}"
                    ),
                )
            )
        for name, verdict in sorted(result.extra.items()):
            if verdict is None:
                continue
            kind, _, detail = verdict.partition(": ")
            if kind == "lame":
                out.append(
                    finding(
                        "ns.lame",
                        Status.FAIL,
                        (
                            f"lame delegation: {name}, listed at the parent {result.parent}, does "
                            f"not serve {self.apex}: {detail}"
                        ),
                    )
                )
            else:
                out.append(
                    finding(
                        "ns.authoritative",
                        Status.ERROR,
                        f"could not ask {name} (listed at the parent only): {detail}",
                    )
                )
        return out
