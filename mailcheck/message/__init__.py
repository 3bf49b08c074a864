"""message layer: pure message-side parsing and composition (headers, MIME, DKIM, SMTP codes)."""
