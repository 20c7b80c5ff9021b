"""Fulfillment end to end, through Kafka, on real servers, by the routes people use: a seller's
goods go into warehouses, an FBT order split across two warehouses and a seller-shipped order
both reach the buyer and complete (payment captured once, commission payable after the return
window), and a return is refunded for exactly what the warehouse accepted."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from libs.db.transaction import transaction
from libs.events.envelope import Envelope
from libs.events.schemas.fulfillment import FulfillmentOrderAllocated
from libs.events.schemas.orders import LineToFulfil, OrderFulfillmentRequested, ShipTo
from libs.ids import new_id
from libs.testing import bearer, eventually
from services.fulfillment.reconcile import compare
from services.fulfillment.use_cases import fulfillment_orders
from services.orders.use_cases import saga_batches
from tests.e2e.fulfillment_world import (
    LONDON,
    OPERATOR,
    World,
    available,
    checked_out,
    commission_rate,
    listed,
    open_warehouse,
    order_status,
    outbox_events,
    ship_from_warehouse,
    start_world,
    stocked,
    tracking,
)

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
async def world(settings_for: Callable[..., Any]) -> AsyncIterator[World]:
    async for running in start_world(settings_for):
        await open_warehouse(running, "London Park Royal", "NW10 7AB", ["GB-LON", "GB-SOU"])
        await open_warehouse(running, "Manchester Trafford", "M17 1AB", ["GB-NOR", "GB-MID"])
        yield running


async def test_receiving_makes_exactly_the_good_units_sellable(world: World) -> None:
    sku = (await listed(world))["sku"]
    plan = await stocked(world, sku, 12, ship_from="E14 5AB", damaged=2)
    assert plan["status"] == "received_with_discrepancies"
    assert plan["warehouse_id"] == world.warehouses["London Park Royal"]["id"], \
        "a London seller's goods go to the London warehouse"
    assert [c["label"].startswith("FBT-") for c in plan["cartons"]] == [True]

    async def sellable() -> bool:
        return await available(world, sku) == 10

    assert await eventually(sellable, timeout=30), "catalog shows the 10 good units, no more"
    balances = (await world.fulfillment.client.get(
        "/v1/warehouse-stock", params={"sku_id": sku}, headers=world.seller)).json()["items"]
    assert [(b["fulfillable"], b["unfulfillable"], b["inbound"]) for b in balances] == [(10, 2, 0)]
    ledger = (await world.fulfillment.client.get(f"/v1/warehouse-stock/{sku}/ledger",
                                                 headers=world.seller)).json()["items"]
    assert sum(m["d_fulfillable"] for m in ledger) == 10
    assert sum(m["d_unfulfillable"] for m in ledger) == 2
    assert [m["kind"] for m in ledger] == ["inbound_planned", "receipt"]
    stranger = bearer("seller", "x", seller_id=secrets.token_hex(16))
    hidden = await world.fulfillment.client.get(f"/v1/warehouse-stock/{sku}/ledger",
                                                headers=stranger)
    assert hidden.status_code in (403, 404)


async def test_an_fbt_order_split_across_two_warehouses_reaches_the_buyer(world: World) -> None:
    knit_listing = await listed(world)
    knit, scarf = knit_listing["sku"], (await listed(world, price=1500))["sku"]
    await commission_rate(world, knit_listing["product"]["id"], 1000)
    await stocked(world, knit, 5, ship_from="SE1 9AA")      # London only
    await stocked(world, scarf, 5, ship_from="M1 1AE")      # Manchester only
    order, buyer = await checked_out(world, {knit: 1, scarf: 2}, creator="cr_fbt")
    order_id = order["id"]
    view = await tracking(world, order_id, buyer)
    assert view["method"] == "fbt"
    parcels = {p["warehouse_id"]: p for p in view["parcels"]}
    assert set(parcels) == {world.warehouses["London Park Royal"]["id"],
                            world.warehouses["Manchester Trafford"]["id"]}, "split in two"
    allocated = await outbox_events(world.fulfillment, order_id, "fulfillment_order.allocated")
    assert allocated[0]["split"] is True and allocated[0]["seller_id"] == world.seller_id
    [confirmed] = await outbox_events(world.orders, order_id, "order.confirmed")
    assert confirmed["seller_id"] == world.seller_id, "public events say whose they are"

    detail = await order_status(world, buyer, order_id, "awaiting_shipment")
    assert detail["ship_by"] is not None
    assert abs(_ts(detail["ship_by"]) - _ts(view["ship_by"])) < 0.01, \
        "the order keeps fulfillment's ship-by promise"

    wave = await world.fulfillment.client.post(
        f"/v1/warehouses/{world.warehouses['London Park Royal']['id']}/waves",
        headers={**OPERATOR, "Idempotency-Key": secrets.token_hex(8)}, json={})
    assert wave.status_code == 201, wave.text
    london_parcel = parcels[world.warehouses["London Park Royal"]["id"]]
    assert london_parcel["id"] in [p["id"] for p in wave.json()["parcels"]]
    assert wave.json()["pick_list"][knit] >= 1
    for parcel in parcels.values():
        await ship_from_warehouse(world, parcel)

    completed = await order_status(world, buyer, order_id, "completed")
    assert completed["status"] == "completed"
    history = (await tracking(world, order_id, buyer))["history"]
    states = [h["status"] for h in history]
    for state in ("allocated", "picked", "packed", "labelled", "shipped", "in_transit",
                  "out_for_delivery", "delivered"):
        assert states.count(state) == 2, f"both parcels were {state}"
    captured = await outbox_events(world.orders, order_id, "payment.captured")
    assert len(captured) == 1, "the payment is captured once, at the first parcel"
    assert captured[0]["amount_minor"] == order["total_minor"]
    payable = await outbox_events(world.orders, order_id, "commission.payable")
    assert len(payable) == 1, "the creator's commission became payable after the window"

    fees = (await world.fulfillment.client.get(
        "/v1/fbt-fees", params={"month": completed["created_at"][:7]},
        headers=world.seller)).json()
    mine = [f for f in fees["fees"] if f["order_id"] == order_id]
    assert sorted(f["units"] for f in mine) == [1, 2] and all(f["amount_minor"] > 0 for f in mine)


async def test_a_seller_shipped_order_is_delivered_and_completes(world: World) -> None:
    sku = (await listed(world, stock=5))["sku"]   # never sent to a warehouse: the seller ships
    order, buyer = await checked_out(world, {sku: 2})
    order_id = order["id"]
    view = await tracking(world, order_id, world.seller)
    assert view["method"] == "seller"
    assert [p["status"] for p in view["parcels"]] == ["awaiting_seller"]

    client = world.fulfillment.client
    wrong = await client.post(f"/v1/fulfillment-orders/{order_id}/shipments",
                              headers={**world.seller, "Idempotency-Key": secrets.token_hex(8)},
                              json={"carrier": "Royal Mail", "tracking_number": "12345"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "tracking_number"
    other = bearer("seller", "other", seller_id=str(secrets.token_hex(16)))
    refused = await client.post(f"/v1/fulfillment-orders/{order_id}/shipments",
                                headers={**other, "Idempotency-Key": secrets.token_hex(8)},
                                json={"carrier": "Royal Mail", "tracking_number": "RM123456785GB"})
    assert refused.status_code in (403, 409, 422)
    key = (await world.catalog.client.post(
        f"/v1/sellers/{world.seller_id}/api-keys",
        headers={**world.seller, "Idempotency-Key": secrets.token_hex(8)},
        json={"name": "warehouse system"})).json()["key"]
    number = f"RM{secrets.randbelow(10**9):09d}GB"

    async def shipped_by_key() -> Any:  # the seller's system uses catalog's key here too
        response = await client.post(
            f"/v1/fulfillment-orders/{order_id}/shipments",
            headers={"X-Api-Key": key, "Idempotency-Key": "ship-1"},
            json={"carrier": "Royal Mail", "tracking_number": number})
        return response if response.status_code != 401 else None

    shipped = await eventually(shipped_by_key, timeout=30)
    assert shipped.status_code == 201, shipped.text
    assert (await client.get(f"/v1/fulfillment-orders/{order_id}",
                             headers={"X-Api-Key": key + "x"})).status_code == 401

    in_transit = await order_status(world, buyer, order_id, "in_transit")
    assert in_transit["tracking_number"] == number
    await order_status(world, buyer, order_id, "delivered")
    asked = await world.orders.client.post(
        f"/v1/orders/{order_id}/returns", headers={**buyer, "Idempotency-Key": "r-1"},
        json={"lines": [{"sku_id": sku, "quantity": 1}], "reason": "wrong colour"})
    assert asked.status_code == 201, asked.text
    path = f"/v1/returns/{asked.json()['id']}"

    async def label() -> Any:
        response = await client.get(path, headers=buyer)
        return response.json() if response.status_code == 200 else None

    assert (await eventually(label, timeout=30))["destination"] == "seller", \
        "a self-shipped order comes back to its seller"
    assert (await client.post(f"{path}/receipt", headers=other)).status_code == 404
    assert (await client.post(f"{path}/receipt", headers=world.seller)).status_code == 200
    inspected = await client.post(f"{path}/inspection", headers=world.seller, json={
        "lines": [{"sku_id": sku, "resellable": 1}]})
    assert inspected.status_code == 200, inspected.text

    async def refunded() -> Any:
        return await outbox_events(world.orders, order_id, "payment.refunded") or None

    [refund] = await eventually(refunded, timeout=30)
    assert refund["amount_minor"] == 2500, "one unit back, refunded at its price"
    await order_status(world, buyer, order_id, "completed")
    assert len(await outbox_events(world.orders, order_id, "payment.captured")) == 1
    seen_by_stranger = await client.get(f"/v1/fulfillment-orders/{order_id}",
                                        headers=bearer("buyer", "someone-else"))
    assert seen_by_stranger.status_code == 404, "a buyer sees only their own tracking"


async def test_a_return_refunds_exactly_the_accepted_units(world: World) -> None:
    sku = (await listed(world, price=2000))["sku"]
    await stocked(world, sku, 6, ship_from="W1A 1AA")
    order, buyer = await checked_out(world, {sku: 3})
    order_id = order["id"]
    view = await tracking(world, order_id, buyer)
    for parcel in view["parcels"]:
        await ship_from_warehouse(world, parcel)
    await order_status(world, buyer, order_id, "delivered")

    client = world.orders.client
    too_many = await client.post(f"/v1/orders/{order_id}/returns",
                                 headers={**buyer, "Idempotency-Key": secrets.token_hex(8)},
                                 json={"lines": [{"sku_id": sku, "quantity": 4}],
                                       "reason": "does not fit"})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "lines.0.quantity"
    asked = await client.post(f"/v1/orders/{order_id}/returns",
                              headers={**buyer, "Idempotency-Key": secrets.token_hex(8)},
                              json={"lines": [{"sku_id": sku, "quantity": 3}],
                                    "reason": "does not fit"})
    assert asked.status_code == 201, asked.text
    return_id = asked.json()["id"]

    async def labelled() -> Any:
        response = await world.fulfillment.client.get(f"/v1/returns/{return_id}", headers=buyer)
        return response.json() if response.status_code == 200 else None

    label = await eventually(labelled, timeout=30)
    assert label["destination"] == "warehouse" and label["tracking_number"]
    seller_try = await world.fulfillment.client.post(f"/v1/returns/{return_id}/receipt",
                                                     headers=world.seller)
    assert seller_try.status_code == 403, "warehouse returns are received by its operators"
    path = f"/v1/returns/{return_id}"
    assert (await world.fulfillment.client.post(f"{path}/receipt",
                                                headers=OPERATOR)).status_code == 200
    bad = await world.fulfillment.client.post(f"{path}/inspection", headers=OPERATOR, json={
        "lines": [{"sku_id": sku, "resellable": 3, "damaged": 1}]})
    assert bad.status_code == 422, "more units inspected than returned"
    inspected = await world.fulfillment.client.post(f"{path}/inspection", headers=OPERATOR,
                                                    json={"lines": [{"sku_id": sku,
                                                                     "resellable": 1,
                                                                     "damaged": 1,
                                                                     "rejected": 1}]})
    assert inspected.status_code == 200, inspected.text

    async def refunded() -> Any:
        rows = await outbox_events(world.orders, order_id, "payment.refunded")
        return rows or None

    [refund] = await eventually(refunded, timeout=30)
    assert refund["amount_minor"] == 2 * 2000, "resellable and damaged units, not the rejected"

    async def back_on_sale() -> bool:
        return await available(world, sku) == 6 - 3 + 1

    assert await eventually(back_on_sale, timeout=30), "the resellable unit is for sale again"
    [balance] = (await world.fulfillment.client.get(
        "/v1/warehouse-stock", params={"sku_id": sku}, headers=world.seller)).json()["items"]
    assert (balance["fulfillable"], balance["unfulfillable"], balance["reserved"]) == (4, 1, 0)


async def test_a_run_of_requests_is_allocated_as_one_at_a_time(world: World) -> None:
    """Fulfillment's batch handler against its one-at-a-time path, on the real schema: two SKUs
    of 5 units each; for each, four orders of 2 units and the first order's request again
    (redelivered). One SKU's requests are applied as one run, the other's one by one. Each order
    ends the same either way, in its turn: the first two allocated, the third 1 unit allocated
    and 1 short, the fourth all short; 5 units reserved and none left; the redelivered request
    adds nothing. All in one transaction, rolled back, so no other journey sees these orders."""
    skus = [(await listed(world))["sku"] for _ in range(2)]
    for sku in skus:
        await stocked(world, sku, 5, ship_from="SE1 9AA")
    requests = {sku: [_request(world, sku, 2) for _ in range(4)] for sku in skus}
    settings = world.fulfillment.runtime.settings
    async with world.fulfillment.runtime.db.acquire() as conn:
        rollback = conn.transaction()
        await rollback.start()
        try:
            in_run, alone = skus
            await fulfillment_orders.on_requested_many(
                conn, [(Envelope.wrap(e, source="test"), e)
                       for e in [*requests[in_run], requests[in_run][0]]], settings=settings)
            for event in [*requests[alone], requests[alone][0]]:
                await fulfillment_orders.on_requested(conn, Envelope.wrap(event, source="test"),
                                                      event, settings=settings)
            outcomes = {}
            for sku in skus:
                rows = await conn.fetch(
                    """SELECT o.order_id, o.method, o.short, count(p.id) AS parcels,
                              coalesce(sum((p.lines ->> $2)::int), 0) AS allocated
                       FROM fulfillment_orders o LEFT JOIN parcels p ON p.order_id = o.order_id
                       WHERE o.order_id = ANY($1::uuid[])
                       GROUP BY o.order_id, o.method, o.short""",
                    [e.order_id for e in requests[sku]], sku)
                by_order = {r["order_id"]: r for r in rows}
                outcomes[sku] = [(by_order[e.order_id]["method"],
                                  by_order[e.order_id]["allocated"],
                                  by_order[e.order_id]["short"].get(sku, 0))
                                 for e in requests[sku]]
                held = await conn.fetchrow(
                    "SELECT sum(fulfillable) AS left, sum(reserved) AS reserved FROM stock "
                    "WHERE sku_id = $1", UUID(sku))
                assert (held["left"], held["reserved"]) == (0, 5), sku
            events = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE event_key = ANY($1::text[])",
                [str(e.order_id) for sku in skus for e in requests[sku]])
        finally:
            await rollback.rollback()
    assert outcomes[in_run] == [("fbt", 2, 0), ("fbt", 2, 0), ("fbt", 1, 1), ("fbt", 0, 2)]
    assert outcomes[alone] == outcomes[in_run], "the run decides as one at a time"
    assert events == 16, "created and allocated once for each order, none for the redelivery"


def _request(world: World, sku: str, units: int) -> OrderFulfillmentRequested:
    return OrderFulfillmentRequested(
        order_id=new_id(), seller_id=UUID(world.seller_id), buyer_id="buyer-in-a-run",
        market="GB", lines=[LineToFulfil(sku_id=UUID(sku), quantity=units)],
        ship_to=ShipTo(**LONDON), zone="GB-LON", requested_at=datetime.now(UTC))


async def test_a_rush_of_fbt_orders_keeps_each_orders_promise_applied_in_runs(
        world: World) -> None:
    """20 buyers check out one warehouse SKU at once. Fulfillment's promises reach orders in a
    run (`saga_batches.on_fulfillment_promised_many`) or alone; either way each order keeps
    exactly its own ship-by, as the one pending ship-by deadline, with one note. A run that
    re-promises them (one order twice) moves each deadline, the later promise winning."""
    sku = (await listed(world))["sku"]
    await stocked(world, sku, 20, ship_from="SE1 9AA")

    async def sellable() -> bool:
        return await available(world, sku) == 20

    assert await eventually(sellable, timeout=30)
    placed = await asyncio.gather(*(checked_out(world, {sku: 1}) for _ in range(20)))
    order_ids = [order["id"] for order, _ in placed]
    views = {order["id"]: await tracking(world, order["id"], buyer) for order, buyer in placed}
    db = world.orders.runtime.db

    async def promised() -> bool:
        rows = await db.fetch("SELECT id::text, ship_by FROM orders WHERE id = ANY($1::uuid[])",
                              order_ids)
        return all(r["ship_by"] is not None
                   and abs(r["ship_by"].timestamp() - _ts(views[r["id"]]["ship_by"])) < 0.01
                   for r in rows) and len(rows) == 20

    assert await eventually(promised, timeout=60), "every order holds fulfillment's ship-by"

    async def kept() -> dict[str, tuple[int, int, float]]:
        """Per order: its promise notes, its pending ship-by deadlines, the latest one's time."""
        notes = await db.fetch(
            """SELECT order_id::text, count(*) AS n FROM order_timeline
               WHERE order_id = ANY($1::uuid[]) AND note LIKE 'promised:%' GROUP BY 1""",
            order_ids)
        pending = await db.fetch(
            """SELECT key, count(*) AS n, max(due_at) AS due FROM deadlines
               WHERE key = ANY($1::text[]) AND kind = 'ship_by' AND done_at IS NULL
               GROUP BY 1""", order_ids)
        count = {r["order_id"]: r["n"] for r in notes}
        return {r["key"]: (count.get(r["key"], 0), r["n"], r["due"].timestamp())
                for r in pending}

    assert await kept() == {order_id: (1, 1, _ts(views[order_id]["ship_by"]))
                            for order_id in order_ids}, "one note and one pending ship-by each"

    again = []
    for order_id in order_ids:
        [sent] = await outbox_events(world.fulfillment, order_id, "fulfillment_order.allocated")
        again.append(FulfillmentOrderAllocated.model_validate(
            {**{k: v for k, v in sent.items() if k != "type"},
             "ship_by": _later(views[order_id]["ship_by"], hours=24)}))
    last_word = again[0].model_copy(update={"ship_by": again[0].ship_by + timedelta(hours=1)})
    run = [(Envelope.wrap(event, source="test"), event) for event in [*again, last_word]]
    async with transaction(db) as conn:
        await saga_batches.on_fulfillment_promised_many(conn, run)
    moved = await kept()
    assert moved[order_ids[0]] == (2, 1, last_word.ship_by.timestamp()), "the later promise holds"
    assert {k: v for k, v in moved.items() if k != order_ids[0]} == {
        str(event.order_id): (2, 1, event.ship_by.timestamp()) for event in again[1:]}


def _later(value: str, *, hours: int) -> str:
    return (datetime.fromisoformat(value) + timedelta(hours=hours)).isoformat()


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


async def test_catalog_and_the_warehouses_agree_after_all_of_it(world: World, infra: Any) -> None:
    """The reconciliation command's check, over every SKU these journeys put in a warehouse."""
    import asyncpg

    conn = await asyncpg.connect(infra.admin_database_url)
    try:
        async def agreed() -> Any:
            compared, differences = await compare(conn, conn)
            return compared if compared and not differences else None

        assert await eventually(agreed, timeout=30), await compare(conn, conn)
    finally:
        await conn.close()
