"""The office's back office in Debian's Chromium, headless: a chain admin logs in over TLS on
its own port, chooses their password, and reads the stores and lanes, the largest backlog
first; under the real CSP no script or style is refused, and axe finds nothing on the login
and lanes pages. The Reports page draws its chart (Chart.js, a file of the office) from the
books' JSON with the page's session, and the Day check names the lane that differs. A real
office on a throwaway PostgreSQL cluster (tests/office/conftest.py).

Screenshots land in test-artifacts/screens/ (names start with `office-`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import AXE, Axe
from tests.e2e.conftest import ARTIFACTS, VIEWPORT
from tests.office.conftest import ADMIN_PASSWORD, office_dir, office_dsn, pg_cluster, served  # noqa: F401 fixtures

pytestmark = pytest.mark.slow

NEW_PASSWORD = "Counter-2026-desk"  # test accounts only


@pytest.fixture
def back_office(office_dsn: str, office_dir: Path) -> Iterator[str]:  # noqa: F811 the fixtures above
    """The office served on three loopback ports; the back office's address. Two stores with
    a lane each, Paris with a backlog of 37 events, an open alarm and two sales on SALES_DAY."""
    from appliance.office import server
    from appliance.office.services import enrolment
    from appliance.office.services.office import open_office
    from appliance.office.store import books, events, lanes
    from appliance.processes import free_port

    office = open_office(office_dsn, office_dir, pooled=True)
    now = office.now()
    for store in ("lyon", "paris"):
        enrolment.issue_token(office, store, "T01", issued_by="test")
    with office.connection() as conn, conn.transaction():
        for n, store in enumerate(("lyon", "paris")):
            lanes.enrol(conn, store, "T01", f"{n:064x}", "1", now + dt.timedelta(days=365), now)
            lanes.touch(conn, f"{n:064x}", now)
        events.moved(conn, "paris", "T01", 3, 3, 40)
        events.raise_alarm(conn, "paris", "T01", "gap", 4, {"missing_from": 4, "missing_to": 9}, now)
        for sale_id, (total, method) in enumerate(((1399, "cash"), (601, "card")), 1):
            books.add_sale(conn, "paris", "T01", sale_id, a_sale(sale_id, total, method))
    port = free_port()
    found = server.servers(office, "127.0.0.1", free_port(), free_port(), port)
    try:
        with served(found):
            yield f"https://127.0.0.1:{port}"
    finally:
        office.close()


SALES_DAY = dt.date(2026, 11, 30)


def a_sale(sale_id: int, total: int, method: str) -> dict[str, Any]:
    """A sale as the books projection writes it, at noon UTC on SALES_DAY."""
    return {
        "sale_id": sale_id,
        "receipt_no": sale_id,
        "completed_at": dt.datetime.combine(SALES_DAY, dt.time(12), dt.UTC),
        "currency": "EUR",
        "subtotal": total - total // 6,
        "tax": total // 6,
        "total": total,
        "discount": 0,
        "cash_rounding": 0,
        "lines": [{"line_no": 1, "sku": "APL", "quantity": 1, "unit_price": total, "discount": 0, "tax_class": "std"}],
        "taxes": [{"name": "VAT", "rate": "0.2", "base": total - total // 6, "amount": total // 6}],
        "tenders": [{"n": 1, "method": method, "amount": total, "rounding": 0}],
    }


def tab(browser: Any, *, axe: bool = False) -> tuple[Any, Any, list[str]]:
    # The office's CA is this test's own, trusted by no browser: its errors are let through.
    context = browser.new_context(viewport=VIEWPORT, locale="en-CA", ignore_https_errors=True, bypass_csp=axe)
    context.set_default_timeout(5000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    # A refused login is a 401 page, which the browser logs as a resource it failed to load.
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    return context, page, problems


def log_in_and_choose_a_password(page: Any, url: str) -> None:
    page.goto(f"{url}/lanes")
    expect(page).to_have_title("Log in · Comptoir office")
    page.get_by_label("Name").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My password")).to_be_visible()
    page.get_by_label("Current password").fill(ADMIN_PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("heading", name="Stores and lanes")).to_be_visible()


def test_a_chain_admin_logs_in_and_reads_the_lanes_largest_backlog_first(
    browser: Any, back_office: str, screenshot: Any
) -> None:
    context, page, problems = tab(browser)
    try:
        log_in_and_choose_a_password(page, back_office)
        expect(page.get_by_role("status")).to_have_text("Your password is changed.")
        stores = page.get_by_role("table", name="Stores, the largest backlog first")
        expect(stores.get_by_role("row").nth(1)).to_contain_text("paris")
        expect(stores.get_by_role("row").nth(2)).to_contain_text("lyon")
        paris = page.get_by_role("table", name="Lanes of paris, the largest backlog first")
        expect(paris.get_by_role("row").nth(1)).to_contain_text("37")
        paris.get_by_role("link", name="1").click()
        expect(page.get_by_role("heading", name="Alarms")).to_be_visible()
        expect(page.get_by_role("table")).to_contain_text("paris/T01")
        screenshot(page, "office-01-alarms")
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_title("Log in · Comptoir office")
        page.goto(f"{back_office}/lanes")
        expect(page).to_have_title("Log in · Comptoir office")  # the session is over on the server too
    finally:
        context.close()
    assert not problems, "the pages logged errors (a CSP refusal shows here):\n" + "\n".join(problems)


def test_the_login_and_lanes_pages_are_clean_under_axe(browser: Any, back_office: str, screenshot: Any) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    context, page, problems = tab(browser, axe=True)
    axe = Axe()
    try:
        page.goto(f"{back_office}/login")
        axe.check(page, "office-login")
        page.get_by_label("Name").fill("admin")
        page.get_by_label("Password").fill("Not-the-one-1")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_text("wrong name or password")
        axe.check(page, "office-login-refused")
        log_in_and_choose_a_password(page, back_office)
        axe.check(page, "office-lanes")
        screenshot(page, "office-02-lanes")
        for path in ("/alarms", "/catalogue", "/staff", "/reports", "/configuration"):
            page.goto(back_office + path)
            axe.check(page, "office-" + path.strip("/"))
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert ARTIFACTS.exists()
    axe.assert_clean()


def choose_a_report(page: Any, url: str, report: str) -> None:
    page.goto(f"{url}/reports")
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    page.get_by_label("Report").select_option(report)
    page.get_by_label("From (day, YYYY-MM-DD)").fill(SALES_DAY.isoformat())
    page.get_by_label("To (day, included)").fill(SALES_DAY.isoformat())
    page.get_by_role("button", name="Show").click()


def test_the_reports_page_draws_its_chart_under_the_csp_and_the_day_check_names_the_lane(
    browser: Any, back_office: str, screenshot: Any
) -> None:
    context, page, problems = tab(browser)
    try:
        log_in_and_choose_a_password(page, back_office)
        choose_a_report(page, back_office, "by-tender")
        tenders = page.get_by_role("table", name="Takings by tender")
        expect(tenders.get_by_role("row").nth(1)).to_contain_text("13.99 EUR")
        expect(tenders.get_by_role("row").nth(2)).to_contain_text("6.01 EUR")
        chart = page.get_by_role("img", name="Chart: Takings by tender, taken", exact=False)
        # reports.js marks the canvas with the number of bars once Chart.js has drawn them.
        expect(chart).to_have_attribute("data-drawn", "2")
        size = chart.bounding_box()
        assert size is not None and size["width"] > 100 and size["height"] > 100
        screenshot(page, "office-03-reports-chart")
        page.get_by_role("link", name="Day check", exact=False).click()
        expect(page.get_by_role("heading", name="Day check")).to_be_visible()
        page.get_by_label("Store").select_option("paris")
        page.get_by_label("Day (YYYY-MM-DD)").fill(SALES_DAY.isoformat())
        page.get_by_role("button", name="Check").click()
        expect(page.get_by_role("alert")).to_have_text("Differs in lane(s) T01.")
        expect(page.get_by_role("table", name="Where the lanes differ")).to_contain_text("takings with no Z yet")
        screenshot(page, "office-04-day-check")
    finally:
        context.close()
    assert not problems, "the pages logged errors (a CSP refusal shows here):\n" + "\n".join(problems)


def test_the_reports_and_day_check_pages_are_clean_under_axe(browser: Any, back_office: str) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    context, page, problems = tab(browser, axe=True)
    axe = Axe()
    try:
        log_in_and_choose_a_password(page, back_office)
        choose_a_report(page, back_office, "summary")
        expect(page.get_by_role("img", name="Chart: Sales summary", exact=False)).to_have_attribute("data-drawn", "1")
        axe.check(page, "office-reports-summary")
        page.goto(f"{back_office}/reports/day-check?store=paris&day={SALES_DAY.isoformat()}")
        expect(page.get_by_role("alert")).to_contain_text("Differs")
        axe.check(page, "office-day-check")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    axe.assert_clean()
