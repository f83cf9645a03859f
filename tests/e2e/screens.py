"""What the end-to-end tests do on every screen: log in, scan, pay cash, and speak to the API
as a member of staff (bearer token, as a till or an integrator would)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.seed import BREAD, COFFEE


def log_in(page: Any, url: str, who: tuple[str, str]) -> None:
    """Opens `url` and logs in through its form; waits for nothing after (a forced password
    change, a refusal and a screen are all things a test may want to see next)."""
    page.goto(url)
    form = page.locator("#login-form")
    form.get_by_label("User name").fill(who[0])
    form.get_by_label("Password").fill(who[1])
    form.get_by_role("button", name="Log in").click()


def log_in_at_till(page: Any, url: str, who: tuple[str, str]) -> None:
    """The till is ready when its scan field has the focus."""
    log_in(page, url, who)
    expect(page.locator("#scan-input")).to_be_focused()


def scan(page: Any, code: str, delay: float = 2) -> None:
    """A keyboard-wedge scanner: digits typed fast, then Enter, into whatever has the focus."""
    page.keyboard.type(code, delay=delay)
    page.keyboard.press("Enter")


def answer_dialog(page: Any, key: str, dialog: str, field: str, value: str, button: str) -> Any:
    """Presses `key`, types `value` in the `field` of the `dialog` it opens and presses its
    `button`; the dialog."""
    page.keyboard.press(key)
    opened = page.get_by_role("dialog", name=dialog)
    opened.get_by_label(field).fill(value)
    opened.get_by_role("button", name=button).click()
    return opened


def take_cash(page: Any, received: str) -> Any:
    """Pay cash (F2) with `received` typed in and taken; the dialog, which stays open with what
    is still due when the cash does not cover the sale."""
    return answer_dialog(page, "F2", "Pay cash", "Cash received", received, "Take cash")


def part_paid_coffee_and_bread(page: Any, received: str, due: str) -> Any:
    """Coffee and bread (25.33, seed.GROCERY) scanned and `received` taken in cash: the cash
    dialog, still open with `due` CAD still due."""
    scan(page, COFFEE)
    scan(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(2)
    expect(page.locator("#t-total")).to_have_text("25.33")
    cash = take_cash(page, received)
    expect(cash.get_by_role("alert")).to_contain_text(f"{due} CAD still due")  # the store writes en-CA
    return cash


def find_customer(page: Any, query: str) -> Any:
    """The till's Customer dialog (Alt+U) after a search for `query` (a phone, an email, a name
    or a loyalty card); the dialog."""
    return answer_dialog(page, "Alt+u", "Customer", "Phone, email or name", query, "Find")


def void_approved_by(page: Any, username: str, password: str) -> Any:
    """Void the line (F4) with a supervisor's user name and password typed in the approval it
    asks for; the dialog (still open, with an alert, when they are wrong)."""
    page.keyboard.press("F4")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Supervisor approval needed").wait_for()
    dialog.get_by_label("Supervisor user name").fill(username)
    dialog.get_by_label("Supervisor password").fill(password)
    dialog.get_by_role("button", name="Approve and void").click()
    return dialog


def pay_exact_cash(page: Any) -> None:
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    # The till is busy until the receipt is on screen; keys pressed before then are dropped.
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")


@contextlib.contextmanager
def staff_api(url: str, who: tuple[str, str]) -> Iterator[httpx.Client]:
    """The API at `url` (the app's base) as `who`, with a bearer token: no cookie, no CSRF."""
    with httpx.Client(base_url=url + "/api/v1", timeout=10) as client:
        answer = client.post("/auth/login", json={"username": who[0], "password": who[1]})
        assert answer.status_code == 200, answer.text
        client.headers["authorization"] = f"Bearer {answer.json()['token']}"
        yield client


def leave_the_till_empty(url: str, who: tuple[str, str]) -> None:
    """Cancels every sale left open or parked on the till (paying the rest in cash of one that
    holds a payment), as `who`: the till takes up at login what is left open on it, so a test
    that leaves a sale unfinished would hand it to the next test of its module."""
    with staff_api(url, who) as api:
        for status in ("parked", "open"):
            for sale in api.get("/sales", params={"status": status}).json()["sales"]:
                if status == "parked":
                    api.post(f"/sales/{sale['id']}/resume", json={})
                if sale["paid"]:
                    paid = api.post(f"/sales/{sale['id']}/payments", json={"method": "cash", "amount": sale["due"]})
                    assert paid.status_code == 201, paid.text
                else:
                    cancelled = api.post(f"/sales/{sale['id']}/cancel", json={})
                    assert cancelled.status_code == 200, cancelled.text


def till_left_empty(who: tuple[str, str]) -> Any:
    """`empty_till = till_left_empty(SUPERVISOR)` in a module whose tests share one till (its
    `app` fixture): after each test, `who` leaves the till empty (leave_the_till_empty)."""

    @pytest.fixture(autouse=True)
    def empty_till(app: Any) -> Iterator[None]:
        yield
        leave_the_till_empty(app.url, who)

    return empty_till
