"""An unknown outcome is never "nothing was charged" (docs/acquirer-protocol.md, the
in-flight window): the three double-charge and lost-refund faults seen in the field, each
replayed deterministically against the simulated acquirer (a real process).

(a) the acquirer captures and dies before answering; the till retries with the same key
    while it is down: connection refused on a RETRY is not "failed";
(b) an authorisation in flight when the server restarts: a "not found" younger than the
    window is not final, the request may still land;
(c) a refund committed and the server dying before the card part is sent: the refund's
    own transaction holds what sends it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.app.domain.errors import Conflict
from appliance.app.services import card_payments, card_vault, returns, sale_view, sales
from appliance.app.services.card_payments import CardDesk, PaymentPending, PendingCardsResolver
from appliance.app.services.shop import Actor, Shop, utc_now
from appliance.drivers.acquirer_protocol import IN_FLIGHT_WINDOW_SECONDS, SENT_AT_FORMAT
from appliance.drivers.payment import GatewayConfig, GatewayTimeout, HttpGateway
from appliance.processes import free_port
from tests.conftest import PASSWORD

from .conftest import KEYER, card_shop, charged, logged_in, new_sale
from .simulator import running_simulator

VISA = {"number": "4111111111111111", "exp_month": 12, "exp_year": 2030}
MASTERCARD = {"number": "5555555555554444", "exp_month": 12, "exp_year": 2030}


class Crash(Exception):
    """The server process dies here."""


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with card_shop(tmp_path / "data", "Unknown Outcomes", {"cashier": "cashier", "manager": "manager"}) as shop:
        yield shop


@pytest.fixture
def manager(shop: Shop) -> Actor:
    return logged_in(shop, "manager")


@pytest.fixture
def read_timeout() -> float:
    return 2.0


def test_a_capture_whose_answer_died_with_the_acquirer_is_charged_once(
    shop: Shop, cashier: Actor, keyer: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(a): captured, the acquirer killed before it answered, the till retrying while it is
    down. The old code took the retry's "connection refused" for "nothing was charged"."""
    state, port = tmp_path / "acquirer.json", free_port()
    acquirer = ExitStack()
    url = acquirer.enter_context(running_simulator(state=state, port=port))
    with HttpGateway(GatewayConfig(url, read_timeout=2.0)) as gateway:
        desk = CardDesk(card_vault.open_vault(shop.db, shop.data_dir), gateway)
        sale_id = new_sale(shop, cashier)
        real = gateway.authorise

        def captured_then_died(*args: Any, **kwargs: Any) -> Any:
            real(*args, **kwargs)  # the acquirer captures…
            acquirer.close()  # …and dies before its answer leaves
            raise GatewayTimeout("no answer from the acquirer: RemoteProtocolError")

        monkeypatch.setattr(gateway, "authorise", captured_then_died)
        with pytest.raises(PaymentPending):
            card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-1")
        monkeypatch.undo()

        # The till retries with the same key while the acquirer is down: refused connection.
        with pytest.raises(Conflict) as retry:
            card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-1")
        assert retry.value.code == "payment_pending", retry.value.message
        # Another card under a new key is refused until the first is settled.
        with pytest.raises(Conflict) as other:
            card_payments.pay_card(shop, keyer, desk, sale_id, 1000, MASTERCARD, "till-2")
        assert other.value.code == "payment_pending"
        view = sale_view.get_sale(shop, cashier, sale_id)
        assert view["status"] == "open" and view["card_pending"] == 1000
        assert card_payments.resolve_pending(shop, desk) == ["pending"]  # still down: unknown

        with running_simulator(state=state, port=port):  # the acquirer is back
            assert card_payments.resolve_pending(shop, desk) == ["approved"]
            view = sale_view.get_sale(shop, cashier, sale_id)
            assert view["status"] == "completed" and view["card_pending"] == 0
            assert charged(desk, shop, sale_id) == 1000
            again = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-1")
            assert again["status"] == "completed"
        assert shop.db.conn.execute("SELECT count(*) FROM payments").fetchone()[0] == 1


def test_a_request_in_flight_at_a_restart_is_not_taken_for_nothing(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(b): the server dies with the authorisation on the wire; at the restart the look-up
    finds nothing yet. The old code marked it failed; then the request landed, captured."""
    sale_id = new_sale(shop, cashier)
    on_the_wire: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def dies_while_sending(*args: Any, **kwargs: Any) -> Any:
        on_the_wire.append((args, kwargs))
        raise Crash

    monkeypatch.setattr(desk.gateway, "authorise", dies_while_sending)
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-b")
    monkeypatch.undo()

    # Restart: "not found", but younger than the window: it may still land.
    assert card_payments.resolve_pending(shop, desk) == ["pending"]
    assert sale_view.get_sale(shop, cashier, sale_id)["card_pending"] == 1000
    args, kwargs = on_the_wire[0]
    desk.gateway.authorise(*args, **kwargs)  # it lands, and is captured
    assert card_payments.resolve_pending(shop, desk) == ["approved"]
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"
    assert charged(desk, shop, sale_id) == 1000


def test_a_not_found_past_the_window_is_final(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    monkeypatch.setattr(desk.gateway, "authorise", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-w")
    monkeypatch.undo()
    assert card_payments.resolve_pending(shop, desk) == ["pending"]
    later = dt.timedelta(seconds=desk.in_flight_window + 1)
    shop.clock = lambda: utc_now() + later
    assert card_payments.resolve_pending(shop, desk) == ["failed"]
    row = shop.db.conn.execute("SELECT status, decline_code, sends, first_sent_at FROM payment_attempts").fetchone()
    assert (row[0], row[1], row[2]) == ("failed", "not_received", 1) and row[3] is not None
    # Settled as nothing charged: the sale takes a card again, and is charged once.
    done = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, MASTERCARD, "till-w2")
    assert done["status"] == "completed" and charged(desk, shop, sale_id) == 1000


def test_the_acquirer_never_processes_a_request_older_than_the_window(sim_url: str) -> None:
    """What makes a late "not found" final: the request cannot land after the window."""
    stale = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=IN_FLIGHT_WINDOW_SECONDS + 1)).strftime(SENT_AT_FORMAT)
    body = {
        "amount": 1000,
        "currency": "CAD",
        "card": VISA,
        "idempotency_key": "late-request-1",
        "capture": True,
        "sent_at": stale,
    }
    with httpx.Client(base_url=sim_url, trust_env=False) as client:
        late = client.post("/v1/authorisations", json=body)
        assert late.status_code == 409 and late.json()["error"]["code"] == "request_expired"
        assert client.get("/v1/authorisations", params={"idempotency_key": "late-request-1"}).status_code == 404
        unstamped = client.post("/v1/authorisations", json={**body, "sent_at": None})
        assert unstamped.status_code == 400 and unstamped.json()["error"]["code"] == "sent_at_required"
        fresh = client.post(
            "/v1/authorisations", json={**body, "sent_at": dt.datetime.now(dt.UTC).strftime(SENT_AT_FORMAT)}
        )
        assert fresh.status_code == 200 and fresh.json()["captured_amount"] == 1000
        # A retry of a recorded key answers its record whatever its age.
        assert client.post("/v1/authorisations", json=body).json()["id"] == fresh.json()["id"]


def test_a_retry_resends_what_never_arrived(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost request is pending, not failed; the till's retry under the same key sends it
    again, and it is charged once."""
    sale_id = new_sale(shop, cashier)
    monkeypatch.setattr(desk.gateway, "authorise", lambda *a, **k: (_ for _ in ()).throw(GatewayTimeout("lost")))
    with pytest.raises(PaymentPending):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-r")
    monkeypatch.undo()
    done = card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-r")
    assert done["status"] == "completed" and charged(desk, shop, sale_id) == 1000
    assert shop.db.conn.execute("SELECT sends FROM payment_attempts").fetchone()[0] == 2


def test_a_first_send_that_never_connected_is_failed_at_once(shop: Shop, cashier: Actor, keyer: Actor) -> None:
    with HttpGateway(GatewayConfig(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)) as gateway:
        desk = CardDesk(card_vault.open_vault(shop.db, shop.data_dir), gateway)
        sale_id = new_sale(shop, cashier)
        with pytest.raises(Conflict) as caught:
            card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-f")
        assert caught.value.code == "gateway_unavailable"
    assert shop.db.conn.execute("SELECT status FROM payment_attempts").fetchone()[0] == "failed"
    assert sale_view.get_sale(shop, cashier, sale_id)["card_pending"] == 0


def test_a_refund_on_the_books_is_sent_after_a_crash(
    shop: Shop, cashier: Actor, keyer: Actor, manager: Actor, desk: CardDesk
) -> None:
    """(c): the refund commits and the server dies before the card part is sent. The old
    code wrote the card_refunds row in a second transaction: nothing was ever sent."""
    sale_id = new_sale(shop, cashier, apples=2)
    card_payments.pay_card(shop, keyer, desk, sale_id, 2000, VISA, "till-c")
    refund = returns.refund(shop, manager, sale_id, [{"line": 1, "quantity": 1}], "customer changed mind")
    # …crash here, before send_card_refunds.
    queued = shop.db.conn.execute(
        "SELECT amount, status FROM card_refunds WHERE refund_id = ?", (refund["id"],)
    ).fetchall()
    assert [tuple(r) for r in queued] == [(1000, "pending")]
    assert charged(desk, shop, sale_id) == 2000
    # Restart: what is pending goes.
    assert card_payments.send_pending_card_refunds(shop, desk) == {refund["id"]: ["refunded"]}
    assert card_payments.send_pending_card_refunds(shop, desk) == {}
    assert charged(desk, shop, sale_id) == 1000


def test_the_background_resolver_settles_without_being_asked(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    real = desk.gateway.authorise

    def answer_lost(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise GatewayTimeout("lost")

    monkeypatch.setattr(desk.gateway, "authorise", answer_lost)
    monkeypatch.setattr(desk.gateway, "lookup", lambda **k: None)  # nothing known yet
    with pytest.raises(PaymentPending):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-bg")
    monkeypatch.undo()
    resolver = PendingCardsResolver(shop, desk, first=0.05, idle=0.05).start()
    try:
        deadline = time.monotonic() + 15
        while sale_view.get_sale(shop, cashier, sale_id)["status"] != "completed" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        resolver.stop()
    assert sale_view.get_sale(shop, cashier, sale_id)["status"] == "completed"
    assert charged(desk, shop, sale_id) == 1000


def test_over_http_a_pending_card_payment_shows_and_blocks_another(
    sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from starlette.testclient import TestClient

    from appliance.app.web.app import create_app

    with card_shop(tmp_path / "http", "Pending Over HTTP", {"cashier": "cashier"}) as shop:
        shop.config = dataclasses.replace(shop.config, gateway_url=sim_url)
        with TestClient(create_app(shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as api:
            token = api.post("/api/v1/auth/login", json={"username": KEYER, "password": PASSWORD}).json()
            api.cookies.clear()
            api.headers["authorization"] = f"Bearer {token['token']}"
            sale = api.post("/api/v1/sales").json()["id"]
            api.post(f"/api/v1/sales/{sale}/items", json={"sku": "APL"})
            assert shop.devices is not None and shop.devices.cards is not None
            gateway = shop.devices.cards.gateway
            monkeypatch.setattr(gateway, "authorise", lambda *a, **k: (_ for _ in ()).throw(GatewayTimeout("lost")))
            monkeypatch.setattr(gateway, "lookup", lambda **k: None)
            body = {"method": "card", "amount": 1000, "card": VISA}
            first = api.post(f"/api/v1/sales/{sale}/payments", json=body, headers={"Idempotency-Key": "http-pay-1"})
            assert first.status_code == 409 and first.json()["error"]["code"] == "payment_pending", first.text
            assert api.get(f"/api/v1/sales/{sale}").json()["card_pending"] == 1000
            other = api.post(
                f"/api/v1/sales/{sale}/payments",
                json={**body, "card": MASTERCARD},
                headers={"Idempotency-Key": "http-pay-2"},
            )
            assert other.status_code == 409 and other.json()["error"]["code"] == "payment_pending"
            monkeypatch.undo()  # the network is back: the same key settles it
            done = api.post(f"/api/v1/sales/{sale}/payments", json=body, headers={"Idempotency-Key": "http-pay-1"})
            assert done.status_code == 201 and done.json()["status"] == "completed"
            assert done.json()["card_pending"] == 0


def test_the_migration_queues_a_refund_an_older_build_left_unsent(
    shop: Shop, cashier: Actor, keyer: Actor, manager: Actor, desk: CardDesk
) -> None:
    """A store from before 0016 whose refund lost its card_refunds row (fault c) gets it back
    as pending, and it is sent; a settled attempt is left as it was."""
    sale_id = new_sale(shop, cashier, apples=2)
    card_payments.pay_card(shop, keyer, desk, sale_id, 2000, VISA, "till-m")
    refund = returns.refund(shop, manager, sale_id, [{"line": 1, "quantity": 1}], "customer changed mind")
    conn = shop.db.conn
    with shop.db.transaction() as tx:  # back to how the older build left it
        tx.execute("DELETE FROM card_refunds")
        for column in ("sends", "first_sent_at", "last_sent_at", "void_sent_at"):
            tx.execute(f"ALTER TABLE payment_attempts DROP COLUMN {column}")
        tx.execute("DELETE FROM schema_version WHERE version = 16")
    assert shop.db.migrate() >= 16
    rows = conn.execute("SELECT refund_id, amount, status, idempotency_key FROM card_refunds").fetchall()
    reference = conn.execute("SELECT reference FROM payments").fetchone()[0]
    key = f"cmp-refund-{refund['id']}-1-{reference}"
    assert [tuple(r) for r in rows] == [(refund["id"], 1000, "pending", key)]
    assert conn.execute("SELECT sends FROM payment_attempts").fetchone()[0] == 0  # settled: not touched
    assert card_payments.send_pending_card_refunds(shop, desk) == {refund["id"]: ["refunded"]}
    assert charged(desk, shop, sale_id) == 1000


def test_a_lost_void_is_sent_again_until_the_acquirer_answers(
    shop: Shop, cashier: Actor, keyer: Actor, desk: CardDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale_id = new_sale(shop, cashier)
    monkeypatch.setattr(desk.gateway, "authorise", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        card_payments.pay_card(shop, keyer, desk, sale_id, 1000, VISA, "till-v")
    monkeypatch.undo()
    (args,) = [dict(r) for r in shop.db.conn.execute("SELECT * FROM payment_attempts")]
    sales.cancel_sale(shop, cashier, sale_id)  # the customer walked away; the request lands
    card = desk.vault.detokenise(args["token"], purpose="authorise", actor="test", audit=lambda *a: None)
    desk.gateway.authorise(1000, "CAD", card, args["idempotency_key"], capture=True, sent_at=args["last_sent_at"])
    monkeypatch.setattr(desk.gateway, "void", lambda ref: (_ for _ in ()).throw(GatewayTimeout("lost")))
    assert card_payments.resolve_pending(shop, desk) == ["voided"]
    assert charged(desk, shop, sale_id) == 1000 and card_payments.anything_pending(shop)
    monkeypatch.undo()
    assert card_payments.resolve_pending(shop, desk) == []  # the sweep sends the void again
    assert charged(desk, shop, sale_id) == 0 and not card_payments.anything_pending(shop)
