"""Writing and checking the audit log (PCI DSS 10.2): who, what, when, from where, outcome.

The head of the chain (last id and hash) is mirrored to a file beside the store after each
commit, so that cutting entries off the end is found too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from appliance.app.services.shop import Actor, Shop
from appliance.app.store import audit as audit_store
from appliance.security.audit import ChainProblem, verify_chain

HEAD_FILE = "audit.head"


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
    name = actor.username if isinstance(actor, Actor) else actor
    where = origin or (actor.origin if isinstance(actor, Actor) else "cli")
    with shop.db.transaction() as tx:
        entry_id, digest = audit_store.append(
            tx,
            at=shop.now(),
            actor=name[:64],
            action=action,
            outcome=outcome,
            origin=where[:64],
            object=object[:128],
            details=details or {},
        )
    shop.db.after_commit(lambda: _write_head(shop.data_dir, entry_id, digest))


def _write_head(data_dir: Path, entry_id: int, digest: str) -> None:
    path = data_dir / HEAD_FILE
    current = read_head(data_dir)
    if current is not None and current[0] >= entry_id:
        return  # a later entry already wrote its head (another thread)
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(OSError):  # a head that lags only weakens tail detection
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, f"{entry_id} {digest}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)


def read_head(data_dir: Path) -> tuple[int, str] | None:
    try:
        text = (data_dir / HEAD_FILE).read_text().split()
        return int(text[0]), text[1]
    except (OSError, ValueError, IndexError):
        return None


def verify(shop: Shop) -> tuple[int, list[ChainProblem]]:
    entries = audit_store.entries(shop.db.conn)
    return len(entries), verify_chain(entries, read_head(shop.data_dir))


def entries(shop: Shop, after: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    return audit_store.entries(shop.db.conn, after=after, limit=limit)
