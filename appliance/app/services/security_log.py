"""The box's security log and its audit chain's head, sent to the office through the outbox
(PCI DSS 10.3.3: a copy of the logs where the box cannot change them; the head: what the
office can later hold the till's audit log to).

- `journal_entries`: the journal's security entries (`domain/security_log.py` picks them)
  after the cursor the last such event carried, in batches. The cursor travels in the event
  itself, so an entry is sent once: the event and the cursor commit together or not at all.
- `audit_head`: the audit log's anchored head (number and keyed link), when it moved since
  the last one sent.

The journal is read at the edge (`lane/journal.py`); a test hands in its own entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from appliance.app.domain.security_log import kept
from appliance.app.services import audit_log, outbox
from appliance.app.services.shop import Shop
from appliance.app.store import outbox as outbox_store
from appliance.security import pan_scan

BATCH = 200  # entries per event: some 60 KiB at most, far under a push's batch
JournalSource = Callable[[str | None], Iterable[Mapping[str, object]]]


def _last(shop: Shop, kind: str) -> dict[str, Any] | None:
    text = outbox_store.last_body_of_kind(shop.db.conn, kind)
    body = json.loads(text) if text else None
    return body if isinstance(body, dict) else None


def _without_card_data(entry: dict[str, Any]) -> dict[str, Any]:
    """A message that holds a card number (a program that logged one) leaves the box as the
    number's first six and last four only (PCI DSS 3.4.1): the outbox and the office keep
    what they are sent forever."""
    found = pan_scan.scan_bytes(str(entry["message"]).encode("utf-8"), "journal")
    if not found:
        return entry
    masked = ", ".join(sorted({f.masked for f in found}))
    return entry | {"message": f"(withheld: the message held card data: {masked})"}


def cursor(shop: Shop) -> str | None:
    """Where the journal was last read up to (None: never)."""
    last = _last(shop, "journal_entries")
    value = last.get("cursor") if last else None
    return value if isinstance(value, str) and value else None


def send_journal(shop: Shop, source: JournalSource, batch: int = BATCH) -> tuple[int, int]:
    """Reads the journal after the last cursor sent and writes its security entries as
    events; (entries read, entries kept). Entries read and none kept still move the cursor
    (one event with no entry), so the next run does not read them again."""
    read = kept_count = pending = 0
    entries: list[dict[str, Any]] = []
    last_cursor: str | None = None
    for raw in source(cursor(shop)):
        read += 1
        pending += 1
        found = raw.get("__CURSOR")
        if isinstance(found, str) and found:
            last_cursor = found
        entry = kept(raw)
        if entry is not None:
            entries.append(_without_card_data(entry))
            kept_count += 1
        if len(entries) >= batch and last_cursor:
            outbox.emit(shop, "journal_entries", {"cursor": last_cursor, "read": pending, "entries": entries})
            entries, pending = [], 0
    if pending and last_cursor:
        outbox.emit(shop, "journal_entries", {"cursor": last_cursor, "read": pending, "entries": entries})
    return read, kept_count


def send_audit_head(shop: Shop) -> dict[str, Any] | None:
    """The audit log's anchored head as an event when it moved since the last one sent; the
    head sent, or None when nothing moved (or nothing was ever written)."""
    head = audit_log.read_head(shop.data_dir)
    if head is None:
        return None
    body = {"entry_id": head.entry_id, "link": head.link, "keyed": head.keyed}
    last = _last(shop, "audit_head")
    if last is not None and {k: last.get(k) for k in body} == body:
        return None
    outbox.emit(shop, "audit_head", body)
    return body
