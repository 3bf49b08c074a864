"""`mailcheck report --imap` against the private Dovecot of tests/mtas.py, serving a folder of
report messages (the sample Maildir): read-only by default, --move-to moves only messages
whose reports were read, and the password never goes to a server we cannot authenticate."""

from __future__ import annotations

import json
import os
import pwd
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import mtas
from tests.conftest import EXAMPLES, CliRun
from tests.dnsserver import DnsServer

SAMPLE = EXAMPLES / "reports" / "Maildir" / "cur"
ENV = {"IMAP_PASSWORD": mtas.PASSWORD}


@pytest.fixture(scope="module")
def servers(test_ca: Any) -> Iterator[mtas.MailServers]:
    if not mtas.available():
        if os.environ.get("CI"):
            pytest.fail("CI must provide Postfix and Dovecot (.ci/run installs them) and root")
        pytest.skip("needs root and the postfix, dovecot-imapd and dovecot-pop3d packages")
    with mtas.MailServers(test_ca) as started:
        yield started


def fill_folder(servers: mtas.MailServers, folder: str) -> Path:
    """The sample report messages as Maildir++ folder `folder` of alice's mailbox."""
    dovecot = pwd.getpwnam("dovecot")
    home = servers.root / "mail" / "alice"
    target = home / f".{folder}"
    for path in (home, target, target / "cur", target / "new", target / "tmp"):
        path.mkdir(exist_ok=True)
        os.chown(path, dovecot.pw_uid, dovecot.pw_gid)
    for number, message in enumerate(sorted(SAMPLE.iterdir()), 1):
        copy = target / "new" / f"17645760{number:02d}.M{number}P9.test"
        shutil.copyfile(message, copy)
        os.chown(copy, dovecot.pw_uid, dovecot.pw_gid)
    return target


def half_broken() -> bytes:
    """A report message whose second attachment is a truncated gzip: it must not be moved."""
    from email.message import EmailMessage

    good = EXAMPLES / "reports" / "google.com!shop.example!1764460800!1764547199.xml.gz"
    message = EmailMessage()
    message["From"] = "dmarc@receiver.example"
    message["To"] = "dmarc@postfix.test"
    message["Subject"] = "Report domain: shop.example"
    message["Message-ID"] = "<half@receiver.example>"
    message.set_content("Two reports attached.")
    data = good.read_bytes()
    message.add_attachment(data, maintype="application", subtype="gzip", filename="a.xml.gz")
    message.add_attachment(data[:200], maintype="application", subtype="gzip", filename="b.gz")
    return message.as_bytes()


def report(
    run_cli: CliRun, dns: DnsServer, server: str, *args: str
) -> tuple[int, dict[str, Any] | None, str]:
    result = run_cli(
        "report",
        "--imap",
        server,
        "--user",
        mtas.USER,
        "--password-env",
        "IMAP_PASSWORD",
        "--nameserver",
        dns.address,
        "--step-timeout",
        "5",
        "--format",
        "json",
        *args,
        env=ENV,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert mtas.PASSWORD not in result.stdout + result.stderr
    doc = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, doc, result.stderr


def mailbox_error(doc: dict[str, Any] | None) -> str:
    """The one report.mailbox finding (ERROR) of a run whose mailbox could not be read."""
    assert doc is not None
    [item] = [
        f
        for r in doc["reports"]
        for s in r["sections"]
        for f in s["findings"]
        if f["id"] == "report.mailbox"
    ]
    assert item["status"] == "error"
    return str(item["summary"])


def verdicts(doc: dict[str, Any]) -> dict[str, str]:
    return {
        r["subject"]: r["sections"][0]["data"]["verdict"]["state"]
        for r in doc["reports"]
        if r["kind"] == "dmarc-report"
    }


def files(folder: Path) -> list[str]:
    return sorted(p.name for sub in ("cur", "new") for p in (folder / sub).iterdir())


@pytest.mark.timeout(120)
def test_imaps_read_only(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    folder = fill_folder(servers, "DMARC")
    code, doc, _ = report(
        run_cli,
        dns_server,
        f"imap.postfix.test:{servers.ports.imaps}",
        "--tls",
        "implicit",
        "--folder",
        "DMARC",
        "--ca-file",
        ca_file,
    )
    assert doc is not None and code == 0
    assert verdicts(doc) == {"blog.example": "review", "shop.example": "not-ready"}
    kinds = sorted(r["kind"] for r in doc["reports"])
    assert kinds == ["dmarc-report", "dmarc-report", "failure-report", "report-input", "tls-report"]
    # EXAMINE and BODY.PEEK: nothing moved, nothing marked \Seen (no ":2,S" suffix added)
    names = files(folder)
    assert len(names) == 5 and not any(":2," in n and "S" in n.split(":2,")[1] for n in names)


@pytest.mark.timeout(120)
def test_starttls_and_move_to(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    folder = fill_folder(servers, "Reports")
    extra = folder / "new" / "1764576099.M99P9.test"
    extra.write_bytes(half_broken())
    dovecot = pwd.getpwnam("dovecot")
    os.chown(extra, dovecot.pw_uid, dovecot.pw_gid)
    code, doc, _ = report(
        run_cli,
        dns_server,
        f"imap.postfix.test:{servers.ports.imap}",
        "--folder",
        "Reports",
        "--move-to",
        "Reports.Done",
        "--ca-file",
        ca_file,
    )
    assert doc is not None and code == 3  # the truncated attachment could not be read
    assert verdicts(doc)["shop.example"] == "not-ready"
    # the four report messages moved; the plain message and the half-broken one stay
    remaining = files(folder)
    assert len(remaining) == 2
    done = servers.root / "mail" / "alice" / ".Reports.Done"
    assert len(files(done)) == 4


@pytest.mark.timeout(60)
def test_untrusted_certificate_keeps_the_password(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers
) -> None:
    code, doc, err = report(
        run_cli, dns_server, f"imap.postfix.test:{servers.ports.imaps}", "--tls", "implicit"
    )
    assert (code, err) == (3, "")
    why = mailbox_error(doc)
    assert why.startswith(
        f"imap://imap.postfix.test:{servers.ports.imaps}/INBOX: the certificate is not trusted"
    )
    assert why.endswith("the password was not sent")


@pytest.mark.timeout(60)
def test_certificate_for_another_name_keeps_the_password(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    # ns.test resolves to the same 127.0.0.1, but the certificate does not name it
    code, doc, err = report(
        run_cli,
        dns_server,
        f"ns.test:{servers.ports.imaps}",
        "--tls",
        "implicit",
        "--ca-file",
        ca_file,
    )
    assert (code, err) == (3, "")
    assert mailbox_error(doc) == (
        f"imap://ns.test:{servers.ports.imaps}/INBOX: "
        "the certificate does not name ns.test: the password was not sent"
    )


@pytest.mark.timeout(60)
def test_ip_address_not_on_the_certificate_keeps_the_password(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    # a trusted certificate for another name must not receive the password for an address
    code, doc, err = report(
        run_cli,
        dns_server,
        f"127.0.0.1:{servers.ports.imaps}",
        "--tls",
        "implicit",
        "--ca-file",
        ca_file,
    )
    assert (code, err) == (3, "")
    assert mailbox_error(doc) == (
        f"imap://127.0.0.1:{servers.ports.imaps}/INBOX: "
        "the certificate does not name 127.0.0.1: the password was not sent"
    )


@pytest.mark.timeout(60)
def test_wrong_password(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str
) -> None:
    result = run_cli(
        "report",
        "--imap",
        f"imap.postfix.test:{servers.ports.imaps}",
        "--tls",
        "implicit",
        "--user",
        mtas.USER,
        "--password-env",
        "IMAP_PASSWORD",
        "--nameserver",
        dns_server.address,
        "--ca-file",
        ca_file,
        env={"IMAP_PASSWORD": "wrong"},
    )
    assert result.returncode == 2
    assert "mailcheck: error: --imap imap.postfix.test: login refused" in result.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_non_ascii_password_logs_in(
    run_cli: CliRun, dns_server: DnsServer, servers: mtas.MailServers, ca_file: str, tls: str
) -> None:
    """The login path shared with trace (AUTHENTICATE PLAIN, which Dovecot offers after TLS)
    carries a UTF-8 password to a real server. (Dovecot also accepts 8-bit quoted strings;
    the strict RFC 3501 reading is tested with the recording server of test_imap_login.)"""
    port = servers.ports.imaps if tls == "implicit" else servers.ports.imap
    result = run_cli(
        "report",
        "--imap",
        f"imap.postfix.test:{port}",
        "--tls",
        tls,
        "--user",
        mtas.UTF8_USER,
        "--password-env",
        "IMAP_PASSWORD",
        "--nameserver",
        dns_server.address,
        "--ca-file",
        ca_file,
        "--format",
        "json",
        env={"IMAP_PASSWORD": mtas.UTF8_PASSWORD},
    )
    assert mtas.UTF8_PASSWORD not in result.stdout + result.stderr
    assert "error" not in result.stderr, result.stderr
    doc = json.loads(result.stdout)
    assert doc["reports"] == [] or all(r["kind"] != "error" for r in doc["reports"])
    assert result.returncode == 0, result.stderr
    assert f"user=<{mtas.UTF8_USER}>, method=PLAIN" in servers.log()
