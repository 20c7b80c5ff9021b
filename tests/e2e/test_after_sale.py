"""After the sale, through Kafka: shipment captures the payment, delivery starts the return
window, its end completes the order and makes commission payable; returns and disputes refund
(in part), deadlines cancel and refund, the seller may cancel before shipping. The commission
ledger balances throughout."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from libs.events.base import Event
from libs.events.envelope import Envelope, to_kafka
from libs.events.schemas.catalog import ProductPublished, PublishedSku, SellerVerified
from libs.events.schemas.fulfillment import (
    ReturnedLine,
    ReturnReceived,
    ShipmentDelivered,
    ShipmentShipped,
)
from libs.events.schemas.support import DisputeResolved, RefundedLine
from libs.ids import new_id
from libs.kafka import create_producer
from libs.testing import RunningService, bearer, credited_source, distinct_title, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

pytestmark = pytest.mark.kafka
ADDRESS = {"name": "Grace Hopper", "line1": "1 Navy Yard", "city": "Arlington",
           "postcode": "22202", "country": "GB"}


@dataclass
class World:
    catalog: RunningService
    orders: RunningService
    seller_headers: dict[str, str]
    seller_id: str
    category: str
    publish: Callable[[Event], Any]


@pytest.fixture(scope="module", name="world")
async def world_fixture(settings_for: Callable[..., Any],
                        kafka_bootstrap: str) -> AsyncIterator[World]:
    """Catalog and orders on real servers, and a stand-in for fulfillment's and support's
    events (other modules import this fixture to sell in the same world)."""
    orders_settings = settings_for(OrdersSettings, hold_window_seconds=0.5,
                                   return_window_seconds=3, deliver_by_seconds=6)
    producer = create_producer(kafka_bootstrap, "test-fulfillment", idempotent=False)
    await producer.start()

    async def publish(event: Event) -> None:
        key, value, headers = to_kafka(Envelope.wrap(event, source="tests"))
        await producer.send_and_wait(event.topic, value=value, key=key, headers=headers)

    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(orders_settings)) as orders,
    ):
        subject = f"seller-{secrets.token_hex(3)}"
        seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject), json={
            "legal_name": "Harbour & Pine Candles", "country": "GB",
            "business_type": "company", "market": "GB"})).json()
        await catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                                  headers=bearer("operator"))
        category = (await catalog.client.post("/v1/categories", headers=bearer("operator"),
                                              json={"name": f"Candles {subject}"})).json()["id"]
        yield World(catalog, orders, bearer("seller", subject, seller_id=seller["id"]),
                    seller["id"], category, publish)
    await producer.stop()


async def bought(world: World, *, quantity: int = 2, price: int = 2000,
                 creator: str | None = None, rate_bps: int | None = None) -> dict[str, Any]:
    product = (await world.catalog.client.post("/v1/products", headers=world.seller_headers, json={
        "title": distinct_title("Fig and cedar candle"), "category_id": world.category,
        "skus": [{"code": f"FIG-{secrets.token_hex(4)}", "price_minor": price,
                  "currency": "GBP", "stock": 10}]})).json()
    await world.catalog.client.post(f"/v1/products/{product['id']}/submission",
                                    headers=world.seller_headers)
    sku = product["skus"][0]["id"]
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")

    async def in_cart() -> bool:
        if creator and not await world.orders.runtime.db.fetchval(
                "SELECT true FROM catalog_skus WHERE sku_id = $1::uuid", sku):
            return False
        response = await world.orders.client.put(
            f"/v1/cart/lines/{sku}", headers=buyer,
            json={"quantity": quantity,
                  "source": await credited_source(world.orders.runtime.db, sku, buyer, creator)})
        return response.status_code == 200

    assert await eventually(in_cart, timeout=60)
    if rate_bps is not None:
        rate = await world.orders.client.put(f"/v1/products/{product['id']}/commission-rate",
                                             headers=world.seller_headers,
                                             json={"rate_bps": rate_bps})
        assert rate.status_code == 200, rate.text
    response = await world.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(4)},
        json={"shipping_address": ADDRESS, "payment": {"method": "pm_card_visa"}})
    assert response.status_code == 201, response.text
    [order] = response.json()["orders"]
    assert await status_becomes(world, buyer, order["id"], "awaiting_shipment")
    return {"order": order, "sku": sku, "buyer": buyer, "product": product}


async def status_becomes(world: World, buyer: dict[str, str], order_id: str,
                         status: str) -> Any:
    async def probe() -> Any:
        order = (await world.orders.client.get(f"/v1/orders/{order_id}", headers=buyer)).json()
        return order if order.get("status") == status else None

    return await eventually(probe, timeout=60, interval=0.2)


async def payment(world: World, order_id: str) -> dict[str, Any]:
    row = await world.orders.runtime.db.fetchrow(
        "SELECT status, captured_minor, refunded_minor FROM payments WHERE order_id = $1::uuid",
        order_id)
    return dict(row)


async def ship(world: World, order_id: str) -> None:
    await world.publish(ShipmentShipped(order_id=UUID(order_id), shipment_id=new_id(),
                                        carrier="Royal Mail", tracking_number="RM123456785GB",
                                        shipped_at=datetime.now(UTC)))


async def ledger_sum(world: World) -> int:
    return int(await world.orders.runtime.db.fetchval(
        "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries"))


async def test_ship_deliver_complete_with_commission(world: World) -> None:
    sale = await bought(world, quantity=2, price=2000, creator="cr_ada", rate_bps=1000)
    order_id, buyer = sale["order"]["id"], sale["buyer"]
    await ship(world, order_id)
    shipped = await status_becomes(world, buyer, order_id, "in_transit")
    assert shipped["tracking_number"] == "RM123456785GB"
    assert shipped["deliver_by"] is not None, "the deliver-by promise is on the order"

    async def captured() -> bool:
        return bool((await payment(world, order_id))["status"] == "captured")

    assert await eventually(captured, timeout=30)
    await world.publish(ShipmentDelivered(order_id=UUID(order_id), shipment_id=new_id(),
                                          delivered_at=datetime.now(UTC)))
    delivered = await status_becomes(world, buyer, order_id, "delivered")
    assert delivered["return_window_ends_at"] is not None, "the return window is on the order"
    assert await status_becomes(world, buyer, order_id, "completed"), "return window never closed"
    fired = await world.orders.runtime.db.fetch(
        "SELECT kind, outcome FROM deadlines WHERE key = $1 ORDER BY id", order_id)
    outcomes = {row["kind"]: row["outcome"] for row in fired}
    assert outcomes["deliver_by"] == "cancelled", "delivery cancels the deliver-by deadline"
    assert outcomes["return_window_end"] == "fired" and outcomes["capture_payment"] == "fired"

    creator = bearer("creator", "creator-user", creator_id="cr_ada")
    statement = (await world.orders.client.get("/v1/creator/commissions", headers=creator)).json()
    mine = [line for line in statement["lines"] if line["order_id"] == order_id]
    # 10 % of the net: 4000 gross holds 667 of 20 % VAT, so 3333 net.
    assert [(m["amount_minor"], m["status"]) for m in mine] == [(333, "payable")]
    owed = (await world.orders.client.get("/v1/seller/commissions",
                                          headers=world.seller_headers)).json()
    assert any(line["order_id"] == order_id for line in owed["lines"])
    assert await ledger_sum(world) == 0, "the ledger balances"
    stranger = await world.orders.client.put(
        f"/v1/products/{sale['product']['id']}/commission-rate",
        headers=bearer("seller", "x", seller_id=str(new_id())), json={"rate_bps": 5})
    assert stranger.status_code == 404


async def test_a_return_refunds_its_lines_and_reverses_their_commission(world: World) -> None:
    sale = await bought(world, quantity=4, price=1500, creator="cr_bo", rate_bps=2000)
    order_id, buyer = sale["order"]["id"], sale["buyer"]
    await ship(world, order_id)
    assert await status_becomes(world, buyer, order_id, "in_transit")
    return_id = new_id()
    returned = ReturnReceived(order_id=UUID(order_id), return_id=return_id,
                              lines=[ReturnedLine(sku_id=UUID(sale["sku"]), quantity=1)],
                              received_at=datetime.now(UTC))

    async def captured() -> bool:
        return bool((await payment(world, order_id))["captured_minor"] > 0)

    assert await eventually(captured, timeout=30)
    await world.publish(returned)
    await world.publish(returned)  # redelivered: refunded once

    async def refunded() -> bool:
        return bool((await payment(world, order_id))["refunded_minor"] == 1500)

    assert await eventually(refunded, timeout=30)
    commission = await world.orders.runtime.db.fetchrow(
        "SELECT amount_minor, reversed_minor FROM order_commissions WHERE order_id = $1::uuid",
        order_id)
    # Commission is on the net amount: GBP prices hold 20 % VAT (6000 gross -> 5000 net).
    assert (commission["amount_minor"], commission["reversed_minor"]) == (1000, 250)
    assert await ledger_sum(world) == 0

    await world.publish(DisputeResolved(
        dispute_id=new_id(), order_id=UUID(order_id), outcome="refund_buyer",
        refund_lines=[RefundedLine(sku_id=UUID(sale["sku"]), quantity=1)],
        refund_shipping=False, resolved_at=datetime.now(UTC)))

    async def refunded_twice() -> bool:
        return bool((await payment(world, order_id))["refunded_minor"] == 3000)

    assert await eventually(refunded_twice, timeout=30)


async def test_a_parcel_past_its_deliver_by_date_is_cancelled_and_refunded(world: World) -> None:
    sale = await bought(world)
    order_id, buyer = sale["order"]["id"], sale["buyer"]
    await ship(world, order_id)
    cancelled = await status_becomes(world, buyer, order_id, "cancelled")
    assert cancelled and cancelled["cancel_reason"] == "deliver_by_missed"

    async def refunded() -> bool:
        paid = await payment(world, order_id)
        return bool(paid["captured_minor"] > 0
                    and paid["refunded_minor"] == paid["captured_minor"])

    assert await eventually(refunded, timeout=30)


async def test_the_seller_cancels_before_shipping_with_a_reason(world: World) -> None:
    sale = await bought(world, quantity=3)
    order_id, buyer = sale["order"]["id"], sale["buyer"]
    other = bearer("seller", "other", seller_id=str(new_id()))
    assert (await world.orders.client.post(f"/v1/seller/orders/{order_id}/cancellation",
                                           headers=other, json={"reason": "x"})).status_code == 404
    cancelled = await world.orders.client.post(f"/v1/seller/orders/{order_id}/cancellation",
                                               headers=world.seller_headers,
                                               json={"reason": "Cracked jar"})
    assert cancelled.json()["cancel_reason"] == "seller_cancelled"
    assert "Cracked jar" in cancelled.json()["timeline"][-1]["note"]

    async def voided_and_restocked() -> bool:
        stock = (await world.catalog.client.get(f"/v1/skus/{sale['sku']}/stock",
                                                headers=world.seller_headers)).json()
        return bool((await payment(world, order_id))["status"] == "voided"
                    and stock["on_hand"] == 10 and stock["reserved"] == 0)

    assert await eventually(voided_and_restocked, timeout=60)
    await ship(world, order_id)  # too late: nothing changes
    assert (await world.orders.client.get(f"/v1/orders/{order_id}",
                                          headers=buyer)).json()["status"] == "cancelled"


async def _refused_until_verified(world: World, seller_id: UUID, shop_id: UUID,
                                  verify: Callable[[], Awaitable[object]]) -> None:
    """A listing of the seller, published by hand, reaches orders and is refused to buyers;
    once `verify` has run, it sells."""
    sku = new_id()
    await world.publish(ProductPublished(
        product_id=new_id(), seller_id=seller_id, shop_id=shop_id,
        category_id=UUID(world.category), age_restricted=False, market="GB",
        skus=[PublishedSku(sku_id=sku, code=f"NY-{sku.hex[:6]}", price_minor=900,
                           currency="GBP")],
        decided_by="auto", published_at=datetime.now(UTC)))
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")

    async def known() -> bool:
        return bool(await world.orders.runtime.db.fetchval(
            "SELECT count(*) FROM catalog_skus WHERE sku_id = $1", sku))

    assert await eventually(known, timeout=60), "orders heard of the listing"
    refused = await world.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                            json={"quantity": 1})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "not_purchasable"
    await verify()

    async def on_sale() -> bool:
        response = await world.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                                 json={"quantity": 1})
        return response.status_code == 200

    assert await eventually(on_sale, timeout=60), "verified: its listings sell"


async def test_nothing_of_a_seller_pending_verification_sells(world: World) -> None:
    """Issue 12, item 1: orders treated any seller not suspended as active. Even a listing
    that reaches orders (here published by hand) is not for sale until catalog verifies its
    seller."""
    subject = f"seller-{secrets.token_hex(3)}"
    pending = (await world.catalog.client.post("/v1/sellers", headers=bearer("seller", subject),
                                               json={"legal_name": "Not Yet Ltd", "country": "GB",
                                                     "business_type": "company",
                                                     "market": "GB"})).json()
    await _refused_until_verified(
        world, UUID(pending["id"]), UUID(pending["shop_id"]),
        lambda: world.catalog.client.post(f"/v1/sellers/{pending['id']}/verification",
                                          headers=bearer("operator")))


async def test_a_listing_of_a_seller_orders_never_heard_of_does_not_sell(world: World) -> None:
    """Orders' view of sellers fails closed: a listing that reaches it before any word of its
    seller (or without one) is not for sale until orders hears the seller verified."""
    seller = new_id()
    await _refused_until_verified(
        world, seller, new_id(),
        lambda: world.publish(SellerVerified(seller_id=seller, verified_at=datetime.now(UTC))))


async def test_card_testing_and_code_guessing_meet_rate_limits(world: World) -> None:
    """Issue 12, item 5: checkout and top-ups allowed card testing at full speed. Each buyer
    now gets a budget per window; the 429 says when to come back and states the policy."""
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    body = {"shipping_address": {"name": "A", "line1": "1 High St", "city": "Bath",
                                 "postcode": "BA1 1AA", "country": "GB"},
            "payment": {"method": "pm_card_declined"}}
    statuses = [(await world.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": f"try-{n}"}, json=body)).status_code
        for n in range(11)]
    assert 429 not in statuses[:10] and statuses[10] == 429
    limited = await world.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": "try-again"}, json=body)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-policy"] == "10;w=60"
    assert limited.json()["errors"][0]["code"] == "rate_limited"
    other = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    fresh = await world.orders.client.post(
        "/v1/checkout", headers={**other, "Idempotency-Key": "first"}, json=body)
    assert fresh.status_code != 429, "the budget is the buyer's own"

    top_ups = [(await world.orders.client.post(
        "/v1/wallet/top-ups", headers={**buyer, "Idempotency-Key": f"top-{n}"},
        json={"tokens": 100, "currency": "GBP",
              "payment": {"method": "pm_card_declined"}})).status_code for n in range(11)]
    assert 429 not in top_ups[:10] and top_ups[10] == 429
