"""Markets with taxes, through Kafka (issue 13, part 3): a German buyer sees and pays prices
with VAT inside, at the rate of the product's category (reduced for books), and a US buyer
pays their state's sales tax on top; each order line carries its tax, the payment captures
it, and a returned unit's refund reverses exactly that unit's tax."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from libs.events.schemas.fulfillment import ReturnedLine, ReturnReceived
from libs.ids import new_id
from libs.taxes import added_tax, included_tax
from libs.testing import bearer, distinct_title, eventually
from tests.e2e.test_after_sale import (  # noqa: F401 - world_fixture is the `world` fixture
    World,
    payment,
    ship,
    status_becomes,
    world_fixture,
)

pytestmark = pytest.mark.kafka
BERLIN: dict[str, str | None] = {"name": "Grete Weiss", "line1": "Unter den Linden 1", "city": "Berlin",
          "postcode": "10117", "country": "DE"}
LOS_ANGELES: dict[str, str | None] = {"name": "Ann Lee", "line1": "1 Main St", "city": "Los Angeles",
               "postcode": "90012", "country": "US", "region": "CA"}


async def market_seller(world: World, market: str) -> dict[str, str]:
    subject = f"seller-{market.lower()}-{secrets.token_hex(3)}"
    seller = (await world.catalog.client.post("/v1/sellers", headers=bearer("seller", subject),
                                              json={"legal_name": f"{market} Goods Ltd",
                                                    "country": market, "market": market,
                                                    "business_type": "company"})).json()
    await world.catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                                    headers=bearer("operator"))
    return bearer("seller", subject, seller_id=seller["id"])


async def category(world: World, tax_class: str | None) -> str:
    body: dict[str, Any] = {"name": f"Shelf {secrets.token_hex(4)}"}
    if tax_class:
        body["tax_class"] = tax_class
    made = await world.catalog.client.post("/v1/categories", headers=bearer("operator"),
                                           json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def listed(world: World, seller: dict[str, str], category_id: str, price: int,
                 currency: str) -> tuple[str, str]:
    product = (await world.catalog.client.post("/v1/products", headers=seller, json={
        "title": distinct_title("Linen bound notebook"), "category_id": category_id,
        "skus": [{"code": f"NB-{secrets.token_hex(4)}", "price_minor": price,
                  "currency": currency, "stock": 10}]})).json()
    submitted = await world.catalog.client.post(f"/v1/products/{product['id']}/submission",
                                                headers=seller)
    assert submitted.json()["outcome"] == "auto_approved", submitted.text
    return product["id"], product["skus"][0]["id"]


async def bought(world: World, buyer: dict[str, str], lines: dict[str, int],
                 address: dict[str, str | None]) -> Any:
    for sku, quantity in lines.items():
        async def in_cart(sku: str = sku, quantity: int = quantity) -> bool:
            put = await world.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                                json={"quantity": quantity})
            return put.status_code == 200

        assert await eventually(in_cart, timeout=60)
    return await world.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(6)},
        json={"shipping_address": address, "payment": {"method": "pm_card_visa"}})


async def test_a_german_buyer_pays_vat_inside_prices_at_the_categorys_rate(
        world: World) -> None:
    seller = await market_seller(world, "DE")
    books, lamps = await category(world, "reduced"), await category(world, None)
    book_id, book = await listed(world, seller, books, 1070, "EUR")
    _, lamp = await listed(world, seller, lamps, 11900, "EUR")
    shown = (await world.catalog.client.get(f"/v1/products/{book_id}",
                                            params={"market": "DE"})).json()
    assert shown["tax"] == {"kind": "vat", "included": True, "rate_bps": 700,
                            "tax_class": "reduced"}

    buyer = bearer("buyer", f"berlin-{secrets.token_hex(3)}")
    placed = await bought(world, buyer, {book: 2, lamp: 1}, BERLIN)
    assert placed.status_code == 201, placed.text
    [order] = placed.json()["orders"]
    detail = (await world.orders.client.get(f"/v1/orders/{order['id']}", headers=buyer)).json()
    lines = {line["sku_id"]: line for line in detail["lines"]}
    assert (lines[book]["tax_rate_bps"], lines[book]["tax_minor"]) == (
        700, included_tax(2 * 1070, 700))
    assert (lines[lamp]["tax_rate_bps"], lines[lamp]["tax_minor"]) == (1900, 1900)
    assert detail["tax_minor"] == 140 + 1900 and detail["tax_added_minor"] == 0
    assert detail["total_minor"] == 2 * 1070 + 11900 + detail["shipping_minor"], \
        "VAT is inside the prices: nothing is added"
    assert (detail["tax_kind"], detail["tax_collected_by"]) == ("vat", "seller")

    assert await status_becomes(world, buyer, order["id"], "awaiting_shipment")
    await ship(world, order["id"])
    refunded = await returned(world, order["id"], book, 1)
    assert (refunded["amount_minor"], refunded["tax_minor"]) == (1070, 70), \
        "one book back: its price and exactly its VAT"


async def test_a_us_buyer_pays_their_states_sales_tax_on_top(world: World) -> None:
    seller = await market_seller(world, "US")
    product_id, sku = await listed(world, seller, await category(world, None), 10000, "USD")
    shown = (await world.catalog.client.get(f"/v1/products/{product_id}")).json()
    assert shown["tax"]["kind"] == "sales_tax" and shown["tax"]["included"] is False

    buyer = bearer("buyer", f"la-{secrets.token_hex(3)}")
    nowhere = await bought(world, buyer, {sku: 2}, {**LOS_ANGELES, "region": None})
    assert nowhere.status_code == 422, nowhere.text
    assert nowhere.json()["errors"][0] == {
        "field": "shipping_address.region", "code": "region_required",
        "message": nowhere.json()["errors"][0]["message"]}
    placed = await bought(world, buyer, {sku: 2}, LOS_ANGELES)
    assert placed.status_code == 201, placed.text
    [order] = placed.json()["orders"]
    detail = (await world.orders.client.get(f"/v1/orders/{order['id']}", headers=buyer)).json()
    tax = added_tax(20000, 725)  # California's state rate, 7.25 %
    assert (detail["tax_minor"], detail["tax_added_minor"]) == (tax, tax) == (1450, 1450)
    assert detail["total_minor"] == 20000 + detail["shipping_minor"] + tax
    assert (detail["tax_kind"], detail["tax_collected_by"], detail["tax_region"]) == (
        "sales_tax", "platform", "CA"), "the platform collects as marketplace facilitator"
    assert detail["lines"][0]["tax_rate_bps"] == 725

    assert await status_becomes(world, buyer, order["id"], "awaiting_shipment")
    await ship(world, order["id"])

    async def captured() -> bool:
        return bool((await payment(world, order["id"]))["captured_minor"]
                    == detail["total_minor"])

    assert await eventually(captured, timeout=30), "the payment includes the sales tax"
    refunded = await returned(world, order["id"], sku, 1)
    assert (refunded["amount_minor"], refunded["tax_minor"]) == (10000 + 725, 725)


async def returned(world: World, order_id: str, sku: str, quantity: int) -> dict[str, Any]:
    """A warehouse receives `quantity` back; the refund orders records for it."""
    async def captured() -> bool:
        return bool((await payment(world, order_id))["captured_minor"] > 0)

    assert await eventually(captured, timeout=30)
    await world.publish(ReturnReceived(
        order_id=UUID(order_id), return_id=new_id(), received_at=datetime.now(UTC),
        lines=[ReturnedLine(sku_id=UUID(sku), quantity=quantity)]))

    async def refund() -> dict[str, Any] | None:
        row = await world.orders.runtime.db.fetchrow(
            "SELECT amount_minor, tax_minor FROM refunds WHERE order_id = $1::uuid", order_id)
        return dict(row) if row else None

    found: dict[str, Any] = await eventually(refund, timeout=30)
    return found
