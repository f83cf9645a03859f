"""The audit log's chain: a link per entry that only the till can make.

Each entry's link is an HMAC-SHA256, under the audit key, of the previous entry's link and
the entry's own fields (its number among them). The audit key comes from the key provider
`audit` (`audit.key`, mode 0600, or the systemd credential `comptoir-audit-key`), never from
the store: whoever can rewrite the store but does not hold the key can neither edit an entry
and recompute the links after it, nor add an entry of their own.

Entry numbers come from the table's AUTOINCREMENT sequence, so a number is never given
twice: an entry removed from the middle or the end leaves a gap that the next entries
cannot fill. The head of the chain (its last number and link) is also anchored outside the
store (`audit.head`), so that entries cut off the end are found even when nothing follows.

Stores made before links were keyed keep their first entries with the plain SHA-256 links
they were written with; `keyed_from` (the store's `audit_chain` table) is the first number
with a keyed link. See migration 0017 for why that switch point cannot be moved unseen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.security.keys import KeyError_, KeyFile, provider_for

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor", "action", "outcome", "origin", "object", "details")
KEY_NAME = "audit"
_MAC_CONTEXT = b"comptoir audit link v2\n"  # a keyed link is never mistaken for any other HMAC


def _body(entry: Mapping[str, Any]) -> str:
    return json.dumps([entry[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """The plain SHA-256 link of entries written before links were keyed."""
    return hashlib.sha256((prev_hash + _body(entry)).encode("utf-8")).hexdigest()


def entry_mac(key: bytes, prev_link: str, entry: Mapping[str, Any]) -> str:
    """The keyed link: HMAC-SHA256 under the audit key of the previous link and the entry."""
    message = _MAC_CONTEXT + (prev_link + _body(entry)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def load_key(data_dir: Path, *, may_create: bool) -> bytes:
    """The audit key. A key file is made only while the store holds no keyed entry (a new
    store, or one whose log is about to switch to keyed links); once keyed entries exist,
    a missing key is an error, never a reason to make another."""
    provider = provider_for(KEY_NAME, data_dir)
    if isinstance(provider, KeyFile) and not provider.path.exists():
        if not may_create:
            raise KeyError_(
                f"the audit key ({provider.describe()}) is missing: the audit log's keyed entries can be "
                "neither checked nor extended without it; put the key back from where it is kept "
                "(a lost key leaves the log unverifiable)"
            )
        try:
            return provider.create()
        except FileExistsError:
            pass  # another process made it just now
    try:
        return provider.load()
    except KeyError_ as exc:
        raise KeyError_(f"audit key: {exc}") from None


def _same(a: str, b: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, and a stored link may hold anything.
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True)
class Anchor:
    """The head of the chain as last written outside the store: its number and link.
    `keyed` is False for the plain `<id> <hash>` line of stores from before keyed links."""

    entry_id: int
    link: str
    keyed: bool = True

    def line(self) -> str:
        return f"keyed {self.entry_id} {self.link}\n"

    @classmethod
    def parse(cls, text: str) -> Anchor | None:
        words = text.split()
        try:
            if len(words) == 3 and words[0] == "keyed":
                return cls(int(words[1]), words[2])
            if len(words) == 2:
                return cls(int(words[0]), words[1], keyed=False)
        except ValueError:
            pass
        return None


@dataclass(frozen=True)
class ChainProblem:
    """What does not fit: one entry, a run of missing entries (`through`), or the whole log
    (`entry_id` None)."""

    entry_id: int | None
    reason: str
    through: int | None = None

    def __str__(self) -> str:
        if self.entry_id is None:
            return f"audit log: {self.reason}"
        if self.through is not None and self.through != self.entry_id:
            return f"audit entries {self.entry_id} to {self.through}: {self.reason}"
        return f"audit entry {self.entry_id}: {self.reason}"

    def entry_ids(self) -> range:
        if self.entry_id is None:
            return range(0)
        return range(self.entry_id, (self.through or self.entry_id) + 1)


def verify_chain(
    entries: Iterable[Mapping[str, Any]],
    key: bytes,
    *,
    keyed_from: int = 1,
    anchor: Anchor | None = None,
) -> list[ChainProblem]:
    """Every entry that differs from what the till wrote, each named with why: changed,
    not linked with the audit key, missing (a gap in the numbers, or past the end the
    anchor recorded), or not following the entry before it."""
    problems: list[ChainProblem] = []
    last_id = 0
    prev_link = GENESIS
    prev_intact = True
    anchored_link: str | None = None
    for entry in entries:
        eid = int(entry["id"])
        if eid > last_id + 1:
            problems.append(ChainProblem(last_id + 1, "missing: removed (entry numbers are never reused)", eid - 1))
        stored_prev, stored = str(entry["prev_hash"]), str(entry["hash"])
        if eid >= keyed_from:
            intact = _same(entry_mac(key, stored_prev, entry), stored)
            if not intact:
                recomputed = entry_hash(stored_prev, entry) == stored
                problems.append(
                    ChainProblem(
                        eid,
                        "its link was recomputed without the audit key (plain SHA-256): changed or put in"
                        if recomputed
                        else "changed after it was written, or put in: its link is not the till's",
                    )
                )
        else:
            intact = entry_hash(stored_prev, entry) == stored
            if not intact:
                problems.append(ChainProblem(eid, "changed after it was written (written before links were keyed)"))
        # Whether it follows the entry before it is only worth saying when both are intact
        # and nothing is missing between them; otherwise the reason above already says it.
        if intact and prev_intact and eid == last_id + 1 and stored_prev != prev_link:
            before = f"entry {last_id}" if last_id else "the start of the log"
            problems.append(ChainProblem(eid, f"does not follow {before} as stored: an entry before it was rewritten"))
        if anchor is not None and eid == anchor.entry_id:
            anchored_link = stored
        last_id, prev_link, prev_intact = eid, stored, intact
    problems += _check_anchor(anchor, anchored_link, last_id, keyed_from)
    return sorted(problems, key=lambda p: p.entry_id or 0)


def _check_anchor(
    anchor: Anchor | None, anchored_link: str | None, last_id: int, keyed_from: int
) -> list[ChainProblem]:
    if anchor is None:
        if last_id:
            return [
                ChainProblem(
                    None,
                    "its anchor outside the store is missing or unreadable: entries cut off the end would go unseen",
                )
            ]
        return []
    if not anchor.keyed:
        return [
            ChainProblem(
                None, "its anchor outside the store is in the old plain format: it was never keyed, or was replaced"
            )
        ]
    if anchor.entry_id < keyed_from:
        return [
            ChainProblem(
                None,
                f"its anchor names entry {anchor.entry_id}, before keyed links start at {keyed_from}: "
                "the switch point in the store was moved",
            )
        ]
    if anchor.entry_id > last_id:
        return [
            ChainProblem(
                last_id + 1,
                f"missing: cut off the end (the anchor outside the store says the log reached {anchor.entry_id})",
                anchor.entry_id,
            )
        ]
    if anchored_link is not None and not _same(anchored_link, anchor.link):
        return [ChainProblem(anchor.entry_id, "does not match the anchor outside the store: rewritten")]
    return []
