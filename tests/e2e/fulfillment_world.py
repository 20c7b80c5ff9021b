"""A running marketplace for fulfillment journeys: catalog, orders and fulfillment on real
Postgres, Redis and Kafka, with a verified seller, an operator, warehouses in three zones of GB,
and helpers that walk the real routes (no event is published by hand).

Time is scaled by settings: a promise day lasts ten minutes, the simulated carrier moves a parcel
every 0.3 s, the hold window is half a second and the return window four seconds.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from libs.testing import (
    RunningService,
    bearer,
    credited_source,
    distinct_title,
    eventually,
    retried_while_busy,
    run_service,
)
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.fulfillment.app import create_app as create_fulfillment
from services.fulfillment.settings import FulfillmentSettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

CARRIER_SECRET = "whsec_" + "dGVzdC1jYXJyaWVyLXNpZ25pbmcta2V5LTMyYnl0ZXMhIQ=="
OPERATOR = bearer("operator", "ops-1")
LONDON = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
          "postcode": "SW1Y 4JH", "country": "GB"}


@dataclass
class World:
    catalog: RunningService
    orders: RunningService
    fulfillment: RunningService
    seller_id: str
    seller: dict[str, str]
    category: str
    warehouses: dict[str, dict[str, Any]] = field(default_factory=dict)


def cutoff_in(delta: timedelta) -> str:
    """A cut-off time that far from now, in London."""
    return (datetime.now(ZoneInfo("Europe/London")) + delta).strftime("%H:%M:%S")


async def start_world(settings_for: Callable[..., Any], *,
                      orders_overrides: dict[str, Any] | None = None, **fulfillment: Any,
                      ) -> AsyncIterator[World]:
    fulfillment_settings = settings_for(FulfillmentSettings, **{
        "seconds_per_day": 600, "carrier_step_seconds": 0.3, "carrier_failure_rate": 0.0,
        "carrier_webhook_secret": SecretStr(CARRIER_SECRET),
        "deadline_poll_interval_seconds": 0.2, **fulfillment})
    orders_settings = settings_for(OrdersSettings, **{
        "hold_window_seconds": 0.5, "return_window_seconds": 4, **(orders_overrides or {})})
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(orders_settings)) as orders,
        run_service(create_fulfillment(fulfillment_settings)) as fulfillment_service,
    ):
        subject = f"seller-{secrets.token_hex(3)}"
        seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject), json={
            "legal_name": "Tenby Threads Ltd", "country": "GB", "business_type": "company",
            "market": "GB"})).json()
        await catalog.client.post(f"/v1/sellers/{seller['id']}/verification", headers=OPERATOR)
        category = (await catalog.client.post("/v1/categories", headers=OPERATOR,
                                              json={"name": f"Knitwear {subject}"})).json()["id"]
        yield World(catalog, orders, fulfillment_service, seller["id"],
                    bearer("seller", subject, seller_id=seller["id"]), category)


async def open_warehouse(world: World, name: str, postcode: str, zones: list[str], *,
                         cutoff: str | None = None) -> dict[str, Any]:
    response = await world.fulfillment.client.post(
        "/v1/warehouses", headers={**OPERATOR, "Idempotency-Key": secrets.token_hex(8)}, json={
            "code": f"{name[:3].upper()}-{secrets.token_hex(3).upper()}", "name": name,
            "market": "GB", "country": "GB", "postcode": postcode,
            "address": f"{name}, Unit 1", "timezone": "Europe/London",
            "cutoff": cutoff or cutoff_in(timedelta(hours=6)), "zones_served": zones,
            "services": [{"carrier": "Royal Mail", "service": "Tracked 48", "speed": "standard",
                          "transit_days": 2},
                         {"carrier": "DPD", "service": "Next Day", "speed": "express",
                          "transit_days": 1}],
            "capacity_units": 10_000})
    assert response.status_code == 201, response.text
    world.warehouses[name] = response.json()
    return dict(response.json())


async def listed(world: World, *, price: int = 2500, stock: int = 0,
                 weight_grams: int | None = 400) -> dict[str, Any]:
    """A published product with one SKU; returns the SKU id and product."""
    sku: dict[str, Any] = {"code": f"JMP-{secrets.token_hex(4)}", "price_minor": price,
                           "currency": "GBP", "stock": stock}
    if weight_grams is not None:
        sku["weight_grams"] = weight_grams
    product = (await world.catalog.client.post("/v1/products", headers=world.seller, json={
        "title": distinct_title("Merino jumper"), "category_id": world.category,
        "skus": [sku]})).json()
    assert "skus" in product, product
    await world.catalog.client.post(f"/v1/products/{product['id']}/submission",
                                    headers=world.seller)
    return {"sku": product["skus"][0]["id"], "product": product}


async def commission_rate(world: World, product_id: str, rate_bps: int) -> None:
    """The seller offers creators this commission on the product (once orders knows it)."""
    async def set_rate() -> bool:
        response = await world.orders.client.put(f"/v1/products/{product_id}/commission-rate",
                                                 headers=world.seller, json={"rate_bps": rate_bps})
        return response.status_code == 200

    assert await eventually(set_rate, timeout=60)


async def stocked(world: World, sku: str, units: int, *, ship_from: str,
                  damaged: int = 0) -> dict[str, Any]:
    """Walks an inbound plan from draft to received and waits until catalog sells the good
    units; returns the received plan."""
    before = await available(world, sku)
    body = {"ship_from": {"country": "GB", "postcode": ship_from},
            "lines": [{"sku_id": sku, "quantity": units}],
            "cartons": [{"weight_grams": 4000, "length_mm": 400, "width_mm": 300,
                         "height_mm": 300, "contents": [{"sku_id": sku, "quantity": units}]}]}

    async def planned() -> Any:
        response = await world.fulfillment.client.post(
            "/v1/inbound-plans", headers={**world.seller, "Idempotency-Key": secrets.token_hex(8)},
            json=body)
        return response.json() if response.status_code == 201 else None

    plan = await eventually(planned, timeout=60, interval=0.3)
    path = f"/v1/inbound-plans/{plan['id']}"
    client = world.fulfillment.client
    assert (await client.post(f"{path}/confirmation", headers=world.seller)).status_code == 200
    transport = await client.post(f"{path}/transport", headers=world.seller,
                                  json={"carrier": "DPD", "tracking_number": "15501234567890"})
    assert transport.status_code == 200, transport.text
    assert (await client.post(f"{path}/arrival", headers=OPERATOR)).status_code == 200
    assert (await client.post(f"{path}/receiving", headers=OPERATOR)).status_code == 200
    receipt = await client.post(f"{path}/receipt", headers=OPERATOR, json={"counts": [
        {"sku_id": sku, "good": units - damaged, "damaged": damaged}]})
    assert receipt.status_code == 200, receipt.text

    async def on_sale() -> bool:
        return await available(world, sku) == before + units - damaged

    assert await eventually(on_sale, timeout=60), "catalog never showed the received units"
    return dict(receipt.json())


async def available(world: World, sku: str) -> int:
    response = await world.catalog.client.get(f"/v1/skus/{sku}/stock", headers=world.seller)
    return int(response.json()["available"])


async def checked_out(world: World, lines: dict[str, int], *, address: dict[str, str] = LONDON,
                      buyer: dict[str, str] | None = None, creator: str | None = None,
                      speed: str = "standard") -> tuple[dict[str, Any], dict[str, str]]:
    buyer = buyer or bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    for sku, quantity in lines.items():
        async def in_cart(sku: str = sku, quantity: int = quantity) -> bool:
            if creator and not await known_to_orders(world, sku):
                return False
            response = await world.orders.client.put(
                f"/v1/cart/lines/{sku}", headers=buyer,
                json={"quantity": quantity,
                      "source": await credited_source(world.orders.runtime.db, sku, buyer,
                                                      creator)})
            return response.status_code == 200

        assert await eventually(in_cart, timeout=60)
    key = secrets.token_hex(8)
    response = await retried_while_busy(lambda: world.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": key},
        json={"shipping_address": address, "payment": {"method": "pm_card_visa"},
              "shipping_speed": speed}))
    assert response.status_code == 201, response.text
    [order] = response.json()["orders"]
    return order, buyer


async def order_status(world: World, buyer: dict[str, str], order_id: str,
                       status: str, timeout: float = 60) -> Any:
    async def probe() -> Any:
        order = (await world.orders.client.get(f"/v1/orders/{order_id}", headers=buyer)).json()
        return order if order.get("status") == status else None

    return await eventually(probe, timeout=timeout, interval=0.2)


async def tracking(world: World, order_id: str, who: dict[str, str]) -> Any:
    async def probe() -> Any:
        response = await world.fulfillment.client.get(f"/v1/fulfillment-orders/{order_id}",
                                                      headers=who)
        return response.json() if response.status_code == 200 else None

    return await eventually(probe, timeout=60, interval=0.2)


async def ship_from_warehouse(world: World, parcel: dict[str, Any]) -> dict[str, Any]:
    """Pick, pack, label and hand over one warehouse parcel."""
    base = f"/v1/warehouses/{parcel['warehouse_id']}/parcels/{parcel['id']}"
    client = world.fulfillment.client
    assert (await client.post(f"{base}/pick", headers=OPERATOR)).status_code == 200
    packed = await client.post(f"{base}/pack", headers=OPERATOR, json={
        "weight_grams": 900, "length_mm": 300, "width_mm": 200, "height_mm": 100})
    assert packed.status_code == 200, packed.text
    assert (await client.post(f"{base}/label", headers=OPERATOR)).status_code == 200
    shipped = await client.post(f"{base}/handover", headers=OPERATOR)
    assert shipped.status_code == 200, shipped.text
    return dict(shipped.json())


async def outbox_events(service: RunningService, key: str, *types: str) -> list[dict[str, Any]]:
    rows = await service.runtime.db.fetch(
        """SELECT event_type, payload FROM outbox WHERE event_key = $1
           AND event_type = ANY($2::text[]) ORDER BY seq""", key, list(types))
    return [{"type": r["event_type"], **r["payload"]} for r in rows]


def now() -> datetime:
    return datetime.now(UTC)


async def known_to_orders(world: World, sku: str) -> bool:
    return bool(await world.orders.runtime.db.fetchval(
        "SELECT true FROM catalog_skus WHERE sku_id = $1::uuid", sku))
