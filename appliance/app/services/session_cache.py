"""The live sessions this process has checked, held so that a request with one needs neither
SQL nor a worker thread to learn who it is (auth.recall, from web/http.py's actor).

What is held never lets through what auth.authenticate would refuse now:
- every change that ends a session or changes what authenticate reads of a user (a logout,
  a password, PIN or role change, an account disabled, a reset, a lockout) forgets that
  user's held sessions once it commits (auth.user_changed, auth.session_ended); a store
  read under way when it commits is not kept (the generation);
- the store's own limits are checked at each use: the session's end and the role's idle
  timeout, counted from the last_seen the store holds (never from a later use it has not
  written), so an idle session is refused, and ended in the store, as before;
- another process (the CLI resetting a password) cannot reach this memory: each of those
  changes also appends a byte to STAMP_FILE in the data folder, and each use compares the
  file's inode, size and time with what they were when the sessions held were read; any
  change forgets them all. One stat() per request and no SQL: chosen over a counter kept in
  the store (a query per request, the very thing this saves) and over a short lifetime alone
  (a password reset by the CLI would leave the old session working that long);
- a change no service makes (a store restored under a running server, a SQL shell) is caught
  by MAX_AGE: nothing held is older than that.
Sessions are held by their hash (as the store keys them), never by the token itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

log = logging.getLogger("comptoir.sessions")

STAMP_FILE = "sessions.changed"
MAX_AGE = dt.timedelta(minutes=1)
MAX_HELD = 10_000  # a flood of logins cannot grow this without end
_ROTATE_AT = 4096  # bytes: the stamp file starts again (a new inode) past this

Stamp = tuple[int, int, int] | None


@dataclass(frozen=True)
class Held:
    """What authenticate read of a live session and its user, at `read_at`."""

    user_id: int
    username: str
    role: str
    must_change_password: bool
    must_change_pin: bool
    csrf_hash: str
    expires_at: dt.datetime
    last_seen: dt.datetime  # as the store holds it
    idle: dt.timedelta
    read_at: dt.datetime

    def live(self, now: dt.datetime) -> bool:
        """authenticate's own test, the other way round, and the age of what is held."""
        fresh = self.read_at <= now < self.read_at + MAX_AGE
        return fresh and self.expires_at > now and now - self.last_seen <= self.idle


@dataclass(frozen=True)
class Ticket:
    """Taken before the store is read: what is read is kept only if nothing changed since."""

    generation: int
    stamp: Stamp


def stamp_of(data_dir: Path) -> Stamp:
    try:
        found = os.stat(os.path.join(data_dir, STAMP_FILE))  # not pathlib: once per request
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def announce(data_dir: Path) -> None:
    """Tells every process serving this store that sessions or users changed. One byte
    appended (O_APPEND: whole, even from two processes at once), so the size always grows."""
    path = data_dir / STAMP_FILE
    try:
        with open(path, "ab") as stamp:
            stamp.write(b".")
            size = stamp.tell()
        if size >= _ROTATE_AT:
            fresh = path.with_name(STAMP_FILE + ".new")
            fresh.write_bytes(b".")
            os.replace(fresh, path)
    except OSError:
        log.warning("could not tell other processes that sessions changed; they see it within %s", MAX_AGE)


class SessionCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, Held] = {}
        self._generation = 0
        self._stamp: Stamp = None

    def _catch_up(self, stamp: Stamp) -> None:
        if stamp != self._stamp:
            self._held.clear()
            self._stamp = stamp
            self._generation += 1

    def ticket(self, data_dir: Path) -> Ticket:
        stamp = stamp_of(data_dir)
        with self._lock:
            self._catch_up(stamp)
            return Ticket(self._generation, stamp)

    def keep(self, data_dir: Path, ticket: Ticket, session: str, held: Held) -> None:
        stamp = stamp_of(data_dir)
        with self._lock:
            if ticket.generation != self._generation or stamp != ticket.stamp:
                return  # something changed while the store was read: the next use reads again
            if len(self._held) >= MAX_HELD:
                self._held.clear()
            self._held[session] = held

    def recall(self, data_dir: Path, session: str, now: dt.datetime) -> Held | None:
        stamp = stamp_of(data_dir)
        with self._lock:
            self._catch_up(stamp)
            held = self._held.get(session)
            if held is not None and not held.live(now):
                del self._held[session]
                return None
            return held

    def touched(self, session: str, last_seen: dt.datetime) -> None:
        """The store now holds `last_seen` for the session (written and committed)."""
        with self._lock:
            held = self._held.get(session)
            if held is not None and last_seen > held.last_seen:
                self._held[session] = replace(held, last_seen=last_seen)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            self._generation += 1
            for session in [s for s, held in self._held.items() if held.user_id == user_id]:
                del self._held[session]

    def forget_session(self, session: str) -> None:
        with self._lock:
            self._generation += 1
            self._held.pop(session, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)
