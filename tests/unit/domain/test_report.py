"""The report arithmetic without a store: the store's calendar, sales net of gift cards,
the X/Z figures, readable CSV."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from appliance.app.domain import report

MONTREAL = ZoneInfo("America/Montreal")


def test_a_quarter_hour_lands_on_the_store_s_day_and_hour() -> None:
    # 04:30 UTC on 2 March is 23:30 on 1 March in Montreal (EST, UTC-5).
    ((moment, _),) = report.quarters([("2026-03-02T04:2", 1)], MONTREAL)
    assert (moment.date().isoformat(), moment.hour, moment.minute) == ("2026-03-01", 23, 30)
    # After the spring change (8 March 2026) the same UTC quarter is 00:30 on the 9th (EDT, UTC-4).
    ((moment, _),) = report.quarters([("2026-03-09T04:2", 1)], MONTREAL)
    assert (moment.date().isoformat(), moment.hour) == ("2026-03-09", 0)


def test_half_hour_zones_put_a_quarter_on_its_own_hour() -> None:
    ((moment, _),) = report.quarters([("2026-03-01T20:2", 1)], ZoneInfo("Asia/Kolkata"))  # UTC+5:30
    assert (moment.date().isoformat(), moment.hour, moment.minute) == ("2026-03-02", 2, 0)


def test_sales_by_day_take_the_gift_cards_out() -> None:
    rows = [("2026-03-01", [3, 1000 + 5000 + 349, 50, 1050 + 5000 + 349])]
    cards = report.card_sales([("2026-03-01T15:0", 7, 1, 5000, 1)], MONTREAL)
    days = report.sales_by_day(["2026-03-01", "2026-03-02"], rows, cards)
    first = days["2026-03-01"]
    assert (first.sales, first.subtotal, first.tax, first.total, first.gift_cards) == (2, 1349, 50, 1399, 5000)
    assert first.average == 699
    assert days["2026-03-02"].sales == 0  # a day without sales is still a day of the report


def test_a_sale_of_goods_and_a_card_still_counts_as_a_sale() -> None:
    cards = report.card_sales([("2026-03-01T15:0", 7, 1, 2000, 0)], MONTREAL)
    hours = report.sales_by_hour([("2026-03-01T15:0", 1, 2349, 0, 2349)], cards, MONTREAL)
    assert (hours[10].sales, hours[10].total, hours[10].gift_cards) == (1, 349, 2000)
    assert sum(h.sales for h in hours) == 1


def test_x_and_z_figures_give_gift_cards_their_own_line() -> None:
    figures = report.shift_figures((3, 7349, 50, 0), (2, 7000, 1), [("cash", 3, 7349)], (0, 0), 1)
    assert figures["sales"] == {"count": 2, "total": 349, "tax": 50, "discount": 0}
    assert figures["gift_cards"] == {"count": 2, "amount": 7000}
    assert figures["tenders"] == [{"method": "cash", "count": 3, "amount": 7349}]


def test_csv_headers_are_for_people_and_money_stays_whole() -> None:
    text = report.to_csv(
        {"columns": ["day", "subtotal", "gift_cards_sold"], "rows": [{"day": "2026-03-01", "subtotal": -5}]}
    )
    assert text.splitlines() == ["Day,Net sales,Gift cards sold (liability)", "2026-03-01,-5,"]
    assert report.label("worked_minutes") == "Minutes worked" and report.label("new_thing") == "New thing"


def test_times_are_shown_on_the_store_s_clock() -> None:
    assert report.local("2026-03-02T04:30:00.000000Z", MONTREAL) == "2026-03-01T23:30:00-05:00"
    assert report.wall_clock("2026-03-02T04:30:00.000000Z", MONTREAL) == "2026-03-01 23:30"
    assert report.local(None, MONTREAL) is None
    assert report.zone_named("Not/A_Zone") == ZoneInfo("UTC")


def test_a_period_s_days_are_local_days() -> None:
    start = dt.datetime(2026, 3, 1, 5, tzinfo=dt.UTC)
    p = report.Period(start, start + dt.timedelta(days=2), MONTREAL)
    assert [d for d, _, _ in p.days()] == ["2026-03-01", "2026-03-02"]
    assert p.bounds == ("2026-03-01T05:00:00.000000Z", "2026-03-03T05:00:00.000000Z")


def test_x_and_z_refunds_leave_the_gift_cards_they_took_back_to_their_own_line() -> None:
    figures = report.shift_figures((1, 2349, 0, 0), (1, 2000, 0), [("cash", 1, 2349)], (1, 2349), 0, (1, 2000))
    assert figures["sales"]["total"] == 349 and figures["refunds"] == {"count": 1, "amount": 349}
    assert figures.get("gift_cards_returned") == {"count": 1, "amount": 2000}


def test_returns_without_a_receipt_book_balanced_lines_and_their_own_rounding() -> None:
    sums = {("2026-03-01", "cash"): [1, 347, 0, -2], ("2026-03-01", "gift_card"): [1, 608, 79, 0]}
    lines, rounding = report.without_receipt_journal(sums, "2026-03-01")
    assert sum(debit for _, debit, _, _ in lines) == sum(credit for _, _, credit, _ in lines) == 347 + 608
    assert rounding == -2
    assert report.without_receipt_journal(sums, "2026-03-02") == ([(a, 0, 0, m) for a, _, _, m in lines], 0)
    rows = [("q", "cash", 1, 347, 0, -2), ("q", "gift_card", 1, 608, 79, 0)]
    assert report.without_receipt_sums(rows) == {
        "count": 2,
        "amount": 955,
        "tax": 79,
        "cash": 347,
        "cash_rounding": -2,
        "store_credit": 608,
    }
    assert report.with_cash_returned({"card": 100}, rows) == {"card": 100, "cash": 347}
    assert report.with_cash_returned({"card": 100}, rows[1:]) == {"card": 100}  # store credit is no tender
