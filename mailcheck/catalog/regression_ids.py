"""The regression check ids: what each means, its remedy and RFC references."""

from __future__ import annotations

from mailcheck.catalog.registry import entry as _c

NEW = _c(
    "regression.new",
    "New problem",
    "A finding at WARN, ERROR or FAIL that the baseline (the live DNS, or a saved report) "
    "did not have: the proposed change introduces it. --fail-on regression fails on these.",
    "Look at the finding it names; fix the change before it is published.",
)

NO_BASELINE = _c(
    "regression.no-baseline",
    "Domain not in the baseline",
    "A note: the saved baseline has no report of this domain (it holds others: a domain "
    "added to a --from-file list or to --from-zones), so every problem of it counts as new "
    "(regression.new) and its records are not compared.",
    "Save the baseline again with this domain in it once its problems are accepted: "
    "mailcheck domain ... --format json --fail-on never > FILE.",
)

WORSE = _c(
    "regression.worse",
    "Problem got worse",
    "A finding the baseline already had, at a worse status now (WARN became FAIL).",
    "Look at the finding it names; fix the change before it is published.",
)

FIXED = _c(
    "regression.fixed",
    "Problem fixed",
    "A finding the baseline had at WARN, ERROR or FAIL that the proposed change removes.",
)

INCONCLUSIVE = _c(
    "regression.inconclusive",
    "Comparison inconclusive",
    "A check that could not be made (DNS or network errors) on either side, or not made alike "
    "on both: the gate cannot say whether the change made it better or worse. --fail-on "
    "regression then exits 3, never 1, for it.",
    "Run again when the lookups answer; compare reports made with the same options.",
)

RECORD = _c(
    "regression.record",
    "Record changed",
    "A mail record whose content differs between the baseline and the proposed zone.",
)

SPF_LOOKUPS = _c(
    "regression.spf-lookups",
    "SPF lookups before and after",
    "The number of DNS-querying SPF terms in the baseline and with the change, shown when it "
    "changed: a rising count (WARN) eats into the limit of 10.",
    "Keep the count well under 10: providers add lookups to their includes without notice.",
    "RFC 7208 §4.6.4",
)
