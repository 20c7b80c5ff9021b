"""Fulfillment when things go wrong, through Kafka on real servers: a carrier cannot deliver (its
signed webhook says so) and the order is refunded with the stock back on sale; a ship-by promise
is missed and the order is cancelled with its stock handed back; bad input and other people's
objects are refused with the field named and nothing half-written."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from standardwebhooks.webhooks import Webhook

from libs.testing import bearer, eventually
from tests.e2e.fulfillment_world import (
    CARRIER_SECRET,
    OPERATOR,
    World,
    available,
    checked_out,
    cutoff_in,
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
        await open_warehouse(running, "Birmingham Hams Hall", "B46 1AB", ["GB-MID"])
        yield running


def signed(body: dict[str, Any], *, secret: str = CARRIER_SECRET,
           at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    msg_id = f"msg_{secrets.token_hex(8)}"
    moment = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, moment, raw.decode())
    return raw, {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())),
                 "webhook-signature": signature, "content-type": "application/json"}


async def test_an_undeliverable_parcel_is_refunded_and_its_stock_sold_again(world: World) -> None:
    sku = (await listed(world, price=3000))["sku"]
    await stocked(world, sku, 4, ship_from="B1 1AA")
    order, buyer = await checked_out(world, {sku: 2})
    order_id = order["id"]
    [parcel] = (await tracking(world, order_id, buyer))["parcels"]
    shipped = await ship_from_warehouse(world, parcel)
    url = f"/v1/carriers/{shipped['carrier']}/tracking-updates"
    update = {"tracking_number": shipped["tracking_number"], "status": "delivery_failed",
              "at": datetime.now(UTC).isoformat(), "note": "address not found"}

    raw, headers = signed(update)
    unsigned = await world.fulfillment.client.post(url, content=raw,
                                                   headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    forged = await world.fulfillment.client.post(url, content=raw, headers={
        **headers, "webhook-signature": signed(update, secret="whsec_" + "Zm9yZ2Vk" * 4)[1][
            "webhook-signature"]})
    assert forged.status_code == 401
    stale_raw, stale_headers = signed(update, at=datetime.now(UTC) - timedelta(minutes=30))
    stale = await world.fulfillment.client.post(url, content=stale_raw, headers=stale_headers)
    assert stale.status_code == 401, "an old signed update is refused (replay)"
    accepted = await world.fulfillment.client.post(url, content=raw, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["applied"] is True
    again = await world.fulfillment.client.post(url, content=raw, headers=headers)
    assert again.status_code == 200 and again.json()["applied"] is False, "a repeat is no news"

    cancelled = await order_status(world, buyer, order_id, "cancelled")
    assert cancelled["cancel_reason"] == "delivery_failed"

    async def not_charged() -> bool:
        paid = await world.orders.runtime.db.fetchrow(
            "SELECT status, captured_minor, refunded_minor FROM payments WHERE order_id = $1",
            UUID(order_id))
        voided = paid["status"] == "voided" and paid["captured_minor"] == 0
        refunded = paid["captured_minor"] == paid["refunded_minor"] == order["total_minor"]
        return bool(voided or refunded)

    assert await eventually(not_charged, timeout=30), \
        "the buyer pays nothing: the payment is voided, or refunded in full with shipping"
    events = [e["type"] for e in await outbox_events(
        world.fulfillment, order_id, "shipment.delivery_failed", "shipment.returned_to_sender")]
    assert events == ["shipment.delivery_failed", "shipment.returned_to_sender"]

    async def back_on_sale() -> bool:
        return await available(world, sku) == 4

    assert await eventually(back_on_sale, timeout=30), \
        "the returned units are sellable again, counted once (catalog does not restock twice)"


async def test_a_missed_ship_by_promise_cancels_and_hands_the_stock_back(world: World) -> None:
    tight = await open_warehouse(world, "Edinburgh Newbridge", "EH28 8AB", ["GB-SCO"],
                                 cutoff=cutoff_in(timedelta(minutes=5)))
    sku = (await listed(world, price=1800))["sku"]
    plan = await stocked(world, sku, 3, ship_from="EH1 1AA")
    assert plan["warehouse_id"] == tight["id"]
    order, buyer = await checked_out(world, {sku: 1}, address={
        "name": "Robert Burns", "line1": "1 High St", "city": "Edinburgh",
        "postcode": "EH1 1YZ", "country": "GB"})
    order_id = order["id"]
    view = await tracking(world, order_id, buyer)
    assert view["parcels"][0]["warehouse_id"] == tight["id"]

    cancelled = await order_status(world, buyer, order_id, "cancelled", timeout=60)
    assert cancelled["cancel_reason"] == "ship_by_missed"

    async def promise_events() -> Any:
        found = [e["type"] for e in await outbox_events(
            world.fulfillment, order_id, "promise.at_risk", "promise.breached")]
        return found if "promise.breached" in found else None

    assert await eventually(promise_events, timeout=30) == ["promise.at_risk", "promise.breached"]

    async def handed_back() -> Any:
        view = await tracking(world, order_id, buyer)
        return view if view["parcels"][0]["status"] == "cancelled" else None

    assert await eventually(handed_back, timeout=30)
    [balance] = (await world.fulfillment.client.get(
        "/v1/warehouse-stock", params={"sku_id": sku}, headers=world.seller)).json()["items"]
    assert (balance["fulfillable"], balance["reserved"]) == (3, 0)

    async def sellable() -> bool:
        return await available(world, sku) == 3

    assert await eventually(sellable, timeout=30)
    voided = await outbox_events(world.orders, order_id, "payment.voided")
    assert len(voided) == 1, "the authorised payment was released, not captured"


async def test_bad_input_names_the_field_and_writes_nothing(world: World) -> None:
    client = world.fulfillment.client
    mine = (await listed(world))["sku"]
    await stocked(world, mine, 2, ship_from="B2 4QA")
    other_seller = bearer("seller", "someone", seller_id=str(secrets.token_hex(16)))

    def plan(sku: str, quantity: int, carton_quantity: int | None = None,
             weight: int = 1000) -> dict[str, Any]:
        return {"ship_from": {"country": "GB", "postcode": "B1 1AA"},
                "lines": [{"sku_id": sku, "quantity": quantity}],
                "cartons": [{"weight_grams": weight, "length_mm": 100, "width_mm": 100,
                             "height_mm": 100, "contents": [
                                 {"sku_id": sku, "quantity": carton_quantity or quantity}]}]}

    async def post_plan(body: dict[str, Any], who: dict[str, str] = world.seller) -> Any:
        return await client.post("/v1/inbound-plans",
                                 headers={**who, "Idempotency-Key": secrets.token_hex(8)},
                                 json=body)

    for body, field in [
        (plan(mine, 0), "lines.0.quantity"),
        (plan(mine, -3), "lines.0.quantity"),
        (plan(mine, 10**9), "lines.0.quantity"),
        (plan(mine, 2, weight=0), "cartons.0.weight_grams"),
        (plan(mine, 4, carton_quantity=3), "cartons"),
        (plan(str(secrets.token_hex(16)), 1), "lines.0.sku_id"),
    ]:
        response = await post_plan(body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"].endswith(field), response.json()
    stranger = await post_plan(plan(mine, 1), other_seller)
    assert stranger.status_code in (409, 422), "another seller's SKU (or an unknown seller)"

    draft = await post_plan(plan(mine, 5))
    assert draft.status_code == 201
    path = f"/v1/inbound-plans/{draft.json()['id']}"
    assert (await client.get(path, headers=other_seller)).status_code == 404
    early = await client.post(f"{path}/receipt", headers=OPERATOR, json={"counts": [
        {"sku_id": mine, "good": 5}]})
    assert early.status_code == 409, "a plan is received only while receiving"
    for step in ("confirmation",):
        assert (await client.post(f"{path}/{step}", headers=world.seller)).status_code == 200
    assert (await client.post(f"{path}/arrival", headers=world.seller)).status_code == 403
    await client.post(f"{path}/transport", headers=world.seller,
                      json={"carrier": "DPD", "tracking_number": "15501234567891"})
    await client.post(f"{path}/arrival", headers=OPERATOR)
    await client.post(f"{path}/receiving", headers=OPERATOR)
    over = await client.post(f"{path}/receipt", headers=OPERATOR, json={"counts": [
        {"sku_id": mine, "good": 7}]})
    assert over.status_code == 422
    assert over.json()["errors"][0]["field"] == "counts.0.unexpected"
    balances = (await client.get("/v1/warehouse-stock", params={"sku_id": mine},
                                 headers=world.seller)).json()["items"]
    assert sum(b["fulfillable"] for b in balances) == 2, "the refused receipt wrote nothing"
    received = await client.post(f"{path}/receipt", headers=OPERATOR, json={"counts": [
        {"sku_id": mine, "good": 7, "unexpected": 2}]})
    assert received.status_code == 200 and received.json()["status"] == \
        "received_with_discrepancies"

    order, buyer = await checked_out(world, {mine: 1})
    [parcel] = (await tracking(world, order["id"], buyer))["parcels"]
    elsewhere = (await client.post(
        "/v1/warehouses", headers={**OPERATOR, "Idempotency-Key": secrets.token_hex(8)}, json={
            "code": f"X-{secrets.token_hex(3).upper()}", "name": "Elsewhere", "market": "GB",
            "country": "GB", "postcode": "SO15 1AA", "address": "Dock 2",
            "timezone": "Europe/London", "cutoff": "16:00", "zones_served": ["GB-SOU"],
            "services": [{"carrier": "Evri", "service": "Standard", "speed": "standard",
                          "transit_days": 3}], "capacity_units": 100})).json()
    base = f"/v1/warehouses/{parcel['warehouse_id']}/parcels/{parcel['id']}"
    wrong = await client.post(f"/v1/warehouses/{elsewhere['id']}/parcels/{parcel['id']}/pick",
                              headers=OPERATOR)
    assert wrong.status_code == 409 and wrong.json()["errors"][0]["field"] == "warehouse_id"
    unpacked = await client.post(f"{base}/label", headers=OPERATOR)
    assert unpacked.status_code == 409 and unpacked.json()["errors"][0]["field"] == "parcel_id"
    assert (await client.post(f"{base}/pick", headers=world.seller)).status_code == 403
    assert (await client.post(f"{base}/pick", headers=OPERATOR)).status_code == 200
    assert (await client.post(f"{base}/pick", headers=OPERATOR)).status_code == 409, \
        "picked twice"
    absurd = await client.post(f"{base}/pack", headers=OPERATOR, json={
        "weight_grams": 10**9, "length_mm": 1, "width_mm": 1, "height_mm": 1})
    assert absurd.status_code == 422
    bad_warehouse = await client.post(
        "/v1/warehouses", headers={**OPERATOR, "Idempotency-Key": secrets.token_hex(8)}, json={
            "code": "BAD-1", "name": "Bad", "market": "GB", "country": "GB",
            "postcode": "SO15 1AA", "address": "Dock 2", "timezone": "Mars/Olympus",
            "cutoff": "16:00", "zones_served": ["GB-SOU"], "services": [
                {"carrier": "Evri", "service": "Standard", "speed": "standard",
                 "transit_days": 3}], "capacity_units": 100})
    assert bad_warehouse.status_code == 422
    assert bad_warehouse.json()["errors"][0]["field"] == "timezone"
    late_return = await world.orders.client.post(
        f"/v1/orders/{order['id']}/returns",
        headers={**buyer, "Idempotency-Key": secrets.token_hex(8)},
        json={"lines": [{"sku_id": mine, "quantity": 1}], "reason": "changed my mind"})
    assert late_return.status_code == 409, "an order not delivered cannot be returned"
