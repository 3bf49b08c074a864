"""mailcheck.toml parsing: strict keys and values, errors with file and line, defaults."""

from __future__ import annotations

import datetime

import pytest

from mailcheck.errors import InputError
from mailcheck.gating.expectations import Expectations, parse

GOOD = """
[defaults]
dmarc-policy = "quarantine"
spf-max-lookups = 8

[domains."Example.COM"]
mx = ["MX1.example.com.", "mx2.example.com"]
dmarc-policy = "reject"
spf-require-includes = ["_spf.example.net"]
dkim-selectors = ["mail"]
dkim-min-bits = 2048
mta-sts-mode = "enforce"

[domains."bücher.example"]
no-mail = true

[[waivers]]
id = "spf.softfail-all"
domain = "example.com"
reason = "moving to -all"
expires = 2027-03-31
"""


def test_a_full_file() -> None:
    config = parse(GOOD, "mailcheck.toml")
    example = config.expectations("example.com")
    assert example.dmarc_policy == "reject"  # its own setting wins
    assert example.spf_max_lookups == 8  # from [defaults]
    assert example.mx == ("mx1.example.com", "mx2.example.com")
    assert config.expectations("xn--bcher-kva.example").no_mail is True
    assert config.expectations("other.example") == config.defaults
    [waiver] = config.waivers
    assert waiver.expires == datetime.date(2027, 3, 31) and waiver.line == 17
    assert waiver.applies("spf.softfail-all", "example.com")
    assert not waiver.applies("spf.softfail-all", "example.net")


def test_pyproject_table() -> None:
    text = '[project]\nname = "x"\n\n[tool.mailcheck.defaults]\ndmarc-policy = "reject"\n'
    config = parse(text, "pyproject.toml", pyproject=True)
    assert config.defaults == Expectations(dmarc_policy="reject")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[domains."example.com"]\ndmarc-polcy = "reject"\n', "mailcheck.toml:2: unknown key"),
        ("[defaults]\nspf-max-lookups = 11\n", "mailcheck.toml:2: spf-max-lookups must be"),
        ('[defaults]\ndmarc-policy = "strict"\n', "must be one of none, quarantine, reject"),
        ("[defaults]\nno-mail = 1\n", "must be true or false"),
        ('[defaults]\nmx = "mx.example.com"\n', "must be a list of names"),
        ("[defaults]\nmx = ]\n", "mailcheck.toml:2: not valid TOML"),
        ("colour = 1\n", "mailcheck.toml:1: unknown key 'colour'"),
        ('[[waivers]]\nid = "spf.ptr"\n', "needs a reason"),
        ('[[waivers]]\nreason = "r"\n', "needs id"),
        ('[[waivers]]\nid = "spf.ptr"\nreason = "r"\nexpires = "soon"\n', "must be a date"),
        ('[[waivers]]\nid = "spf.ptr"\nreason = "r"\nowner = "me"\n', ":4: unknown key 'owner'"),
        ('[domains."not a domain"]\nmx = []\n', "invalid domain"),
    ],
)
def test_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(text, "mailcheck.toml")
    assert message in caught.value.message


def test_a_misspelt_key_gets_a_suggestion() -> None:
    with pytest.raises(InputError) as caught:
        parse("[defaults]\nspf-max-lookup = 8\n", "m.toml")
    assert "did you mean 'spf-max-lookups'" in caught.value.hint


def test_nesting_too_deep_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        parse("a = " + "[" * 5000 + "]" * 5000 + "\n", "mailcheck.toml")
    assert caught.value.message == "mailcheck.toml: not valid TOML: nested too deeply"
