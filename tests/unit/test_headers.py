"""Header fields by name: any case, in order, each caller with a list of its own."""

from __future__ import annotations

from mailcheck.message.headers import split_headers


def test_values_by_name_in_any_case_and_in_order() -> None:
    headers = split_headers(
        b"Received: one\r\nFrom: a@example.test\r\nreceived: two\r\n\tfolded\r\n"
        b"RECEIVED: three\r\nSubject: s\r\n\r\nbody\r\n"
    )
    assert headers.values("Received") == [b" one", b" two\r\n\tfolded", b" three"]
    assert headers.text("received") == ["one", "two folded", "three"]
    assert headers.first("from") == "a@example.test"
    assert headers.values("X-Missing") == [] and headers.first("X-Missing") is None
    mine = headers.values("Received")
    mine.clear()  # a caller's list is its own: the next caller sees every field
    assert len(headers.values("Received")) == 3
