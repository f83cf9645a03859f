"""The manager screen's Promotions and Store rules sections in a real browser, checked
through the API the tills use: an offer made on screen prices the next sale, a rule changed
on screen is the rule the API gives, and a refused value shows the API's reason.

Screenshots land in test-artifacts/screens/ (names start with `rules-`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from appliance.app.domain.barcode import with_check_digit
from tests.e2e.axe import AXE, Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in as login
from tests.e2e.screens import staff_api
from tests.e2e.seed import ADMIN, CASHIER, MANAGER, catalogue

pytestmark = pytest.mark.slow

CATALOG = catalogue(
    "APL,Apple,1.25,standard,,100,fruit",
    "BRD,Bread,3.50,exempt,,50,bakery",
    "COF,Coffee beans 1 kg,18.99,standard,,40,coffee",
    "DLI,Deli salad,0.00,exempt,2000042,10,deli",
    columns="sku,name,price,tax_class,barcodes,stock,category",
)
STAFF = {CASHIER: "cashier", MANAGER: "manager", ADMIN: "admin"}


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    app = shop(CATALOG, STAFF, cash_needs_shift=True, locale=None)  # the store rules as shipped
    # The back office speaks the store's language (fr-CA as shipped) unless one chooses another:
    # these two read English, so amounts show the en-CA way (the store's region in English).
    for who in (MANAGER, ADMIN):
        with staff_api(app.url, who) as api:
            assert api.post("/auth/language", json={"language": "en"}).status_code == 200
    return app


@pytest.fixture
def till(app: LiveApp) -> Iterator[httpx.Client]:
    """The API as a cashier's till speaks it (bearer token)."""
    with staff_api(app.url, CASHIER) as client:
        yield client


def sell(till: httpx.Client, *items: tuple[str, int]) -> dict[str, Any]:
    sale = till.post("/sales").json()
    for sku, quantity in items:
        answer = till.post(f"/sales/{sale['id']}/items", json={"sku": sku, "quantity": quantity})
        assert answer.status_code == 200, answer.text
        sale = answer.json()
    return sale


def line_of(sale: dict[str, Any], sku: str) -> dict[str, Any]:
    line: dict[str, Any] = next(ln for ln in sale["lines"] if ln["sku"] == sku)
    return line


def new_promotion(page: Any, name: str, kind: str, **fields: str) -> None:
    form = page.locator("#promo-form")
    form.get_by_label("Name (printed on the receipt)").fill(name)
    form.get_by_label("Kind of offer").select_option(label=kind)
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="Create promotion").click()


def test_promotions_made_on_screen_price_the_next_sale(
    app: LiveApp, page: Any, till: httpx.Client, screenshot: Any
) -> None:
    login(page, app.url + "/backoffice", MANAGER)
    page.get_by_role("link", name="Promotions").click()
    page.get_by_role("heading", name="Promotions", exact=True).wait_for()
    expect(page.locator("#promo-body")).to_contain_text("No promotion running or planned.")
    assert not page.get_by_role("link", name="Store rules").is_visible()  # a manager changes no store rule

    # Each kind, with its own fields; the amount typed in the shop's currency.
    apples = {"Product SKU": "APL", "Quantity (N)": "3", "Price for N (CAD)": "3.00"}
    new_promotion(page, "Apples 3 for 3.00", "N for a price", **apples)
    expect(page.locator("#promo-done")).to_contain_text("Created “Apples 3 for 3.00”: 3 for 3.00 CAD")
    new_promotion(page, "Bread 2 + 1", "Buy N, get one free", **{"Product SKU": "BRD", "Quantity (N)": "2"})
    expect(page.locator("#promo-done")).to_contain_text("Buy 2, get 1 free")
    assert not page.locator("#pr-price").is_visible()
    new_promotion(page, "Coffee week", "% off a category", **{"Category": "coffee", "Percentage off": "12.5"})
    expect(page.locator("#promo-done")).to_contain_text("12.5 % off")
    today = dt.date.fromisoformat(page.locator("#pr-starts").input_value())  # the store's day, as the screen has it
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    page.locator("#pr-starts").fill(tomorrow)
    page.locator("#pr-ends").fill(tomorrow)
    new_promotion(page, "Fruit tomorrow", "% off a category", **{"Category": "fruit", "Percentage off": "50"})
    rows = page.locator("#promo-body tr")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="Apples 3 for 3.00")).to_contain_text("APL")
    expect(rows.filter(has_text="Fruit tomorrow")).to_contain_text("Planned")
    expect(rows.filter(has_text="Coffee week")).to_contain_text("Running")
    screenshot(page, "rules-promotions")

    # The API refuses what it cannot price, and the screen says why in its words.
    new_promotion(
        page, "Nothing", "N for a price", **{"Product SKU": "NOPE", "Quantity (N)": "2", "Price for N (CAD)": "1"}
    )
    expect(page.locator("#promo-error")).to_contain_text("Unknown sku NOPE")
    expect(page.locator("#pr-sku")).to_have_attribute("aria-invalid", "true")
    page.locator("#pr-price").fill("1,9999")
    page.locator("#promo-form").get_by_role("button", name="Create promotion").click()
    expect(page.locator("#promo-error")).to_contain_text("more decimals than CAD allows")
    page.locator("#pr-price").fill("1.999")  # a thousand or too many decimals: en-CA cannot tell either
    page.locator("#promo-form").get_by_role("button", name="Create promotion").click()
    expect(page.locator("#promo-error")).to_contain_text("ambiguous")

    # A sale through the till's API gets the three running offers, not the planned one.
    sale = sell(till, ("APL", 3), ("BRD", 3), ("COF", 1))
    assert (line_of(sale, "APL")["promotion"], line_of(sale, "APL")["discount"]) == ("Apples 3 for 3.00", 75)
    assert (line_of(sale, "BRD")["promotion"], line_of(sale, "BRD")["discount"]) == ("Bread 2 + 1", 350)
    assert (line_of(sale, "COF")["promotion"], line_of(sale, "COF")["discount"]) == ("Coffee week", 237)  # 12.5 %

    # Ended on screen: the next sale pays full price.
    rows.filter(has_text="Apples 3 for 3.00").get_by_role("button", name="End now: Apples 3 for 3.00").click()
    expect(page.locator("#promo-done")).to_contain_text("has ended")
    expect(rows).to_have_count(3)
    rows.filter(has_text="Fruit tomorrow").get_by_role("button", name="Remove: Fruit tomorrow").click()
    expect(rows).to_have_count(2)
    assert line_of(sell(till, ("APL", 3)), "APL")["discount"] == 0
    assert {p["name"] for p in till.get("/promotions").json()["promotions"]} == {"Bread 2 + 1", "Coffee week"}


def test_store_rules_changed_on_screen_are_the_rules_the_api_gives(
    app: LiveApp, page: Any, till: httpx.Client, screenshot: Any
) -> None:
    login(page, app.url + "/backoffice", ADMIN)
    page.get_by_role("link", name="Store rules").click()
    page.get_by_role("heading", name="Store rules", exact=True).wait_for()
    expect(page.get_by_label("Points per CAD spent")).to_have_value("1")
    expect(page.get_by_label("Value of a point (CAD)")).to_have_value("0.01")  # English in a fr-CA store: en-CA
    expect(page.get_by_label("Cash rounding")).to_have_value("0.05")
    expect(page.get_by_label("How amounts are written")).to_have_value("fr-CA")
    expect(page.get_by_label("Layout of the 13 digits")).to_have_value("PPIIIIICVVVVK")
    expect(page.get_by_label("Prefix 23")).to_have_value("weight")
    loyalty, labels = page.locator("#loyalty-form"), page.locator("#labels-form")

    # Bad values: the API's own reason beside the fields, the field marked, nothing stored.
    page.get_by_label("Value of a point (CAD)").fill("0")
    loyalty.get_by_role("button", name="Save loyalty rules").click()
    expect(loyalty.get_by_role("alert")).to_contain_text("A point's value must be 1 to")
    expect(page.get_by_label("Value of a point (CAD)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Layout of the 13 digits").fill("PPIIIIIQVVVVK")
    labels.get_by_role("button", name="Save scale-label rules").click()
    expect(labels.get_by_role("alert")).to_contain_text("Scale-label layout 'PPIIIIIQVVVVK' refused")
    expect(page.get_by_label("Layout of the 13 digits")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "rules-error")
    page.get_by_label("Gift cards expire after (days)").fill("4000")
    page.get_by_role("button", name="Save gift card expiry").click()
    expect(page.locator("#expiry-error")).to_contain_text("Gift card expiry is 0 (never) to 3650 days")
    rules = till.get("/settings/rules").json()
    assert (rules["loyalty_point_value"], rules["variable_measure_layout"]) == (1, "PPIIIIICVVVVK")

    # Good values; the API gives them back.
    page.get_by_label("Customers earn and spend points").uncheck()
    page.get_by_label("Points per CAD spent").fill("5")
    page.get_by_label("Value of a point (CAD)").fill("0.02")
    loyalty.get_by_role("button", name="Save loyalty rules").click()
    expect(page.locator("#loyalty-done")).to_contain_text("Saved")
    expect(page.locator("#loyalty-error")).to_be_hidden()
    page.get_by_label("Gift cards expire after (days)").fill("365")
    page.get_by_role("button", name="Save gift card expiry").click()
    expect(page.locator("#expiry-done")).to_contain_text("Saved")
    page.get_by_label("Layout of the 13 digits").fill("ppiiiiivvvvvk")
    page.get_by_label("Prefix 26").select_option("weight")
    page.get_by_label("Prefix 21").select_option("")
    labels.get_by_role("button", name="Save scale-label rules").click()
    expect(page.locator("#labels-done")).to_contain_text("Saved")
    expect(page.get_by_label("Layout of the 13 digits")).to_have_value("PPIIIIIVVVVVK")
    screenshot(page, "rules-saved")
    rules = till.get("/settings/rules").json()
    assert rules["loyalty_enabled"] is False
    assert (rules["loyalty_points_per_unit"], rules["loyalty_point_value"]) == (5, 2)
    assert rules["gift_card_expiry_days"] == 365
    assert rules["variable_measure_layout"] == "PPIIIIIVVVVVK"

    # Cash and amounts: a language tag the screen cannot use is refused there; a good one saved.
    cash = page.locator("#cash-form")
    page.get_by_label("How amounts are written").fill("français")
    cash.get_by_role("button", name="Save cash rules").click()
    expect(cash.get_by_role("alert")).to_contain_text("not a language")
    page.get_by_label("How amounts are written").fill("en-CA")
    page.get_by_label("Cash rounding").select_option("0.10")
    expect(page.get_by_label("Cash needs an open shift")).to_be_checked()  # on as shipped
    page.get_by_label("Cash needs an open shift").uncheck()
    cash.get_by_role("button", name="Save cash rules").click()
    expect(page.locator("#cash-done")).to_contain_text("Saved")
    money_rules = till.get("/settings/rules").json()
    assert (money_rules["cash_rounding"], money_rules["locale"]) == ("0.10", "en-CA")
    assert money_rules["cash_requires_shift"] is False
    assert rules["variable_measure_prefixes"] == {
        "20": "price",
        "22": "price",
        "23": "weight",
        "24": "weight",
        "25": "weight",
        "26": "weight",
    }

    # The till reads a scale label with the new layout at once: five value digits, no price check.
    sale = till.post("/sales").json()
    scanned = till.post(f"/sales/{sale['id']}/items", json={"barcode": with_check_digit("2000042" + "01234")})
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["lines"][0]["unit_price"] == 1234

    page.reload()
    page.get_by_role("heading", name="Store rules", exact=True).wait_for()
    expect(page.get_by_label("Customers earn and spend points")).not_to_be_checked()
    expect(page.get_by_label("Prefix 21")).to_have_value("")
    expect(page.get_by_label("Value of a point (CAD)")).to_have_value("0.02")  # en-CA now
    loyalty.get_by_role("button", name="Save loyalty rules").click()
    expect(page.locator("#loyalty-done")).to_contain_text("Nothing to save")
    with httpx.Client(base_url=app.url + "/api/v1", timeout=10) as auditor:
        token = auditor.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()["token"]
        entries = auditor.get("/audit?limit=1000", headers={"authorization": f"Bearer {token}"}).json()["entries"]
    changes = [json.dumps(e["details"]) for e in entries if e["action"] == "settings_change"]
    assert len(changes) == 4 and "PPIIIIIVVVVVK" in changes[-2]  # one a save; the refused ones left none
    assert "cash_rounding" in changes[-1] and "en-CA" in changes[-1]
    assert "cash_requires_shift" in changes[-1] and "false" in changes[-1]  # switching it off is audited


def test_the_update_window_is_shown_and_changed_with_the_other_store_rules(
    app: LiveApp, page: Any, till: httpx.Client
) -> None:
    login(page, app.url + "/backoffice", ADMIN)
    page.get_by_role("link", name="Store rules").click()
    field = page.get_by_label("Update window (the store's time)")
    expect(field).to_have_value("02:00-05:00")  # the default: the small hours
    updates = page.locator("#updates-form")
    field.fill("2:00-5")
    updates.get_by_role("button", name="Save update window").click()
    expect(updates.get_by_role("alert")).to_contain_text("HH:MM-HH:MM")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("23:30-01:30")
    updates.get_by_role("button", name="Save update window").click()
    expect(page.locator("#updates-done")).to_contain_text("Saved")
    assert till.get("/settings/rules").json()["update_window"] == "23:30-01:30"


def test_the_new_manager_sections_have_no_axe_violations(app: LiveApp, axe_page: Any) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    page, axe = axe_page, Axe()
    login(page, app.url + "/backoffice#promotions", ADMIN)
    page.get_by_role("heading", name="Promotions", exact=True).wait_for()
    page.locator("#promo-body tr").first.wait_for()
    axe.check(page, "manager-promotions")
    new_promotion(page, "", "% off a category")
    expect(page.locator("#promo-error")).to_be_visible()
    axe.check(page, "manager-promotions-error")
    page.get_by_role("link", name="Store rules").click()
    expect(page.get_by_label("Prefix 29")).to_be_visible()
    axe.check(page, "manager-rules")
    page.get_by_label("Gift cards expire after (days)").fill("99999")
    page.get_by_role("button", name="Save gift card expiry").click()
    expect(page.locator("#expiry-error")).to_be_visible()
    axe.check(page, "manager-rules-error")
    page.set_viewport_size({"width": 800, "height": 600})
    axe.check(page, "manager-rules-small")
    axe.assert_clean()
