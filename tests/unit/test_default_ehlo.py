"""The EHLO name trace and send use without --ehlo: this machine's own name, asked of no one."""

from __future__ import annotations

from mailcheck.services.connecting import _HOST_NAME


def test_only_a_dotted_valid_host_name_is_used() -> None:
    """gethostname() may say anything (a bare name, an underscore): only a valid dotted
    host name goes into EHLO, anything else becomes mailcheck.invalid."""
    good = ["mx.example.com", "a.b", "host-1.example.org", "ok.example."]
    bad = ["vm", "localhost", "a..b", "-x.example", "x-.example", "bad_name.example", "é.test"]
    assert [bool(_HOST_NAME.fullmatch(n.rstrip("."))) for n in good] == [True] * len(good)
    assert [bool(_HOST_NAME.fullmatch(n)) for n in bad] == [False] * len(bad)
