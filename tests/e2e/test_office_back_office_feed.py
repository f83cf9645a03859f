"""The back office's prices from a date in Debian's Chromium, headless: a chain admin of a
French office sets Lyon's apple at 0,99 from midnight on the Prices page; a real till of
Lyon pulls the feed over mutual TLS and scans the apple at 0.99 from midnight on, while
Paris's till is sent nothing. The new pages (prices, store staff,
store rules, promotions, item grids) are clean under axe. A real office on a throwaway
PostgreSQL cluster (tests/office/conftest.py), real tills (tests/office/two_stores.py).

Screenshots land in test-artifacts/screens/ (names start with `office-feed-`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import AXE, Axe
from tests.e2e.test_office_back_office import log_in_and_choose_a_password, tab
from tests.office.conftest import (  # noqa: F401 fixtures
    RunningOffice,
    office_dir,
    office_dsn,
    pg_cluster,
    running_office,
    served,
)
from tests.office.two_stores import Till, office_of, two_stores

pytestmark = pytest.mark.slow

APPLE = "4006381333931"
MIDNIGHT = dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC)  # Lyon's midnight, 2026-12-07T00:00+01:00


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:  # noqa: F811 the fixture above
    with two_stores(running_office, tmp_path) as made:
        yield made


@pytest.fixture
def back_office(running_office: RunningOffice, tills: list[Till]) -> Iterator[str]:  # noqa: F811
    """The same office's back office, French (its people type 12,50), on a port of its own."""
    from appliance.office import server
    from appliance.processes import free_port

    port = free_port()
    found = server.servers(office_of(running_office), "127.0.0.1", free_port(), free_port(), port, locale="fr")
    with served(found):
        yield f"https://127.0.0.1:{port}"


def test_a_price_set_on_the_prices_page_reaches_the_stores_till_at_midnight(
    browser: Any, back_office: str, tills: list[Till], screenshot: Any
) -> None:
    lyon, paris = tills
    context, page, problems = tab(browser)
    try:
        log_in_and_choose_a_password(page, back_office)
        page.get_by_role("link", name="Prices from a date").click()
        page.get_by_label("Product (SKU)").fill("APL")
        page.get_by_role("button", name="Show its prices").click()
        expect(page.get_by_text("its catalogue price is 1,25 EUR")).to_be_visible()
        page.get_by_label("Price in EUR").fill("0,99")
        page.get_by_label("From (date, time and offset").fill("2026-12-07T00:00+01:00")
        page.get_by_label("Where").select_option("lyon")
        page.get_by_role("button", name="Set the price").click()
        expect(page.get_by_role("status")).to_contain_text("APL at 0,99 EUR")
        prices = page.get_by_role("table", name="Prices of APL from a date, the earliest first")
        expect(prices.get_by_role("row").nth(1)).to_contain_text("0,99 EUR")
        expect(prices.get_by_role("row").nth(1)).to_contain_text("lyon")
        expect(prices.get_by_role("row").nth(1)).to_contain_text("2026-12-06 23:00:00 UTC")
        screenshot(page, "office-feed-01-prices")
    finally:
        context.close()
    assert not problems, "the pages logged errors (a CSP refusal shows here):\n" + "\n".join(problems)
    # The feed a till pulls: Lyon's till gets the row, Paris's nothing; the price holds from midnight.
    assert (lyon.pull(), paris.pull()) == (1, 0)
    lyon.at(MIDNIGHT - dt.timedelta(seconds=1))
    assert lyon.scan(APPLE) == 125
    for till in tills:
        till.at(MIDNIGHT)
    assert (lyon.scan(APPLE), paris.scan(APPLE)) == (99, 125)


def test_the_prices_store_staff_rules_promotions_and_grids_pages_are_clean_under_axe(
    browser: Any, back_office: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    context, page, problems = tab(browser, axe=True)
    axe = Axe()
    try:
        log_in_and_choose_a_password(page, back_office)
        for path, name in (
            ("/prices?sku=APL", "office-prices"),
            ("/store-staff?store=lyon", "office-store-staff"),
            ("/rules?store=lyon", "office-rules"),
            ("/promotions", "office-promotions"),
            ("/item-grids", "office-item-grids"),
        ):
            page.goto(back_office + path)
            axe.check(page, name)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    axe.assert_clean()
