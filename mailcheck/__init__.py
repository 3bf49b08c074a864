"""mailcheck: diagnose email DNS records, message authentication and mail servers."""

__version__ = "0.1.0"
