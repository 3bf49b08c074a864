"""Fixtures of the hostile-server tests: the test CA and a recording server's log."""

from __future__ import annotations

import pytest

from tests.smtpfixtures import Certificates, Recorder


@pytest.fixture(scope="module")
def certs() -> Certificates:
    return Certificates()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
