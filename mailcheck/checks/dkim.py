"""DKIM keys: named or discovered selectors, record syntax, key type and size."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from mailcheck.catalog import finding
from mailcheck.checks.where import located, record_location, zone_files
from mailcheck.escape import decode
from mailcheck.model import Finding, Location, Section, Status
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.crawl import Crawler
from mailcheck.records.dkim import RSA_OPENSSL_LIMIT, DkimKey, looks_like_dkim, parse_dkim_key
from mailcheck.records.rsakey import NO_NULL, PADDED, PSS

# Selectors large providers and ESPs publish (Google, Microsoft 365, Mailchimp/Mandrill,
# SendGrid, Mailgun, Amazon SES, Zoho, Fastmail, Proton, HubSpot, Postmark, Brevo, ...).
COMMON_SELECTORS = (
    "google",
    "selector1",
    "selector2",
    "k1",
    "k2",
    "k3",
    "s1",
    "s2",
    "s1024",
    "s2048",
    "default",
    "dkim",
    "mail",
    "smtp",
    "email",
    "mx",
    "key1",
    "key2",
    "sig1",
    "m1",
    "mandrill",
    "mxvault",
    "everlytickey1",
    "everlytickey2",
    "mailjet",
    "smtpapi",
    "pm",
    "krs",
    "hs1",
    "hs2",
    "zoho",
    "zmail",
    "protonmail",
    "fm1",
    "fm2",
    "cm",
    "dk",
    "ctct1",
    "zendesk1",
    "mailru",
    "20161025",
    "20210112",
    "20230601",
    "mesmtp",
    "sendinblue",
)
FIRST_WAVE = 6
# a selector nobody publishes: a key there comes from a wildcard (*._domainkey), which answers
# every selector name that discovery asks
WILDCARD_PROBE = "mailcheck-wildcard-probe"
RSA_STRONG = 2048
RSA_MINIMUM = 1024
RSA_SUPPORTED = 4096  # verifiers must check 1024-4096 bits, may refuse more (RFC 8301 3.2)


# keys read whole that some verifiers cannot use: what to publish instead
_AS_OPENSSL_WRITES = (
    "Publish the public key as OpenSSL writes it: openssl pkey -in private.pem -pubout"
)
_ENCODING_HINTS = {
    NO_NULL: _AS_OPENSSL_WRITES,
    PADDED: _AS_OPENSSL_WRITES,
    PSS: "Sign with an RSA key (openssl genpkey -algorithm RSA), not RSA-PSS",
}


class DkimCheck:
    family = "dkim"

    def __init__(self, domain: str, crawler: Crawler, selectors: Sequence[str] = ()) -> None:
        self.domain = domain
        self.crawler = crawler
        self.explicit = bool(selectors)
        self.selectors = (
            list(dict.fromkeys(s.strip().lower() for s in selectors))
            if selectors
            else list(COMMON_SELECTORS)
        )
        self.answers: dict[str, Answer] = {}
        self.parent: Answer | None = None
        self.wildcard: Answer | None = None  # discovery: the answer at WILDCARD_PROBE

    def start(self) -> None:
        if self.explicit:
            self._probe(self.selectors)
            return
        # RFC 8020: if _domainkey.<domain> does not exist, no selector exists below it. Ask
        # it beside the most common selectors, and the rest only when it exists (some old
        # servers wrongly answer NXDOMAIN for empty non-terminals: the first few still run).
        self._probe(self.selectors[:FIRST_WAVE])
        self.crawler.ask(f"_domainkey.{self.domain}", "TXT", self._on_parent)

    def _probe(self, selectors: Sequence[str]) -> None:
        for selector in selectors:
            self.crawler.ask(
                f"{selector}._domainkey.{self.domain}",
                "TXT",
                functools.partial(self._on_key, selector),
            )

    def _on_key(self, selector: str, answer: Answer) -> None:
        self.answers[selector] = answer

    def _on_wildcard(self, answer: Answer) -> None:
        self.wildcard = answer

    def wildcard_texts(self) -> frozenset[str]:
        """The key records a wildcard gives every selector name (empty: no such wildcard)."""
        if self.explicit or self.wildcard is None:
            return frozenset()
        texts = frozenset(decode(r.txt) for r in self.wildcard.records)
        return texts if any(looks_like_dkim(t) for t in texts) else frozenset()

    def _on_parent(self, answer: Answer) -> None:
        self.parent = answer
        if answer.outcome is Outcome.NXDOMAIN:
            self.selectors = self.selectors[:FIRST_WAVE]
        else:
            self._probe(self.selectors[FIRST_WAVE:])
            name = f"{WILDCARD_PROBE}._domainkey.{self.domain}"
            self.crawler.ask(name, "TXT", self._on_wildcard)

    # -- judgement --------------------------------------------------------------------

    def found(self) -> dict[str, list[tuple[str, DkimKey]]]:
        """selector -> [(raw text, parsed key)] for every selector that answered with a key."""
        out: dict[str, list[tuple[str, DkimKey]]] = {}
        wildcard = self.wildcard_texts()
        if wildcard and self.wildcard is not None:
            # judged once, as "*", not once per selector name the wildcard answered
            self.answers["*"] = self.wildcard
            out["*"] = [(t, parse_dkim_key(t)) for t in sorted(wildcard) if looks_like_dkim(t)]
        for selector in self.selectors:
            answer = self.answers.get(selector)
            if answer is None or not answer.records:
                continue
            texts = [decode(r.txt) for r in answer.records]
            if wildcard and frozenset(texts) == wildcard and not answer.cnames:
                continue  # the wildcard's answer, not a key published under this selector
            keys = [(t, parse_dkim_key(t)) for t in texts if looks_like_dkim(t)]
            if keys or self.explicit:
                out[selector] = keys or [(t, parse_dkim_key(t)) for t in texts]
        return out

    def section(self) -> Section:
        found = self.found()
        findings = self._discovery(dict(found))
        for selector, keys in found.items():
            findings.extend(located(self._key_findings(selector, keys), self._where(selector)))
        usable = [k for keys in found.values() for _t, k in keys if not k.error and not k.revoked]
        if usable and all(k.key_type == "ed25519" for k in usable):
            findings.append(
                finding(
                    "dkim.ed25519-only",
                    Status.INFO,
                    "only Ed25519 keys: receivers that do not verify Ed25519 "
                    "yet see no valid signature; sign with RSA as well",
                )
            )
        data = {
            "selectors_probed": len(self.selectors),
            "selectors": list(self.selectors),
            "discovery": not self.explicit,
            "keys": [
                {
                    "selector": s,
                    "name": f"{s}._domainkey.{self.domain}",
                    "type": k.key_type,
                    "bits": k.bits,
                    "revoked": k.revoked,
                    "testing": k.testing,
                    "error": k.error or None,
                    "record": t,
                    "cname": [c.target for c in self.answers[s].cnames],
                }
                for s, keys in found.items()
                for t, k in keys
            ],
        }
        names = ", ".join(found) if found else ""
        return Section("dkim", "DKIM", tuple(findings), names, data)

    def _where(self, selector: str) -> Location | None:
        """The zone file line of the selector's key record (the zone file when it has none)."""
        return record_location(self.answers.get(selector), zone_files(self.crawler))

    def _discovery(self, found: dict[str, list[tuple[str, DkimKey]]]) -> list[Finding]:
        out: list[Finding] = []
        errors = {s: a for s, a in self.answers.items() if a.outcome.is_error}
        if self.explicit:
            for selector in self.selectors:
                answer = self.answers[selector]
                name = f"{selector}._domainkey.{self.domain}"
                if selector in errors:
                    out.append(
                        finding(
                            "dkim.key-missing",
                            Status.ERROR,
                            f"could not look up {name}: {answer.describe()}",
                            subject=selector,
                            location=self._where(selector),
                        )
                    )
                elif selector not in found:
                    why = (
                        "does not exist"
                        if answer.outcome.value == "NXDOMAIN"
                        else "has no TXT record"
                    )
                    out.append(
                        finding(
                            "dkim.key-missing",
                            Status.FAIL,
                            f"no key at selector {selector}: {name} {why}",
                            subject=selector,
                            location=self._where(selector),
                        )
                    )
            return out
        wildcard = found.pop("*", None)
        listing = ", ".join(f"{s} ({keys[0][1].describe})" for s, keys in found.items())
        if wildcard:
            others = f"; besides it, {listing}" if listing else ""
            out.append(
                finding(
                    "dkim.selectors",
                    Status.INFO,
                    f"a wildcard, *._domainkey.{self.domain}, answers every selector name with "
                    f"the same key ({wildcard[0][1].describe}){others}: discovery cannot tell "
                    "which selectors are used; name yours with --selector",
                    hint="mailcheck domain DOMAIN --selector NAME",
                    location=self._where("*"),
                )
            )
        elif found:
            # selectors we could not ask are said, not counted as absent
            unasked = ""
            if errors:
                names = sorted(errors)
                more = f" and {len(names) - 5} more" if len(names) > 5 else ""
                unasked = (
                    f"; {len(names)} could not be asked ({', '.join(names[:5])}{more}; "
                    f"{names[0]}: {errors[names[0]].describe()})"
                )
            out.append(
                finding(
                    "dkim.selectors",
                    Status.INFO,
                    f"found {len(found)} of {len(self.selectors)} common selectors: "
                    f"{listing}{unasked}; discovery cannot prove there are no others",
                )
            )
        elif errors and not (self.parent is not None and self.parent.outcome is Outcome.NXDOMAIN):
            # "no key found" over selectors we could not ask is unknown, not absence
            first = next(iter(errors.values()))
            some = "the" if len(errors) == len(self.selectors) else f"{len(errors)} of the"
            out.append(
                finding(
                    "dkim.selectors",
                    Status.ERROR,
                    f"could not probe {some} {len(self.selectors)} selectors: {first.describe()}",
                )
            )
        elif self.parent is not None and self.parent.outcome is Outcome.NXDOMAIN:
            out.append(
                finding(
                    "dkim.selectors",
                    Status.INFO,
                    f"_domainkey.{self.domain} does not exist, so no selector exists "
                    "below it (RFC 8020): the domain publishes no DKIM key",
                    hint="mailcheck domain DOMAIN --selector NAME",
                )
            )
        else:
            out.append(
                finding(
                    "dkim.selectors",
                    Status.INFO,
                    f"no key at {len(self.selectors)} common selectors; discovery "
                    "cannot prove absence: name yours with --selector",
                    hint="mailcheck domain DOMAIN --selector NAME",
                )
            )
        return out

    def _key_findings(self, selector: str, keys: list[tuple[str, DkimKey]]) -> list[Finding]:
        answer = self.answers[selector]
        name = f"{selector}._domainkey.{self.domain}"
        # each record with its own zone file line (two keys are on two lines)
        origins = {decode(r.txt): str(r.origin) for r in answer.records if r.origin}
        evidence = [t + (f"  ({origins[t]})" if t in origins else "") for t, _k in keys]
        out: list[Finding] = []
        if answer.cnames:
            chain = " → ".join([answer.cnames[0].owner, *(c.target for c in answer.cnames)])
            out.append(
                finding(
                    "dkim.cname",
                    Status.INFO,
                    f"{selector}: delegated by CNAME: {chain}",
                    subject=selector,
                )
            )
        if len(keys) > 1:
            out.append(
                finding(
                    "dkim.multiple",
                    Status.FAIL,
                    f"{selector}: {len(keys)} key records at {name}: verification "
                    "results are undefined",
                    evidence=evidence,
                    subject=selector,
                )
            )
            return out
        key = keys[0][1]
        for problem in key.syntax:
            out.append(
                finding(
                    "dkim.syntax",
                    Status.FAIL,
                    f"{selector}: {problem}",
                    evidence=evidence,
                    subject=selector,
                )
            )
        if key.revoked:
            out.append(
                finding(
                    "dkim.revoked",
                    Status.INFO,
                    f"{selector}: key revoked (empty p=): signatures with it fail",
                    subject=selector,
                )
            )
            return out
        if key.error:
            cut = any(len(s) == 255 for r in answer.records for s in r.strings)
            hint = _ENCODING_HINTS.get(key.error) or (
                (
                    "The record looks cut at 255 bytes: publish the key as several strings "
                    'in one TXT record ("part1" "part2").'
                )
                if cut
                else None
            )
            out.append(
                finding(
                    "dkim.key-invalid",
                    Status.FAIL,
                    f"{selector}: {key.error}",
                    evidence=evidence,
                    hint=hint,
                    subject=selector,
                )
            )
            return out
        out.extend(self._strength(selector, key, evidence))
        if key.testing:
            out.append(
                finding(
                    "dkim.testing",
                    Status.WARN,
                    f"{selector}: t=y (testing): verifiers may treat failures as unsigned",
                    subject=selector,
                )
            )
        if "sha256" not in key.hashes:
            out.append(
                finding(
                    "dkim.hash-sha1",
                    Status.FAIL,
                    (
                        f"{selector}: h={key.tags.get('h', '')} allows only "
                        "SHA-1, which verifiers reject (RFC 8301)"
                    ),
                    subject=selector,
                )
            )
        if not {"*", "email"} & set(key.services):
            out.append(
                finding(
                    "dkim.service",
                    Status.FAIL,
                    f"{selector}: s={key.tags.get('s', '')} excludes email",
                    subject=selector,
                )
            )
        return out

    @staticmethod
    def _strength(selector: str, key: DkimKey, evidence: list[str]) -> list[Finding]:
        bits = key.bits or 0
        if key.key_type == "ed25519":
            verdict = ("dkim.key", Status.PASS, f"{selector}: Ed25519 key (RFC 8463)")
        elif bits < RSA_MINIMUM:
            verdict = (
                "dkim.key-weak",
                Status.FAIL,
                f"{selector}: RSA {bits}-bit key: verifiers reject keys under {RSA_MINIMUM} bits",
            )
        elif bits < RSA_STRONG:
            verdict = (
                "dkim.key-weak",
                Status.WARN,
                f"{selector}: RSA {bits}-bit key: use {RSA_STRONG} bits",
            )
        elif bits > RSA_OPENSSL_LIMIT:
            verdict = (
                "dkim.key-large",
                Status.FAIL,
                f"{selector}: RSA {bits}-bit key: OpenSSL refuses keys over "
                f"{RSA_OPENSSL_LIMIT} bits, so most verifiers cannot check its signatures",
            )
        elif bits > RSA_SUPPORTED:
            verdict = (
                "dkim.key-large",
                Status.WARN,
                f"{selector}: RSA {bits}-bit key: verifiers need only support up to "
                f"{RSA_SUPPORTED} bits",
            )
        else:
            verdict = ("dkim.key", Status.PASS, f"{selector}: RSA {bits}-bit key")
        check_id, status, text = verdict
        return [finding(check_id, status, text, evidence=evidence, subject=selector)]
