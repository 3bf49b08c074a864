"""DKIM signatures and the ARC chain of one message, verified with dkimpy, keys from our engine."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from mailcheck.checks.dkimpy_parse import fast_rfc822_parse  # noqa: F401 (thirdparty: by name)
from mailcheck.escape import decode
from mailcheck.message.headers import Headers, tags
from mailcheck.net.dns.answer import Answer, Outcome
from mailcheck.net.dns.engine import DnsEngine
from mailcheck.records.dkim import RSA_OPENSSL_LIMIT, DkimKey, looks_like_dkim, parse_dkim_key

_QUIET = logging.getLogger("mailcheck.dkimpy")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

_KEY_IN_TEXT = re.compile(r" \(b'[A-Za-z0-9+/=\s]*'\)")
_BH_MISMATCH = re.compile(r"body hash mismatch \(got b'([^']*)', expected b'([^']*)'\)")
_ALGORITHMS = {"rsa-sha256": "rsa", "rsa-sha1": "rsa", "ed25519-sha256": "ed25519"}
# what no selector or signing domain holds (RFC 6376 3.1, 3.5: letters, digits, hyphens,
# dots; underscores occur; U-labels, RFC 8616): ASCII punctuation, spaces, control bytes
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9._\-\u00a0-\U0010ffff]")
_BYTES_REPR = re.compile(r"\bb'((?:[^'\\]|\\.)*)'" + r'|\bb"((?:[^"\\]|\\.)*)"')


def plain(value: object) -> str:
    """dkimpy's messages and values as text: bytes decoded, and the b'...' reprs that its
    exception texts embed shown as their contents."""
    if isinstance(value, bytes):
        return decode(value)
    return _BYTES_REPR.sub(lambda m: m.group(1) or m.group(2) or "", str(value))


@dataclass
class Signature:
    """One DKIM-Signature and what became of it (results as RFC 8601 names them)."""

    index: int
    tags: dict[str, str]
    result: str = "neutral"
    reason: str = ""
    key: DkimKey | None = None
    computed_bh: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.tags.get("d", "").lower().rstrip(".")

    @property
    def selector(self) -> str:
        return self.tags.get("s", "")

    @property
    def signed_headers(self) -> list[str]:
        return [h.strip().lower() for h in self.tags.get("h", "").split(":") if h.strip()]


def _key_answer(engine: DnsEngine, sig: Signature) -> tuple[Answer | None, str, str]:
    """(answer, result, reason): result is "" when a usable key record was found."""
    if not sig.domain or not sig.selector:
        missing = "d=" if not sig.domain else "s="
        return None, "permerror", f"the signature has no {missing}"
    name = f"{sig.selector}._domainkey.{sig.domain}"
    if _NOT_IN_NAMES.search(name):
        # a forged or broken header: permanent, and no question for the DNS (RFC 6376 6.1.1)
        return None, "permerror", f"s= and d= do not make a valid DNS name ({name})"
    answer = engine.resolve(name, "TXT")
    if answer.outcome is Outcome.ERROR and answer.detail.startswith("invalid name"):
        # not a DNS failure: the signature names something no DNS can hold
        return answer, "permerror", f"s= and d= do not make a valid DNS name ({name})"
    if answer.outcome.is_error:
        return answer, "temperror", f"DNS error looking up the key: {answer.describe()}"
    texts = [decode(t) for t in answer.texts() if looks_like_dkim(decode(t))]
    if not texts:
        return answer, "permerror", f"no key at {name} ({answer.outcome.value})"
    if len(texts) > 1:
        return answer, "permerror", f"{len(texts)} key records at {name}"
    key = parse_dkim_key(texts[0])
    sig.key = key
    if key.revoked:
        return answer, "permerror", "key revoked (empty p=)"
    if key.error:
        return answer, "permerror", f"key unusable: {key.error}"
    wanted = _ALGORITHMS.get(sig.tags.get("a", "").lower())
    if wanted and wanted != key.key_type:
        return answer, "permerror", f"a={sig.tags.get('a')} but the key is {key.key_type}"
    restriction = _key_restriction(sig, key)
    if restriction:
        return answer, "permerror", restriction
    too_large = key_too_large(key)
    if too_large:
        # dkimpy would verify it with its own RSA, but OpenSSL, behind most verifiers, will
        # not: receivers may refuse keys over 4096 bits (RFC 8301 3.2), a local policy
        return answer, "policy", too_large
    return answer, "", ""


def _key_restriction(sig: Signature, key: DkimKey) -> str:
    """What the key record's own tags forbid this signature (RFC 6376 3.6.1, 6.1.2 step 6);
    dkimpy reads none of them, and passed such signatures (or, for s=, said "None")."""
    if "email" not in key.services and "*" not in key.services:
        return (
            f"the key is for service s={plain(key.tags.get('s', ''))}, not email (RFC 6376 §3.6.1)"
        )
    algorithm = sig.tags.get("a", "").strip().lower()
    digest = algorithm.rpartition("-")[2]
    if algorithm in _ALGORITHMS and digest not in key.hashes:
        return (
            f"the key allows h={plain(key.tags.get('h', ''))} only, not the {digest} of "
            f"a={algorithm} (RFC 6376 §6.1.2)"
        )
    identity = sig.tags.get("i", "").strip().rpartition("@")[2].lower().rstrip(".")
    if "s" in key.flags and identity and identity != sig.domain:
        return (
            f"the key has t=s: i= must be in d={sig.domain} itself, not in {plain(identity)} "
            "(RFC 6376 §3.6.1)"
        )
    return ""


def _key_record(answer: Answer) -> bytes | None:
    """The first of the answer's records meant as a DKIM key: the others beside it (notes,
    site verifications) are no key, wherever they sort among the records."""
    for record in answer.records:
        if looks_like_dkim(decode(record.txt)):
            return record.txt
    return None


def key_too_large(key: DkimKey) -> str:
    """Why most verifiers cannot check a signature made with `key`, or "" if they can."""
    if key.key_type != "rsa" or not key.bits or key.bits <= RSA_OPENSSL_LIMIT:
        return ""
    return (
        f"key too large ({key.bits} bits): OpenSSL refuses keys over {RSA_OPENSSL_LIMIT} "
        "bits, so most verifiers cannot check it"
    )


class KeyCache:
    """Parsed public keys by record: bulk runs verify thousands of signatures with few keys."""

    def __init__(self) -> None:
        self._keys: dict[tuple[bytes, bytes], Any] = {}

    def get(self, name: bytes, record: bytes) -> Any:
        import dkim

        key = (name, record)
        if key not in self._keys:
            self._keys[key] = dkim.evaluate_pk(name, record)
        return self._keys[key]


def fast_int2str(n: int, length: int = -1) -> bytearray:
    """dkim.crypto.int2str, with int.to_bytes instead of a byte-by-byte Python loop."""
    assert n >= 0
    if length < 0:
        return bytearray(n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big"))
    return bytearray((n & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))


def fast_str2int(data: bytes | bytearray) -> int:
    """dkim.crypto.str2int, with int.from_bytes."""
    return int.from_bytes(bytes(data), "big")


_WSP = re.compile(rb"[\t ]+")
_TRAILING_WSP = re.compile(rb"[\t ]+\r\n")


def fast_compress_whitespace(content: bytes) -> bytes:
    """dkim.canonicalization.compress_whitespace with a compiled pattern, and no work when
    there is nothing to compress (most header values)."""
    if b"\t" not in content and b"  " not in content:
        return content
    return _WSP.sub(b" ", content)


def fast_unfold_header_value(content: bytes) -> bytes:
    """Every LF goes, with the CR just before it: what removing \r?\n does, in two C
    passes (dkimpy's header values all end in CRLF, so the pattern ran on every one)."""
    return content.replace(b"\r\n", b"").replace(b"\n", b"") if b"\n" in content else content


def fast_strip_trailing_whitespace(content: bytes) -> bytes:
    if b" \r\n" not in content and b"\t\r\n" not in content:
        return content  # most bodies: no line ends in white space
    return _TRAILING_WSP.sub(b"\r\n", content)


# dkim.RE_BTAG (the b= value, removed before hashing the signature header) spells folding
# white space as (?:(?:\s*\r?\n)?\s+)?, which matches exactly the strings \s* matches;
# whitespace and base64 characters are disjoint, so each repetition matches the same text
# either way (white space, then base64 characters: a run of them per repetition ends at
# the same place as one at a time), and this form runs several times faster on a
# 2048-bit signature.
FAST_RE_BTAG = re.compile(rb"([;\s]b\s*=)(?:\s*[a-zA-Z0-9+/=]+)*(?:\r?\n\Z)?")


def fast_re_btag(original: Any) -> re.Pattern[bytes]:
    return FAST_RE_BTAG


@functools.lru_cache(maxsize=256)
def _rsa_public_key(modulus: int, exponent: int) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _fast_rsa_verify(original: Any) -> Any:
    """dkim.RSASSA_PKCS1_v1_5_verify through OpenSSL (cryptography): the same PKCS#1 v1.5
    check, five to ten times faster than Python's pow. Anything unusual (a signature not
    exactly the modulus length, an unknown hash, a key OpenSSL refuses) takes dkimpy's own
    path, so results never differ."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    # rsa-sha1 signatures are verified, then refused by policy (RFC 8301)
    algorithms = {"sha256": hashes.SHA256(), "sha1": hashes.SHA1()}  # noqa: S303

    def verify(hash_object: Any, signature: bytes, public_key: dict[str, int]) -> bool:
        modulus, exponent = public_key["modulus"], public_key["publicExponent"]
        algorithm = algorithms.get(getattr(hash_object, "name", ""))
        if (
            algorithm is None
            or len(signature) != (modulus.bit_length() + 7) // 8
            or int.from_bytes(bytes(signature), "big") >= modulus
        ):
            return bool(original(hash_object, signature, public_key))
        try:
            key = _rsa_public_key(modulus, exponent)
            key.verify(
                bytes(signature), hash_object.digest(), padding.PKCS1v15(), Prehashed(algorithm)
            )
        except InvalidSignature:
            return False
        except Exception:  # a key OpenSSL will not use: dkimpy decides
            return bool(original(hash_object, signature, public_key))
        return True

    return verify


def speed_up_dkimpy() -> dict[str, Any]:
    """dkimpy verifies RSA with Python integers (converted one byte at a time), and its
    canonicalization compiles its patterns at every call: swap in exact equivalents (tests
    compare them with the originals) through mailcheck.thirdparty, for the dkimpy releases
    they were made for. Returns the originals by name (empty: dkimpy runs as released)."""
    from mailcheck import thirdparty

    originals = dict(thirdparty.install(thirdparty.DKIMPY_SPEEDUPS) or {})
    if "RSASSA_PKCS1_v1_5_verify" in originals:
        originals["rsa_verify"] = originals.pop("RSASSA_PKCS1_v1_5_verify")
    return originals


@functools.lru_cache(maxsize=1)
def _verifier_class() -> Any:
    """dkimpy's DKIM, taking keys from a cache instead of parsing them for each signature."""
    import dkim

    class CachedKeyDKIM(dkim.DKIM):  # type: ignore[misc]
        keys: KeyCache

        def verify_sig(self, sig: Any, include_headers: Any, sig_header: Any, dnsfunc: Any) -> Any:
            name = sig[b"s"] + b"._domainkey." + sig[b"d"] + b"."
            # dkimpy's own verify_sig returns False here, which reads as a signature that
            # did not verify: a key it cannot use is a permerror (RFC 6376 6.1.2), raised to
            # _verify_one
            self.pk, self.keysize, self.ktag, self.seqtlsrpt = self.keys.get(name, dnsfunc(name))
            return self.verify_sig_process(sig, include_headers, sig_header, dnsfunc)

    return CachedKeyDKIM


def _verifier(data: bytes, keys: KeyCache) -> Any:
    speed_up_dkimpy()
    verifier = _verifier_class()(data, logger=_QUIET, minkey=1024)
    verifier.keys = keys
    return verifier


# Signatures evaluated per message (RFC 6376 6.1 lets verifiers limit them; KumoMTA checks
# 10, OpenDKIM 3 by default): each costs a key lookup, header hashing, a body hash and an
# RSA verification, and a message with thousands would otherwise cost thousands of each.
DKIM_LIMIT = 10


def _near(domain: str, author: str) -> bool:
    """Whether a signing domain looks aligned with the From: domain before any DMARC lookup:
    the same domain, or the same public-suffix-list Organizational Domain. Only an order of
    work: DMARC judges alignment by its DNS tree walk."""
    if not domain or not author:
        return False
    if domain == author:
        return True
    if domain.rsplit(".", 1)[-1] != author.rsplit(".", 1)[-1]:
        return False  # and only the From: domain's part of the list is ever read
    from mailcheck.checks.dmarc_walk import psl_org_domain

    try:
        return psl_org_domain(domain) == psl_org_domain(author)
    except Exception:  # a d= no list can read (spaces, control bytes) aligns with nothing
        return False


def choose_dkim(headers: Headers, from_domain: str = "") -> tuple[list[Signature], list[Signature]]:
    """(evaluated, not evaluated): at most DKIM_LIMIT signatures are evaluated, those whose
    d= looks aligned with `from_domain` first, then the others in header order (the last
    added first). A flood of forged signatures on top cannot push the author's own out."""
    everything = [
        Signature(i, tags(decode(v))) for i, v in enumerate(headers.values("DKIM-Signature"))
    ]
    if len(everything) <= DKIM_LIMIT:
        return everything, []
    author = from_domain.lower().rstrip(".")
    near: dict[str, bool] = {}
    for sig in everything:
        if sig.domain not in near:
            near[sig.domain] = _near(sig.domain, author)
    order = sorted(everything, key=lambda s: (not near[s.domain], s.index))
    chosen = sorted(order[:DKIM_LIMIT], key=lambda s: s.index)
    return chosen, sorted(order[DKIM_LIMIT:], key=lambda s: s.index)


def verify_dkim(
    data: bytes,
    headers: Headers,
    engine: DnsEngine,
    keys: KeyCache | None = None,
    from_domain: str = "",
) -> list[Signature]:
    """The signatures choose_dkim picks (at most DKIM_LIMIT), verified, in header order."""
    return verify_signatures(data, choose_dkim(headers, from_domain)[0], engine, keys)


def verify_signatures(
    data: bytes, signatures: list[Signature], engine: DnsEngine, keys: KeyCache | None = None
) -> list[Signature]:
    """Each signature verified (results set in place); the same list back."""
    verifier: Any = None
    for sig in signatures:
        answer, result, reason = _key_answer(engine, sig)
        if result:
            sig.result, sig.reason = result, reason
            continue
        assert answer is not None
        record = _key_record(answer)
        assert record is not None  # _key_answer found exactly one
        if verifier is None:
            verifier = _verifier(data, keys or KeyCache())
        _verify_one(verifier, sig, record)
        _policy(sig)
    return signatures


def _verify_one(verifier: Any, sig: Signature, record: bytes) -> None:
    import dkim

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes:
        return record

    try:
        prep = verifier.verify_headerprep(sig.index)
        if not prep:
            sig.result, sig.reason = "permerror", "signature not found"
            return
        fields, include, sigheaders = prep
        ok = verifier.verify_sig(fields, include, sigheaders[sig.index], dnsfunc)
    except dkim.ValidationError as exc:
        text = str(exc)
        shown = plain(text)
        mismatch = _BH_MISMATCH.search(text)
        if mismatch:
            sig.result = "fail"
            sig.reason = "body hash did not verify (the body changed after signing)"
            sig.computed_bh = mismatch.group(1)
        elif "x= value is past" in text:
            sig.result, sig.reason = "permerror", "signature expired (x= is in the past)"
        elif "t= value is in the future" in text:
            sig.result, sig.reason = "permerror", "signature timestamp (t=) is in the future"
        elif "unknown signature algorithm" in text:
            sig.result = "permerror"
            sig.reason = f"unsupported algorithm a={sig.tags.get('a', '')}"
        else:
            sig.result, sig.reason = "permerror", f"malformed signature: {shown}"
        return
    except dkim.KeyFormatError as exc:
        text = str(exc)
        if "too small" in text:
            sig.result = "policy"
            sig.reason = f"key too small ({sig.key.bits if sig.key else '?'} bits, minimum 1024)"
        elif text == "bad version" and sig.key is not None:
            sig.result = "permerror"
            sig.reason = f"key unusable: v={plain(sig.key.tags.get('v', ''))} is not DKIM1"
        else:
            # without the key's base64, which dkimpy puts in its text: "... key (p=): why"
            sig.result, sig.reason = (
                "permerror",
                f"key unusable: {plain(_KEY_IN_TEXT.sub('', text))}",
            )
        return
    except dkim.DKIMException as exc:
        sig.result, sig.reason = "permerror", f"malformed: {plain(exc)}"
        return
    except Exception as exc:  # dkimpy raises IndexError etc. on odd input
        sig.result, sig.reason = "permerror", f"could not be verified: {type(exc).__name__}"
        return
    if ok and "l" in sig.tags:
        too_long = _length_beyond_body(verifier, sig)
        if too_long:
            sig.result, sig.reason = "permerror", too_long
            return
    if ok:
        sig.result, sig.reason = "pass", "signature verified"
    else:
        sig.result = "fail"
        sig.reason = "signature did not verify (a signed header changed, or a wrong key)"


def _length_beyond_body(verifier: Any, sig: Signature) -> str:
    """RFC 6376 3.5: l= larger than the body is a permanent failure (OpenDKIM fails it;
    dkimpy signs what there is and passes)."""
    from dkim.canonicalization import CanonicalizationPolicy

    try:
        policy = CanonicalizationPolicy.from_c_value(sig.tags.get("c", "simple").encode())
        size = len(policy.canonicalize_body(verifier.body))
        wanted = int(sig.tags["l"])
    except Exception:  # dkimpy already judged the tags; nothing more to say here
        return ""
    if wanted <= size:
        return ""
    return (
        f"l={wanted} is larger than the body ({size} bytes once canonicalized): the "
        "signature claims content that is not there (RFC 6376 §3.5)"
    )


def _policy(sig: Signature) -> None:
    """What dkimpy accepts but receivers must not (RFC 6376 5.4, RFC 8301)."""
    if "from" not in sig.signed_headers:
        if sig.result == "pass":
            sig.result = "permerror"
            sig.reason = "From: is not in h= (RFC 6376 §5.4 requires it)"
        else:
            sig.notes.append("From: is not in h= (RFC 6376 §5.4 requires it)")
        return
    if sig.result == "pass" and sig.tags.get("a", "").lower() == "rsa-sha1":
        sig.result, sig.reason = "policy", "rsa-sha1 signatures are not accepted (RFC 8301)"
    if "l" in sig.tags and sig.result == "pass":
        sig.notes.append(
            f"l={sig.tags['l']}: only part of the body is signed; content can be "
            "appended without breaking the signature"
        )


# -- ARC -------------------------------------------------------------------------------


@dataclass
class ArcInstance:
    """One ARC set (AMS and AS of one instance) and whether each verifies."""

    instance: int
    ams_domain: str = ""
    ams_selector: str = ""
    ams_valid: bool = False
    as_domain: str = ""
    as_selector: str = ""
    as_valid: bool = False
    cv: str = ""
    aar: str = ""


@dataclass
class ArcResult:
    """The ARC chain's validation (cv=), with each instance and any DNS trouble."""

    cv: str  # none | pass | fail | temperror (a key lookup failed: the chain is not judged)
    reason: str
    instances: list[ArcInstance]
    dns_errors: list[str]

    @property
    def oldest_pass(self) -> int | None:
        """The lowest instance whose AMS still validates (RFC 8617 7.2)."""
        if self.cv != "pass":
            return None
        valid = [i.instance for i in self.instances if i.ams_valid]
        return min(valid) if valid else None


ARC_LIMIT = 50


_ARC_FIELDS = ("ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results")
_INSTANCE = re.compile(r"(?:^|;)\s*i\s*=\s*(\d+)")


def arc_beyond_limit(headers: Headers) -> str:
    """Why the chain fails before any verification: more ARC fields of one kind than a chain
    may have sets, or an instance number past the limit (RFC 8617 §4.2.1: i= is 1 to 50)."""
    for name in _ARC_FIELDS:
        values = headers.values(name)
        if len(values) > ARC_LIMIT:
            return (
                f"{len(values)} {name} fields: more than the {ARC_LIMIT} ARC sets a chain may "
                "have (RFC 8617 §4.2.1)"
            )
        for value in values:
            match = _INSTANCE.search(decode(value))
            if match and int(match.group(1)) > ARC_LIMIT:
                return (
                    f"{name} i={int(match.group(1))}: more than the {ARC_LIMIT} ARC sets a "
                    "chain may have (RFC 8617 §4.2.1)"
                )
    return ""


def verify_arc(data: bytes, engine: DnsEngine, headers: Headers | None = None) -> ArcResult:
    import dkim

    errors: list[str] = []
    beyond = arc_beyond_limit(headers) if headers is not None else ""
    if beyond:
        # dkimpy's verifier has no limit (its signer has): a chain past it fails, unread
        return ArcResult("fail", beyond, [], errors)

    unusable: list[str] = []

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        answer = engine.resolve(text, "TXT")
        if answer.outcome is Outcome.ERROR and answer.detail.startswith("invalid name"):
            # an empty or impossible s= or d=: no key can be there, no DNS trouble (as for
            # DKIM, _key_answer): the set does not validate, the chain fails
            return None
        if answer.outcome.is_error:
            errors.append(answer.error_text())
            raise dkim.DnsTimeoutError(answer.describe())
        record = _key_record(answer)
        if record is None:
            return None
        # the keys DKIM signatures are judged by (_key_answer): dkimpy would use a key some
        # verifiers cannot read, or one over OpenSSL's limit through its own RSA
        key = parse_dkim_key(decode(record))
        problem = key.error or key_too_large(key)
        if problem and not key.revoked:
            unusable.append(f"key {text.rstrip('.')}: {problem}")
            raise dkim.KeyFormatError(problem)  # dkimpy: this signature does not validate
        return record

    try:
        cv, results, reason = dkim.arc_verify(data, logger=_QUIET, dnsfunc=dnsfunc)
    except Exception as exc:  # malformed ARC sets raise IndexError and others
        return ArcResult(
            "fail", f"malformed ARC set: {type(exc).__name__}: {plain(exc)}", [], errors
        )
    cv_text = {b"pass": "pass", b"fail": "fail", b"none": "none", None: "fail"}.get(cv, "fail")
    instances = [
        ArcInstance(
            int(r.get("instance", 0)),
            _s(r.get("ams-domain")),
            _s(r.get("ams-selector")),
            bool(r.get("ams-valid")),
            _s(r.get("as-domain")),
            _s(r.get("as-selector")),
            bool(r.get("as-valid")),
            _s(r.get("cv")),
            _s(r.get("aar-value")),
        )
        for r in results
    ]
    instances.sort(key=lambda i: i.instance)
    why = plain(reason)
    if errors and cv_text != "pass":
        # dkimpy counts a key it could not fetch as a signature that does not validate: the
        # chain is unknown, not failed (network trouble is never FAIL)
        return ArcResult("temperror", why, instances, errors)
    if cv_text == "fail" and unusable:
        why += f" ({unusable[0]})"
    return ArcResult(cv_text, why, instances, errors)


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        return decode(value).strip()
    return str(value or "").strip()


def arc_sets_present(headers: Headers) -> bool:
    return bool(headers.values("ARC-Seal") or headers.values("ARC-Message-Signature"))
