"""The open sales this process last wrote, kept in memory so that the next change to one (a
scan, a quantity, the tender) need not read the whole sale back: inside its write
transaction it reads the sale's revision and opening time (one row) and, when they are
still what this process wrote, starts from its own copy.

The store keeps the revision (migration 0039's triggers: every write to the sale's row, its
lines, payments, customer, card or terminal attempts moves it, whoever writes), so a copy
is never trusted after another request, another till, a parked sale's resume or another
process changed the sale: the revision differs and the sale is read again. Only what a
change knows it wrote exactly as `store.sales.record` would read it back is kept, and only
once its transaction has committed; a copy handed out is the caller's own to change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from appliance.app.store.sales import SaleRecord

HELD = 64  # more open sales than a box's tills and kiosks have at once


class OpenSales:
    def __init__(self, size: int = HELD) -> None:
        self._held: OrderedDict[int, tuple[tuple[int, str], SaleRecord]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, sale_id: int, stamp: tuple[int, str]) -> SaleRecord | None:
        """A copy of the sale as this process wrote it, if the store's `stamp` (revision,
        opening time) is still the one it was written at."""
        with self._lock:
            held = self._held.get(sale_id)
            if held is None or held[0] != stamp:
                return None
            self._held.move_to_end(sale_id)
            record = held[1]
        return record.copy()

    def keep(self, stamp: tuple[int, str], found: SaleRecord) -> None:
        """`found` is what the store holds of the sale at `stamp` (committed)."""
        with self._lock:
            self._held[found.sale.id] = (stamp, found)
            self._held.move_to_end(found.sale.id)
            while len(self._held) > self._size:
                self._held.popitem(last=False)

    def forget(self, sale_id: int) -> None:
        with self._lock:
            self._held.pop(sale_id, None)
