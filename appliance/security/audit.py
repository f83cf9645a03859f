"""The audit log's hash chain.

Each entry's hash covers its own fields and the previous entry's hash, so editing or
removing an entry breaks the chain from there on. Removing the newest entries leaves a
valid chain, so the head (last id and hash) is also written outside the store, where
`verify` compares it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor", "action", "outcome", "origin", "object", "details")


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    body = json.dumps([entry[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit entry {self.entry_id}: {self.reason}"


def verify_chain(entries: Iterable[Mapping[str, Any]], head: tuple[int, str] | None = None) -> list[ChainProblem]:
    """Walks the chain in id order and names the first entry that does not fit, and why."""
    prev_hash = GENESIS
    prev_id = 0
    last: tuple[int, str] = (0, GENESIS)
    for entry in entries:
        eid = int(entry["id"])
        if eid != prev_id + 1:
            return [ChainProblem(prev_id + 1, f"missing (next entry found is {eid})")]
        if entry["prev_hash"] != prev_hash:
            return [ChainProblem(eid, "does not follow the entry before it (entry before removed or changed)")]
        if entry_hash(prev_hash, entry) != entry["hash"]:
            return [ChainProblem(eid, "was changed after it was written")]
        prev_hash = entry["hash"]
        prev_id = eid
        last = (eid, prev_hash)
    if head is not None and head[0] > last[0]:
        return [ChainProblem(last[0] + 1, f"missing: the log ends at {last[0]} but reached {head[0]}")]
    if head is not None and head[0] == last[0] and head[1] != last[1]:
        return [ChainProblem(last[0], "does not match the recorded head of the log")]
    return []
