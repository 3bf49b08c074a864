"""DMARC tags beside the policy: pct, t, alignment, psd, fo and the removed or unknown ones."""

from __future__ import annotations

from mailcheck.catalog import finding
from mailcheck.model import Finding, Status
from mailcheck.records.dmarc import FO_VALUES, DmarcRecord


def other_tags(record: DmarcRecord) -> list[Finding]:
    """pct, t, adkim/aspf, psd, fo, the removed rf/ri and unknown tags of a record."""
    out = []
    pct = record.get("pct")
    if pct is not None:
        out.append(_pct(pct))
    t = record.get("t")
    if t is not None:
        if t.strip().lower() == "y":
            out.append(
                finding(
                    "dmarc.testing",
                    Status.WARN,
                    "t=y: testing mode, receivers apply a weaker policy",
                )
            )
        elif t.strip().lower() != "n":
            out.append(finding("dmarc.testing", Status.WARN, f"t={t} is not y or n: ignored"))
    for tag in ("adkim", "aspf"):
        value = record.get(tag)
        if value is None:
            continue
        value = value.strip().lower()
        if value not in ("r", "s"):
            out.append(
                finding(
                    "dmarc.alignment",
                    Status.WARN,
                    f"{tag}={value} is not r or s: relaxed (r) is used",
                )
            )
        elif value == "s":
            out.append(
                finding(
                    "dmarc.alignment",
                    Status.INFO,
                    f"{tag}=s: strict alignment, subdomains do not align",
                )
            )
    psd = record.get("psd")
    if psd is not None:
        value = psd.strip().lower()
        if value == "y":
            out.append(
                finding(
                    "dmarc.psd",
                    Status.WARN,
                    "psd=y: this record declares a Public Suffix Domain",
                    hint="Remove psd=y unless you operate a public suffix.",
                )
            )
        elif value not in ("n", "u"):
            out.append(finding("dmarc.psd", Status.WARN, f"psd={psd} is not y, n or u: ignored"))
    fo = record.get("fo")
    if fo is not None:
        options = [o.strip().lower() for o in fo.split(":")]
        bad = [o for o in options if o not in FO_VALUES]
        if bad or ("0" in options and "1" in options) or len(set(options)) != len(options):
            out.append(finding("dmarc.fo", Status.WARN, f"fo={fo} is invalid: fo=0 is used"))
    for tag in ("rf", "ri"):
        if record.get(tag) is not None:
            out.append(
                finding(
                    "dmarc.removed-tag",
                    Status.INFO,
                    f"{tag}= was removed in RFC 9989 and is ignored",
                )
            )
    for tag in record.unknown:
        out.append(finding("dmarc.unknown-tag", Status.WARN, f"unknown tag {tag}= is ignored"))
    return out


def _pct(pct: str) -> Finding:
    text = pct.strip()
    if not text.isdigit() or int(text) > 100:
        return finding(
            "dmarc.pct",
            Status.WARN,
            f"pct={pct} is out of range (and pct was removed in RFC 9989)",
        )
    if int(text) == 100:
        return finding(
            "dmarc.pct", Status.INFO, "pct=100 has no effect (pct was removed in RFC 9989)"
        )
    return finding(
        "dmarc.pct",
        Status.WARN,
        f"pct={text}: RFC 7489 receivers apply the policy to {text}% of failing "
        "mail only (pct was removed in RFC 9989)",
    )
