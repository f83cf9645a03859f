"""A virtual ESC/POS receipt printer: it reads the byte stream a real one would and turns
it into `Paper` (one per cut) that tests can read: lines of text with their style,
barcodes, QR codes, and the drawer pulses sent while it printed.

`VirtualPrinter` is the printer itself and knows nothing of cables: `feed(bytes)` returns
what the printer sends back (answers to DLE EOT status queries). `VirtualPrinterServer`
puts it on 127.0.0.1 like a network printer on port 9100; `PtyPrinter` puts it behind a
pseudo-terminal for the serial path; tests/fakes/usb_backend.py puts it behind pyusb.

Faithful where it matters for a shop: ESC @ throws away a half-received line; a printer
with its cover open or without paper answers status queries and prints nothing; a
dropped connection leaves what was printed on the roll, and the next job continues the
same strip until a cut; a malformed barcode is not printed. Anything it cannot parse is
listed in `Paper.unknown` so that garbled output fails a test instead of passing quietly.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import struct
import threading
import tty
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C

CODE_PAGES = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 13: "cp857", 14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 32: "cp720",
    33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864", 38: "cp869",
    39: "iso8859_2", 40: "iso8859_15", 45: "cp1250", 46: "cp1251", 47: "cp1253",
    48: "cp1254", 49: "cp1255", 50: "cp1256", 51: "cp1257", 52: "cp1258",
}  # fmt: skip

BARCODE_KINDS = {
    0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "NW7",
    65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "NW7",
    72: "CODE93", 73: "CODE128", 74: "GS1-128", 75: "GS1 DATABAR OMNIDIRECTIONAL",
    76: "GS1 DATABAR TRUNCATED", 77: "GS1 DATABAR LIMITED", 78: "GS1 DATABAR EXPANDED",
}  # fmt: skip

ALIGNMENTS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


# -- what comes out ----------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    bold: bool = False
    underline: int = 0
    width: int = 1  # character size multipliers
    height: int = 1
    font: int = 0
    invert: bool = False


@dataclass(frozen=True)
class Span:
    text: str
    style: Style


@dataclass(frozen=True)
class Line:
    spans: tuple[Span, ...]
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    def _inked(self) -> list[Span]:
        return [s for s in self.spans if s.text.strip()]

    @property
    def bold(self) -> bool:
        inked = self._inked()
        return bool(inked) and all(s.style.bold for s in inked)

    @property
    def tall(self) -> bool:
        return any(s.style.height > 1 for s in self._inked())

    @property
    def wide(self) -> bool:
        return any(s.style.width > 1 for s in self._inked())


@dataclass(frozen=True)
class Barcode:
    kind: str
    data: str  # what a scanner reads (code set switches removed, check digit added)
    raw: bytes
    hri: str = "below"  # where the human-readable digits go


@dataclass(frozen=True)
class QrCode:
    data: str
    size: int
    error_correction: str


@dataclass(frozen=True)
class Image:
    width_dots: int
    height_dots: int


@dataclass(frozen=True)
class DrawerPulse:
    pin: int
    on_ms: int
    off_ms: int


@dataclass
class Paper:
    """One strip of paper, from one cut to the next (or to now, for the strip in progress)."""

    items: list[Line | Barcode | QrCode | Image] = field(default_factory=list)
    pulses: list[DrawerPulse] = field(default_factory=list)
    cut: str | None = None  # "full" or "partial"; None while still in the printer
    unknown: list[bytes] = field(default_factory=list)

    @property
    def lines(self) -> list[Line]:
        return [i for i in self.items if isinstance(i, Line)]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def barcodes(self) -> list[Barcode]:
        return [i for i in self.items if isinstance(i, Barcode)]

    @property
    def qr_codes(self) -> list[QrCode]:
        return [i for i in self.items if isinstance(i, QrCode)]

    def line_with(self, fragment: str) -> Line:
        for line in self.lines:
            if fragment in line.text:
                return line
        raise AssertionError(f"no line with {fragment!r} on paper:\n{self.text}")

    def is_blank(self) -> bool:
        return not (self.items or self.pulses or self.unknown)


def _gtin_check(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def decode_code128(raw: bytes) -> str | None:
    """GS k 73 data as a scanner would read it; None if a printer would refuse it."""
    if len(raw) < 2 or raw[0] != ord("{") or raw[1] not in b"ABC":
        return None
    out: list[str] = []
    code_set = ""
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == ord("{"):
            if i + 1 >= len(raw):
                return None
            nxt = chr(raw[i + 1])
            if nxt in "ABC":
                code_set = nxt
            elif nxt == "{":
                out.append("{")
            elif nxt not in "S1234":  # shift and FNC1-4 carry no text
                return None
            i += 2
            continue
        if code_set == "C":
            if byte > 99:
                return None
            out.append(f"{byte:02d}")
        else:
            out.append(chr(byte))
        i += 1
    return "".join(out)


def decode_barcode(kind: str, raw: bytes) -> str | None:
    if kind in ("CODE128", "GS1-128"):
        return decode_code128(raw)
    text = raw.decode("ascii", "replace")
    if kind == "EAN13":
        if not text.isdigit() or len(text) not in (12, 13):
            return None
        return text if len(text) == 13 else text + _gtin_check(text)
    if kind == "EAN8":
        if not text.isdigit() or len(text) not in (7, 8):
            return None
        return text if len(text) == 8 else text + _gtin_check(text)
    if kind == "UPC-A":
        if not text.isdigit() or len(text) not in (11, 12):
            return None
        return text if len(text) == 12 else text + _gtin_check(text)
    return text


# -- the printer -------------------------------------------------------------------------


class _NeedMore(Exception):
    """The command is not all here yet: wait for the next chunk."""


class VirtualPrinter:
    def __init__(self, *, columns: int = 42) -> None:
        self.columns = columns
        self.papers: list[Paper] = []  # cut strips, in order
        self.current = Paper()
        self.pulses: list[DrawerPulse] = []
        self.received = bytearray()
        self.status_queries = 0
        # Faults a test can set at any time.
        self.paper_out = False
        self.paper_low = False
        self.cover_open = False
        self.answers_status = True
        self._buf = bytearray()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._init_state()

    def _init_state(self) -> None:
        self.style = Style()
        self.align = "left"
        self.code_page = 0
        self.barcode_hri = "none"
        self._spans: list[Span] = []
        self._line_align = "left"
        self._qr: dict[str, object] = {"size": 3, "ec": "L", "data": b""}

    # -- state a test reads -------------------------------------------------------------

    @property
    def can_print(self) -> bool:
        return not (self.paper_out or self.cover_open)

    def cut_papers(self) -> list[Paper]:
        with self._lock:
            return list(self.papers)

    def all_paper(self) -> list[Paper]:
        """Every strip including the one still in the printer (if anything is on it)."""
        with self._lock:
            rest = [] if self.current.is_blank() else [self.current]
            return [*self.papers, *rest]

    def wait_for_cuts(self, count: int, timeout: float = 5.0) -> list[Paper]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.papers) >= count, timeout):
                raise AssertionError(f"expected {count} cut papers within {timeout} s, got {len(self.papers)}")
            return list(self.papers)

    # -- the byte stream -----------------------------------------------------------------

    def feed(self, data: bytes) -> bytes:
        """Takes bytes as they arrive; returns what the printer answers right away."""
        with self._changed:
            self.received += data
            self._buf += data
            answers = bytearray()
            while self._buf:
                try:
                    used = self._step(self._buf, answers)
                except _NeedMore:
                    break
                del self._buf[:used]
            self._changed.notify_all()
            return bytes(answers)

    def connection_lost(self) -> None:
        """A half-received command is lost with the connection; the paper stays as it is."""
        with self._changed:
            self._buf.clear()
            self._changed.notify_all()

    def status_byte(self, n: int) -> int | None:
        if not self.answers_status:
            return None
        offline = self.paper_out or self.cover_open
        if n == 1:
            return 0x12 | (0x08 if offline else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        if n == 3:
            return 0x12
        if n == 4:
            return 0x12 | (0x60 if self.paper_out else 0) | (0x0C if self.paper_low else 0)
        return None

    # -- parsing -------------------------------------------------------------------------

    @staticmethod
    def _need(buf: bytearray, n: int) -> None:
        if len(buf) < n:
            raise _NeedMore

    def _step(self, buf: bytearray, answers: bytearray) -> int:
        b = buf[0]
        if b >= 0x20:
            end = 1
            while end < len(buf) and buf[end] >= 0x20:
                end += 1
            self._text(bytes(buf[:end]))
            return end
        if b == LF or b == FF:
            self._end_line()
            return 1
        if b == CR:
            return 1
        if b == HT:
            width = len("".join(s.text for s in self._spans))
            self._text(b" " * (8 - width % 8))
            return 1
        if b == DLE:
            return self._dle(buf, answers)
        if b == ESC:
            return self._esc(buf)
        if b == GS:
            return self._gs(buf, answers)
        if b == FS:
            return self._fs(buf)
        self._unknown(bytes(buf[:1]))
        return 1

    def _dle(self, buf: bytearray, answers: bytearray) -> int:
        self._need(buf, 2)
        cmd = buf[1]
        if cmd == 0x04:  # DLE EOT n: real-time status
            self._need(buf, 3)
            self.status_queries += 1
            answer = self.status_byte(buf[2])
            if answer is not None:
                answers.append(answer)
            return 3
        if cmd == 0x05:  # DLE ENQ n: real-time request
            self._need(buf, 3)
            return 3
        if cmd == 0x14:  # DLE DC4 fn ...
            self._need(buf, 3)
            fn = buf[2]
            if fn == 1:  # DLE DC4 1 m t: real-time drawer pulse, t × 100 ms
                self._need(buf, 5)
                self._pulse(2 if buf[3] in (0, 48) else 5, buf[4] * 100, buf[4] * 100)
                return 5
            if fn == 2:
                self._need(buf, 5)
                return 5
            if fn == 8:
                self._need(buf, 10)
                return 10
            self._unknown(bytes(buf[:3]))
            return 3
        self._unknown(bytes(buf[:2]))
        return 2

    def _esc(self, buf: bytearray) -> int:
        self._need(buf, 2)
        cmd = chr(buf[1])
        if cmd == "@":
            self._spans = []  # ESC @ clears the print buffer: a half line is lost
            self._init_state()
            return 2
        if cmd in "2SLim<":
            if cmd in "im":  # obsolete partial cut
                self._cut("partial")
            return 2
        one_arg = "EG-a!MtRdJ3A+{Vr=U%?"
        if cmd in one_arg:
            self._need(buf, 3)
            n = buf[2]
            self._esc_arg(cmd, n)
            return 3
        if cmd == "c":
            self._need(buf, 4)
            return 4
        if cmd == "p":  # ESC p m t1 t2: drawer pulse, times in 2 ms units
            self._need(buf, 5)
            m, t1, t2 = buf[2], buf[3], buf[4]
            if m in (0, 1, 48, 49):
                self._pulse(2 if m in (0, 48) else 5, t1 * 2, t2 * 2)
            else:
                self._unknown(bytes(buf[:5]))
            return 5
        if cmd == "B":  # buzzer
            self._need(buf, 4)
            return 4
        if cmd == "D":  # tab stops, NUL-terminated
            end = buf.find(b"\x00", 2)
            if end < 0:
                raise _NeedMore
            return end + 1
        if cmd == "*":  # ESC * m nL nH d…: bit image
            self._need(buf, 5)
            m, count = buf[2], buf[3] + buf[4] * 256
            size = 5 + count * (1 if m in (0, 1) else 3)
            self._need(buf, size)
            self._item(Image(count, 8 if m in (0, 1) else 24))
            return size
        if cmd == "$" or cmd == "\\":
            self._need(buf, 4)
            return 4
        self._unknown(bytes(buf[:2]))
        return 2

    def _esc_arg(self, cmd: str, n: int) -> None:
        if cmd == "E":
            self.style = replace(self.style, bold=bool(n & 1))
        elif cmd == "-":
            self.style = replace(self.style, underline={48: 0, 49: 1, 50: 2}.get(n, n & 3))
        elif cmd == "a":
            if n in ALIGNMENTS:
                self.align = ALIGNMENTS[n]
        elif cmd == "!":
            self.style = replace(
                self.style,
                font=n & 1,
                bold=bool(n & 0x08),
                height=2 if n & 0x10 else 1,
                width=2 if n & 0x20 else 1,
                underline=1 if n & 0x80 else 0,
            )
        elif cmd == "M":
            self.style = replace(self.style, font={48: 0, 49: 1, 50: 2}.get(n, n))
        elif cmd == "t":
            if n not in CODE_PAGES:
                self._unknown(bytes((ESC, ord("t"), n)))
            self.code_page = n
        elif cmd == "d":
            had_text = bool(self._spans)
            self._end_line(only_if_text=True)
            for _ in range(n - 1 if had_text else n):
                self._end_line()
        elif cmd == "J":
            self._end_line(only_if_text=True)

    def _gs(self, buf: bytearray, answers: bytearray) -> int:
        self._need(buf, 2)
        cmd = chr(buf[1])
        if cmd in "!BbhwHfaIT|/r":
            self._need(buf, 3)
            n = buf[2]
            if cmd == "!":
                self.style = replace(self.style, width=(n >> 4) + 1, height=(n & 0x0F) + 1)
            elif cmd == "B":
                self.style = replace(self.style, invert=bool(n & 1))
            elif cmd == "H":
                self.barcode_hri = {0: "none", 1: "above", 2: "below", 3: "both"}.get(n & 3, "none")
            elif cmd == "r" and n in (1, 49):  # paper sensor status, sent in order
                answers.append((0x03 if self.paper_low else 0) | (0x0C if self.paper_out else 0))
            return 3
        if cmd in "LWP$\\":
            self._need(buf, 4)
            return 4
        if cmd == "V":  # GS V m [n]: cut
            self._need(buf, 3)
            m = buf[2]
            size = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            self._need(buf, size)
            if size == 4 or m in (0, 1, 48, 49):
                self._end_line(only_if_text=True)
                self._cut("full" if m in (0, 48, 65, 97, 103) else "partial")
            else:
                self._unknown(bytes(buf[:3]))
            return size
        if cmd == "k":
            return self._barcode(buf)
        if cmd == "(":  # GS ( fn pL pH …
            self._need(buf, 5)
            size = 5 + buf[3] + buf[4] * 256
            self._need(buf, size)
            body = bytes(buf[5:size])
            if buf[2] == ord("k"):
                self._two_d(body)
            elif buf[2] == ord("L") and body[1:2] == b"2":  # print the stored graphics
                self._item(Image(0, 0))
            return size
        if cmd == "8":  # GS 8 L p1..p4 …: large graphics data
            self._need(buf, 7)
            size = 7 + int.from_bytes(buf[3:7], "little")
            self._need(buf, size)
            return size
        if cmd == "v":  # GS v 0 m xL xH yL yH d…: raster image
            self._need(buf, 8)
            width, height = buf[4] + buf[5] * 256, buf[6] + buf[7] * 256
            size = 8 + width * height
            self._need(buf, size)
            self._end_line(only_if_text=True)
            self._item(Image(width * 8, height))
            return size
        if cmd == "*":
            self._need(buf, 4)
            size = 4 + buf[2] * buf[3] * 8
            self._need(buf, size)
            return size
        self._unknown(bytes(buf[:2]))
        return 2

    def _fs(self, buf: bytearray) -> int:
        self._need(buf, 2)
        cmd = chr(buf[1])
        if cmd in ".&":
            return 2
        if cmd in "C!-":
            self._need(buf, 3)
            return 3
        if cmd == "p":
            self._need(buf, 4)
            self._item(Image(0, 0))
            return 4
        self._unknown(bytes(buf[:2]))
        return 2

    def _barcode(self, buf: bytearray) -> int:
        self._need(buf, 3)
        m = buf[2]
        if m <= 6:  # function A: data ends at NUL
            end = buf.find(b"\x00", 3)
            if end < 0:
                raise _NeedMore
            raw, size = bytes(buf[3:end]), end + 1
        elif 65 <= m <= 78:  # function B: length first
            self._need(buf, 4)
            size = 4 + buf[3]
            self._need(buf, size)
            raw = bytes(buf[4:size])
        else:
            self._unknown(bytes(buf[:3]))
            return 3
        kind = BARCODE_KINDS[m]
        data = decode_barcode(kind, raw)
        self._end_line(only_if_text=True)
        if data is None:
            self._unknown(bytes(buf[:size]))  # a printer prints nothing for bad data
        else:
            self._item(Barcode(kind, data, raw, self.barcode_hri))
        return size

    def _two_d(self, body: bytes) -> None:
        if len(body) < 2:
            self._unknown(b"\x1d(k" + body)
            return
        cn, fn, args = body[0], body[1], body[2:]
        if cn != 49:  # only QR is modelled; PDF417 (48) and others are accepted silently
            return
        if fn == 67 and args:
            self._qr["size"] = args[0]
        elif fn == 69 and args:
            self._qr["ec"] = {48: "L", 49: "M", 50: "Q", 51: "H"}.get(args[0], "?")
        elif fn == 80:
            self._qr["data"] = args[1:]  # after m = 48
        elif fn == 81:
            data = self._qr["data"]
            assert isinstance(data, bytes)
            self._end_line(only_if_text=True)
            self._item(QrCode(data.decode("utf-8", "replace"), int(str(self._qr["size"])),
                              str(self._qr["ec"])))  # fmt: skip

    # -- effects -------------------------------------------------------------------------

    def _text(self, raw: bytes) -> None:
        if not self._spans:
            self._line_align = self.align  # ESC a applies from the start of a line
        codec = CODE_PAGES.get(self.code_page, "cp437")
        self._spans.append(Span(raw.decode(codec, "replace"), self.style))

    def _end_line(self, *, only_if_text: bool = False) -> None:
        if only_if_text and not self._spans:
            return
        align = self._line_align if self._spans else self.align
        self._item(Line(tuple(self._merge(self._spans)), align))
        self._spans = []

    @staticmethod
    def _merge(spans: list[Span]) -> Iterator[Span]:
        current: Span | None = None
        for span in spans:
            if current is not None and current.style == span.style:
                current = Span(current.text + span.text, span.style)
                continue
            if current is not None:
                yield current
            current = span
        if current is not None:
            yield current

    def _item(self, item: Line | Barcode | QrCode | Image) -> None:
        if self.can_print:
            self.current.items.append(item)

    def _pulse(self, pin: int, on_ms: int, off_ms: int) -> None:
        if self.can_print:  # offline (cover open, no paper) it ignores ESC p
            pulse = DrawerPulse(pin, on_ms, off_ms)
            self.pulses.append(pulse)
            self.current.pulses.append(pulse)

    def _cut(self, how: str) -> None:
        if not self.can_print:
            return
        self.current.cut = how
        self.papers.append(self.current)
        self.current = Paper()

    def _unknown(self, raw: bytes) -> None:
        self.current.unknown.append(raw)


# -- on the network ----------------------------------------------------------------------


class VirtualPrinterServer:
    """The virtual printer on 127.0.0.1:<ephemeral>, one connection at a time like a real
    one. `go_offline()` closes the port (connections are refused) until `go_online()`."""

    def __init__(self, printer: VirtualPrinter | None = None) -> None:
        self.printer = printer or VirtualPrinter()
        self.port = 0
        self.connections = 0
        self.dropped = 0
        self._drop_after: int | None = None
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open_conns: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def spec(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def __enter__(self) -> VirtualPrinterServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._stop.clear()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(4)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def go_offline(self) -> None:
        """Switched off: the port is closed and any open connection is cut."""
        self._stop.set()
        self._join()
        with self._lock:
            for conn in self._open_conns:
                _reset(conn)
            self._open_conns.clear()

    def go_online(self) -> None:
        self.start()  # the same port again

    def drop_next_job_after(self, n_bytes: int) -> None:
        """The next connection is cut (TCP reset) once the printer has `n_bytes` of data."""
        self._drop_after = n_bytes

    def stop(self) -> None:
        self.go_offline()

    def _join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()

    def _accept_loop(self, listener: socket.socket) -> None:
        with listener, selectors.DefaultSelector() as sel:
            sel.register(listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(timeout=0.02):
                    continue
                conn, _ = listener.accept()
                self.connections += 1
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self._open_conns.append(conn)
        drop_after, self._drop_after = self._drop_after, None
        seen = 0
        try:
            conn.settimeout(0.02)
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                if drop_after is not None and seen + len(chunk) >= drop_after:
                    self.printer.feed(chunk[: drop_after - seen])
                    self.printer.connection_lost()
                    self.dropped += 1
                    _reset(conn)
                    return
                seen += len(chunk)
                answer = self.printer.feed(chunk)
                if answer:
                    conn.sendall(answer)
        finally:
            with self._lock:
                if conn in self._open_conns:
                    self._open_conns.remove(conn)
            conn.close()


def _reset(conn: socket.socket) -> None:
    """Closes with a TCP reset, as a printer that loses power or reboots does."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


# -- on a serial line --------------------------------------------------------------------


class PtyPrinter:
    """The virtual printer at the far end of a pseudo-terminal: open `path` with pyserial
    as if it were /dev/ttyUSB0. `unplug()` closes the far end, like pulling the cable."""

    def __init__(self, printer: VirtualPrinter | None = None) -> None:
        self.printer = printer or VirtualPrinter()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing before pyserial sets its own
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def __enter__(self) -> PtyPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._master, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(timeout=0.02):
                    continue
                try:
                    chunk = os.read(self._master, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                answer = self.printer.feed(chunk)
                if answer:
                    os.write(self._master, answer)

    def unplug(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with contextlib.suppress(OSError):
            os.close(self._master)

    def close(self) -> None:
        self.unplug()
        with contextlib.suppress(OSError):
            os.close(self._slave)


# -- behind a device file ----------------------------------------------------------------


class FifoPrinter:
    """The virtual printer reading a named pipe, standing in for /dev/usb/lp0. While it is
    "plugged in" a writer can open the path; `unplug()` makes opening fail (ENXIO)."""

    def __init__(self, path: str, printer: VirtualPrinter | None = None) -> None:
        self.printer = printer or VirtualPrinter()
        self.path = path
        os.mkfifo(path, 0o600)
        # Read-write, so that the pipe always has a writer and never reads as ended
        # between jobs.
        self._fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def __enter__(self) -> FifoPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unplug()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._fd, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(timeout=0.02):
                    continue
                with contextlib.suppress(BlockingIOError):
                    self.printer.feed(os.read(self._fd, 65536))

    def unplug(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self._fd)
