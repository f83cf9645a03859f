"""Card-data discovery (PCI DSS v4.0 12.5.2, A3.2.5): find card numbers where none may be.

Looks through files and folders (recursively) and through the decrypted store (every table,
every column: text, blobs and numbers) for:

- `pan`: a run of 13–19 digits, bare or grouped by single spaces or dashes the way cards
  are printed (4-4-4-4, 4-6-5, …), that passes the Luhn check, starts with a payment-card
  digit (2–6: Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard/Maestro,
  Discover/UnionPay/Maestro) and is not one digit repeated. A longer digit run is not a
  card number: the run must be bounded by non-digits on both sides;
- `track1` / `track2`: such a number inside magnetic-stripe data (`%B…^NAME^YYMM…`,
  `;…=YYMM…`, or the chip's track-2 equivalent `…DYYMM…`).

13- and 14-digit runs count only when they fall in a brand's range for that length and are
not valid GS1 barcodes (EAN-13, GTIN-14), which a catalogue is full of — unless they stand
where a card number stands: after a label like card, pan, cc_num, acct or account (a JSON
key, `card_number=`, an XML tag: `"card": {"number": "…"}` counts), next to an expiry
(`12/30`, or an `exp…` field just after), or in a store column so named. A card number
that happens to be a valid GTIN is still a card number there. Nor does a bare run count
inside a hex digest (a whole hex word 32, 40, 64, 96 or 128 characters long): hashes are
everywhere and a few in thousands hold a Luhn-valid run of digits.

Text in UTF-16 (little or big endian, with or without a byte-order mark: Windows exports,
PowerShell logs, some receipt printers' spools) is searched too: a run of digits each beside
a zero byte is read as the characters it is, with what stands before it for context.

Leading 1 is left out on purpose: 13-digit Unix millisecond timestamps and 19-digit
nanosecond ones start with 1 and would make every log a false positive; the only cards
lost by it are airline UATP cards, which this POS does not take.

Findings show at most the first six and last four digits (PCI DSS 3.4.1); a full number is
never kept in a finding, printed or logged. Gzipped files (rotated logs) are read
decompressed. Nothing is skipped silently: unreadable files, files removed while the scan
ran, symlinks (not followed inside folders) and special files are listed in the report.

Speed: one compiled regex over bytes (a file is mapped with mmap, not copied), with the
few candidate matches checked in Python; see bench/pan_scan.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import mmap
import os
import re
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from appliance.app.domain.barcode import gtin_check_digit
from appliance.app.domain.card import detect_brand, luhn_ok, mask

# Digit runs of 13+ (checked for 13–19 below), or groups of digits split by one space or
# dash, the same separator throughout. The first digit 2–6 is part of the pattern so that
# the regex engine rejects most positions without entering Python.
_CANDIDATE = re.compile(rb"[2-6][0-9]{3}(?:[0-9]{9,}|([ -])[0-9]{3,6}(?:\1[0-9]{3,6}){1,3})")
# What follows the number in track data: separator, YYMM, then service code and
# discretionary data, whose digits belong to the track and are not a second number.
_TRACK2_AFTER = re.compile(rb"[=D][0-9]{4}[0-9]*")
_TRACK1_AFTER = re.compile(rb"\^[^^\r\n]{2,26}\^[0-9]{4}[0-9]*")
_DIGIT = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
# MD5, SHA-1, SHA-256, SHA-384, SHA-512 in hex (32 is also a UUID without its dashes).
_DIGEST_LENGTHS = frozenset({32, 40, 64, 96, 128})
# Names that say "a card number stands here": the last one before the digits, with no digit
# and at most 32 bytes between (quotes, colon, brace, another key like "number").
_CARD_LABEL = re.compile(rb"(?i)(?:card|(?<![a-z])pan(?![a-z])|cc[_-]?num|acct|account)")
_CARD_NAME = re.compile(r"(?i)(?:card|(?<![a-z])pan(?![a-z])|cc[_-]?num|acct|account)")
_LABEL_GAP = 32
_LABEL_WORDS = (b"card", b"pan", b"cc", b"acct", b"account")
# An expiry just after the number: 12/30, 12-2030, or a field named exp… within 32 bytes.
_EXPIRY_AFTER = re.compile(rb"(?i)[^0-9]{0,8}(?:0[1-9]|1[0-2]) ?[/-] ?(?:20)?[0-9]{2}(?![0-9])|[^0-9]{0,32}?exp")
# UTF-16: a digit and a zero byte, then digits or separators each with a zero byte. Read
# from an odd offset the same pattern finds big-endian text (zero byte first).
_UTF16_RUN = re.compile(rb"[0-9]\x00(?:[0-9 -]\x00){11,}[0-9]")
_UTF16_CONTEXT = 96  # bytes of UTF-16 read before a run (48 characters) for its label


@dataclass(frozen=True)
class Finding:
    where: str  # a path, or "db:table.column#rowid"
    offset: int  # bytes from the start of the file or of the value
    kind: str  # pan | track1 | track2
    masked: str  # first six and last four at most
    brand: str | None

    def __str__(self) -> str:
        brand = f" ({self.brand})" if self.brand else ""
        return f"{self.where}:{self.offset}: {self.kind} {self.masked}{brand}"


@dataclass
class ScanReport:
    findings: list[Finding] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    files: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def merge(self, other: ScanReport) -> None:
        self.findings += other.findings
        self.unreadable += other.unreadable
        self.skipped += other.skipped
        self.files += other.files
        self.rows += other.rows
        self.bytes += other.bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [asdict(f) for f in self.findings],
            "unreadable": [{"where": w, "why": y} for w, y in self.unreadable],
            "skipped": [{"where": w, "why": y} for w, y in self.skipped],
            "files": self.files,
            "rows": self.rows,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
        }


def _card_place(data: Any, start: int, end: int) -> bool:
    """Whether digits at start:end stand where a card number stands: after a card label, or
    just before an expiry. Plain substring tests first: a catalogue calls this for every
    barcode that passes Luhn."""
    before = bytes(data[max(0, start - 64) : start]).lower()
    if any(word in before for word in _LABEL_WORDS):
        labels = list(_CARD_LABEL.finditer(before))
        if labels:
            gap = before[labels[-1].end() :]
            if len(gap) <= _LABEL_GAP and not any(b in _DIGIT for b in gap):
                return True
    after = bytes(data[end : end + 40])
    if b"/" in after or b"-" in after or b"exp" in after.lower():
        return _EXPIRY_AFTER.match(after) is not None
    return False


def _is_pan(digits: str, card_place: Callable[[], bool] | None = None) -> bool:
    if not (
        13 <= len(digits) <= 19 and digits[0] in "23456" and digits.count(digits[0]) != len(digits) and luhn_ok(digits)
    ):
        return False
    if len(digits) <= 14:
        # 13 and 14 digits is also the length of EAN-13 and GTIN-14 barcodes, which fill
        # every catalogue and pass Luhn one time in ten. Only 13-digit Visa/Maestro and
        # 14-digit Diners cards have these lengths: keep those whose GS1 check digit is
        # wrong (a real card has a nine in ten chance of that).
        brand = detect_brand(digits)
        if brand is None or len(digits) not in brand.lengths:
            return False
        if gtin_check_digit(digits[:-1]) == int(digits[-1]):
            # A valid GTIN too: a barcode, unless it stands where a card number stands.
            return card_place is not None and card_place()
    return True


def _pan_in(text: bytes, card_place: Callable[[], bool] | None = None) -> tuple[str, int] | None:
    """The card number in a candidate match and its length in bytes, or None.

    A grouped match may run on into a following number ("4111 1111 1111 1111 2030"), so
    shorter prefixes made of whole groups are tried too, longest first.
    """
    if len(text) >= 13 and text.isdigit():
        digits = text.decode("ascii")
        return (digits, len(text)) if _is_pan(digits, card_place) else None
    groups = re.split(rb"[ -]", text)
    for count in range(len(groups), 2, -1):
        digits = b"".join(groups[:count]).decode("ascii")
        if _is_pan(digits, card_place):
            return digits, sum(len(g) for g in groups[:count]) + count - 1
    return None


def _kind(data: Any, start: int, end: int) -> tuple[str, int]:
    """pan, track1 or track2, and where the track data ends."""
    if start >= 1 and data[start - 1 : start] == b"B":
        track = _TRACK1_AFTER.match(data, end)
        if track:
            return "track1", track.end()
    track = _TRACK2_AFTER.match(data, end)
    if track:
        return "track2", track.end()
    return "pan", end


def _in_digest(data: Any, start: int, end: int) -> bool:
    """Whether digits at start:end lie in a hex digest or token: a whole hex word, bounded by
    non-hex, of a digest's length. One in a few thousand SHA-256 hashes holds a Luhn-valid
    run of 16 digits; a store keeps thousands of them (sessions, approvals, the audit chain)."""
    left, right = start, end
    while left > 0 and data[left - 1] in _HEX and start - left <= 128:
        left -= 1
    while right < len(data) and data[right] in _HEX and right - end <= 128:
        right += 1
    return right - left in _DIGEST_LENGTHS


def scan_bytes(data: Any, where: str, base: int = 0, *, card_place: bool = False) -> list[Finding]:
    """Findings in a bytes-like object (bytes, bytearray, mmap), in ASCII/UTF-8 and in UTF-16.
    `card_place`: the whole value stands where a card number does (a column named card…)."""
    return _scan_ascii(data, where, base, card_place=card_place) + _scan_utf16(data, where, base)


def _scan_ascii(
    data: Any, where: str, base: int = 0, *, card_place: bool = False, within: tuple[int, int] | None = None
) -> list[Finding]:
    found: list[Finding] = []
    size = len(data)
    inside_track = 0
    for match in _CANDIDATE.finditer(data):
        start, end = match.span()
        if within is not None and not within[0] <= start < within[1]:
            continue  # context read around a UTF-16 run, not the run itself
        if start < inside_track or (start > 0 and data[start - 1] in _DIGIT):
            continue  # the tail of a longer number

        def place(start: int = start, end: int = end) -> bool:
            return card_place or _card_place(data, start, end)

        result = _pan_in(match.group(), place)
        if result is None:
            continue
        digits, length = result
        end = start + length
        if end < size and data[end] in _DIGIT:
            continue
        kind, track_end = _kind(data, start, end)
        if kind == "pan" and length == len(digits) and _in_digest(data, start, end):
            continue
        inside_track = track_end
        brand = detect_brand(digits)
        found.append(
            Finding(
                where=where,
                offset=base + start,
                kind=kind,
                masked=mask(digits, first=6, last=4),
                brand=brand.code if brand else None,
            )
        )
    return found


def _scan_utf16(data: Any, where: str, base: int) -> list[Finding]:
    """Card numbers in UTF-16 text, either byte order: each run of digits beside zero bytes is
    read one byte in two (the characters' low bytes), with up to 48 characters before it for
    a label and 20 after for an expiry; offsets are given in the original bytes."""
    found: list[Finding] = []
    size = len(data)
    for match in _UTF16_RUN.finditer(data):
        start, end = match.span()
        low = max(start - _UTF16_CONTEXT, start % 2)  # the same parity as the run
        high = min(end + 40, size)
        text = bytes(data[low:high:2])
        first = (start - low) // 2
        for finding in _scan_ascii(text, f"{where} (UTF-16)", within=(first, first + (end - start) // 2)):
            offset = low + 2 * finding.offset
            found.append(
                Finding(
                    where=finding.where,
                    offset=base + offset,
                    kind=finding.kind,
                    masked=finding.masked,
                    brand=finding.brand,
                )
            )
    return found


# Rotated logs are gzipped; a number in one is still a number at rest. Larger ones than
# this (uncompressed) are reported unreadable rather than filling memory.
GZIP_LIMIT = 512 * 1024 * 1024


def _scan_gzip(path: Path) -> tuple[list[Finding], int]:
    with gzip.open(path, "rb") as handle:
        data = handle.read(GZIP_LIMIT + 1)
    if len(data) > GZIP_LIMIT:
        raise ValueError(f"gzip content over {GZIP_LIMIT // 2**20} MiB: not scanned")
    return scan_bytes(data, f"{path} (gunzipped)"), len(data)


def scan_file(path: Path) -> tuple[list[Finding], int]:
    """Findings in one regular file and its size; OSError when it cannot be read."""
    if path.name.endswith(".gz"):
        try:
            return _scan_gzip(path)
        except (gzip.BadGzipFile, EOFError):
            pass  # not really gzip: scan its bytes as they are
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            # Size 0 may still have content (/proc, some FUSE files): read it plainly.
            data = handle.read()
            return scan_bytes(data, str(path)), len(data)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if hasattr(mapped, "madvise"):
                mapped.madvise(mmap.MADV_SEQUENTIAL)
            return scan_bytes(mapped, str(path)), size


# A file listed and then gone before it was opened: a temporary file (another program's,
# or Ansible's own payload when several scans share a machine) is not data at rest, and
# calling it unreadable would fail the control on a healthy box. It is still listed.
VANISHED = "removed while the scan ran"


def _walk(root: Path, report: ScanReport) -> Iterator[Path]:
    """Every regular file under root; everything else goes into the report with a reason."""
    try:
        st = root.stat()  # a path given by name is followed even if it is a symlink
    except OSError as exc:
        report.unreadable.append((str(root), exc.strerror or str(exc)))
        return
    if stat.S_ISREG(st.st_mode):
        yield root
        return
    if not stat.S_ISDIR(st.st_mode):
        report.skipped.append((str(root), "not a regular file or folder"))
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except FileNotFoundError as exc:
            if folder == root:  # the folder asked for by name: its absence is news
                report.unreadable.append((str(folder), exc.strerror or str(exc)))
            else:
                report.skipped.append((str(folder), VANISHED))
            continue
        except OSError as exc:
            report.unreadable.append((str(folder), exc.strerror or str(exc)))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    report.skipped.append((str(path), "symlink not followed"))
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif entry.is_file(follow_symlinks=False):
                    yield path
                else:
                    report.skipped.append((str(path), "not a regular file"))
            except FileNotFoundError:
                report.skipped.append((str(path), VANISHED))
            except OSError as exc:
                report.unreadable.append((str(path), exc.strerror or str(exc)))


def _scan_one(path: Path) -> ScanReport:
    report = ScanReport()
    try:
        findings, size = scan_file(path)
    except FileNotFoundError:
        report.skipped.append((str(path), VANISHED))
        return report
    except (OSError, ValueError, zlib.error) as exc:  # ValueError: a file that shrank
        report.unreadable.append((str(path), getattr(exc, "strerror", None) or str(exc)))
        return report
    report.findings = findings
    report.files = 1
    report.bytes = size
    return report


def scan_paths(paths: Iterable[Path], *, jobs: int = 1) -> ScanReport:
    """Files and folders, recursively; with jobs > 1, files are spread over processes."""
    started = time.perf_counter()
    report = ScanReport()
    files = [f for root in paths for f in _walk(Path(root), report)]
    if jobs > 1 and len(files) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for part in pool.map(_scan_one, files, chunksize=max(1, len(files) // (jobs * 8))):
                report.merge(part)
    else:
        for path in files:
            report.merge(_scan_one(path))
    report.seconds = time.perf_counter() - started
    return report


class Store(Protocol):
    """What pan-scan reads of an open store: every table, raw (`store.db.Database`, which
    decrypts it through its connection)."""

    def tables(self) -> list[str]: ...

    def columns(self, table: str) -> list[str]: ...

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple[Any, tuple[Any, ...]]]: ...


def scan_database(db: Store) -> ScanReport:
    """Every value of every table of an open store."""
    started = time.perf_counter()
    report = ScanReport()
    for table in db.tables():
        columns = db.columns(table)
        if not columns:
            report.skipped.append((f"db:{table}", "virtual table: its shadow tables are read"))
            continue
        for rowid, values in db.rows(table, columns):
            report.rows += 1
            for column, value in zip(columns, values, strict=True):
                if value is None:
                    continue
                if isinstance(value, bytes | bytearray | memoryview):
                    raw = bytes(value)
                elif isinstance(value, str):
                    raw = value.encode("utf-8", "surrogatepass")
                else:  # a PAN kept as an INTEGER or REAL is still a PAN
                    raw = repr(value).encode("ascii")
                report.bytes += len(raw)
                place = _CARD_NAME.search(column) is not None
                report.findings += scan_bytes(raw, f"db:{table}.{column}#{rowid}", card_place=place)
    report.seconds = time.perf_counter() - started
    return report


# -- the command ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="a store's data dir: its decrypted store and its files (default: COMPTOIR_DATA_DIR)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--jobs", type=int, default=1, help="processes for files (default 1)")
    parser.add_argument("paths", nargs="*", type=Path, help="more files or folders to search")


def run_pan_scan(args: argparse.Namespace, scan_store: Callable[[Path], ScanReport | None]) -> int:
    """`comptoir pan-scan`: 1 when card data is found, 0 when clean, 2 for bad usage.

    `scan_store` opens the data dir's store and scans it (`scan_database`), or says why it
    cannot and gives None: the command that calls this knows how a store is opened."""
    chosen = args.data_dir or os.environ.get("COMPTOIR_DATA_DIR")
    data_dir = Path(chosen) if chosen else None
    paths = [Path(p) for p in args.paths]
    if data_dir is None and not paths:
        print("pan-scan: give --data-dir, set COMPTOIR_DATA_DIR, or name paths", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("pan-scan: --jobs is 1 or more", file=sys.stderr)
        return 2
    for path in paths:
        if not path.exists() and not path.is_symlink():
            print(f"pan-scan: {path} does not exist", file=sys.stderr)
            return 2
    started = time.perf_counter()
    report = ScanReport()
    if data_dir is not None:
        store_report = scan_store(data_dir)
        if store_report is None:
            return 2
        report.merge(store_report)
        paths.insert(0, data_dir)
    report.merge(scan_paths(paths, jobs=args.jobs))
    report.seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)
    return 1 if report.findings else 0


def _print_report(report: ScanReport) -> None:
    for finding in report.findings:
        print(finding)
    for where, why in report.unreadable:
        print(f"{where}: unreadable: {why}")
    for where, why in report.skipped:
        print(f"{where}: skipped: {why}")
    mb = report.bytes / 1e6
    verdict = f"{len(report.findings)} finding(s)" if report.findings else "no card data found"
    print(
        f"pan-scan: {verdict}; {report.files} files, {report.rows} rows, {mb:.1f} MB "
        f"in {report.seconds:.2f} s; {len(report.unreadable)} unreadable, "
        f"{len(report.skipped)} skipped",
        file=sys.stderr,
    )
