"""DMARC aggregate and failure reports and TLS reports: unpacking, parsing and the judgement."""
