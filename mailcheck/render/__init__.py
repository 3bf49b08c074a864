"""Report -> text for people, JSON for machines; one Format enum for every command."""

from __future__ import annotations

import enum


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"
