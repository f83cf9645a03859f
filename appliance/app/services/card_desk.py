"""The card desk: the vault and the gateway a card tender needs besides the shop.

Made once at start-up (services.devices.start) and held on `Shop.devices`; it lives apart
from services.card_payments so that the shop can name it without importing the card path,
which imports the shop."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.drivers.acquirer_protocol import IN_FLIGHT_WINDOW_SECONDS
from appliance.drivers.payment import PaymentGateway
from appliance.security.vault import TokenVault


@dataclass(frozen=True)
class CardDesk:
    """What a card tender needs besides the shop: the vault and the gateway."""

    vault: TokenVault
    gateway: PaymentGateway
    # The acquirer's in-flight window (GatewayConfig.in_flight_window).
    in_flight_window: float = IN_FLIGHT_WINDOW_SECONDS
