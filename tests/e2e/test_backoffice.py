"""The back office screen (/backoffice) in a real browser: stock rules, counts and movements,
suppliers and purchase orders, customers' points, gift cards, and what each role is shown.

What the screen did is checked on the screen and, where it matters, through the API with a
bearer token of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.axe import AXE, Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in, staff_api
from tests.e2e.seed import BREAD_LOAF, COFFEE_BEANS, MANAGER, SUPERVISOR, TEA_BAGS, catalogue

pytestmark = pytest.mark.slow

# Each test works on its own products, so they can run in any order on one store.
CATALOG = catalogue(
    COFFEE_BEANS,
    TEA_BAGS,
    BREAD_LOAF,
    "JAM-250,Strawberry jam 250 g,4.25,exempt,9780201379624,5",
    "RICE-1KG,Basmati rice 1 kg,5.10,exempt,,3",
)


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(CATALOG, {SUPERVISOR: "supervisor", MANAGER: "manager"})


@pytest.fixture(scope="module")
def api(app: LiveApp) -> Iterator[httpx.Client]:
    """The manager, speaking to the API with a bearer token (no cookie, no CSRF)."""
    with staff_api(app.url, MANAGER) as client:
        yield client


def call(api: httpx.Client, method: str, path: str, json: Any = None) -> Any:
    answer = api.request(method, path, json=json)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def product(api: httpx.Client, sku: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in call(api, "GET", f"/stock?q={sku}")["products"] if p["sku"] == sku)
    return found


def on_hand(api: httpx.Client, sku: str) -> int:
    return int(product(api, sku)["on_hand"])


def login(page: Any, url: str, who: tuple[str, str]) -> None:
    log_in(page, url, who)
    page.locator("#app-view").wait_for()


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Back office").get_by_role("link", name=name, exact=True).click()


def test_a_manager_orders_from_a_new_supplier_and_receives_in_two_goes(
    app: LiveApp, api: httpx.Client, page: Any, screenshot: Any
) -> None:
    login(page, app.url + "/backoffice#suppliers", MANAGER)
    page.get_by_role("heading", name="Suppliers", exact=True).wait_for()
    form = page.locator("#supplier-form")
    form.get_by_label("Name").fill("Café Import")
    form.get_by_label("Email (optional)").fill("orders@cafe-import.example")
    form.get_by_role("button", name="Add supplier").click()
    page.get_by_role("status").filter(has_text="Added Café Import").wait_for()
    expect(page.locator("#suppliers-body tr", has_text="Café Import")).to_contain_text("orders@cafe-import.example")
    form.get_by_label("Name").fill("Café Import")
    form.get_by_role("button", name="Add supplier").click()
    expect(page.locator("#supplier-add-error")).to_contain_text("exists")  # the API's 409, in its words

    nav(page, "Purchase orders")
    draft = page.locator("#po-form")
    draft.get_by_label("Supplier").select_option(label="Café Import")
    draft.get_by_label("SKU, line 1").fill("COF-1KG")
    draft.get_by_label("Quantity, line 1").fill("10")
    draft.get_by_label("Unit cost, line 1").fill("9.5")
    draft.get_by_label("Unit cost, line 1").press("Enter")  # Enter on a last field opens a new line, not a submit
    expect(draft.get_by_label("SKU, line 2")).to_be_focused()
    page.keyboard.type("TEA-100")
    page.keyboard.press("Enter")
    page.keyboard.type("6")
    draft.get_by_role("button", name="Create draft").click()

    view = page.locator("#order-view")
    expect(view.get_by_role("heading", name="Café Import")).to_be_focused()
    expect(page.locator("#order-meta")).to_contain_text("Status: Draft.")
    po_id = int(view.get_by_role("heading").inner_text().split("#")[1].split()[0])
    lines = call(api, "GET", f"/purchase-orders/{po_id}")["lines"]
    # An empty unit cost takes the product's own (0 here: the catalogue import gave none).
    assert [(x["sku"], x["ordered"], x["unit_cost"]) for x in lines] == [("COF-1KG", 10, 950), ("TEA-100", 6, 0)]
    expect(page.locator("#orders-body tr", has_text=f"#{po_id}")).to_contain_text("Draft")

    view.get_by_role("button", name="Mark as ordered").click()
    expect(page.locator("#order-meta")).to_contain_text("Status: Ordered.")
    expect(view.get_by_role("button", name="Mark as ordered")).to_be_hidden()
    assert call(api, "GET", f"/purchase-orders/{po_id}")["status"] == "ordered"

    # Part of the coffee comes first.
    view.get_by_label("Receiving now of COF-1KG").fill("4")
    view.get_by_role("button", name="Receive goods").click()
    expect(page.locator("#order-done")).to_contain_text("Received 4 unit(s)")
    expect(page.locator("#order-meta")).to_contain_text("Status: Partly received.")
    coffee = page.locator("#order-lines tr", has_text="COF-1KG")
    expect(coffee.locator("td").nth(3)).to_have_text("4")
    expect(coffee.locator("td").nth(4)).to_have_text("6")
    expect(view.get_by_role("button", name="Cancel order")).to_be_hidden()  # goods are in: no cancelling
    assert on_hand(api, "COF-1KG") == 44
    screenshot(page, "backoffice-order-partial")

    # More than is still expected is refused in the API's words; then the rest arrives.
    view.get_by_label("Receiving now of COF-1KG").fill("7")
    view.get_by_role("button", name="Receive goods").click()
    expect(page.locator("#order-error")).to_contain_text("more than the 6 still expected")
    view.get_by_role("button", name="Fill in everything still expected").click()
    expect(view.get_by_label("Receiving now of TEA-100")).to_have_value("6")
    view.get_by_role("button", name="Receive goods").click()
    expect(page.locator("#order-meta")).to_contain_text("Status: Received.")
    expect(view.get_by_role("button", name="Receive goods")).to_be_hidden()
    expect(page.locator("#orders-body tr", has_text=f"#{po_id}")).to_contain_text("Received")
    assert (on_hand(api, "COF-1KG"), on_hand(api, "TEA-100")) == (50, 36)

    # The stock screen and the movements say the same.
    nav(page, "Stock")
    page.get_by_label("Name or SKU", exact=True).fill("COF-1KG")
    page.get_by_role("button", name="Search").click()
    row = page.locator("#stock-body tr", has_text="COF-1KG")
    expect(row.locator("td").nth(2)).to_have_text("50")
    row.get_by_role("button", name="Movements").click()
    expect(page.get_by_role("heading", name="Stock movements")).to_be_visible()
    receipts = page.locator("#movements-body tr", has_text=f"Purchase order #{po_id}")
    expect(receipts).to_have_count(2)
    expect(receipts.first).to_contain_text("+6")


def test_a_draft_is_cancelled_after_a_confirmation(app: LiveApp, api: httpx.Client, page: Any) -> None:
    supplier = call(api, "POST", "/suppliers", {"name": "Tea Traders"})
    lines = [{"sku": "TEA-100", "quantity": 3}]
    made = call(api, "POST", "/purchase-orders", {"supplier_id": supplier["id"], "lines": lines})
    login(page, app.url + "/backoffice#orders", MANAGER)
    page.get_by_label("Order status").select_option("draft")
    page.locator("#orders-filter").get_by_role("button", name="Show").click()
    page.locator("#orders-body tr", has_text=f"#{made['id']}").get_by_role("button", name="Open").click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-meta")).to_contain_text("Status: Draft.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-meta")).to_contain_text("Status: Cancelled.")
    assert call(api, "GET", f"/purchase-orders/{made['id']}")["status"] == "cancelled"


def test_a_count_records_its_variances(app: LiveApp, api: httpx.Client, page: Any, screenshot: Any) -> None:
    login(page, app.url + "/backoffice#count", MANAGER)
    form = page.locator("#count-form")
    form.get_by_label("SKU, line 1").fill("BRD-LOAF")
    form.get_by_label("SKU, line 1").press("Enter")  # a scanner's Enter moves on, it never saves half a count
    expect(form.get_by_label("Counted, line 1")).to_be_focused()
    page.keyboard.type("9")
    page.keyboard.press("Enter")
    page.keyboard.type("RICE-1KG")
    page.keyboard.press("Enter")
    page.keyboard.type("3")
    form.get_by_label("Reason").fill("weekly count, aisle 2")
    form.get_by_role("button", name="Save the count").click()

    expect(page.locator("#count-done")).to_contain_text("2 product(s), 1 with a variance")
    bread = page.locator("#count-result-body tr", has_text="BRD-LOAF")
    expect(bread).to_contain_text("12")
    expect(bread.locator("td").nth(3)).to_have_text("-3")
    assert on_hand(api, "BRD-LOAF") == 9
    screenshot(page, "backoffice-count")

    # A SKU that is not in the catalogue: nothing saved, the API's words shown.
    form.get_by_label("SKU, line 1").fill("NOPE-1")
    form.get_by_label("Counted, line 1").fill("1")
    form.get_by_label("Reason").fill("weekly count")
    form.get_by_role("button", name="Save the count").click()
    expect(page.locator("#count-error")).to_contain_text("No product with sku NOPE-1")

    nav(page, "Stock movements")
    page.get_by_label("SKU (empty: every product)").fill("BRD-LOAF")
    page.locator("#movements-form").get_by_role("button", name="Show").click()
    movement = page.locator("#movements-body tr").first
    expect(movement).to_contain_text("Count")
    expect(movement).to_contain_text("weekly count, aisle 2")
    expect(movement.locator("td").nth(4)).to_have_text("-3")


def test_an_adjustment_with_a_note_shows_in_the_movements(app: LiveApp, api: httpx.Client, page: Any) -> None:
    login(page, app.url + "/backoffice#stock", MANAGER)
    form = page.locator("#adjust-form")
    form.get_by_label("SKU").fill("TEA-100")
    form.get_by_label("Change (+ or −)").fill("−2")
    form.get_by_label("Reason").select_option("damaged")
    form.get_by_label("Note (optional)").fill("box crushed in the stock room")
    before = on_hand(api, "TEA-100")
    form.get_by_role("button", name="Adjust").click()
    page.get_by_role("status").filter(has_text=f"TEA-100: on hand now {before - 2}").wait_for()
    assert on_hand(api, "TEA-100") == before - 2
    page.locator("#stock-body tr", has_text="TEA-100").get_by_role("button", name="Movements").click()
    latest = page.locator("#movements-body tr").first
    expect(latest).to_contain_text("damaged: box crushed in the stock room")
    expect(latest.locator("td").nth(4)).to_have_text("-2")
    expect(latest).to_contain_text(MANAGER[0])


def test_low_stock_leads_to_suggested_drafts(app: LiveApp, api: httpx.Client, page: Any, screenshot: Any) -> None:
    call(api, "POST", "/suppliers", {"name": "Jam Co"})
    call(api, "PATCH", "/stock/products/RICE-1KG", {"reorder_point": 4})  # low, but nobody to order it from
    login(page, app.url + "/backoffice#stock", MANAGER)

    # The jam's rules, set on the screen from its row.
    page.get_by_label("Name or SKU", exact=True).fill("JAM")
    page.get_by_role("button", name="Search").click()
    page.locator("#stock-body tr", has_text="JAM-250").get_by_role("button", name="Rules").click()
    rules = page.locator("#rules-form")
    expect(rules.get_by_label("SKU")).to_have_value("JAM-250")
    rules.get_by_label("Cost per unit (CAD)").fill("2.10")
    rules.get_by_label("Reorder point").fill("8")
    rules.get_by_label("Reorder quantity").fill("20")
    rules.get_by_label("Supplier").select_option(label="Jam Co")
    rules.get_by_role("button", name="Save rules").click()
    page.get_by_role("status").filter(has_text="JAM-250: rules saved").wait_for()
    jam = product(api, "JAM-250")
    assert (jam["cost"], jam["reorder_point"], jam["reorder_quantity"], jam["low"]) == (210, 8, 20, True)
    row = page.locator("#stock-body tr", has_text="JAM-250")
    expect(row).to_contain_text("Jam Co")
    expect(row.locator("td").nth(4)).to_have_text("8")
    rules.get_by_label("Reorder point").fill("eight")
    rules.get_by_role("button", name="Save rules").click()
    expect(page.locator("#rules-error")).to_contain_text("whole number")

    page.get_by_role("button", name="Low stock").click()
    expect(page.locator("#stock-caption")).to_have_text("At or under the reorder point")
    expect(page.locator("#stock-body tr", has_text="JAM-250").locator("td").nth(6)).to_have_text("23")
    expect(page.locator("#stock-body tr", has_text="RICE-1KG")).to_be_visible()

    page.get_by_role("button", name="Suggest orders").click()
    expect(page.get_by_role("heading", name="Purchase orders", exact=True)).to_be_visible()
    assert page.url.endswith("#orders")
    notice = page.locator("#orders-done")
    expect(notice).to_contain_text("1 draft order(s) suggested")
    expect(notice).to_contain_text("RICE-1KG (5)")  # listed, not ordered: no supplier
    expect(page.locator("#order-meta")).to_contain_text("Status: Draft.")
    expect(page.locator("#order-view").get_by_role("heading")).to_contain_text("Jam Co")
    expect(page.locator("#order-lines tr", has_text="JAM-250").locator("td").nth(2)).to_have_text("23")
    expect(page.get_by_label("Order status")).to_have_value("draft")
    expect(page.locator("#orders-body tr", has_text="Jam Co")).to_contain_text("Draft")
    # The page itself never scrolls (only the section does), so the top bar stays in view.
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    screenshot(page, "backoffice-suggested")
    drafts = call(api, "GET", "/purchase-orders?status=draft")["orders"]
    assert [o["supplier"] for o in drafts].count("Jam Co") == 1


def test_a_manager_corrects_a_customer_and_adjusts_points(app: LiveApp, api: httpx.Client, page: Any) -> None:
    made = call(api, "POST", "/customers", {"name": "Ada Lovelace", "email": "ada@example.org"})
    login(page, app.url + "/backoffice#customers", MANAGER)
    page.get_by_label("Email, phone or name").fill("Ada")
    page.get_by_role("button", name="Find").click()
    row = page.locator("#customer-body tr", has_text="Ada Lovelace")
    row.get_by_role("button", name="Edit").click()
    card = page.locator("#customer-edit")
    expect(card.get_by_role("heading", name="Ada Lovelace")).to_be_focused()

    card.get_by_label("Points (+ or −)").fill("150")
    card.get_by_label("Reason").fill("goodwill, late delivery")
    card.get_by_role("button", name="Adjust points").click()
    expect(page.locator("#customer-edit-done")).to_contain_text("150 now, worth 1.50 CAD")
    expect(page.locator("#customer-edit-points")).to_have_text("150 point(s), worth 1.50 CAD.")
    expect(row.locator("td").nth(3)).to_have_text("150")
    expect(row.locator("td").nth(4)).to_have_text("1.50")

    # Taking more than the balance: the API refuses and the screen says why.
    card.get_by_label("Points (+ or −)").fill("−200")
    card.get_by_label("Reason").fill("mistake")
    card.get_by_role("button", name="Adjust points").click()
    expect(card.get_by_role("alert")).to_have_text("The customer has only 150 points")
    assert call(api, "GET", f"/customers/{made['id']}")["points"] == 150

    card.get_by_label("Phone (optional)").fill("+1 514 555 0199")
    card.get_by_role("button", name="Save details").click()
    expect(page.locator("#customer-edit-done")).to_have_text("Details saved.")
    assert call(api, "GET", f"/customers/{made['id']}")["phone"] == "+15145550199"
    # A lost loyalty card: the new card's number replaces it.
    card.get_by_label(re.compile("^Loyalty card")).fill("2900000000055")
    card.get_by_role("button", name="Save details").click()
    expect(page.locator("#customer-edit-done")).to_have_text("Details saved.")
    assert call(api, "GET", f"/customers/{made['id']}")["loyalty_card"] == "2900000000055"
    card.get_by_label("Email (optional)").fill("not-an-email")
    card.get_by_role("button", name="Save details").click()
    expect(page.locator("#customer-edit-error")).to_contain_text("not an email address")


def sell_card(api: httpx.Client, amount: int) -> dict[str, Any]:
    sale = call(api, "POST", "/sales")
    sold = call(api, "POST", f"/sales/{sale['id']}/gift-cards", {"amount": amount})
    call(api, "POST", f"/sales/{sale['id']}/payments", {"method": "cash", "amount": sold["totals"]["due"]})
    card: dict[str, Any] = sold["gift_card"]
    return card


def test_a_voided_gift_card_leaves_the_active_list(app: LiveApp, api: httpx.Client, page: Any, screenshot: Any) -> None:
    keep, lose = sell_card(api, 2500), sell_card(api, 4000)
    login(page, app.url + "/backoffice#giftcards", MANAGER)
    active = page.locator("#cards-body tr")
    lost = active.filter(has_text=lose["code"][-4:])
    expect(lost).to_contain_text("40.00")
    expect(active.filter(has_text=keep["code"][-4:])).to_be_visible()
    assert lose["code"][:-4] not in page.locator("#cards-body").inner_text()  # numbers masked

    lost.get_by_role("button", name="Void").click()
    dialog = page.get_by_role("dialog", name="Void this gift card?")
    expect(dialog.get_by_label("Reason")).to_be_focused()
    dialog.get_by_role("button", name="Void card").click()
    expect(dialog.get_by_role("alert")).to_contain_text("reason of 3 to 200 characters")
    dialog.get_by_role("button", name="Keep the card").click()
    expect(dialog).to_be_hidden()
    assert call(api, "POST", "/gift-cards/balance", {"code": lose["code"]})["status"] == "active"

    lost.get_by_role("button", name="Void").click()
    dialog.get_by_label("Reason").fill("reported lost by the customer")
    screenshot(page, "backoffice-void-card")
    dialog.get_by_role("button", name="Void card").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#cards-done")).to_contain_text("is void")
    expect(active.filter(has_text=lose["code"][-4:])).to_have_count(0)
    expect(active.filter(has_text=keep["code"][-4:])).to_be_visible()
    assert call(api, "POST", "/gift-cards/balance", {"code": lose["code"]})["status"] == "void"

    page.get_by_label("Card status").select_option("void")
    page.locator("#cards-filter").get_by_role("button", name="Show").click()
    gone = page.locator("#cards-body tr", has_text=lose["code"][-4:])
    expect(gone).to_contain_text("Void")
    expect(gone.get_by_role("button", name="Void")).to_have_count(0)


def test_a_supervisor_sees_no_stock_no_void_and_no_customer_changes(app: LiveApp, api: httpx.Client, page: Any) -> None:
    call(api, "POST", "/customers", {"name": "Grace Hopper"})
    login(page, app.url + "/backoffice#giftcards", SUPERVISOR)
    page.get_by_role("heading", name="Gift cards", exact=True).wait_for()
    expect(page.get_by_label("Card number")).to_be_visible()
    expect(page.get_by_role("heading", name="All gift cards")).to_be_hidden()
    expect(page.get_by_role("button", name="Void")).to_have_count(0)
    menu = page.get_by_role("navigation", name="Back office")
    for hidden in ("Stock", "Stock count", "Suppliers", "Purchase orders"):
        expect(menu.get_by_role("link", name=hidden, exact=True)).to_be_hidden()

    nav(page, "Customers")
    # Without the right to manage customers there is no list of them all: a search finds them.
    expect(page.locator("#customer-body tr", has_text="Grace Hopper")).to_have_count(0)
    page.get_by_role("searchbox", name="Email, phone or name").fill("Gra")
    page.get_by_role("button", name="Find").click()
    row = page.locator("#customer-body tr", has_text="Grace Hopper")
    expect(row.get_by_role("button", name="Purchases")).to_be_visible()
    row.get_by_role("button", name="Purchases").click()
    expect(page.get_by_role("heading", name="Purchases of Grace Hopper")).to_be_visible()
    expect(row.get_by_role("button", name="Edit")).to_have_count(0)
    expect(row.get_by_role("button", name="Erase")).to_have_count(0)

    page.goto(app.url + "/backoffice#orders")  # typed by hand: the first allowed section shows instead
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Purchase orders")).to_be_hidden()


def test_the_screens_opened_states_have_no_axe_violations(app: LiveApp, api: httpx.Client, browser: Any) -> None:
    """test_accessibility checks each section as it first shows; these are the states it never
    opens: an order with its receiving column, a count's variances, a customer being changed
    (with an error showing), and the void dialog."""

    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/e2e --no-audit --no-fund")
    supplier = call(api, "POST", "/suppliers", {"name": "Axe Supplies"})
    order = call(
        api, "POST", "/purchase-orders", {"supplier_id": supplier["id"], "lines": [{"sku": "RICE-1KG", "quantity": 2}]}
    )
    call(api, "POST", "/customers", {"name": "Alan Turing"})
    sell_card(api, 1000)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA", bypass_csp=True)
    context.set_default_timeout(5000)
    page, axe = context.new_page(), Axe()
    try:
        login(page, app.url + "/backoffice#orders", MANAGER)
        page.locator("#orders-body tr", has_text=f"#{order['id']}").get_by_role("button", name="Open").click()
        page.get_by_role("button", name="Receive goods").click()
        expect(page.locator("#order-error")).to_be_visible()
        axe.check(page, "backoffice-order-open")

        nav(page, "Stock count")
        count = page.locator("#count-form")
        count.get_by_label("SKU, line 1").fill("RICE-1KG")
        count.get_by_label("Counted, line 1").fill("3")
        count.get_by_label("Reason").fill("spot check")
        page.get_by_role("button", name="Save the count").click()
        expect(page.locator("#count-result")).to_be_visible()
        axe.check(page, "backoffice-count-result")

        nav(page, "Stock")
        page.locator("#stock-body tr", has_text="RICE-1KG").get_by_role("button", name="Rules").click()
        axe.check(page, "backoffice-rules")

        nav(page, "Customers")
        page.locator("#customer-body tr", has_text="Alan Turing").get_by_role("button", name="Edit").click()
        page.get_by_label("Points (+ or −)").fill("0")
        page.get_by_role("button", name="Adjust points").click()
        expect(page.locator("#customer-edit-error")).to_be_visible()
        axe.check(page, "backoffice-customer-edit")

        nav(page, "Gift cards")
        page.locator("#cards-body tr").first.get_by_role("button", name="Void").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        axe.check(page, "backoffice-void-dialog")
    finally:
        context.close()
    axe.assert_clean()
