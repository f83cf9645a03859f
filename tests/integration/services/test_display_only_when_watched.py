"""The customer display's view of a sale is built only when a screen watches (or opens before
the next change), and a screen that opens late still sees the sale as it is now."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from appliance.app.services import display, sales
from appliance.app.services.broadcast import Broadcast, Item
from tests.conftest import Store
from tests.loops import run_loop

APPLE, BREAD = "4006381333931", "96385074"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    views: list[Any] = []
    real = display.customer_view

    def counted(sale: Any, *args: Any) -> Any:
        views.append(sale["id"])
        return real(sale, *args)

    monkeypatch.setattr(display, "customer_view", counted)
    return views


def _ring(store: Store, *codes: str) -> int:
    cashier = store.actor("cashier")
    sale = sales.open_sale(store.shop, cashier)
    for code in codes:
        sales.add_item(store.shop, cashier, sale["id"], barcode=code, sku=None, plu=None, quantity=1, grams=None)
    return int(sale["id"])


def _first(feed: Broadcast) -> Item | None:
    async def listen() -> Item | None:
        subscription = feed.subscribe()
        try:
            return await subscription.next(1.0)
        finally:
            subscription.close()

    return run_loop(listen())


def test_no_view_is_built_while_nobody_watches_and_a_late_screen_sees_the_sale_now(
    store: Store, built: list[Any]
) -> None:
    screen = display.CustomerDisplay(store.shop).start()
    try:
        sale_id = _ring(store, APPLE, BREAD)
        assert built == []
        item = _first(screen.feed)
        assert item is not None and item.data["sale"] == sale_id and item.data["count"] == 2
        assert built == [sale_id]  # once, for the screen that came
    finally:
        screen.stop()


def test_a_watched_display_hears_each_change_as_it_commits(store: Store, built: list[Any]) -> None:
    screen = display.CustomerDisplay(store.shop).start()
    heard: list[Item] = []

    async def watch() -> None:
        subscription = screen.feed.subscribe()
        try:
            await asyncio.to_thread(_ring, store, APPLE, BREAD)
            while (item := await subscription.next(0.2)) is not None:
                heard.append(item)
        finally:
            subscription.close()

    try:
        run_loop(watch())
    finally:
        screen.stop()
    counts = [item.data.get("count") for item in heard]
    assert counts[-3:] == [0, 1, 2]  # the welcome (replayed) before them has no count
    assert len(built) == 3


def test_newer_news_replaces_what_was_kept_unmade() -> None:
    feed = Broadcast(keep=8, replay=1)
    made: list[str] = []

    def news(name: str) -> Any:
        return lambda: made.append(name) or {"name": name}

    feed.publish_later(news("first"))
    feed.publish_later(news("second"))
    assert made == []
    latest = feed.latest
    assert latest is not None and latest.data == {"name": "second"} and made == ["second"]
    assert feed.latest == latest  # made once
    feed.publish_later(news("third"))
    feed.publish({"name": "fourth"})
    assert feed.latest is not None and feed.latest.data == {"name": "fourth"} and made == ["second"]
