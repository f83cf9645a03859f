"""The till fits the screens tills have: at 1024×768 and 1280×800 a sale of eight lines
shows at least six of them, the totals, Pay and Cancel, with no scrolling of the page.
Screenshots at both sizes land in test-artifacts/screens/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.app.domain.barcode import with_check_digit
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, scan
from tests.e2e.seed import CASHIER, catalogue

pytestmark = pytest.mark.slow

CODES = [with_check_digit(f"20000000001{n}") for n in range(8)]
NAMES = ["Baguette", "Croissant au beurre", "Pain au chocolat", "Chocolatine", "Brioche", "Miche de campagne",
         "Tarte au sucre", "Café filtre grand format"]  # fmt: skip


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    pairs = enumerate(zip(NAMES, CODES, strict=True))
    products = catalogue(*(f"P{n},{name},{2 + n}.45,standard,{code},50" for n, (name, code) in pairs))
    return shop(products, {CASHIER: "cashier"})


def _fully_visible(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(sel) => {
              const el = document.querySelector(sel);
              if (!el) return false;
              const r = el.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
                     r.bottom <= window.innerHeight && r.right <= window.innerWidth;
            }""",
            selector,
        )
    )


def _rows_in_sight(page: Any) -> int:
    return int(
        page.evaluate(
            """() => {
              const box = document.getElementById("lines-box").getBoundingClientRect();
              const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, window.innerHeight);
              const head = document.querySelector("#lines thead").getBoundingClientRect();
              return [...document.querySelectorAll("#lines-body tr")].filter((tr) => {
                const r = tr.getBoundingClientRect();
                return r.top >= Math.max(top, head.bottom - 1) && r.bottom <= bottom + 1;
              }).length;
            }"""
        )
    )


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_eight_lines_leave_six_in_sight_with_totals_pay_and_cancel(
    app: LiveApp, browser: Any, screenshot: Any, size: tuple[int, int]
) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-CA")
    page = context.new_page()
    try:
        log_in_at_till(page, app.url + "/", CASHIER)
        for code in CODES:
            scan(page, code)
        expect(page.locator("#lines-body tr")).to_have_count(len(CODES))
        expect(page.locator("#scan-input")).to_be_focused()
        screenshot(page, f"till-{size[0]}x{size[1]}")
        no_page_scroll = page.evaluate(
            "() => document.scrollingElement.scrollHeight <= window.innerHeight + 1"
            " && document.scrollingElement.scrollWidth <= window.innerWidth + 1"
        )
        assert no_page_scroll, "the page itself scrolls"
        assert _rows_in_sight(page) >= 6
        in_sight = ("#totals", "#t-due", "#pay-button", "#card-button", "#cancel-sale-button", "#scan-input")
        for what in in_sight:
            assert _fully_visible(page, what), f"{what} is not in sight at {size}"
    finally:
        context.close()
