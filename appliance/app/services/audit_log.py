"""Writing and checking the audit log (PCI DSS 10.2): who, what, when, from where, outcome.

Each entry is linked with the audit key (`appliance.security.audit`). After each commit the
head of the chain (last number and link) is anchored in a file beside the store, written
atomically and durably. The anchor only moves along the chain it anchors: when the store no
longer holds the anchored entry as anchored (entries cut off the end, then new ones written
after them), it stays where it is, so `comptoir audit verify` still sees the cut.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict, cast

from appliance.app.services import outbox
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import audit as audit_store
from appliance.security.audit import GENESIS, Anchor, ChainProblem, entry_mac, load_key, verify_chain

HEAD_FILE = "audit.head"

log = logging.getLogger(__name__)


def open_chain(shop: Shop) -> None:
    """At each start: the audit key (made here while the store holds no keyed entry: a new
    store, or one from before keyed links), and for a store whose entries all predate keyed
    links, an entry recording the switch, so its head and anchor are keyed from now on."""
    conn = shop.db.conn
    first_keyed = audit_store.keyed_from(conn)
    # Numbers given, not entries held: removing the keyed entries does not make a new key.
    highest = audit_store.highest_number(conn)
    shop.audit_key = load_key(shop.data_dir, may_create=highest < first_keyed)
    if 0 < highest < first_keyed:
        record(
            shop,
            actor="comptoir",
            action="audit_chain_keyed",
            object="audit_log",
            details={"keyed_from": first_keyed},
            origin="start",
        )


def record(
    shop: Shop,
    *,
    actor: Actor | str,
    action: str,
    outcome: str = "success",
    object: str = "",
    details: dict[str, Any] | None = None,
    origin: str | None = None,
) -> None:
    """Appends an entry in the caller's transaction (or its own when there is none)."""
    if not shop.audit_key:
        raise RuntimeError("the audit key is not loaded: open the shop with open_shop")
    name = actor.username if isinstance(actor, Actor) else actor
    where = origin or (actor.origin if isinstance(actor, Actor) else "cli")
    with shop.db.transaction() as tx:
        at = shop.now()
        entry_id, prev_id, held_link = audit_store.next_entry(tx)
        prev_link = GENESIS if held_link is None else held_link
        entry = {
            "id": entry_id,
            "at": at,
            "actor": name[:64],
            "action": action,
            "outcome": outcome,
            "origin": where[:64],
            "object": object[:128],
            "details": audit_store.details_text(details or {}),
        }
        link = entry_mac(shop.audit_key, prev_link, entry)
        audit_store.insert(tx, entry, prev_link=prev_link, link=link)
        outbox.audit_entry(shop, entry)
    shop.db.after_commit(lambda: _anchor(shop, Anchor(entry_id, link), Anchor(prev_id, prev_link)))


def _anchor(shop: Shop, head: Anchor, follows: Anchor) -> None:
    try:
        with _locked(shop.data_dir) as dir_fd:
            current = read_head(shop.data_dir)
            if current is not None:
                if current.entry_id >= head.entry_id:
                    return  # a later entry already anchored its head (another thread or process)
                along = (current.entry_id, current.link) == (follows.entry_id, follows.link)
                if not along and audit_store.link_of(shop.db.conn, current.entry_id) != current.link:
                    log.error(
                        "audit log: the store no longer holds entry %d as anchored; the anchor stays "
                        "there for `comptoir audit verify`",
                        current.entry_id,
                    )
                    return
            _write_atomically(shop.data_dir / HEAD_FILE, head.line().encode("ascii"), dir_fd)
    except OSError:
        # The entry is committed; an anchor that lags behind it is caught up by the next one.
        log.warning("audit log: could not anchor entry %d", head.entry_id, exc_info=True)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[int]:
    """The data dir, open and locked: one anchor writer at a time, across threads and processes."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _write_atomically(path: Path, data: bytes, dir_fd: int) -> None:
    """The file's new content whole or not at all, and on disk before this returns: written
    to a temporary file and synced, renamed over the old one, and the rename synced."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    os.fsync(dir_fd)


def read_head(data_dir: Path) -> Anchor | None:
    try:
        return Anchor.parse((data_dir / HEAD_FILE).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        return None


def verify(shop: Shop) -> tuple[int, list[ChainProblem]]:
    conn = shop.db.conn
    entries = audit_store.entries(conn)
    problems = verify_chain(
        entries,
        shop.audit_key,
        keyed_from=audit_store.keyed_from(conn),
        anchor=read_head(shop.data_dir),
    )
    return len(entries), problems


class AuditEntry(TypedDict):
    """An entry as the chain holds it; `details` is its JSON text, as hashed."""

    id: int
    at: str
    actor: str
    action: str
    outcome: str
    origin: str
    object: str
    details: str
    prev_hash: str
    hash: str


class AuditEntries(TypedDict):
    """The web layer's answer: entries after an id, oldest first."""

    entries: list[AuditEntry]


def entries(shop: Shop, after: int = 0, limit: int = 500) -> list[AuditEntry]:
    # The store selects exactly these columns of audit_log, every one NOT NULL.
    return cast("list[AuditEntry]", audit_store.entries(shop.db.conn, after=after, limit=limit))
