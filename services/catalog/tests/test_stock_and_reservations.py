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


async def test_a_sku_tells_when_it_sells_out_and_when_it_is_back(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    """Only the crossings of zero are news (discovery hides what cannot be bought)."""
    from services.catalog.use_cases.inventory import end_reservation, on_order_cancelled

    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    sku = product["skus"][0]["id"]  # 10 units
    pool = catalog.runtime.db

    async def news() -> list[str]:
        return [t for t in await outbox_types(catalog, sku)
                if t in ("inventory.sold_out", "inventory.back_in_stock")]

    some, rest = placed((sku, 4)), placed((sku, 6))
    async with transaction(pool) as conn:
        await reserve_for_order(conn, some)
    assert await news() == []
    async with transaction(pool) as conn:
        await reserve_for_order(conn, rest)
    assert await news() == ["inventory.sold_out"]
    async with transaction(pool) as conn:
        await end_reservation(conn, rest.order_id, commit=False, reason="expired")
        await end_reservation(conn, some.order_id, commit=True, reason="order confirmed")
    assert await news() == ["inventory.sold_out", "inventory.back_in_stock"]
    last = placed((sku, 6))
    async with transaction(pool) as conn:
        await reserve_for_order(conn, last)
        await end_reservation(conn, last.order_id, commit=True, reason="order confirmed")
    assert await news() == ["inventory.sold_out", "inventory.back_in_stock", "inventory.sold_out"]
    async with transaction(pool) as conn:  # cancelled after commit, before shipping: restocked
        await on_order_cancelled(conn, Envelope.wrap(last, source="orders"), OrderCancelled(
            order_id=last.order_id, reason="buyer_cancelled", cancelled_at=datetime.now(UTC)))
    assert (await news())[-1] == "inventory.back_in_stock"
    counted = await catalog.client.post(f"/v1/skus/{sku}/stock/adjustments",
                                        headers=seller.headers,
                                        json={"set_to": 0, "reason": "stock count"})
    assert counted.status_code == 200, counted.text
    assert (await news())[-1] == "inventory.sold_out"
    assert len(await news()) == 5


async def test_cancellations_after_commit_or_before_reservation_lose_nothing(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    from services.catalog.use_cases.batch_commits import on_order_confirmed
    from services.catalog.use_cases.inventory import on_order_cancelled

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


@pytest.mark.kafka
async def test_a_flash_sale_through_kafka_is_decided_in_batches_and_never_oversold(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive, kafka_bootstrap: str,
) -> None:
    """300 single-unit orders of one SKU arrive at once (the consumer decides runs of them in
    one transaction), mixed with a two-SKU order, an order for more than exists and a replayed
    order, while 40 reservations of the same SKU go the one-at-a-time way: exactly the stock
    is held, every order gets exactly one outcome, and the refusals say why."""
    seller = await make_seller()
    category = await make_category()
    product = await make_live_product(seller, category, skus=[
        {"code": f"HOT-{new_id()}", "price_minor": 500, "currency": "GBP", "stock": 50,
         "options": {"size": "M"}},
        {"code": f"TWO-{new_id()}", "price_minor": 500, "currency": "GBP", "stock": 5,
         "options": {"size": "L"}}])
    hot, second = product["skus"][0]["id"], product["skus"][1]["id"]
    rush = [placed((hot, 1)) for _ in range(300)]
    pair, greedy = placed((hot, 1), (second, 2)), placed((second, 6))
    stream = [*rush[:150], pair, greedy, rush[0], *rush[150:]]  # rush[0] again: a replay
    producer = create_producer(kafka_bootstrap, "test-orders", idempotent=False)
    await producer.start()
    try:
        deliveries = []
        for order in stream:
            key, value, headers = to_kafka(Envelope.wrap(order, source="tests"))
            deliveries.append(await producer.send(order.topic, value=value, key=key,
                                                  headers=headers))
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()

    async def direct() -> bool:
        async with transaction(catalog.runtime.db) as conn:
            return await reserve_for_order(conn, placed((hot, 1)))

    direct_held = sum(await asyncio.gather(*(direct() for _ in range(40))))
    ids = [str(o.order_id) for o in [*rush, pair, greedy]]

    async def all_decided() -> list[Any] | None:
        rows = await catalog.runtime.db.fetch(
            """SELECT event_key, event_type, payload FROM outbox WHERE event_key = ANY($1::text[])
               AND event_type IN ('inventory.reserved', 'inventory.reservation_failed')""", ids)
        return rows if {r["event_key"] for r in rows} == set(ids) else None

    outcomes = await eventually(all_decided, timeout=90)
    assert outcomes is not None, "every order decided"
    kinds: dict[str, set[str]] = {}
    for row in outcomes:
        kinds.setdefault(row["event_key"], set()).add(row["event_type"])
    assert all(len(k) == 1 for k in kinds.values()), "a replay never changes a decision"
    assert len(outcomes) <= len(ids) + 1, "only the replayed order may be decided twice"
    assert catalog.runtime.consumer.stats.batched >= 250, "decided by the batch handler"
    held = {r["event_key"] for r in outcomes if r["event_type"] == "inventory.reserved"}
    refused = {r["event_key"]: r["payload"]["short_lines"] for r in outcomes
               if r["event_type"] == "inventory.reservation_failed"}
    hot_held = sum(1 for o in rush if str(o.order_id) in held) + (str(pair.order_id) in held)
    assert hot_held + direct_held == 50, "every unit sold, none twice"
    assert await level(catalog, hot) == {"on_hand": 50, "reserved": 50}
    assert refused[str(greedy.order_id)] == [{"sku_id": second, "requested": 6,
                                              "available": 5 - 2 * (str(pair.order_id) in held),
                                              "reason": "insufficient_stock"}]
    assert all(lines[0]["reason"] == "insufficient_stock" and lines[0]["available"] == 0
               for key, lines in refused.items() if key != str(greedy.order_id))
    transactions = await catalog.runtime.db.fetchval(
        """SELECT count(DISTINCT processed_at) FROM inbox
           WHERE event_type = 'order.placed' AND processed_at > now() - interval '5 minutes'
             AND consumer_group = $1""", catalog.runtime.consumer_group)
    assert transactions < len(stream) / 5, "orders were decided many per transaction"
