"""`mailcheck send` input handling and --dry-run: no server needed (nothing connects)."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRun

EXAMPLES = ROOT / "examples"
KEY = EXAMPLES / "keys" / "example.com.mail.pem"
OFFLINE = ("--offline", "--zone", str(EXAMPLES / "zones"))


def dry(run_cli: CliRun, *args: str) -> tuple[int, str, str]:
    result = run_cli("send", *OFFLINE, "--dry-run", *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout, result.stderr


def test_dry_run_prints_a_signed_message_that_verifies(run_cli: CliRun, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(KEY.read_bytes())
    key.chmod(0o600)
    code, out, err = dry(
        run_cli,
        "--from",
        "Älice <alice@example.com>",
        "--to",
        "bob@bücher.example",
        "--subject",
        "Grüße",
        "--header",
        "X-Campaign: lab 1",
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "mail",
    )
    assert code == 0, err
    assert "PASS send.dkim" in err and "readable by other users" not in err
    message = email.message_from_string(out, policy=email.policy.default)
    assert message["Subject"] == "Grüße" and message["X-Campaign"] == "lab 1"
    assert message["To"] == "bob@xn--bcher-kva.example"  # A-label without SMTPUTF8
    assert "d=example.com" in message["DKIM-Signature"]
    token = message["X-Mailcheck-Token"]
    assert token.startswith("mc-") and token in message.get_content()
    saved = tmp_path / "m.eml"
    saved.write_text(out)
    verified = run_cli("verify", str(saved), *OFFLINE, "--format", "json", "--ip", "192.0.2.10")
    statuses = {
        f["id"]: f["status"]
        for s in json.loads(verified.stdout)["reports"][0]["sections"]
        for f in s["findings"]
    }
    assert statuses["dkim.signature"] == "pass"


def test_dry_run_save_and_json(run_cli: CliRun, tmp_path: Path) -> None:
    target = tmp_path / "out.eml"
    attachment = tmp_path / "report.pdf"
    attachment.write_bytes(b"%PDF-1.4 test")
    code, out, _err = dry(
        run_cli,
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.net",
        "--attach",
        str(attachment),
        "--save",
        str(target),
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["command"] == "send"
    summaries = [f["summary"] for s in doc["reports"][0]["sections"] for f in s["findings"]]
    assert any("nothing was sent" in s for s in summaries)
    message = email.message_from_bytes(target.read_bytes(), policy=email.policy.default)
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "report.pdf" and part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4 test"
    # never overwritten
    code, _out, err = dry(
        run_cli, "--from", "alice@example.com", "--to", "bob@example.net", "--save", str(target)
    )
    assert code == 2 and "exists" in err
    assert target.read_bytes().startswith(b"From: alice@example.com")
    # a folder is not "a file that exists": the user is told what to give instead
    code, out, err = dry(
        run_cli, "--from", "alice@example.com", "--to", "bob@example.net", "--save", str(tmp_path)
    )
    assert (code, out) == (2, "")
    assert err.strip().endswith(f"--save {tmp_path}: is a directory (give the name of a new file)")


def test_group_readable_key_is_warned_about(run_cli: CliRun, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(KEY.read_bytes())
    key.chmod(0o644)
    code, _out, err = dry(
        run_cli,
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.net",
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "mail",
    )
    assert code == 0 and "WARN send.dkim-key" in err and "readable by other users" in err


def test_quoted_display_name_with_angle_brackets(run_cli: CliRun) -> None:
    """'"Evil <x@y>" <a@b.example>' is one valid mailbox: a@b.example, named 'Evil <x@y>'."""
    code, out, err = dry(run_cli, "--from", '"Evil <x@y>" <a@b.example>', "--to", "bob@example.net")
    assert code == 0, err
    message = email.message_from_string(out, policy=email.policy.default)
    assert out.startswith('From: "Evil <x@y>" <a@b.example>\n')
    [author] = message["From"].addresses
    assert (author.display_name, author.addr_spec) == ("Evil <x@y>", "a@b.example")


@pytest.mark.parametrize(
    ("option", "given", "comment", "understood"),
    [
        ("--from", "alice@example.com (Alice)", "(Alice)", "Alice <alice@example.com>"),
        ("--from", "Alice <alice@example.com> (work)", "(work)", "Alice <alice@example.com>"),
        ("--to", "(team) Bob <bob@example.net>", "(team)", "Bob <bob@example.net>"),
        ("--to", "bob(x)@example.net", "(x)", "bob@example.net"),
        ("--mail-from", "bounce@example.com (VERP)", "(VERP)", "bounce@example.com"),
    ],
)
def test_a_comment_in_an_address_is_refused_with_what_was_understood(
    run_cli: CliRun, option: str, given: str, comment: str, understood: str
) -> None:
    """RFC 5322 comments are no part of an address: the message was written without them, so
    'alice@example.com (Alice)' went out as From: alice@example.com, the name silently lost.
    Refused before anything is sent, naming the comment and the address as understood."""
    args = {"--from": "alice@example.com", "--to": "bob@example.net", option: given}
    code, out, err = dry(run_cli, *[x for pair in args.items() for x in pair])
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"mailcheck: error: {option} {given!r}: the comment {comment!r} would not be sent "
        "(comments are not part of an address)",
        f"mailcheck: hint: Give {understood!r}; parentheses that belong to the name go "
        "inside quotes: '\"Name (note)\" <local@domain>'",
    ]


def test_a_name_in_the_envelope_sender_is_refused(run_cli: CliRun) -> None:
    """MAIL FROM holds an address only: 'Bounces <bounce@example.com>' as --mail-from lost its
    name silently; refused before anything is sent, pointing the name to --from."""
    given = "Bounces <bounce@example.com>"
    code, out, err = dry(
        run_cli, "--from", "alice@example.com", "--to", "bob@example.net", "--mail-from", given
    )
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"mailcheck: error: --mail-from {given!r}: the name 'Bounces' would not be sent (the "
        "envelope sender has no name)",
        "mailcheck: hint: Give 'bounce@example.com'; the name belongs in --from",
    ]


def test_parentheses_in_a_quoted_name_are_the_name(run_cli: CliRun) -> None:
    """Quoted, "(work)" is part of the display name (no comment): sent as written."""
    code, out, err = dry(
        run_cli, "--from", '"Alice (work)" <alice@example.com>', "--to", "bob@example.net"
    )
    assert code == 0, err
    [author] = email.message_from_string(out, policy=email.policy.default)["From"].addresses
    assert (author.display_name, author.addr_spec) == ("Alice (work)", "alice@example.com")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--to", "bob@example.net"), "--from is required"),
        (("--from", "alice@example.com"), "at least one --to"),
        (("--from", "alice", "--to", "bob@example.net"), "is not an address"),
        (("--from", "a@example.com", "--to", "b@x.org, c@y.org"), "2 addresses where one"),
        (("--from", "a@b.example, c@d.example", "--to", "b@x.org"), "2 addresses where one"),
        (("--from", "Smith, J <a@b.example>", "--to", "b@x.org"), "2 addresses where one"),
        (("--from", "Alice <>", "--to", "b@x.org"), "'Alice <>' is not an address"),
        (("--from", "Evil <x@y> <a@b.example>", "--to", "b@x.org"), "is not an address"),
        (("--from", '"Evil <x@y> <a@b.example>', "--to", "b@x.org"), "is not an address"),
        (("--from", '"Evil" <x@y>" <a@b.example>', "--to", "b@x.org"), "is not an address"),
        (("--from", "group: a@b.example;", "--to", "b@x.org"), "is not an address (a group)"),
        (("--from", '"E\x1b[2J" <a@b.example>', "--to", "b@x.org"), "control characters"),
        (("--from", "a@example.com", "--to", "b@localhost"), "not a fully qualified name"),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--attach", "/no/such/file"),
            "--attach /no/such/file: no such file",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--dkim-key", "/no/key.pem"),
            "--dkim-key needs --dkim-selector",
        ),
        (
            (
                "--from",
                "a@example.com",
                "--to",
                "b@example.net",
                "--dkim-key",
                "/no/key.pem",
                "--dkim-selector",
                "s",
            ),
            "--dkim-key /no/key.pem: no such file",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--header", "Bad Name: x"),
            "give 'Name: value'",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--header", "From: x@y.org"),
            "use --from",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--eml", "x", "--subject", "s"),
            "--eml sends a message unchanged",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--user", "alice"),
            "--user needs --server",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--password", "hunter2"),
            "lands in shell history",
        ),
        (
            ("--from", "a@example.com", "--to", "b@example.net", "--server", "mx:99999"),
            "invalid port",
        ),
    ],
)
def test_bad_input(run_cli: CliRun, args: tuple[str, ...], message: str) -> None:
    result = run_cli("send", *OFFLINE, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a key at all", "not a private key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a private key"),
    ],
)
def test_unusable_key(run_cli: CliRun, tmp_path: Path, content: bytes, message: str) -> None:
    key = tmp_path / "bad.pem"
    key.write_bytes(content)
    key.chmod(0o600)
    code, _out, err = dry(
        run_cli,
        "--from",
        "a@example.com",
        "--to",
        "b@example.net",
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "mail",
    )
    assert code == 2 and message in err


def test_key_and_algorithm_must_agree(run_cli: CliRun, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(KEY.read_bytes())
    key.chmod(0o600)
    code, _out, err = dry(
        run_cli,
        "--from",
        "a@example.com",
        "--to",
        "b@example.net",
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "mail",
        "--dkim-algorithm",
        "ed25519-sha256",
    )
    assert code == 2 and "RSA 2048 key" in err


def test_eml_is_sent_unchanged(run_cli: CliRun, tmp_path: Path) -> None:
    source = EXAMPLES / "messages" / "signed.eml"
    target = tmp_path / "copy.eml"
    code, _out, _err = dry(
        run_cli,
        "--from",
        "alice@example.com",
        "--to",
        "bob@example.net",
        "--eml",
        str(source),
        "--save",
        str(target),
    )
    assert code == 0
    original = source.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert target.read_bytes() == original
