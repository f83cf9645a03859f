"""The back office's part of the contract test's day (test_contract.py): stock and purchase
orders, customers, the time clock, the store rules, promotions and the item grid, the
self-service calls, staff accounts, the receipt printer's queue, the drawer's "no sale" and
the reports the day did not read. Each
typed route is called at least once, so that its answer is checked against its schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from appliance.app.services.devices import TillDevices
from appliance.app.services.print_queue import PrintWorker
from appliance.app.services.printing import drawer_kick
from appliance.app.services.shop import Shop
from appliance.drivers.printer_file import FilePrinter
from tests.conftest import PASSWORD

FLOAT = {"2000": 5, "1000": 5, "500": 4, "200": 10, "100": 10, "25": 20}


def drive_the_back_office(d: Any, shop: Shop) -> None:
    cashier, supervisor, manager = d.login("cashier"), d.login("supervisor"), d.login("manager")
    _stock(d, manager)
    customer = _customers(d, cashier, manager)
    _rules_and_screens(d, cashier, supervisor, manager)
    _staff(d, manager)
    _no_sale(d, shop, supervisor)
    # A till with a printer from here on (nobody prints: the jobs wait in the queue).
    shop.config = dataclasses.replace(shop.config, printer="tcp://127.0.0.1:9")
    _a_second_shift(d, supervisor, manager, customer)
    d.call(manager, "POST", f"/customers/{customer}/erase", json={"reason": "asked to be forgotten"})
    for report in ("by-hour", "by-employee", "slow-products", "voids-and-discounts", "timesheet", "stock-value"):
        d.call(manager, "GET", f"/reports/{report}")


def _stock(d: Any, manager: dict[str, str]) -> None:
    d.call(manager, "GET", "/stock", params={"q": "Br"})
    d.call(manager, "GET", "/stock/products/BRD")
    supplier = d.call(manager, "POST", "/suppliers", ok=201, json={"name": "Dairy Co", "email": "orders@dairy.test"})
    d.call(manager, "GET", "/suppliers")
    rules = {"cost": 150, "reorder_point": 50, "reorder_quantity": 24, "supplier_id": supplier["id"]}
    d.call(manager, "PATCH", "/stock/products/MLK", json=rules)
    d.call(manager, "PATCH", "/stock/products/GUM", json={"reorder_point": 50})  # low, and nobody to order from
    d.call(manager, "GET", "/stock/low")
    d.call(manager, "POST", "/stock/adjustments", ok=201, json={"sku": "BRD", "quantity": -1, "reason": "damaged"})
    d.call(
        manager,
        "POST",
        "/stock/counts",
        ok=201,
        json={"reason": "shelf count", "lines": [{"sku": "APL", "counted": 90}]},
    )
    d.call(manager, "GET", "/stock/movements", params={"sku": "BRD"})
    d.call(manager, "POST", "/purchase-orders/suggest", ok=201)
    lines = [{"sku": "BRD", "quantity": 10, "unit_cost": 120}]
    order = d.call(manager, "POST", "/purchase-orders", ok=201, json={"supplier_id": supplier["id"], "lines": lines})
    d.call(manager, "GET", "/purchase-orders")
    d.call(manager, "GET", f"/purchase-orders/{order['id']}")
    d.call(manager, "POST", f"/purchase-orders/{order['id']}/send")
    d.call(
        manager,
        "POST",
        f"/purchase-orders/{order['id']}/receipts",
        ok=201,
        json={"lines": [{"sku": "BRD", "quantity": 4}]},
    )
    other = d.call(manager, "POST", "/purchase-orders", ok=201, json={"supplier_id": supplier["id"], "lines": lines})
    d.call(manager, "POST", f"/purchase-orders/{other['id']}/cancel")


def _staff(d: Any, manager: dict[str, str]) -> None:
    """A manager takes on a cashier, who sets their own password, PIN and language; then
    every change a manager makes to an account."""
    d.call(manager, "POST", "/users", ok=201, json={"username": "newbie", "role": "cashier", "password": PASSWORD})
    newbie = d.login("newbie")
    chosen = "Her-own-secret-2026"
    d.call(newbie, "POST", "/auth/password", json={"current": PASSWORD, "new": chosen})
    d.call(newbie, "POST", "/auth/pin", json={"current": chosen, "new": "4826"})
    d.call(newbie, "POST", "/auth/language", json={"language": "fr"})
    d.call(newbie, "GET", "/auth/me")
    d.call(newbie, "POST", "/auth/logout")
    d.call(manager, "POST", "/users", ok=201, json={"username": "temp", "role": "cashier"})  # a one-time password
    d.call(manager, "GET", "/users")
    d.call(manager, "PUT", "/users/newbie/badge", json={"badge": "STAFF-0042"})
    d.call(manager, "DELETE", "/users/newbie/badge")
    d.call(manager, "POST", "/users/newbie/pin")
    d.call(manager, "POST", "/users/newbie/unlock")
    d.call(manager, "POST", "/users/newbie/reset-password")
    d.call(manager, "PATCH", "/users/temp", json={"active": False})


def _no_sale(d: Any, shop: Shop, supervisor: dict[str, str]) -> None:
    """The drawer opens through a printer: the till is lent a print worker writing to a
    file (not started, so no queued receipt prints) for the one pulse, then loses it."""
    devices = shop.devices
    assert isinstance(devices, TillDevices) and devices.printer is None
    paper = shop.data_dir / "printer.bin"
    devices.printer = PrintWorker(shop.db, FilePrinter(paper))
    try:
        d.call(supervisor, "POST", "/drawer/open", json={"reason": "change for the float"})
    finally:
        devices.printer = None
    assert paper.read_bytes() == drawer_kick(shop.config).command()


def _customers(d: Any, cashier: dict[str, str], manager: dict[str, str]) -> int:
    enrol = {"name": "Jean Tremblay", "email": "jean@example.test", "consent": True, "loyalty_card": "LOYAL1234"}
    customer = int(d.call(manager, "POST", "/customers", ok=201, json=enrol)["id"])
    d.call(manager, "GET", "/customers", params={"q": "Jean"})
    d.call(cashier, "GET", "/customers", params={"q": "Jea"})  # the till's view: contact withheld
    d.call(manager, "GET", f"/customers/{customer}")
    d.call(manager, "PATCH", f"/customers/{customer}", json={"phone": "+1 514 555 0100"})
    d.call(manager, "POST", f"/customers/{customer}/points", json={"points": 50, "reason": "goodwill"})
    return customer


def _rules_and_screens(d: Any, cashier: dict[str, str], supervisor: dict[str, str], manager: dict[str, str]) -> None:
    d.call(cashier, "GET", "/time-clock")
    d.call(cashier, "POST", "/time-clock", json={"action": "clock_in"})
    d.call(cashier, "POST", "/time-clock", json={"action": "break_start"})
    boss = d.login("boss")  # an admin: store rules and the self-service screen's timings
    d.call(boss, "PUT", "/settings/rules", json={"gift_card_expiry_days": 365})
    today = dt.date.today()
    offer = {
        "name": "Two milks",
        "kind": "multi_price",
        "sku": "MLK",
        "quantity": 2,
        "price": 1000,
        "starts": today.isoformat(),
        "ends": (today + dt.timedelta(days=7)).isoformat(),
    }
    promotion = d.call(manager, "POST", "/promotions", ok=201, json=offer)
    d.call(cashier, "GET", "/promotions")
    d.call(manager, "DELETE", f"/promotions/{promotion['id']}")
    d.call(manager, "POST", "/categories", ok=201, json={"name": "Bakery"})
    d.call(cashier, "GET", "/categories")
    new = {"sku": "CRO", "name": "Croissant", "price": 225, "category": "Bakery"}
    d.call(manager, "POST", "/products", ok=201, json=new)
    catalogue = "sku,name,price\nTEA,Green tea,3.49\n"
    d.call(manager, "POST", "/products/import", ok=201, content=catalogue, headers={"content-type": "text/csv"})
    d.call(manager, "GET", "/products/CRO")
    d.call(manager, "PATCH", "/products/CRO", json={"price": 250})
    d.call(manager, "PUT", "/item-grid", json={"tabs": [{"category": "Bakery", "products": ["BRD"]}]})
    d.call(cashier, "GET", "/item-grid")
    d.call(cashier, "GET", "/selfservice/config")
    d.call(boss, "PUT", "/selfservice/config", json={"idle_seconds": 90, "countdown_seconds": 20})
    d.call(cashier, "POST", "/selfservice/attendant", ok=201, json={"reason": "help"})
    d.call(supervisor, "GET", "/selfservice/attendant")
    _pair_a_display(d, cashier)


def _pair_a_display(d: Any, cashier: dict[str, str]) -> None:
    """The customer display pairs with a code, then asks with its own cookie (no session)."""
    code = d.call(cashier, "POST", "/display/pairing-code", ok=201)["code"]
    d.call({}, "POST", "/display/pair", ok=201, json={"code": code})
    d.call({}, "GET", "/display/paired")
    d.call(cashier, "GET", "/display/pairing")
    d.call(cashier, "DELETE", "/display/pairing")


def _a_second_shift(d: Any, supervisor: dict[str, str], manager: dict[str, str], customer: int) -> None:
    """A sale named on the customer (their purchases), a reprint, an X and a Z on paper."""
    d.call(manager, "POST", "/shifts", ok=201, json={"count": FLOAT})
    sale = int(d.call(manager, "POST", "/sales", ok=201)["id"])
    d.call(manager, "POST", f"/sales/{sale}/items", json={"sku": "APL"})
    d.call(manager, "PUT", f"/sales/{sale}/customer", json={"customer_id": customer})
    d.call(manager, "POST", f"/sales/{sale}/payments", ok=201, json={"method": "cash", "amount": 200})
    d.call(manager, "GET", f"/customers/{customer}/purchases")
    copy = d.call(supervisor, "POST", f"/sales/{sale}/reprint", ok=201)
    d.call(supervisor, "GET", "/printer")
    d.call(supervisor, "POST", f"/print-jobs/{copy['job']}/cancel")
    d.call(manager, "POST", "/shifts/current/x-report/print", ok=201)
    expected = d.call(manager, "GET", "/shifts/current/x-report")["cash"]["expected"]
    nickels = (expected - 20500) // 5
    closed = d.call(manager, "POST", "/shifts/current/close", json={"count": {**FLOAT, "5": nickels}})
    d.call(manager, "POST", f"/shifts/{closed['shift']}/z-report/print", ok=201)
