"""Finding reports inside untrusted bytes: gzip, zip and MIME messages opened with hard limits,
every kind recognised by its content (never by its name)."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

MB = 1024 * 1024
MAX_UNPACKED = 32 * MB  # one report, decompressed: big receivers' daily reports are far smaller
MAX_RATIO = 200  # decompressed / compressed beyond this (and 1 MB) is a bomb, not a report
MAX_MEMBERS = 64  # files in one zip, parts in one message
MAX_DEPTH = 4  # a zip in a gzip in a message in an mbox is as deep as real reports go
CHUNK = 64 * 1024

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?")


@dataclass(frozen=True)
class Blob:
    """A candidate report: where it came from (file, attachment, zip member) and its bytes."""

    source: str
    data: bytes
    kind: str  # xml | json | arf
    message_id: str = ""  # the carrying message, for --move-to and duplicates


@dataclass(frozen=True)
class Problem:
    """Something that looked like a report and could not be opened (a per-report finding)."""

    source: str
    message: str
    message_id: str = ""  # the carrying message (--move-to leaves it in place)
    # report.mailbox: the --imap folder itself (not one report in it) could not be read
    check_id: str = "report.malformed"
    hint: str = ""  # what to try (report.mailbox: the --tls the server seems to speak)
    refs: tuple[str, ...] = ()  # the standard of the report's format (else the check's)


@dataclass(frozen=True)
class Skipped:
    """A message or file that holds no report (a plain mail in a report folder)."""

    source: str
    message: str


Item = Blob | Problem | Skipped


class UnpackError(Exception):
    pass


def _check_size(total: int, compressed: int, what: str) -> None:
    if total > MAX_UNPACKED:
        raise UnpackError(f"{what} expands past {MAX_UNPACKED // MB} MB: refused (a bomb?)")
    if total > MB and total > MAX_RATIO * max(compressed, 1):
        raise UnpackError(
            f"{what} expands more than {MAX_RATIO} times ({compressed} bytes to over "
            f"{total} bytes): refused (a decompression bomb?)"
        )


def gunzip(data: bytes) -> bytes:
    """Every member of a gzip stream, streamed so a bomb stops at the limit, not in memory."""
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            pending = rest
            while pending:
                out += inflater.decompress(pending, CHUNK)
                _check_size(len(out), len(data), "gzip data")
                pending = inflater.unconsumed_tail
            while not inflater.eof:
                piece = inflater.decompress(b"", CHUNK)
                if not piece:
                    break
                out += piece
                _check_size(len(out), len(data), "gzip data")
        except zlib.error as exc:
            raise UnpackError(f"gzip data is damaged ({exc})") from None
        if not inflater.eof:
            raise UnpackError("gzip data is truncated (the stream ends before its end marker)")
        rest = inflater.unused_data.lstrip(b"\x00")
        if rest and not rest.startswith(GZIP_MAGIC):
            break  # trailing garbage after a complete member: what gzip(1) warns about and keeps
    return bytes(out)


def unzip(data: bytes) -> list[tuple[str, bytes]]:
    """The members of a zip archive, each read through a hard limit (declared sizes lie)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise UnpackError(f"zip archive is damaged ({exc})") from None
    if len(members) > MAX_MEMBERS:
        raise UnpackError(f"zip archive holds {len(members)} files (more than {MAX_MEMBERS})")
    out = []
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise UnpackError(f"zip member {info.filename!r} is encrypted")
        _check_size(info.file_size, info.compress_size, f"zip member {info.filename!r}")
        content = bytearray()
        try:
            with archive.open(info) as handle:
                while piece := handle.read(CHUNK):
                    content += piece
                    _check_size(len(content), info.compress_size, f"zip member {info.filename!r}")
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
            raise UnpackError(f"zip member {info.filename!r} is damaged ({exc})") from None
        total += len(content)
        _check_size(total, len(data), "zip archive")
        out.append((info.filename, bytes(content)))
    return out


# byte order marks (XML 1.0 4.3.3, F.1): UTF-16 XML must start with one, and a parser
# reads UTF-16 (and UTF-8) after its mark
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _text_head(head: bytes) -> str:
    """The first bytes as text, for sniffing: after a byte order mark in its encoding, else
    byte for byte."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore")
    return head.decode("latin-1")


def sniff(data: bytes) -> str:
    """What the bytes are: gzip | zip | xml | json | message | unknown."""
    if data.startswith(GZIP_MAGIC):
        return "gzip"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    head = _text_head(data[:4096]).lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return "xml"
    if head.startswith(("{", "[")):
        return "json"
    if _HEADER_LINE.match(data[:1000]):
        return "message"
    return "unknown"


def expand(source: str, data: bytes, depth: int = 0, message_id: str = "") -> Iterator[Item]:
    """Every report inside `data` (a file, an attachment, an archive member)."""
    if depth > MAX_DEPTH:
        yield Problem(source, f"nested more than {MAX_DEPTH} levels deep: not opened", message_id)
        return
    kind = sniff(data)
    try:
        if kind == "gzip":
            yield from expand(source, gunzip(data), depth + 1, message_id)
        elif kind == "zip":
            for name, content in unzip(data):
                yield from expand(f"{source}:{name}", content, depth + 1, message_id)
        elif kind in ("xml", "json"):
            if len(data) > MAX_UNPACKED:
                # the limit an archive's report has: parsing a plain one of 256 MB (what a
                # file may hold, for mbox) took gigabytes of memory before it was refused
                raise UnpackError(
                    f"{len(data)} bytes of {kind.upper()}: more than a report may be "
                    f"({MAX_UNPACKED // MB} MB): refused"
                )
            yield Blob(source, data, kind, message_id)
        elif kind == "message":
            yield from _message(source, data, depth, message_id)
        elif depth == 0:
            yield Skipped(source, "not a report, an archive or a message")
    except UnpackError as exc:
        yield Problem(source, str(exc), message_id)


def expand_safely(source: str, data: bytes, message_id: str = "") -> list[Item]:
    """expand(), with anything unexpected in hostile bytes turned into a per-input problem
    (named by its exception, so a bug in mailcheck can still be reported) and the run going
    on. The list is bounded: every report in it is bounded by MAX_UNPACKED."""
    try:
        return list(expand(source, data, message_id=message_id))
    except Exception as exc:  # hostile input must not end the run; the type names the cause
        why = f"could not be read ({type(exc).__name__}: {exc})"
        return [Problem(source, why, message_id or source)]


def _message(source: str, data: bytes, depth: int, carrier: str) -> Iterator[Item]:
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    message_id = carrier or source
    if _is_arf(message):
        yield Blob(source, data, "arf", message_id)
        return
    found = False
    parts = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        parts += 1
        if parts > MAX_MEMBERS:
            yield Problem(
                source, f"more than {MAX_MEMBERS} parts: the rest was not read", message_id
            )
            break
        if part.get_content_maintype() == "message":
            continue
        try:
            payload = part.get_payload(decode=True)
        except (ValueError, TypeError, LookupError):
            payload = None
        if not isinstance(payload, bytes) or not payload:
            continue
        name = part.get_filename() or part.get_content_type()
        label = f"{source} [{_clean_name(name)}]"
        if sniff(payload) == "message":
            continue  # a text body ("This is a DMARC report for ..."), not a report
        for item in expand(label, payload, depth + 1, message_id):
            if isinstance(item, Skipped):
                continue
            found = True
            yield item
    if not found:
        yield Skipped(source, "a message without a report attached")


def _clean_name(name: object) -> str:
    return str(name)[:120]


def _is_arf(message: object) -> bool:
    """RFC 6522/5965: multipart/report; report-type=feedback-report."""
    import email.message

    assert isinstance(message, email.message.Message)
    if message.get_content_type() != "multipart/report":
        return False
    report_type = str(message.get_param("report-type", "") or "").lower()
    if report_type == "feedback-report":
        return True
    return any(p.get_content_type() == "message/feedback-report" for p in message.walk())
