"""The office's catalogue, pulled by real tills over mutual TLS and applied to their real
encrypted stores (docs/office.md, "The catalogue feed")."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from appliance.app.domain.errors import Conflict, DomainError
from appliance.app.services import auth, catalog, office_feed, sales, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import office_feed as feed_store
from appliance.lane import enrolment as lane
from appliance.lane.feed import Fetcher
from appliance.office.services import catalogue, enrolment
from appliance.office.services.office import Office
from tests.office.conftest import RunningOffice, served

PASSWORD = "Sesame-2026-open"  # test accounts only

CATALOGUE = """sku,name,price,tax_class,barcodes,category
APL,Apple,1.25,standard,4006381333931,Fruit
BRD,Bread,3.49,reduced,96385074,Bakery
MLK,Milk 2 L,5.29,standard,036000291452,Dairy
"""


@dataclass
class Till:
    shop: Shop
    fetch: Fetcher
    cashier: Actor

    def pull(self, **kw: Any) -> int:
        return office_feed.pull(self.shop, self.fetch, **kw)

    def product(self, sku: str) -> Any:
        return catalog_store.by_sku(self.shop.db.conn, sku)

    def scan(self, code: str) -> int:
        sale = sales.open_sale(self.shop, self.cashier)
        view = sales.add_item(self.shop, self.cashier, sale["id"], barcode=code)
        return int(view["lines"][-1]["unit_price"])


def _office(running: RunningOffice) -> Office:
    return running.office  # type: ignore[return-value]


def _standard_taxes(office: Office) -> None:
    catalogue.put_tax_class(office, "standard", "Standard", [("VAT", "20")], actor="test")
    catalogue.put_tax_class(office, "reduced", "Reduced", [("VAT", "5.5")], actor="test")


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    made: list[Till] = []
    for number in (1, 2):
        data = tmp_path / f"till{number}" / "data"
        data.parent.mkdir()
        shop, _ = init_store(data, NewStore(store_name=f"Lyon {number}", currency="EUR", taxes=(("VAT", "20"),)))
        users.add_user(shop, None, "cashier", "cashier", PASSWORD)
        issued = enrolment.issue_token(_office(running_office), "lyon", f"T0{number}", issued_by="test")
        lane.enrol(shop.data_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        cashier = auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor
        made.append(Till(shop, Fetcher(shop.data_dir), cashier))
    yield made
    for till in made:
        till.fetch.close()
        till.shop.close()


def test_a_price_change_at_the_office_reaches_two_tills(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    for till in tills:
        assert till.pull() == 8  # 2 tax classes, 3 categories, 3 products
        bread = till.product("BRD")
        assert (bread.name, bread.price, bread.tax_class, bread.category) == ("Bread", 349, "reduced", "Bakery")
        assert bread.barcodes == ("96385074",)
        assert till.scan("4006381333931") == 125
    done = catalogue.import_csv(office, "sku,name,price\nAPL,Apple,1.35\n", actor="test")
    assert done.changed == 1
    for till in tills:
        assert till.pull() == 1
        assert till.product("APL").price == 135
        assert till.scan("4006381333931") == 135
        assert till.pull() == 0  # nothing new: nothing applied, the cursor stays
        assert office_feed.cursor(till.shop) == done.version


def test_a_product_added_then_withdrawn_at_the_office(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    till = tills[0]
    till.pull()
    catalogue.import_csv(office, "sku,name,price,barcodes\nEGG,Eggs x6,2.10,4006381333948\n", actor="test")
    till.pull()
    assert till.scan("4006381333948") == 210
    catalogue.withdraw(office, ["EGG"], actor="test")
    assert till.pull() == 1
    gone = till.product("EGG")
    assert gone is not None and not gone.active  # kept for its sales, off sale
    with pytest.raises(DomainError):
        till.scan("4006381333948")


def test_the_till_refuses_to_change_what_the_office_owns(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    till = tills[0]
    till.pull()
    users.add_user(till.shop, None, "boss", "admin", PASSWORD)
    boss = auth.login(till.shop, "boss", PASSWORD, "127.0.0.1").actor
    with pytest.raises(Conflict) as refused:
        catalog.change_product(till.shop, boss, "APL", {"price": 99})
    assert refused.value.code == "office_owned"
    assert "at the office" in refused.value.message
    assert till.product("APL").price == 125
    # The cost and the stock stay the till's.
    catalog.change_product(till.shop, boss, "APL", {"cost": 60})
    assert catalog_store.by_sku(till.shop.db.conn, "APL").cost == 60  # type: ignore[union-attr]


def test_a_product_can_come_before_the_tax_class_it_names_changed(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, "sku,name,price,tax_class\nBRD,Bread,3.49,reduced\n", actor="test")
    # The tax class changes after the product: its row is now later than the product's.
    catalogue.put_tax_class(office, "reduced", "Reduced rate", [("VAT", "10")], actor="test")
    till = tills[0]
    till.pull(page_size=1, chunk=1)  # the product arrives on a page before its tax class's row
    assert till.product("BRD").tax_class == "reduced"
    assert till.shop.tax_classes["reduced"].name == "Reduced rate"
    assert [t.rate for t in till.shop.tax_classes["reduced"].taxes] == ["10"]


def _many(start: int, count: int, price: str = "1.00") -> str:
    rows = [f"P{n:06d},Product {n},{price},standard,,Aisle {n % 7}" for n in range(start, start + count)]
    return "sku,name,price,tax_class,barcodes,category\n" + "\n".join(rows) + "\n"


def test_a_till_killed_mid_apply_resumes_exactly(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    till = tills[0]
    till.pull()  # the tax classes: from here on, every row is a product's
    rows = [f"P{n:06d},Product {n},1.00" for n in range(20)]
    catalogue.import_csv(office, "sku,name,price\n" + "\n".join(rows) + "\n", actor="test")
    calls: list[str] = []
    real = feed_store.put_product

    def dies_at_the_ninth(conn: Any, product: Any, version: int, now: str) -> None:
        if len(calls) == 8:
            raise KeyboardInterrupt  # the process stops here, in the middle of a transaction
        calls.append(product.sku)
        real(conn, product, version, now)

    monkeypatch.setattr(feed_store, "put_product", dies_at_the_ninth)
    with pytest.raises(KeyboardInterrupt):
        till.pull(chunk=5)
    # Chunks of 5: the first committed, the second died in the middle and rolled back whole.
    applied = [p for p in (till.product(f"P{n:06d}") for n in range(20)) if p is not None]
    assert [p.sku for p in applied] == [f"P{n:06d}" for n in range(5)]
    cursor = office_feed.cursor(till.shop)
    monkeypatch.setattr(feed_store, "put_product", real)
    resumed: list[str] = []

    def counted(conn: Any, product: Any, version: int, now: str) -> None:
        resumed.append(product.sku)
        real(conn, product, version, now)

    monkeypatch.setattr(feed_store, "put_product", counted)
    till.pull(chunk=5)
    assert resumed == [f"P{n:06d}" for n in range(5, 20)]  # none twice, none lost
    assert office_feed.cursor(till.shop) > cursor
    assert all(till.product(f"P{n:06d}") is not None for n in range(20))


def test_a_scan_answers_while_a_large_change_is_applied(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    till = tills[0]
    till.pull()
    catalogue.import_csv(office, _many(0, 3000), actor="test")
    final = catalogue.status(office)["version"]
    errors: list[BaseException] = []

    def pull() -> None:
        try:
            till.pull(page_size=500, chunk=100)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    puller = threading.Thread(target=pull)
    puller.start()
    seen_mid_apply: list[int] = []
    while puller.is_alive():
        assert till.scan("4006381333931") == 125
        cursor = office_feed.cursor(till.shop)
        if cursor < final:
            seen_mid_apply.append(cursor)
    puller.join()
    assert errors == []
    # Scans went through between the chunks, not after the whole change.
    assert len(seen_mid_apply) >= 2
    assert office_feed.cursor(till.shop) == final
    assert till.product("P002999") is not None


def test_the_feed_sends_each_thing_once_as_it_is_now_in_pages(running_office: RunningOffice) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    first = catalogue.import_csv(office, _many(0, 10), actor="test")
    assert first.changed == 17  # 7 aisles and 10 products
    again = catalogue.import_csv(office, _many(0, 10), actor="test")
    assert again.changed == 0 and again.version == first.version  # the same file changes nothing
    catalogue.import_csv(office, _many(3, 2, price="2.00"), actor="test")
    issued = enrolment.issue_token(office, "lyon", "T09", issued_by="test")
    fingerprint = _lane_fingerprint(running_office, issued.token)
    page = catalogue.feed(office, fingerprint, after=first.version, limit=1)
    assert [c["key"] for c in page["changes"]] == ["P000003"] and page["more"]
    page = catalogue.feed(office, fingerprint, after=page["next"], limit=10)
    assert [c["key"] for c in page["changes"]] == ["P000004"] and not page["more"]
    assert [c["body"]["price"] for c in page["changes"]] == [200]


def _lane_fingerprint(running: RunningOffice, token: str) -> str:
    from appliance.security import pki

    folder = running.data_dir.parent / "lane-for-feed"
    folder.mkdir()
    found = lane.enrol(folder, running.enrol_url, token, ca_fingerprint=None, warn=lambda _: None)
    return pki.fingerprint(pki.load_cert(found.cert_path))


def test_a_bad_file_imports_nothing(running_office: RunningOffice) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    before = catalogue.status(office)
    bad = (
        "sku,name,price,tax_class,barcodes\n"
        "NEW,New,1.00,standard,\nTEA,Tea,2.00,luxury,\nJAM,Jam,3.00,standard,96385074\n"
    )
    with pytest.raises(catalogue.ImportRejected) as refused:
        catalogue.import_csv(office, bad, actor="test")
    errors = refused.value.details["errors"]
    assert any("line 3" in e and "luxury" in e for e in errors)
    assert any("line 4" in e and "96385074 already belongs to BRD" in e for e in errors)
    assert catalogue.status(office) == before


_CHILD = """
import sys, time
from pathlib import Path
from appliance.app.services import office_feed
from appliance.app.services.opening import open_shop
from appliance.app.store import office_feed as feed_store
from appliance.config import load
from appliance.lane.feed import Fetcher

real = feed_store.put_product
def slowly(*args):
    time.sleep(0.002)  # long enough for the parent to catch it between two chunks' commits
    real(*args)
feed_store.put_product = slowly
shop = open_shop(load(Path(sys.argv[1])))
office_feed.pull(shop, Fetcher(shop.data_dir), page_size=200, chunk=20)
"""


def test_a_till_killed_by_signal_mid_apply_resumes_exactly(
    running_office: RunningOffice, tills: list[Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    office = _office(running_office)
    _standard_taxes(office)
    till = tills[0]
    till.pull()
    rows = [f"K{n:05d},Kill {n},1.00" for n in range(1000)]
    catalogue.import_csv(office, "sku,name,price\n" + "\n".join(rows) + "\n", actor="test")
    final = catalogue.status(office)["version"]
    start = office_feed.cursor(till.shop)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(till.shop.data_dir)], cwd=Path(__file__).resolve().parents[2]
    )
    try:
        deadline = time.monotonic() + 120
        while office_feed.cursor(till.shop) == start:
            assert child.poll() is None, "the child ended before it applied anything"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    at_kill = office_feed.cursor(till.shop)
    assert start < at_kill < final, "the kill came after the whole change: nothing to resume"
    present = {n for n in range(1000) if till.product(f"K{n:05d}") is not None}
    assert present == set(range(len(present)))  # a prefix, committed with the cursor
    resumed: list[str] = []
    real = feed_store.put_product

    def counted(conn: Any, product: Any, version: int, now: str) -> None:
        resumed.append(product.sku)
        real(conn, product, version, now)

    monkeypatch.setattr(feed_store, "put_product", counted)
    till.pull()
    assert resumed == [f"K{n:05d}" for n in range(len(present), 1000)]  # none twice, none lost
    assert office_feed.cursor(till.shop) == final


def test_the_feed_knows_a_till_enrolled_as_enrolment_leaves_it(running_office: RunningOffice, tmp_path: Path) -> None:
    from appliance.lane import feed

    assert (feed.OFFICE_DIR, feed.CLIENT_CERT) == (lane.OFFICE_DIR, lane.CLIENT_CERT)
    folder = tmp_path / "a-till"
    folder.mkdir()
    assert not feed.enrolled(folder)
    issued = enrolment.issue_token(_office(running_office), "lyon", "T07", issued_by="test")
    lane.enrol(folder, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    assert feed.enrolled(folder)


def test_an_enrolled_tills_start_up_pulls_the_catalogue_in_the_background(
    running_office: RunningOffice, tills: list[Till], tmp_path: Path
) -> None:
    import time

    from appliance.app import server

    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    final = catalogue.status(office)["version"]
    unenrolled, _ = init_store(tmp_path / "alone" / "data", NewStore(store_name="Alone"))
    try:
        assert server.start_office_feed(unenrolled) is None  # nothing runs on a till that is not a lane
    finally:
        unenrolled.close()
    till = tills[0]
    loop = server.start_office_feed(till.shop)
    assert loop is not None
    try:
        deadline = time.monotonic() + 60
        while office_feed.cursor(till.shop) < final:
            assert time.monotonic() < deadline, "the loop never applied the office's catalogue"
            time.sleep(0.05)
    finally:
        loop.stop()
    assert till.product("APL").price == 125


def test_a_barcode_moves_from_one_product_to_another_in_one_file(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    till = tills[0]
    till.pull()
    catalogue.import_csv(
        office, "sku,name,price,barcodes\nAPL,Apple,1.25,\nPEA,Pear,0.90,4006381333931\n", actor="test"
    )
    till.pull()
    assert till.scan("4006381333931") == 90
    assert till.product("APL").barcodes == ()


def test_a_bad_cursor_is_a_422_with_its_reason(running_office: RunningOffice, tills: list[Till]) -> None:
    with lane.client(lane.link(tills[0].shop.data_dir)) as http:
        for query in ("after=x", "after=-1", "after=0&limit=0", "after=0&limit=5001"):
            answer = http.get(f"/v1/catalogue?{query}")
            assert answer.status_code == 422, query
            assert answer.json()["error"] == "invalid_cursor"
        assert http.get("/v1/catalogue").json()["changes"] == []


class Closing:
    """A till's fetcher that counts its closes."""

    def __init__(self, fetch: Fetcher) -> None:
        self.fetch, self.closed = fetch, 0

    def __call__(self, after: int, limit: int) -> dict[str, Any]:
        return self.fetch(after, limit)

    def close(self) -> None:
        self.closed += 1
        self.fetch.close()


def test_a_stopped_feed_closes_its_connection_to_the_office(running_office: RunningOffice, tills: list[Till]) -> None:
    import time

    office = _office(running_office)
    _standard_taxes(office)
    catalogue.import_csv(office, CATALOGUE, actor="test")
    till = tills[0]
    fetch = Closing(till.fetch)
    loop = office_feed.CatalogueFeed(till.shop, fetch, first=0.0).start()
    deadline = time.monotonic() + 60
    while office_feed.cursor(till.shop) < catalogue.status(office)["version"]:
        assert time.monotonic() < deadline, "the loop never applied the office's catalogue"
        time.sleep(0.05)
    assert fetch.closed == 0, "the connection is kept between looks"
    loop.stop()
    assert fetch.closed == 1


def test_the_office_stops_promptly_while_a_lane_idles_on_a_kept_connection(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    """A lane's kept TLS connection does not answer the office's close: the office's stop (a
    restart, an update) waited 30 s on it."""
    import json
    import time

    from appliance.office import server
    from appliance.processes import free_port

    till = tills[0]
    link = till.shop.data_dir / "office" / "office.json"
    port = free_port()
    link.write_text(json.dumps({**json.loads(link.read_text()), "lane_url": f"https://127.0.0.1:{port}"}))
    with served(server.servers(_office(running_office), "127.0.0.1", port, free_port())):
        till.pull()  # the fetcher keeps its connection open, idle
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    assert stopped < 12, f"the office took {stopped:.1f} s to stop"
    till.fetch.close()
