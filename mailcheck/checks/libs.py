"""checkdmarc, loaded only when a record needs it (importing it costs about 0.25 s)."""

from __future__ import annotations

import logging
from types import ModuleType


def load_checkdmarc() -> None:
    """Import the checkdmarc parsers we use; safe to call from a background thread."""
    logging.getLogger("checkdmarc").addHandler(logging.NullHandler())
    import checkdmarc.bimi
    import checkdmarc.mta_sts
    import checkdmarc.smtp_tls_reporting  # noqa: F401


def mta_sts() -> ModuleType:
    load_checkdmarc()
    import checkdmarc.mta_sts

    module: ModuleType = checkdmarc.mta_sts
    return module


def tls_reporting() -> ModuleType:
    load_checkdmarc()
    import checkdmarc.smtp_tls_reporting

    module: ModuleType = checkdmarc.smtp_tls_reporting
    return module


def bimi() -> ModuleType:
    load_checkdmarc()
    import checkdmarc.bimi

    module: ModuleType = checkdmarc.bimi
    return module
