"""What a completed sale sets off beyond the sale itself (gift cards activated, loyalty
points earned…), run inside the sale's own transaction so that all of it commits together."""

from __future__ import annotations

from appliance.app.services.shop import Shop
from appliance.app.store.db import Connection


def on_sale_completed(shop: Shop, tx: Connection, sale_id: int) -> None:
    """Called once per sale, after its receipt number is taken and its stock moved."""
    from appliance.app.services import customers, gift_cards

    gift_cards.activate_on_completion(shop, tx, sale_id)
    customers.earn_on_completion(shop, tx, sale_id)
