"""The reports in a real browser under the real CSP: charts drawn by the bundled Chart.js
beside their tables (sales by day, by hour, the tender mix, top products), readable column
heads with the numbers right-aligned, and a past Z report found, read and printed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.axe import AXE, Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in, staff_api
from tests.e2e.seed import GROCERY, MANAGER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    # A printer nobody answers: the Z report is queued for it, which is all a reprint asks.
    return shop(GROCERY, {MANAGER: "manager"}, config={"printer": "tcp://127.0.0.1:9"})


def call(api: httpx.Client, method: str, path: str, json: Any = None) -> Any:
    answer = api.request(method, path, json=json)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@pytest.fixture(scope="module")
def shift(app: LiveApp) -> Iterator[dict[str, Any]]:
    """A closed shift: coffee and bread in cash, a gift card sold, the coffee again paid with it."""
    goods = 0  # what the sales of goods came to: the gift card's 50.00 is not among them
    with staff_api(app.url, MANAGER) as api:
        call(api, "POST", "/shifts", {"count": {"2000": 5}})
        for skus in (("COF-1KG", "BRD-LOAF"), ("BRD-LOAF",)):
            sale = call(api, "POST", "/sales")
            for sku in skus:
                sale = call(api, "POST", f"/sales/{sale['id']}/items", {"sku": sku})
            paid = call(
                api, "POST", f"/sales/{sale['id']}/payments", {"method": "cash", "amount": sale["totals"]["due"] + 5}
            )
            goods += paid["totals"]["total"]
        sale = call(api, "POST", "/sales")
        sold = call(api, "POST", f"/sales/{sale['id']}/gift-cards", {"amount": 5000})
        call(api, "POST", f"/sales/{sale['id']}/payments", {"method": "cash", "amount": 5000})
        sale = call(api, "POST", "/sales")
        sale = call(api, "POST", f"/sales/{sale['id']}/items", {"sku": "COF-1KG"})
        pay = {"method": "gift_card", "amount": sale["totals"]["due"], "gift_card": sold["gift_card"]["code"]}
        goods += call(api, "POST", f"/sales/{sale['id']}/payments", pay)["totals"]["total"]
        answer = api.post("/shifts/current/close", json={"count": {"2000": 5}})
        assert answer.status_code == 200, answer.text
        yield {**answer.json(), "goods": goods}


def csp_watch(page: Any) -> list[str]:
    """What the page's CSP refused, as the console says it."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


def drawn(page: Any, canvas: str) -> dict[str, Any]:
    """The Chart.js chart on a canvas: its type and figures, and the canvas's size."""
    found: dict[str, Any] = page.evaluate(
        "(id) => { const c = document.getElementById(id); const ch = Chart.getChart(c);"
        " return ch ? {type: ch.config.type, labels: ch.data.labels, values: ch.data.datasets[0].data,"
        " width: c.width, height: c.height} : {}; }",
        canvas,
    )
    return found


def show(page: Any, report: str) -> None:
    page.get_by_label("Report", exact=True).select_option(label=report)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#report-caption")).to_contain_text(report)


def test_the_period_reports_draw_their_charts_under_the_csp(
    app: LiveApp, shift: dict[str, Any], page: Any, screenshot: Any
) -> None:
    refused = csp_watch(page)
    log_in(page, app.url + "/backoffice#reports", MANAGER)
    show(page, "Sales by day")
    expect(page.locator("#report-canvas")).to_be_visible()
    chart = drawn(page, "report-canvas")
    assert chart["type"] == "bar" and chart["width"] > 100 and chart["height"] > 100
    assert round(sum(chart["values"]) * 100) == shift["goods"]  # the gift card sold is no sale
    heads = page.locator("#report-head th")
    expect(heads).to_have_text(
        ["Day", "Sales", "Net sales", "Tax", "Total", "Average sale", "Gift cards sold (liability)"]
    )
    align = page.evaluate(
        "() => Array.from(document.querySelectorAll('#report-head th, #report-body tr:first-child td'))"
        ".map(c => getComputedStyle(c).textAlign)"
    )
    assert align == ["left"] + ["right"] * 6 + ["left"] + ["right"] * 6
    screenshot(page, "reports-by-day-chart")

    show(page, "Sales by hour")
    assert drawn(page, "report-canvas")["labels"][:2] == ["00:00", "01:00"]
    show(page, "By tender")
    tenders = drawn(page, "report-canvas")
    assert tenders["type"] == "doughnut" and set(tenders["labels"]) == {"Cash", "Gift card"}
    expect(page.locator("#report-note")).to_contain_text("Gift cards sold (liability")
    show(page, "Top products")
    assert drawn(page, "report-canvas")["labels"][0] == "Coffee beans 1 kg"
    expect(page.locator("#report-body")).not_to_contain_text("Gift card")
    screenshot(page, "reports-top-products-chart")
    assert refused == []


def test_the_sales_report_draws_the_tender_mix_and_the_top_products(
    app: LiveApp, shift: dict[str, Any], page: Any
) -> None:
    refused = csp_watch(page)
    log_in(page, app.url + "/backoffice#sales", MANAGER)
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#chart-tenders")).to_be_visible()
    assert drawn(page, "chart-tenders")["type"] == "doughnut"
    assert drawn(page, "chart-products")["labels"][0] == "Coffee beans 1 kg"
    expect(page.locator("table", has_text="Gift cards sold (liability)")).to_contain_text("50.00")
    assert refused == []


def test_a_manager_finds_a_z_report_reads_it_and_prints_it_again(
    app: LiveApp, shift: dict[str, Any], page: Any, screenshot: Any
) -> None:
    log_in(page, app.url + "/backoffice#reports", MANAGER)
    page.get_by_role("button", name="Find Z reports").click()
    row = page.locator("#z-body tr", has_text=f"{shift['shift']}")
    expect(row).to_contain_text(MANAGER[0])
    row.get_by_role("button", name=f"Show the Z report of shift {shift['shift']}").click()
    view = page.locator("#z-view")
    expect(view.get_by_role("heading")).to_contain_text(f"REPRINT — Z report, shift {shift['shift']}")
    expect(view.locator("tr", has_text="Gift cards sold (liability)")).to_contain_text("50.00")
    expect(view).not_to_contain_text("UTC")
    view.get_by_role("button", name="Print again").click()
    expect(page.locator("#z-done")).to_contain_text("Sent to the receipt printer")
    view.get_by_role("button", name="Print again").click()
    expect(page.locator("#z-done")).to_contain_text("marked REPRINT")
    screenshot(page, "reports-z-reprint")


def test_the_reports_with_charts_and_a_z_report_have_no_axe_violations(
    app: LiveApp, shift: dict[str, Any], browser: Any
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA", bypass_csp=True)
    context.set_default_timeout(5000)
    page, axe = context.new_page(), Axe()
    try:
        log_in(page, app.url + "/backoffice#reports", MANAGER)
        show(page, "By tender")
        expect(page.locator("#report-canvas")).to_be_visible()
        axe.check(page, "reports-tender-chart")
        page.get_by_role("button", name="Find Z reports").click()
        page.locator("#z-body tr").first.get_by_role("button").click()
        expect(page.locator("#z-view")).to_be_visible()
        axe.check(page, "reports-z-report")
        page.goto(app.url + "/backoffice#sales")
        page.get_by_role("button", name="Show report").click()
        expect(page.locator("#chart-products")).to_be_visible()
        axe.check(page, "manager-sales-report-charts")
    finally:
        context.close()
    axe.assert_clean()
