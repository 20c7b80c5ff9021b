"""Two orders processes firing one order's payment deadline: when the first firing's lease runs
out while the provider is slow (its renewal stopped at the hold limit, set here far below the
provider's answer), the second settles it, and the first, answered late, changes
nothing: a confirmed order's payment is neither voided nor announced twice; a capture, a
refund or a void is recorded once."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

import pytest

from libs.db.transaction import transaction
from libs.deadlines import Deadline
from libs.ids import new_id
from libs.testing import bearer, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.orders.adapters import repository
from services.orders.adapters.payment_simulator import SLOW, SLOW_SECONDS
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings
from services.orders.timers import kinds as deadline_kinds
from tests.e2e.test_checkout_journeys import Shop, checkout, live_sku, open_shop, reaches

pytestmark = pytest.mark.kafka
LEASE_SECONDS = 0.5  # far shorter than the slow card's answer: the other process fires again
MAX_HOLD_SECONDS = 0.5  # the lease is renewed this long only, so it does run out


@pytest.fixture(scope="module")
async def two_processes(settings_for: Callable[..., Any]) -> AsyncIterator[Shop]:
    timing = {"deadline_lease_seconds": LEASE_SECONDS,
              "deadline_max_hold_seconds": MAX_HOLD_SECONDS, "deadline_poll_interval_seconds": 0.2,
              "hold_window_seconds": 600}
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(settings_for(OrdersSettings, **timing))) as orders,
        run_service(create_orders(settings_for(OrdersSettings, run_consumers=False, **timing))),
    ):
        yield await open_shop(catalog, orders, "Overlap Outfitters Ltd")


async def test_a_late_answer_leaves_the_order_confirmed_by_the_other_firing(
        two_processes: Shop) -> None:
    shop = two_processes
    sku = await live_sku(shop, stock=3)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
    response = await checkout(shop, buyer, card=SLOW)
    assert response.status_code == 201, response.text
    [order] = response.json()["orders"]
    assert await reaches(shop, buyer, order["id"], "on_hold")
    db = shop.orders.runtime.db

    async def both_fired() -> bool:  # the authorisation deadline was leased twice and is done
        row = await db.fetchrow(
            "SELECT attempts, done_at FROM deadlines WHERE key = $1 AND kind = 'authorize_payment'",
            order["id"])
        return bool(row and row["attempts"] >= 2 and row["done_at"] is not None)

    assert await eventually(both_fired, timeout=30), "the second process never fired it again"
    await asyncio.sleep(SLOW_SECONDS + 1)  # the first firing's late answer has been written

    assert await db.fetchval("SELECT status FROM payments WHERE order_id = $1::uuid",
                             order["id"]) == "authorized"
    assert await db.fetchval(
        "SELECT count(*) FROM deadlines WHERE key = $1 AND kind = 'void_payment'",
        order["id"]) == 0, "the late answer would give the buyer's payment back"
    assert await db.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type = 'payment.authorized' "
        "AND payload->>'order_id' = $1", order["id"]) == 1
    held = (await shop.orders.client.get(f"/v1/orders/{order['id']}", headers=buyer)).json()
    assert held["status"] == "on_hold"


async def an_order_on_hold(shop: Shop) -> tuple[dict[str, Any], dict[str, str]]:
    """A one-unit order, paid and in its hold window; and its buyer's headers."""
    sku = await live_sku(shop, stock=1)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
    [order] = (await checkout(shop, buyer)).json()["orders"]
    assert await reaches(shop, buyer, order["id"], "on_hold")
    return order, buyer


async def test_a_capture_and_a_refund_are_recorded_once_whichever_firing_comes_second(
        two_processes: Shop) -> None:
    """The same overlap for the capture and the refund: the provider's idempotency keeps the
    money right, and the records keep it right too (not captured twice, not refunded twice)."""
    shop = two_processes
    order, _ = await an_order_on_hold(shop)
    order_id, amount = UUID(order["id"]), order["total_minor"]
    async with transaction(shop.orders.runtime.db) as conn:
        assert await repository.record_capture(conn, order_id, amount)
        assert not await repository.record_capture(conn, order_id, amount)
        refund_id = new_id()
        assert await repository.add_refund(conn, refund_id, order_id, 500, "damaged",
                                           "dispute-1", {})
        assert await repository.complete_refund(conn, refund_id, order_id, 500)
        assert not await repository.complete_refund(conn, refund_id, order_id, 500)
    payment = await shop.orders.runtime.db.fetchrow(
        "SELECT status, captured_minor, refunded_minor FROM payments WHERE order_id = $1",
        order_id)
    assert dict(payment) == {"status": "partially_refunded", "captured_minor": amount,
                             "refunded_minor": 500}


async def test_a_void_fired_twice_is_recorded_and_announced_once(two_processes: Shop) -> None:
    """A cancelled order's payment is voided; the same deadline fired again afterwards (an
    overlap as above) finds it voided and announces nothing more."""
    shop = two_processes
    order, buyer = await an_order_on_hold(shop)
    cancelled = await shop.orders.client.post(f"/v1/orders/{order['id']}/cancellation",
                                              headers=buyer)
    assert cancelled.status_code == 200, cancelled.text
    db = shop.orders.runtime.db
    voided = ("SELECT count(*) FROM outbox WHERE event_type = 'payment.voided' "
              "AND payload->>'order_id' = $1")

    async def announced() -> bool:
        return bool(await db.fetchval(voided, order["id"]) == 1)

    assert await eventually(announced, timeout=30), "the void never fired"
    row = await db.fetchrow(
        "SELECT * FROM deadlines WHERE key = $1 AND kind = 'void_payment'", order["id"])
    assert row["done_at"] is not None
    [void] = [kind for kind in deadline_kinds(shop.orders.runtime) if kind.name == "void_payment"]
    assert void.fire_outside_transaction is not None
    await void.fire_outside_transaction(db, Deadline(
        id=row["id"], key=row["key"], kind=row["kind"], due_at=row["due_at"], warn_at=None,
        payload={}, attempts=row["attempts"] + 1))

    assert await db.fetchval(voided, order["id"]) == 1, "the second firing announced it again"
    assert await db.fetchval("SELECT status FROM payments WHERE order_id = $1::uuid",
                             order["id"]) == "voided"
