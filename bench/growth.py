"""Store growth per 1,000 cash sales, with idempotency answers kept and once purged.

    .venv/bin/python bench/growth.py [--sales 1000]

Sells `--sales` sales through the real app (TestClient, in process) as the till does: one
keyed scan and one keyed cash payment each, so that every sale leaves two idempotency
answers. Prints one JSON object: the store's used bytes ((page_count - freelist_count) ×
page_size) grown by those sales, the idempotency table's share, and the same after the
purge that runs once the answers are older than the store rule (48 hours). Freed pages are
reused by the next sales, so "after" is the store's steady growth; the file itself only
shrinks with a VACUUM. A figure for the notes, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from appliance.app.services import catalog, idempotency, shifts, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop
from appliance.app.store import settings as settings_store
from appliance.app.store.db import truncate_log
from appliance.app.web.app import create_app

PASSWORD = "Sesame-2026-open"
PRAGMAS = ("page_count", "freelist_count", "page_size")
CATALOG = "sku,name,price,tax_class,barcodes,stock\nBRD,Bread,3.49,exempt,96385074,1000000\n"


def used_bytes(shop: Shop) -> int:
    pages, free, size = (int(shop.db.conn.execute(f"PRAGMA {name}").fetchone()[0]) for name in PRAGMAS)
    return (pages - free) * size


def answers(shop: Shop) -> tuple[int, int]:
    """How many answers the table holds, and their bytes of text (key, hash, JSON)."""
    row = shop.db.conn.execute(
        "SELECT count(*), coalesce(sum(length(key) + length(route) + length(request_hash) + length(response)), 0)"
        " FROM idempotency"
    ).fetchone()
    return int(row[0]), int(row[1])


def sell(client: TestClient, token: str, n: int) -> None:
    auth = {"authorization": f"Bearer {token}"}
    sale = client.post("/api/v1/sales", headers=auth).json()
    scan = client.post(
        f"/api/v1/sales/{sale['id']}/items",
        json={"barcode": "96385074"},
        headers={**auth, "Idempotency-Key": f"scan-{n:08d}"},
    )
    assert scan.status_code == 200, scan.text
    paid = client.post(
        f"/api/v1/sales/{sale['id']}/payments",
        json={"method": "cash", "amount": 500},
        headers={**auth, "Idempotency-Key": f"tender-{n:08d}"},
    )
    assert paid.status_code == 201 and paid.json()["status"] == "completed", paid.text


def measure(sales: int, data: Path) -> dict[str, Any]:
    shop, _ = init_store(data, NewStore(store_name="Growth Store"))
    with shop.db.transaction() as tx:
        settings_store.put(tx, shifts.CASH_NEEDS_SHIFT, False)
    users.add_user(shop, None, "cashier", "cashier", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    with TestClient(create_app(shop), base_url="http://127.0.0.1") as client:
        token = client.post("/api/v1/auth/login", json={"username": "cashier", "password": PASSWORD}).json()["token"]
        sell(client, token, -1)  # the first sale's one-off pages are not growth
        start = used_bytes(shop)
        for n in range(sales):
            sell(client, token, n)
        kept = used_bytes(shop)
        count, text = answers(shop)
        later = shop.clock() + dt.timedelta(hours=idempotency.DEFAULT_KEEP_HOURS + 1)
        shop.clock = lambda: later
        purged = idempotency.purge(shop)
        after = used_bytes(shop)
        truncate_log(shop.db.conn)
        file_bytes = (data / "store.db").stat().st_size
    shop.close()
    per_k = 1000 / sales
    return {
        "sales": sales,
        "growth_kept_bytes_per_1000_sales": round((kept - start) * per_k),
        "growth_after_purge_bytes_per_1000_sales": round((after - start) * per_k),
        "idempotency_answers": count,
        "idempotency_text_bytes_per_1000_sales": round(text * per_k),
        "idempotency_share_of_growth": round((kept - after) / (kept - start), 3) if kept > start else 0,
        "purged": purged,
        "store_file_bytes": file_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args.sales, Path(tmp) / "data"), indent=2))


if __name__ == "__main__":
    main()
