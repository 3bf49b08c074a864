"""Zone-file overlays: BIND master files answered authoritatively, each record with file:line."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import dns.exception
import dns.name
import dns.node
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tokenizer
import dns.zone
import dns.zonefile

from mailcheck.errors import InputError
from mailcheck.escape import printable
from mailcheck.model import Location
from mailcheck.net.dns.answer import CnameLink, Outcome, Record, SourceAnswer
from mailcheck.net.dns.names import display

MAX_ZONE_BYTES = 16 * 1024 * 1024
# Zones for mail checks are small; these bound memory and time for hostile ones (a 182-byte
# $GENERATE line made a million records).
MAX_ZONE_RECORDS = 200_000
MAX_GENERATE = 65_536  # records one $GENERATE line may make
# An answer must fit in one DNS message (RFC 1035 4.2.2: a 16-bit length over TCP).
MAX_MESSAGE = 65_535
EXCERPT = 120  # characters of bad input quoted in an error


class _LineTxn:
    """Wraps the zone transaction to remember the line each record came from."""

    def __init__(self, txn: Any, reader_ref: list[Any], lines: dict[tuple[Any, ...], int]):
        self._txn = txn
        self._reader_ref = reader_ref
        self._lines = lines

    def add(self, name: Any, ttl: int, rd: Any) -> None:
        reader = self._reader_ref[0]
        line = getattr(reader, "_mc_line", None)
        self.count = getattr(self, "count", 0) + 1
        if self.count > MAX_ZONE_RECORDS:
            raise _LineError(line or 0, f"more than {MAX_ZONE_RECORDS} records in one zone")
        if line is not None:
            self._lines.setdefault((name, rd.rdtype, rd), line)
        self._txn.add(name, ttl, rd)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._txn, attr)


class _LineError(Exception):
    """A record that does not parse, with the line it started on (not where reading stopped)."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(detail)
        self.line = line
        self.detail = detail


class _LineReader(dns.zonefile.Reader):
    def _rr_line(self) -> None:
        self._mc_line = self.tok.where()[1]
        try:
            super()._rr_line()
        except dns.exception.SyntaxError as exc:
            detail = str(exc)
            if not detail or detail == dns.exception.SyntaxError.__doc__:
                detail = "malformed record"
            raise _LineError(self._mc_line, detail) from None

    def _generate_line(self) -> None:
        self._mc_line = self.tok.where()[1]
        token = self.tok.get()
        self.tok.unget(token)
        count = _generate_count(token.value)
        if count > MAX_GENERATE:
            raise _LineError(
                self._mc_line, f"$GENERATE makes {count} records (at most {MAX_GENERATE})"
            )
        super()._generate_line()  # type: ignore[no-untyped-call]


def _generate_count(spec: str) -> int:
    """Records a $GENERATE range START-STOP[/STEP] makes (0 when dnspython will refuse it)."""
    match = re.fullmatch(r"(\d+)-(\d+)(?:/(\d+))?", spec)
    if not match:
        return 0
    start, stop, step = int(match[1]), int(match[2]), int(match[3] or 1)
    return 0 if step < 1 or stop < start else (stop - start) // step + 1


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    """Bad input quoted in an error: escaped and bounded (a 10 MB line is not echoed)."""
    return printable(text, limit=limit)


def _line(text: str, number: int) -> str:
    """Line `number` of `text` (1-based), as an excerpt; found without splitting the file."""
    if number < 1:
        return ""
    start = 0
    for _ in range(number - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)]
    return _excerpt(line[: EXCERPT * 4].strip())


def _guess_origin(path: Path, text: str) -> dns.name.Name | None:
    """$ORIGIN in the file, else the absolute owner of the SOA, else the file name."""
    match = re.search(r"^\$ORIGIN\s+(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if match:
        return None  # the reader takes it from the directive itself
    soa = re.search(r"^(\S+\.)\s+(?:\d+\s+)?(?:IN\s+)?(?:\d+\s+)?SOA\s", text, re.M | re.I)
    if soa:
        return dns.name.from_text(soa.group(1))
    stem = path.name
    for suffix in (".zone", ".db", ".txt", ".hosts"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    for prefix in ("db.", "zone."):
        if stem.lower().startswith(prefix):
            stem = stem[len(prefix) :]
    if "." in stem.strip("."):
        try:
            return dns.name.from_text(stem.strip(".") + ".")
        except dns.exception.DNSException:
            return None
    return None


class ZoneSource:
    """One zone loaded from a file; answers like an authoritative server for names under it."""

    def __init__(self, zone: dns.zone.Zone, label: str, lines: dict[tuple[Any, ...], int]):
        self.zone = zone
        self.label = label
        self._lines = lines
        assert zone.origin is not None
        self.origin: dns.name.Name = zone.origin
        # Every owner name plus its ancestors up to the origin: these exist (RFC 8020:
        # an empty non-terminal answers NODATA, not NXDOMAIN).
        self._existing: set[dns.name.Name] = set()
        for name in zone.nodes:
            absolute = name if name.is_absolute() else name.derelativize(self.origin)
            while absolute.is_subdomain(self.origin):
                if absolute in self._existing:
                    break
                self._existing.add(absolute)
                if absolute == self.origin:
                    break
                absolute = absolute.parent()

    @classmethod
    def from_file(cls, spec: str) -> ZoneSource:
        """Load `FILE` or `ORIGIN=FILE`; errors name the file and line (exit 2)."""
        origin: dns.name.Name | None = None
        origin_text, path_text = _split_spec(spec)
        if origin_text is not None:
            try:
                origin = dns.name.from_text(origin_text.strip().rstrip(".") + ".")
            except dns.exception.DNSException as exc:
                raise InputError(f"--zone {spec}: invalid origin {origin_text!r}: {exc}") from None
        path = Path(path_text)
        try:
            info = path.stat()
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"zone file {path}: is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"zone file {path}: not a regular file (a device, FIFO or socket)")
            if info.st_size > MAX_ZONE_BYTES:
                raise InputError(
                    f"zone file {path}: too large ({info.st_size} bytes; mailcheck reads "
                    f"up to {MAX_ZONE_BYTES // (1024 * 1024)} MB)"
                )
            with open(path, "rb") as handle:
                data = handle.read(MAX_ZONE_BYTES + 1)
            if len(data) > MAX_ZONE_BYTES:
                raise InputError(f"zone file {path}: too large (it grew while being read)")
            text = data.decode("utf-8")
        except FileNotFoundError:
            raise InputError(f"zone file {path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"zone file {path}: is a directory") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"zone file {path}: not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise InputError(f"zone file {path}: {exc.strerror or exc}") from None
        if origin is None:
            origin = _guess_origin(path, text)
        return cls.from_text(text, str(path), origin)

    @classmethod
    def from_text(cls, text: str, label: str, origin: dns.name.Name | None) -> ZoneSource:
        zone = dns.zone.Zone(origin, relativize=False) if origin else None
        lines: dict[tuple[Any, ...], int] = {}
        if zone is None and not re.search(r"^\$ORIGIN\s", text, re.M | re.I):
            raise InputError(
                f"zone file {label}: cannot tell its origin; add an $ORIGIN line "
                "or give it as --zone ORIGIN=FILE"
            )
        try:
            tok = dns.tokenizer.Tokenizer(text, label)
            if zone is None:
                zone = dns.zone.Zone(None, relativize=False)
            with zone.writer(True) as txn:
                ref: list[Any] = []
                reader = _LineReader(
                    tok,
                    dns.rdataclass.IN,
                    cast(Any, _LineTxn(txn, ref, lines)),
                    allow_include=False,
                )
                ref.append(reader)
                reader.read()
        except _LineError as exc:
            shown = _line(text, exc.line)
            raise InputError(
                f"zone file {label}:{exc.line}: {_excerpt(exc.detail)}"
                + (f": {shown}" if shown else "")
            ) from None
        except dns.exception.SyntaxError as exc:
            raise InputError(f"zone file {_excerpt(str(exc), 2 * EXCERPT)}") from None
        except dns.zonefile.UnknownOrigin:
            raise InputError(
                f"zone file {label}: a record comes before any $ORIGIN; "
                "add $ORIGIN or give it as --zone ORIGIN=FILE"
            ) from None
        except dns.zonefile.CNAMEAndOtherData as exc:
            raise InputError(f"zone file {label}: {_excerpt(str(exc))}") from None
        except dns.exception.DNSException as exc:
            raise InputError(f"zone file {label}: {_excerpt(str(exc))}") from None
        if zone.origin is None:
            raise InputError(f"zone file {label}: no origin")
        if not zone.nodes:
            raise InputError(f"zone file {label}: no records under {zone.origin}")
        return cls(zone, label, lines)

    def covers(self, name: dns.name.Name, rdtype: int = 0) -> bool:
        # A DS record lives in the parent zone: the apex of this zone does not answer for it.
        if rdtype == dns.rdatatype.DS and name == self.origin:
            return False
        return name.is_subdomain(self.origin)

    def _records(
        self, owner: dns.name.Name, rdataset: dns.rdataset.Rdataset, node_name: dns.name.Name
    ) -> tuple[Record, ...]:
        out = []
        for rd in rdataset:
            line = self._lines.get((node_name, rd.rdtype, rd))
            out.append(
                Record(
                    owner=display(owner),
                    rdtype=dns.rdatatype.to_text(rd.rdtype),
                    ttl=rdataset.ttl,
                    text=rd.to_text(),
                    rdata=rd,
                    origin=Location(self.label, line),
                )
            )
        return tuple(out)

    def _find_node(self, name: dns.name.Name) -> tuple[dns.node.Node | None, dns.name.Name]:
        node = self.zone.get_node(name)
        if node is not None:
            return node, name
        if name in self._existing:
            return None, name
        # Wildcard synthesis (RFC 4592): the closest encloser's "*" child answers.
        encloser = name.parent()
        while encloser.is_subdomain(self.origin):
            if encloser in self._existing:
                wild = dns.name.Name((b"*", *encloser.labels))
                wnode = self.zone.get_node(wild)
                return (wnode, wild) if wnode is not None else (None, name)
            if encloser == self.origin:
                break
            encloser = encloser.parent()
        return None, name

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> SourceAnswer:
        chain: list[CnameLink] = []
        current = name
        for _ in range(16):
            node, node_name = self._find_node(current)
            if node is None:
                exists = current in self._existing
                return SourceAnswer(
                    Outcome.NODATA if exists else Outcome.NXDOMAIN, cnames=tuple(chain)
                )
            rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if rdataset is not None:
                size = _answer_size(current, rdataset)
                if size > MAX_MESSAGE:
                    first = self._records(current, rdataset, node_name)[0].origin
                    return SourceAnswer(
                        Outcome.ERROR,
                        cnames=tuple(chain),
                        detail=f"the {dns.rdatatype.to_text(rdtype)} records of "
                        f"{display(current)} ({first}) make an answer of {size} bytes: more "
                        f"than a DNS message can carry ({MAX_MESSAGE}), so nobody can get them",
                    )
                sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
                return SourceAnswer(
                    Outcome.NOERROR,
                    records=self._records(current, rdataset, node_name),
                    cnames=tuple(chain),
                    signatures=self._records(current, sigs, node_name) if sigs else (),
                )
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or rdtype == dns.rdatatype.CNAME:
                return SourceAnswer(Outcome.NODATA, cnames=tuple(chain))
            target = next(iter(cname)).target
            line = self._lines.get((node_name, dns.rdatatype.CNAME, next(iter(cname))))
            chain.append(CnameLink(display(current), display(target), Location(self.label, line)))
            if any(link.owner == display(target) for link in chain):
                return SourceAnswer(Outcome.SERVFAIL, cnames=tuple(chain), detail="CNAME loop")
            if not self.covers(target):
                return SourceAnswer(Outcome.NOERROR, cnames=tuple(chain), continue_at=target)
            current = target
        return SourceAnswer(Outcome.SERVFAIL, cnames=tuple(chain), detail="CNAME chain too long")


def _answer_size(owner: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> int:
    """Bytes of a response carrying `rdataset`: header, question, and each record with a
    compressed owner name (2), type, class, TTL and length (10) and its data."""
    question = len(owner.to_wire() or b"") + 4
    return 12 + question + sum(12 + len(rd.to_wire() or b"") for rd in rdataset)


ZONE_SUFFIXES = (".zone", ".db")


def _split_spec(spec: str) -> tuple[str | None, str]:
    """(origin as typed or None, file) of a --zone value: ORIGIN=FILE, unless the whole text
    is the name of an existing file."""
    if "=" in spec and not os.path.exists(spec):
        origin, path = spec.split("=", 1)
        return origin, path
    return None, spec


def _expand(specs: Iterable[str]) -> list[str]:
    """A directory stands for every *.zone / *.db file in it (sorted, for stable output); a
    file named twice (itself and through its folder, or twice over) is loaded once."""
    out: list[str] = []
    for spec in specs:
        if not spec.strip() or spec.strip().endswith("="):
            # Path("") is the current folder: an empty value must not load whatever is there
            raise InputError(f"--zone {spec!r}: give a zone file or a folder of them")
        path = Path(spec)
        if "=" not in spec and path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(ZONE_SUFFIXES)
            )
            if not files:
                raise InputError(f"no *.zone or *.db files in {path}")
            out.extend(str(p) for p in files)
        else:
            out.append(spec)
    seen: set[str] = set()
    unique = []
    for spec in out:
        origin, file = _split_spec(spec)
        key = f"{(origin or '').strip().rstrip('.').lower()}={os.path.realpath(file)}"
        if key not in seen:
            seen.add(key)
            unique.append(spec)
    return unique


def load_zones(specs: Iterable[str]) -> list[ZoneSource]:
    zones = [ZoneSource.from_file(spec) for spec in _expand(specs)]
    origins: dict[dns.name.Name, str] = {}
    for zone in zones:
        if zone.origin in origins:
            raise InputError(
                f"two zone files for {zone.origin}: {origins[zone.origin]} and {zone.label}"
            )
        origins[zone.origin] = zone.label
    # The most specific origin answers first (a sub-zone file overrides its parent).
    zones.sort(key=lambda z: len(z.origin.labels), reverse=True)
    return zones
