"""The till's link to the office as staff see it (GET /office/status) and as its Z report
keeps it: enrolled or not, in touch or since when not, what waits and for how long."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.testclient import TestClient

from appliance.app.domain import report as report_rules
from appliance.app.services import office_link, outbox, sales, shifts
from appliance.app.services.outbox_push import ENROLLED_MARK
from appliance.drivers.escpos_receipt import render_report
from appliance.drivers.profiles import profile_named
from tests.conftest import Store

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def enrol(store: Store) -> None:
    """What `comptoir enrol` leaves that says enrolled; no push loop runs in these tests."""
    mark = store.shop.data_dir.joinpath(*ENROLLED_MARK)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("a client certificate\n")


def at(store: Store, moment: dt.datetime) -> None:
    store.shop.clock = lambda: moment


def stuck_office(store: Store, waiting: int) -> None:
    """The office took everything up to T0, answered once more an hour later without taking
    the events made at T0, and has not answered since."""
    at(store, T0 - dt.timedelta(minutes=1))
    outbox.acknowledged(store.shop, outbox.backlog(store.shop)["last_seq"])
    at(store, T0)
    for n in range(waiting):
        outbox.event(store.shop, "paid_in", None, amount=100 + n)
    at(store, T0 + dt.timedelta(hours=1))
    outbox.acknowledged(store.shop, outbox.backlog(store.shop)["last_seq"] - waiting)
    outbox.failed(store.shop, "ConnectError: [Errno 111]\n  Connection refused")


def test_a_till_not_enrolled_says_so_to_any_staff_and_to_nobody_else(
    client: TestClient, as_role: Any, store: Store
) -> None:
    for role in ("cashier", "supervisor", "manager", "auditor"):
        answer = as_role(role).get("/api/v1/office/status")
        assert answer.status_code == 200, answer.text
        assert answer.json()["enrolled"] is False
    assert client.get("/api/v1/office/status").status_code == 401
    assert office_link.at_close(store.shop) == {}


def test_an_enrolled_till_in_touch_then_out_of_touch_with_its_backlog_and_its_age(as_role: Any, store: Store) -> None:
    cashier = store.actor("cashier")  # a login is an audit entry, so an event: before the count
    enrol(store)
    stuck_office(store, 35)
    at(store, T0 + dt.timedelta(hours=1, seconds=170))
    near = office_link.status(store.shop, cashier)
    assert near["enrolled"] and near["in_touch"] and near["out_of_touch_seconds"] is None
    assert near["backlog"] == 35 and near["oldest_unsent_age_seconds"] == 3770

    at(store, T0 + dt.timedelta(hours=3))
    away = office_link.status(store.shop, cashier)
    assert away["in_touch"] is False and away["out_of_touch_seconds"] == 2 * 3600
    assert away["backlog"] == 35 and away["oldest_unsent_age_seconds"] == 3 * 3600
    assert away["oldest_unsent_at"] == "2026-12-06T09:00:00.000000Z"
    assert away["last_contact"] == "2026-12-06T10:00:00.000000Z"
    assert away["last_error"] == "ConnectError: [Errno 111] Connection refused"  # one line for a header

    answer = as_role("cashier").get("/api/v1/office/status")
    assert answer.status_code == 200 and answer.json()["enrolled"] is True


def test_an_enrolled_till_that_never_reached_the_office_is_out_of_touch_since_never(store: Store) -> None:
    enrol(store)
    link = office_link.status(store.shop, store.actor("cashier"))
    assert link["in_touch"] is False and link["last_contact"] is None and link["out_of_touch_seconds"] is None
    assert link["backlog"] == outbox.backlog(store.shop)["last_seq"] > 0  # the store's making, kept for it


def test_the_z_of_an_enrolled_till_keeps_the_link_at_close_and_prints_it(store: Store) -> None:
    enrol(store)
    stuck_office(store, 35)
    at(store, T0 + dt.timedelta(hours=3))
    shop, cashier = store.shop, store.actor("cashier")
    shifts.open_shift(shop, cashier, {"2000": 5})
    sale = sales.open_sale(shop, cashier)
    sales.add_item(shop, cashier, sale["id"], sku="BRD", quantity=1)
    sales.pay_cash(shop, cashier, sale["id"], 350)
    # Mid-shift, the X says the same of the link as it is now.
    x = shifts.x_report(shop, cashier)
    assert x["office"] == {
        "backlog": outbox.backlog(shop)["backlog"],
        "oldest_unsent_age_seconds": 3 * 3600,
        "last_contact": "2026-12-06T10:00:00.000000Z",
    }
    assert ("Office", "") in shifts.report_rows(x)
    z = shifts.close_shift(shop, cashier, {"2000": 5, "100": 3, "25": 2})
    # What waited at the close: everything unacknowledged before the Z's own event.
    closed_at_seq = [e["seq"] for e in outbox.events(shop) if e["kind"] == "shift_closed"][-1]
    waiting = closed_at_seq - 1 - outbox.backlog(shop)["acked_seq"]
    assert waiting > 35  # the shift, the sale and the count wait behind the stuck ones
    assert z["office"] == {
        "backlog": waiting,
        "oldest_unsent_age_seconds": 3 * 3600,
        "last_contact": "2026-12-06T10:00:00.000000Z",
    }
    assert shifts.z_report(shop, store.actor("manager"), z["shift"])["office"] == z["office"]
    sent = outbox.events(shop, after=closed_at_seq - 1, limit=1)[0]["body"]
    assert sent["z"]["office"] == z["office"]  # the office gets it with the Z

    rows = shifts.report_rows(z)
    contact = report_rules.wall_clock("2026-12-06T10:00:00.000000Z", report_rules.zone_named(shop.settings.timezone))
    assert rows[-4:] == [
        ("Office", ""),
        ("  events not sent", str(waiting)),
        ("  oldest not sent", "3 h 00 min"),
        ("  last contact", contact),
    ]
    paper = render_report("Z report", rows, profile_named(shop.config.printer_profile)).decode("ascii", "replace")
    assert "events not sent" in paper and str(waiting) in paper


def test_the_z_of_a_till_not_enrolled_says_nothing_of_an_office(store: Store) -> None:
    shop, cashier = store.shop, store.actor("cashier")
    shifts.open_shift(shop, cashier, {"2000": 5})
    z = shifts.close_shift(shop, cashier, {"2000": 5})
    assert "office" not in z
    assert all(label != "Office" for label, _ in shifts.report_rows(z))
