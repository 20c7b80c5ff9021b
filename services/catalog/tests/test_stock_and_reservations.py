"""Stock adjustments and order reservations against real servers; the Kafka path included."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from libs.db.transaction import transaction
from libs.events.envelope import Envelope, to_kafka
from libs.events.schemas.fulfillment import StockReceived
from libs.events.schemas.orders import OrderCancelled, OrderConfirmed, OrderLine, OrderPlaced
from libs.ids import new_id
from libs.kafka import create_producer
from libs.testing import RunningService, eventually
from services.catalog.use_cases.inventory import reserve_for_order

from .conftest import Seller

MakeSeller = Callable[..., Awaitable[Seller]]
MakeCategory = Callable[..., Awaitable[str]]
MakeLive = Callable[..., Awaitable[dict[str, Any]]]


def placed(*lines: tuple[str, int], seconds: int = 900) -> OrderPlaced:
    return OrderPlaced(order_id=new_id(), buyer_id="buyer-1", seller_id=new_id(),
                       currency="GBP", reserve_for_seconds=seconds, placed_at=datetime.now(UTC),
                       lines=[OrderLine(sku_id=UUID(s), quantity=q, unit_price_minor=100)
                              for s, q in lines])


async def level(catalog: RunningService, sku_id: str) -> dict[str, int]:
    row = await catalog.runtime.db.fetchrow(
        "SELECT on_hand, reserved FROM stock WHERE sku_id = $1::uuid", sku_id)
    return dict(row)


async def outbox_types(catalog: RunningService, key: str) -> list[str]:
    rows = await catalog.runtime.db.fetch(
        "SELECT event_type FROM outbox WHERE event_key = $1 ORDER BY seq", key)
    return [r["event_type"] for r in rows]


async def test_adjustments_with_reasons_versions_and_low_stock(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    sku = product["skus"][0]["id"]
    url = f"/v1/skus/{sku}/stock"
    stock = (await catalog.client.get(url, headers=seller.headers)).json()
    assert (stock["on_hand"], stock["available"]) == (10, 10)
    set_up = await catalog.client.post(f"{url}/adjustments", headers=seller.headers, json={
        "reason": "alert me under 5", "low_stock_threshold": 5})
    version = set_up.json()["version"]
    stale = await catalog.client.post(f"{url}/adjustments", headers=seller.headers, json={
        "delta": 1, "reason": "x", "expected_version": version - 1})
    assert stale.status_code == 409
    lowered = await catalog.client.post(f"{url}/adjustments", headers=seller.headers, json={
        "delta": -6, "reason": "damaged in transit", "expected_version": version})
    assert lowered.json()["available"] == 4
    negative = await catalog.client.post(f"{url}/adjustments", headers=seller.headers,
                                         json={"delta": -5, "reason": "oops"})
    assert negative.status_code == 422
    assert negative.json()["errors"][0] == {"field": "delta", "code": "negative_stock",
                                            "message": "stock on hand cannot go below zero"}
    both = await catalog.client.post(f"{url}/adjustments", headers=seller.headers,
                                     json={"delta": 1, "set_to": 3, "reason": "x"})
    assert both.status_code == 422
    assert await outbox_types(catalog, sku) == [
        "inventory.adjusted", "inventory.adjusted", "inventory.low_stock"]
    movements = await catalog.runtime.db.fetch(
        "SELECT reason FROM stock_movements WHERE sku_id = $1::uuid ORDER BY id", sku)
    assert movements[-1]["reason"] == "damaged in transit"


async def test_reservation_is_all_or_nothing_and_ends_committed_or_released(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    plenty, empty = product["skus"][0]["id"], product["skus"][1]["id"]  # 10 and 0 units
    pool = catalog.runtime.db

    both = placed((plenty, 2), (empty, 1))
    async with transaction(pool) as conn:
        assert not await reserve_for_order(conn, both)
    assert (await level(catalog, plenty))["reserved"] == 0, "nothing held when a line is short"
    assert await outbox_types(catalog, str(both.order_id)) == ["inventory.reservation_failed"]

    order = placed((plenty, 3), (plenty, 1))  # one SKU on two lines
    async with transaction(pool) as conn:
        assert await reserve_for_order(conn, order)
        assert await reserve_for_order(conn, order), "a replay changes nothing"
    assert await level(catalog, plenty) == {"on_hand": 10, "reserved": 4}
    detail = (await catalog.client.get(f"/v1/products/{product['id']}")).json()
    assert detail["skus"][0]["available"] == 6
    shrink = await catalog.client.post(f"/v1/skus/{plenty}/stock/adjustments",
                                       headers=seller.headers, json={"set_to": 3, "reason": "x"})
    assert shrink.json()["errors"][0]["code"] == "below_reserved"

    from services.catalog.use_cases.inventory import end_reservation

    async with transaction(pool) as conn:
        assert await end_reservation(conn, order.order_id, commit=True, reason="order confirmed")
        assert not await end_reservation(conn, order.order_id, commit=False, reason="x")
    assert await level(catalog, plenty) == {"on_hand": 6, "reserved": 0}

    cancelled = placed((plenty, 6))
    async with transaction(pool) as conn:
        assert await reserve_for_order(conn, cancelled)
        assert await end_reservation(conn, cancelled.order_id, commit=False,
                                     reason="order_cancelled")
    assert await level(catalog, plenty) == {"on_hand": 6, "reserved": 0}


async def test_hot_sku_never_oversells_under_concurrency(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category(), skus=[
        {"code": f"HOT-{new_id()}", "price_minor": 500, "currency": "GBP", "stock": 20}])
    sku = product["skus"][0]["id"]

    async def attempt() -> bool:
        async with transaction(catalog.runtime.db) as conn:
            return await reserve_for_order(conn, placed((sku, 1)))

    results = await asyncio.gather(*(attempt() for _ in range(120)))
    assert sum(results) == 20
    assert await level(catalog, sku) == {"on_hand": 20, "reserved": 20}


async def test_expired_reservations_are_handed_back(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    sku = product["skus"][0]["id"]
    order = placed((sku, 4), seconds=1)
    async with transaction(catalog.runtime.db) as conn:
        assert await reserve_for_order(conn, order)

    async def released() -> bool:
        return (await level(catalog, sku))["reserved"] == 0

    assert await eventually(released, timeout=15), "the expiry timer did not run"
    assert await outbox_types(catalog, str(order.order_id)) == [
        "inventory.reserved", "inventory.released"]


@pytest.mark.kafka
async def test_orders_and_fulfillment_events_drive_stock_through_kafka(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive, kafka_bootstrap: str,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    sku = product["skus"][0]["id"]
    producer = create_producer(kafka_bootstrap, "test-orders", idempotent=False)
    await producer.start()

    async def publish(event: Any) -> None:
        key, value, headers = to_kafka(Envelope.wrap(event, source="tests"))
        await producer.send_and_wait(event.topic, value=value, key=key, headers=headers)

    try:
        kept, dropped = placed((sku, 2)), placed((sku, 3))
        for event in (kept, dropped, kept):  # the repeat is a redelivery
            await publish(event)

        async def both_reserved() -> bool:
            return (await level(catalog, sku))["reserved"] == 5

        assert await eventually(both_reserved, timeout=60)
        await publish(OrderConfirmed(order_id=kept.order_id, confirmed_at=datetime.now(UTC)))
        await publish(OrderCancelled(order_id=dropped.order_id, reason="payment_failed",
                                     cancelled_at=datetime.now(UTC)))
        await publish(StockReceived(inbound_shipment_id=new_id(), warehouse_id=new_id(),
                                    sku_id=UUID(sku), quantity=50,
                                    received_at=datetime.now(UTC)))

        async def settled() -> bool:
            return await level(catalog, sku) == {"on_hand": 58, "reserved": 0}

        assert await eventually(settled, timeout=60), await level(catalog, sku)
    finally:
        await producer.stop()
    assert await outbox_types(catalog, str(kept.order_id)) == [
        "inventory.reserved", "inventory.committed"]
    assert await outbox_types(catalog, str(dropped.order_id)) == [
        "inventory.reserved", "inventory.released"]


async def test_cancellations_after_commit_or_before_reservation_lose_nothing(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    from services.catalog.use_cases.inventory import on_order_cancelled, on_order_confirmed

    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    sku = product["skus"][0]["id"]
    pool = catalog.runtime.db
    confirmed = placed((sku, 3))
    envelope = Envelope.wrap(confirmed, source="orders")
    async with transaction(pool) as conn:
        await reserve_for_order(conn, confirmed)
        await on_order_confirmed(conn, envelope, OrderConfirmed(
            order_id=confirmed.order_id, confirmed_at=datetime.now(UTC)))
    assert await level(catalog, sku) == {"on_hand": 7, "reserved": 0}
    async with transaction(pool) as conn:  # cancelled in the hold window, before shipping
        await on_order_cancelled(conn, envelope, OrderCancelled(
            order_id=confirmed.order_id, reason="buyer_cancelled",
            cancelled_at=datetime.now(UTC)))
    assert await level(catalog, sku) == {"on_hand": 10, "reserved": 0}

    early = placed((sku, 2))  # the cancellation overtakes the placement
    async with transaction(pool) as conn:
        await on_order_cancelled(conn, envelope, OrderCancelled(
            order_id=early.order_id, reason="reservation_timeout", cancelled_at=datetime.now(UTC)))
        await reserve_for_order(conn, early)
    assert await level(catalog, sku) == {"on_hand": 10, "reserved": 0}
