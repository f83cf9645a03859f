"""Real tills of two stores enrolled to a real office, for the feed's tests: what one store
is sent the other is not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.app.services import auth, office_feed, sales, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.lane import enrolment as lane
from appliance.lane.feed import Fetcher
from appliance.office.services import catalogue, enrolment
from appliance.office.services.office import Office
from tests.office.conftest import RunningOffice

PASSWORD = "Sesame-2026-open"  # test accounts only
START = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)

CATALOGUE = """sku,name,price,tax_class,barcodes
APL,Apple,1.25,standard,4006381333931
BRD,Bread,3.49,standard,96385074
"""


@dataclass
class Till:
    store: str
    shop: Shop
    fetch: Fetcher
    cashier: Actor
    now: list[dt.datetime] = field(default_factory=lambda: [START])

    def pull(self, **kw: Any) -> int:
        return office_feed.pull(self.shop, self.fetch, **kw)

    def at(self, moment: dt.datetime) -> None:
        """The till's clock reads `moment` from now on."""
        self.now[0] = moment

    def scan(self, code: str) -> int:
        sale = sales.open_sale(self.shop, self.cashier)
        view = sales.add_item(self.shop, self.cashier, sale["id"], barcode=code)
        return int(view["lines"][-1]["unit_price"])


def office_of(running: RunningOffice) -> Office:
    return running.office  # type: ignore[return-value]


def make_tills(
    running: RunningOffice,
    root: Path,
    stores: tuple[str, ...] = ("lyon", "paris"),
    *,
    first: int = 1,
    pull: bool = True,
) -> list[Till]:
    """One till in each store, with a cashier made at the till, the office's standard tax
    class and two products already pulled."""
    office = office_of(running)
    catalogue.put_tax_class(office, "standard", "Standard", [("VAT", "20")], actor="test")
    catalogue.import_csv(office, CATALOGUE, actor="test")
    made: list[Till] = []
    for number, store in enumerate(stores, first):
        data = root / f"till-{store}-{number}" / "data"
        data.parent.mkdir()
        shop, _ = init_store(data, NewStore(store_name=store, currency="EUR", taxes=(("VAT", "20"),)))
        users.add_user(shop, None, "cashier", "cashier", PASSWORD)
        issued = enrolment.issue_token(office, store, f"T0{number}", issued_by="test")
        lane.enrol(shop.data_dir, running.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        cashier = auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor
        till = Till(store, shop, Fetcher(shop.data_dir), cashier)
        shop.clock = lambda now=till.now: now[0]
        if pull:
            till.pull()
        made.append(till)
    return made


@contextmanager
def two_stores(running: RunningOffice, root: Path) -> Iterator[list[Till]]:
    """`make_tills`, closed after: each test module's `tills` fixture."""
    made = make_tills(running, root)
    try:
        yield made
    finally:
        for till in made:
            till.fetch.close()
            till.shop.close()


def admin_of(till: Till) -> Actor:
    """The till's own admin, made at the till (not by the office)."""
    users.add_user(till.shop, None, "boss", "admin", PASSWORD)
    return auth.login(till.shop, "boss", PASSWORD, "127.0.0.1").actor
