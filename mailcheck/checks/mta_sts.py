"""MTA-STS (RFC 8461): the _mta-sts record, the policy fetched over HTTPS, MX coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailcheck.catalog import finding
from mailcheck.checks import libs
from mailcheck.checks.options import FetchOptions as FetchOptions  # where it was defined
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.escape import clip, decode
from mailcheck.model import Finding, Section, Status
from mailcheck.net.dns.answer import Answer
from mailcheck.net.dns.crawl import Crawler

if TYPE_CHECKING:
    from mailcheck.net.http import HttpResult

POLICY_MAX_BYTES = 64 * 1024
MIN_MAX_AGE = 86400


def fetch_failure(check_id: str, url: str, result: HttpResult, served_hint: str = "") -> Finding:
    """The finding for a fetch that gave no usable body, by why it failed: the network is
    ERROR (never FAIL), --offline is SKIP, only what a server served wrong is FAIL."""
    from mailcheck.net.http import Failure

    text = f"{url}: {result.error}"
    if result.failure is Failure.OFFLINE:
        return finding(check_id, Status.SKIP, f"{url}: not fetched (offline)")
    if result.failure is Failure.PRIVATE:
        return finding(
            check_id,
            Status.ERROR,
            text,
            hint="Give --allow-private-addresses to fetch from hosts on private, loopback "
            "or link-local addresses (a lab, or a zone that is not public yet).",
        )
    if result.failure in (Failure.DNS, Failure.NETWORK, None):
        hint = (
            "The host's address could not be looked up: check the resolver (--nameserver, "
            "--timeout), then run again."
            if result.failure is Failure.DNS
            else "Check that the host is reachable over HTTPS from where mailcheck runs "
            "(routing, firewall, proxy), then run again."
        )
        return finding(check_id, Status.ERROR, f"could not determine: {text}", hint=hint)
    return finding(check_id, Status.FAIL, text, hint=served_hint or None)


class MtaStsCheck:
    family = "mta-sts"

    def __init__(self, domain: str, crawler: Crawler, options: FetchOptions) -> None:
        self.domain = domain
        self.crawler = crawler
        self.options = options
        self.answer: Answer | None = None
        self.policy: HttpResult | None = None
        self.url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"

    def start(self) -> None:
        self.crawler.ask(f"_mta-sts.{self.domain}", "TXT", self._on_txt)

    def _records(self) -> list[str]:
        if self.answer is None:
            return []
        return [decode(t) for t in self.answer.texts() if decode(t).startswith("v=STSv1")]

    def _on_txt(self, answer: Answer) -> None:
        self.answer = answer
        if not self._records():
            return
        self.crawler.spawn(libs.load_checkdmarc, lambda _none: None)
        engine = self.crawler.engine
        self.crawler.spawn(
            lambda: fetch_with(
                self.url,
                engine,
                self.options,
                max_bytes=POLICY_MAX_BYTES,
                accept="text/plain",
            ),
            self._on_policy,
        )

    def _on_policy(self, result: HttpResult) -> None:
        self.policy = result

    @property
    def deployed(self) -> bool:
        return bool(self._records())

    def mode(self) -> str | None:
        parsed = self.parsed_policy()
        return parsed["policy"]["mode"] if parsed else None

    def parsed_policy(self) -> dict[str, Any] | None:
        if self.policy is None or not self.policy.ok:
            return None
        try:
            result: dict[str, Any] = libs.mta_sts().parse_mta_sts_policy(decode(self.policy.body))
            return result
        except libs.mta_sts_errors():
            return None

    # -- judgement --------------------------------------------------------------------

    def problems(self) -> list[Finding]:
        """What kept the policy from being known (the record's lookup or the policy's fetch
        failed), worded as `section` words it: `trace` shows these alone, so a policy it
        could not get is never silently treated as no policy."""
        answer = self.answer
        if answer is None:
            return []
        if answer.outcome.is_error:
            return self._findings([])
        if self.policy is not None and self.policy.error and len(self._records()) == 1:
            return self._policy([])
        return []

    def section(self, mx_hosts: list[str]) -> Section:
        where = record_location(self.answer, zone_files(self.crawler), "v=stsv1")
        findings = located(self._findings(mx_hosts), where)
        data: dict[str, Any] = {"url": self.url, "record": None, "policy": None}
        records = self._records()
        if len(records) == 1:
            data["record"] = records[0]
        parsed = self.parsed_policy()
        if parsed:
            data["policy"] = parsed["policy"]
        headline = f"mode {parsed['policy']['mode']}" if parsed else ""
        return Section("mta-sts", "MTA-STS", tuple(findings), headline, data)

    def _findings(self, mx_hosts: list[str]) -> list[Finding]:
        answer = self.answer
        assert answer is not None
        if answer.outcome.is_error:
            return [
                finding(
                    "mta-sts.record",
                    Status.ERROR,
                    f"could not look up _mta-sts.{self.domain}: {answer.describe()}",
                )
            ]
        records = self._records()
        if not records:
            return [
                finding(
                    "mta-sts.record",
                    Status.INFO,
                    "no MTA-STS record: senders may deliver without TLS if an "
                    "attacker strips STARTTLS",
                    hint='Publish _mta-sts TXT "v=STSv1; id=..." and a policy file.',
                )
            ]
        if len(records) > 1:
            return [
                finding(
                    "mta-sts.record",
                    Status.FAIL,
                    f"{len(records)} MTA-STS records: senders ignore MTA-STS",
                    evidence=list(records),
                )
            ]
        out = [self._record(records[0])]
        out.extend(self._policy(mx_hosts))
        return out

    def _record(self, text: str) -> Finding:
        try:
            parsed = libs.mta_sts().parse_mta_sts_record(text)
        except libs.mta_sts_errors() as exc:
            return finding(
                "mta-sts.record",
                Status.FAIL,
                f"invalid record: {libs.library_error(exc)}",
                evidence=[text],
            )
        extra = "; " + "; ".join(parsed["warnings"]) if parsed["warnings"] else ""
        return finding(
            "mta-sts.record",
            Status.PASS,
            f"_mta-sts.{self.domain}: id={parsed['tags']['id']}{extra}",
            evidence=[text],
        )

    def _policy(self, mx_hosts: list[str]) -> list[Finding]:
        result = self.policy
        if result is None:
            return []
        if result.error:
            return [
                fetch_failure(
                    "mta-sts.policy-fetch",
                    self.url,
                    result,
                    "Serve the policy at that URL over HTTPS with a valid certificate for mta-sts."
                    + self.domain
                    + ", without redirects.",
                )
            ]
        out = [
            finding(
                "mta-sts.policy-fetch",
                Status.PASS,
                (
                    f"policy fetched from {result.address} over "
                    f"{result.tls_version or 'TLS'} ({len(result.body)} bytes)"
                ),
            )
        ]
        media = result.content_type.split(";")[0].strip().lower()
        if media != "text/plain":
            out.append(
                finding(
                    "mta-sts.content-type",
                    Status.FAIL,
                    f"Content-Type is {result.content_type or 'missing'}, not text/plain",
                )
            )
        try:
            parsed = libs.mta_sts().parse_mta_sts_policy(decode(result.body))
        except libs.mta_sts_errors() as exc:
            out.append(
                finding(
                    "mta-sts.policy-syntax",
                    Status.FAIL,
                    f"policy is invalid: {libs.library_error(exc)}",
                    evidence=[clip(decode(result.body), 400)],
                )
            )
            return out
        for warning in parsed["warnings"]:
            out.append(finding("mta-sts.policy-syntax", Status.WARN, warning))
        policy = parsed["policy"]
        out.extend(self._mode(policy))
        out.extend(self._coverage(policy, mx_hosts))
        return out

    @staticmethod
    def _mode(policy: dict[str, Any]) -> list[Finding]:
        out = []
        mode, max_age = policy["mode"], policy["max_age"]
        if mode == "enforce":
            out.append(
                finding(
                    "mta-sts.mode",
                    Status.PASS,
                    "mode enforce: senders refuse to deliver without valid TLS",
                )
            )
        elif mode == "testing":
            out.append(
                finding(
                    "mta-sts.mode",
                    Status.INFO,
                    "mode testing: failures are reported (TLS-RPT), mail is still delivered",
                )
            )
        else:
            out.append(
                finding(
                    "mta-sts.mode",
                    Status.WARN,
                    "mode none: the policy is being withdrawn; MTA-STS protects nothing",
                    hint="Use mode testing, then enforce.",
                )
            )
        if max_age < MIN_MAX_AGE:
            out.append(
                finding(
                    "mta-sts.max-age",
                    Status.WARN,
                    f"max_age {max_age} s is under a day: policies expire before "
                    "an attacker's window closes",
                    hint="Use weeks (e.g. max_age: 1209600).",
                )
            )
        return out

    def _coverage(self, policy: dict[str, Any], mx_hosts: list[str]) -> list[Finding]:
        if policy["mode"] == "none" or not mx_hosts:
            return []
        matcher = libs.mta_sts().mx_in_mta_sts_patterns
        uncovered = [h for h in mx_hosts if not matcher(h, policy["mx"])]
        if not uncovered:
            return [
                finding(
                    "mta-sts.mx-coverage",
                    Status.PASS,
                    f"every MX host matches the policy's mx patterns ({', '.join(policy['mx'])})",
                )
            ]
        status = Status.FAIL if policy["mode"] == "enforce" else Status.WARN
        return [
            finding(
                "mta-sts.mx-coverage",
                status,
                (
                    f"not covered by the policy's mx patterns "
                    f"({', '.join(policy['mx'])}): {', '.join(uncovered)}"
                ),
                hint="Add an mx: line for each MX host (wildcards like *.example.com "
                "match one label).",
            )
        ]


def fetch_with(url: str, engine: Any, options: FetchOptions, **kwargs: Any) -> HttpResult:
    # ssl and http.client load only when a record asks for a fetch
    import time

    from mailcheck.net.http import Failure, HttpResult, fetch, offline_result

    # an engine without an upstream is offline too (the library API may build one)
    if options.offline or getattr(engine, "upstream", True) is None:
        return offline_result(url)
    # nothing outlives the engine's deadline (the run's --deadline, the domain's own)
    ends_at: float | None = getattr(engine, "deadline", None)
    timeout = options.timeout
    if ends_at is not None:
        timeout = min(timeout, ends_at - time.monotonic())
    if timeout <= 0:
        error = f"not fetched: out of time ({_limit(engine, options)} ran out)"
        return HttpResult(url, error=error, failure=Failure.NETWORK)
    result = fetch(
        url,
        engine,
        ca_file=options.ca_file,
        timeout=timeout,
        port=options.port,
        allow_private=options.allow_private,
        **kwargs,
    )
    if (
        ends_at is not None
        and result.failure in (Failure.NETWORK, Failure.DNS)
        and timeout < options.timeout
        and time.monotonic() >= ends_at - 0.05
    ):
        error = f"{result.error} (out of time: {_limit(engine, options)} ran out)"
        return HttpResult(**{**result.__dict__, "error": error})
    return result


def _limit(engine: Any, options: FetchOptions) -> str:
    from mailcheck.net.session import Budget

    seconds, whole = engine.limit
    option = options.deadline_options[0 if whole else 1]
    return Budget(total=seconds, total_option=option).name(total=True)
