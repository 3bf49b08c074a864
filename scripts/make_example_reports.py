"""Write the sample reports in examples/reports/ (deterministic: fixed gzip and zip times).

The shapes follow what big receivers send: RFC 7489 appendix C XML without a namespace
(google.com, outlook.com) gzipped, RFC 9990 XML with its namespace in a zip, an RFC 8460 TLS
report gzipped, an ARF failure report (RFC 6591), and a Maildir of the messages carrying them.
Run:  .venv/bin/python scripts/make_example_reports.py
"""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "reports"
DAY = (1764460800, 1764547199)  # 2025-11-30 00:00:00 .. 23:59:59 UTC
PREVIOUS = (DAY[0] - 86400, DAY[1] - 86400)  # the day before


def record(
    ip: str,
    count: int,
    dkim: str,
    spf: str,
    header_from: str,
    envelope_from: str,
    dkim_auth: list[tuple[str, str, str]],
    spf_auth: list[tuple[str, str]],
    disposition: str = "none",
    reason: tuple[str, str] | None = None,
) -> str:
    why = ""
    if reason:
        why = f"<reason><type>{reason[0]}</type><comment>{reason[1]}</comment></reason>"
    dkims = "".join(
        f"<dkim><domain>{d}</domain><selector>{s}</selector><result>{r}</result></dkim>"
        for d, s, r in dkim_auth
    )
    spfs = "".join(
        f"<spf><domain>{d}</domain><scope>mfrom</scope><result>{r}</result></spf>"
        for d, r in spf_auth
    )
    return f"""  <record>
    <row>
      <source_ip>{ip}</source_ip>
      <count>{count}</count>
      <policy_evaluated><disposition>{disposition}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf>{why}</policy_evaluated>
    </row>
    <identifiers><envelope_from>{envelope_from}</envelope_from><header_from>{header_from}</header_from></identifiers>
    <auth_results>{dkims}{spfs}</auth_results>
  </record>
"""


def feedback(
    org: str,
    email: str,
    report_id: str,
    domain: str,
    p: str,
    records: list[str],
    namespace: str = "",
    day: tuple[int, int] = DAY,
) -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    version = "<version>1.0</version>" if namespace else ""
    extra = "<np>none</np><testing>n</testing><discovery_method>treewalk</discovery_method>"
    tail = extra if namespace else "<pct>100</pct>"
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<feedback{xmlns}>
  {version}
  <report_metadata>
    <org_name>{org}</org_name>
    <email>{email}</email>
    <report_id>{report_id}</report_id>
    <date_range><begin>{day[0]}</begin><end>{day[1]}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>{p}</p><sp>{p}</sp>{tail}
  </policy_published>
{"".join(records)}</feedback>
""".encode()


def shop_records(scale: int) -> list[str]:
    own = [("shop.example", "s2025", "pass")]
    return [
        record(
            "192.0.2.25",
            1800 * scale,
            "pass",
            "pass",
            "shop.example",
            "shop.example",
            own,
            [("shop.example", "pass")],
        ),
        record(
            "192.0.2.26",
            1200 * scale,
            "pass",
            "pass",
            "shop.example",
            "shop.example",
            own,
            [("shop.example", "pass")],
        ),
        # the newsletter provider: authenticates, but as itself
        record(
            "198.51.100.20",
            640 * scale,
            "fail",
            "fail",
            "shop.example",
            "bounces.sendfast.example",
            [("sendfast.example", "sf1", "pass")],
            [("bounces.sendfast.example", "pass")],
        ),
        # the helpdesk signs as shop.example with a selector whose key is not published
        record(
            "203.0.113.80",
            95 * scale,
            "fail",
            "fail",
            "shop.example",
            "helpdesk.example",
            [("shop.example", "helpdesk", "permerror")],
            [("helpdesk.example", "fail")],
        ),
        # the CRM sends with our Return-Path but is not in our SPF, and does not sign
        record(
            "203.0.113.5",
            40 * scale,
            "fail",
            "fail",
            "shop.example",
            "shop.example",
            [],
            [("shop.example", "softfail")],
        ),
        # a mailbox provider forwarding our mail; the receiver accepted it on ARC
        record(
            "198.51.100.200",
            12 * scale,
            "fail",
            "fail",
            "shop.example",
            "shop.example",
            [("shop.example", "s2025", "fail")],
            [("shop.example", "softfail")],
            reason=("local_policy", "arc=pass"),
        ),
        # someone forging the domain
        record(
            "203.0.113.66",
            310 * scale,
            "fail",
            "fail",
            "shop.example",
            "mailer.invalid",
            [],
            [("mailer.invalid", "none")],
        ),
    ]


def blog_records() -> list[str]:
    own = [("blog.example", "k1", "pass")]
    return [
        record(
            "192.0.2.40",
            220,
            "pass",
            "pass",
            "blog.example",
            "blog.example",
            own,
            [("blog.example", "pass")],
        ),
        record(
            "203.0.113.99",
            18,
            "fail",
            "fail",
            "blog.example",
            "blog.example",
            [],
            [("blog.example", "fail")],
            disposition="quarantine",
        ),
    ]


def gz(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(2025, 12, 1, 6, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
    return buffer.getvalue()


TLSRPT = b"""{
  "organization-name": "Google Inc.",
  "date-range": {"start-datetime": "2025-11-30T00:00:00Z", "end-datetime": "2025-11-30T23:59:59Z"},
  "contact-info": "smtp-tls-reporting@google.com",
  "report-id": "2025-11-30T00:00:00Z_shop.example",
  "policies": [
    {
      "policy": {
        "policy-type": "sts",
        "policy-string": ["version: STSv1", "mode: enforce", "mx: mx1.shop.example",
                          "mx: mx2.shop.example", "max_age: 604800"],
        "policy-domain": "shop.example",
        "mx-host": ["mx1.shop.example", "mx2.shop.example"]
      },
      "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 41},
      "failure-details": [
        {"result-type": "certificate-expired", "sending-mta-ip": "209.85.220.69",
         "receiving-mx-hostname": "mx2.shop.example", "receiving-ip": "192.0.2.26",
         "failed-session-count": 38},
        {"result-type": "starttls-not-supported", "sending-mta-ip": "209.85.220.70",
         "receiving-mx-hostname": "mx2.shop.example", "receiving-ip": "192.0.2.26",
         "failed-session-count": 3, "additional-information": "https://support.google.com/a/answer/9276511"}
      ]
    }
  ]
}
"""

ARF = """From: DMARC failure reports <dmarc-failures@receiver.example>
To: dmarc-forensic@shop.example
Date: Sun, 30 Nov 2025 14:02:11 +0000
Subject: FW: Invoice overdue
Message-ID: <arf-20251130-0001@receiver.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf-boundary"

--arf-boundary
Content-Type: text/plain; charset="US-ASCII"

This is an authentication failure report for a message claiming to be from shop.example.

--arf-boundary
Content-Type: message/feedback-report

Feedback-Type: auth-failure
User-Agent: receiver-arf/2.1
Version: 1
Original-Mail-From: <billing@mailer.invalid>
Arrival-Date: Sun, 30 Nov 2025 14:01:58 +0000
Source-IP: 203.0.113.66
Reported-Domain: shop.example
Authentication-Results: mx.receiver.example; dmarc=fail (p=none) header.from=shop.example;
 spf=none smtp.mailfrom=mailer.invalid; dkim=none
Auth-Failure: dmarc
Delivery-Result: delivered
Identity-Alignment: none

--arf-boundary
Content-Type: text/rfc822-headers

Return-Path: <billing@mailer.invalid>
Received: from unknown (HELO shop.example) (203.0.113.66)
 by mx.receiver.example; Sun, 30 Nov 2025 14:01:58 +0000
From: "Shop Billing" <billing@shop.example>
To: customer@receiver.example
Subject: Invoice overdue
Date: Sun, 30 Nov 2025 14:01:50 +0000
Message-ID: <fake-1@shop.example>

--arf-boundary--
"""


def carrier(
    sender: str, subject: str, attachments: list[tuple[str, str, bytes]], number: int
) -> bytes:
    """A report message as receivers send them: a short text part and the attachments."""
    lines = [
        f"From: {sender}",
        "To: dmarc-reports@shop.example",
        f"Subject: {subject}",
        "Date: Mon, 01 Dec 2025 06:00:00 +0000",
        f"Message-ID: <report-{number}@receiver.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "This is an aggregate report. It has been attached.",
        "",
    ]
    for name, ctype, data in attachments:
        encoded = base64.encodebytes(data).decode().rstrip("\n")
        lines += [
            "--b1",
            f'Content-Type: {ctype}; name="{name}"',
            "Content-Transfer-Encoding: base64",
            f'Content-Disposition: attachment; filename="{name}"',
            "",
            encoded,
            "",
        ]
    lines.append("--b1--")
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    google = feedback(
        "google.com",
        "noreply-dmarc-support@google.com",
        "4386727282963561723",
        "shop.example",
        "none",
        shop_records(1),
    )
    outlook_shop = feedback(
        "Outlook.com",
        "dmarcreport@microsoft.com",
        "a1c9e2f04b7d4e0c8f3e6d5b2a190c77",
        "shop.example",
        "none",
        shop_records(1)[:2] + shop_records(1)[2:4],
    )
    outlook_blog = feedback(
        "Outlook.com",
        "dmarcreport@microsoft.com",
        "5d0be8a1f2c64f0e9e1b7c3a2d4f6e88",
        "blog.example",
        "quarantine",
        blog_records(),
    )
    ietf = feedback(
        "receiver.example",
        "dmarc-reports@receiver.example",
        "rx-2025-11-29-77",
        "shop.example",
        "none",
        shop_records(1)[:1] + shop_records(1)[5:],
        namespace="urn:ietf:params:xml:ns:dmarc-2.0",
        day=PREVIOUS,
    )
    g_name = f"google.com!shop.example!{DAY[0]}!{DAY[1]}.xml.gz"
    (OUT / g_name).write_bytes(gz(google))
    rx_name = f"receiver.example!shop.example!{PREVIOUS[0]}!{PREVIOUS[1]}"
    (OUT / f"{rx_name}.zip").write_bytes(zipped(f"{rx_name}.xml", ietf))
    tls_name = f"google.com!shop.example!{DAY[0]}!{DAY[1]}!001.json.gz"
    (OUT / tls_name).write_bytes(gz(TLSRPT))
    (OUT / "failure-report.eml").write_text(ARF.replace("\n", "\r\n"))
    maildir = OUT / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    messages = [
        carrier(
            "noreply-dmarc-support@google.com",
            "Report domain: shop.example Submitter: google.com Report-ID: 4386727282963561723",
            [(g_name, "application/gzip", gz(google))],
            1,
        ),
        carrier(
            "dmarcreport@microsoft.com",
            "Report Domain: shop.example, blog.example",
            [
                (
                    f"enterprise.protection.outlook.com!shop.example!{DAY[0]}!{DAY[1]}.xml.gz",
                    "application/gzip",
                    gz(outlook_shop),
                ),
                (
                    f"enterprise.protection.outlook.com!blog.example!{DAY[0]}!{DAY[1]}.xml.gz",
                    "application/gzip",
                    gz(outlook_blog),
                ),
            ],
            2,
        ),
        carrier(
            "noreply-smtp-tls-reporting@google.com",
            "Report Domain: shop.example Submitter: google.com",
            [(tls_name, "application/tlsrpt+gzip", gz(TLSRPT))],
            3,
        ),
        ARF.replace("\n", "\r\n").encode(),
        b"From: someone@elsewhere.example\r\nTo: dmarc-reports@shop.example\r\n"
        b"Subject: hello\r\nMessage-ID: <plain@elsewhere.example>\r\n\r\nNot a report.\r\n",
    ]
    for number, data in enumerate(messages, 1):
        (maildir / "cur" / f"176457600{number}.M{number}P1.reports:2,S").write_bytes(data)


if __name__ == "__main__":
    main()
