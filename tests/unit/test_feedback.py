"""Report parsing and unpacking: the sample reports, and hostile input (bombs, entities,
truncation) refused with a per-report problem instead of a crash or an expansion."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from mailcheck.feedback.aggregate import ReportError, parse_json, parse_xml
from mailcheck.feedback.failure import parse_arf
from mailcheck.feedback.tlsrpt import load_json, parse_tlsrpt
from mailcheck.feedback.unpack import MAX_UNPACKED, Blob, Problem, Skipped, expand, gunzip
from mailcheck.services.report import collect

REPORTS = Path(__file__).resolve().parents[2] / "examples" / "reports"
GOOGLE = REPORTS / "google.com!shop.example!1764460800!1764547199.xml.gz"
ZIPPED = REPORTS / "receiver.example!shop.example!1764374400!1764460799.zip"
TLS = REPORTS / "google.com!shop.example!1764460800!1764547199!001.json.gz"

MINIMAL = b"""<feedback><report_metadata><org_name>r.example</org_name><report_id>1</report_id>
<date_range><begin>1</begin><end>2</end></date_range></report_metadata>
<policy_published><domain>d.example</domain><p>none</p></policy_published>
<record><row><source_ip>192.0.2.1</source_ip><count>3</count><policy_evaluated>
<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>
<identifiers><header_from>d.example</header_from></identifiers><auth_results>
<dkim><domain>d.example</domain><selector>s</selector><result>pass</result></dkim>
<spf><domain>d.example</domain><result>fail</result></spf></auth_results></record></feedback>"""


def items(data: bytes, name: str = "input") -> list[Blob | Problem | Skipped]:
    return list(expand(name, data))


def test_google_gzip_report_parses() -> None:
    [blob] = items(GOOGLE.read_bytes())
    assert isinstance(blob, Blob) and blob.kind == "xml"
    report = parse_xml(blob.data, blob.source)
    assert (report.org_name, report.report_id) == ("google.com", "4386727282963561723")
    assert report.policy.domain == "shop.example" and report.policy.p == "none"
    assert sum(r.count for r in report.rows) == 4097
    esp = next(r for r in report.rows if r.source_ip == "198.51.100.20")
    assert not esp.passes and esp.dkim_auth[0].domain == "sendfast.example"


def test_rfc9990_namespace_in_zip() -> None:
    [blob] = items(ZIPPED.read_bytes(), "x.zip")
    assert isinstance(blob, Blob) and blob.source.endswith(
        ".zip:receiver.example!shop.example!1764374400!1764460799.xml"
    )
    report = parse_xml(blob.data, blob.source)
    assert report.policy.testing == "n" and report.policy.np == "none"
    assert [r.reasons for r in report.rows if r.reasons] == [(("local_policy", "arc=pass"),)]


def test_json_aggregate_same_tree() -> None:
    doc = (
        b'{"feedback": {"report_metadata": {"org_name": "j.example", "report_id": "7",'
        b' "date_range": {"begin": 1, "end": 2}}, "policy_published": {"domain": "d.example",'
        b' "p": "reject"}, "record": [{"row": {"source_ip": "2001:db8::1", "count": 4,'
        b' "policy_evaluated": {"disposition": "reject", "dkim": "fail", "spf": "fail"}},'
        b' "identifiers": {"header_from": "d.example"}, "auth_results": {"spf": [{"domain":'
        b' "d.example", "result": "fail"}]}}]}}'
    )
    report = parse_json(doc, "j.json")
    assert report.policy.p == "reject" and report.rows[0].count == 4
    assert report.rows[0].source_ip == "2001:db8::1"


def test_tls_report() -> None:
    [blob] = items(TLS.read_bytes())
    assert isinstance(blob, Blob) and blob.kind == "json"
    report = parse_tlsrpt(load_json(blob.data), blob.source)
    [policy] = report.policies
    assert (policy.policy_type, policy.successes, policy.failures) == ("sts", 5326, 41)
    assert [d.result_type for d in policy.details] == [
        "certificate-expired",
        "starttls-not-supported",
    ]


def test_arf_failure_report() -> None:
    data = (REPORTS / "failure-report.eml").read_bytes()
    [blob] = items(data)
    assert isinstance(blob, Blob) and blob.kind == "arf"
    report = parse_arf(blob.data, blob.source)
    assert (report.source_ip, report.reported_domain, report.auth_failure) == (
        "203.0.113.66",
        "shop.example",
        "dmarc",
    )
    assert ("Subject", "Invoice overdue") in report.original_headers


def test_message_with_two_reports_and_a_text_part() -> None:
    data = (REPORTS / "Maildir" / "cur" / "1764576002.M2P1.reports:2,S").read_bytes()
    found = items(data, "msg")
    assert [type(i).__name__ for i in found] == ["Blob", "Blob"]
    domains = sorted(
        parse_xml(b.data, b.source).policy.domain for b in found if isinstance(b, Blob)
    )
    assert domains == ["blog.example", "shop.example"]


def test_plain_message_holds_no_report() -> None:
    found = items(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n", "plain.eml")
    assert found == [Skipped("plain.eml", "a message without a report attached")]


# -- hostile input --------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<feedback><report_metadata><org_name>&lol3;</org_name></report_metadata></feedback>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feedback><report_metadata><org_name>&xxe;</org_name><report_id>1</report_id>
<date_range><begin>1</begin><end>2</end></date_range></report_metadata>
<policy_published><domain>d.example</domain><p>none</p></policy_published></feedback>"""


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "xxe"])
def test_xml_with_entities_is_refused(doc: bytes) -> None:
    with pytest.raises(ReportError, match="DTDs and entities are not allowed"):
        parse_xml(doc, "evil.xml")


def test_zip_bomb_is_refused_at_the_limit() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("bomb.xml", "w") as handle,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(MAX_UNPACKED // len(chunk) + 8):
            handle.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 200_000
    [problem] = items(data, "bomb.zip")
    assert isinstance(problem, Problem)
    assert "refused" in problem.message and "bomb" in problem.message


def test_gzip_bomb_stops_streaming() -> None:
    data = gzip.compress(b"\0" * (MAX_UNPACKED + 1024), mtime=0)
    [problem] = items(data, "bomb.gz")
    assert isinstance(problem, Problem) and "refused" in problem.message


def test_truncated_gzip_is_a_problem() -> None:
    data = GOOGLE.read_bytes()
    [problem] = items(data[: len(data) // 2], "cut.xml.gz")
    assert problem == Problem(
        "cut.xml.gz", "gzip data is truncated (the stream ends before its end marker)"
    )


def test_gzip_of_several_members() -> None:
    data = gzip.compress(b"<feed", mtime=0) + gzip.compress(b"back/>", mtime=0)
    assert gunzip(data) == b"<feedback/>"


def test_malformed_reports_are_per_report_and_the_run_goes_on() -> None:
    good = GOOGLE.read_bytes()
    collected = collect(
        [
            *expand("bad.xml", b"<feedback><report_metadata>"),
            *expand("evil.xml", EXTERNAL),
            *expand("good.xml.gz", good),
            *expand("again.xml.gz", good),
            *expand("missing.xml", MINIMAL.replace(b"<report_id>1</report_id>", b"")),
        ]
    )
    assert [r.org_name for r in collected.aggregate] == ["google.com"]
    assert [d[2] for d in collected.duplicates] == ["again.xml.gz"]
    assert [(p.source, p.message.split(" (")[0]) for p in collected.problems] == [
        ("bad.xml", "not well-formed XML"),
        ("evil.xml", "XML refused: DTDForbidden"),
        ("missing.xml", "no report_id in the report"),
    ]


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", '"INBOX"'),
        ("Entwürfe", '"Entw&APw-rfe"'),
        ("R&D/DMARC", '"R&-D/DMARC"'),
        ("報告", '"&WDFUSg-"'),
        ('a"b\r\nc', '"a\\"b&AA0ACg-c"'),
    ],
)
def test_imap_folder_names(name: str, wire: str) -> None:
    from mailcheck.feedback.imap import mailbox_name

    assert mailbox_name(name) == wire


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b"<begin>1</begin>",
            b"<begin>" + b"9" * 30 + b"</begin>",
            "date_range/begin is not a possible time",
        ),
        (b"<end>2</end>", b"<end>-1</end>", "date_range/end is not a possible time"),
        (
            b"<begin>1</begin><end>2</end>",
            b"<begin>5</begin><end>2</end>",
            "date_range ends (2) before it begins (5)",
        ),
        (b"<count>3</count>", b"<count>" + b"1" * 30 + b"</count>", "an impossible message count"),
    ],
)
def test_impossible_dates_and_counts_are_malformed(old: bytes, new: bytes, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_xml(MINIMAL.replace(old, new), "odd.xml")
    assert str(caught.value).startswith(message)
