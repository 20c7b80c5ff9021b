"""Checkout across catalog and orders through Kafka: the saga to confirmation, and each way it
can end in cancellation with stock handed back."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from libs.ids import new_id
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
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

pytestmark = pytest.mark.kafka
ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
           "postcode": "SW1Y 4JH", "country": "GB"}
GOOD_CARD, DECLINED, TIMEOUT = "pm_card_visa", "pm_card_declined", "pm_card_timeout"


@dataclass
class Shop:
    catalog: RunningService
    orders: RunningService
    seller_headers: dict[str, str]
    category: str


@pytest.fixture(scope="module")
async def shop(settings_for: Callable[..., Any]) -> AsyncIterator[Shop]:
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(settings_for(OrdersSettings, hold_window_seconds=10))) as orders,
    ):
        yield await open_shop(catalog, orders, "Tenby Threads Ltd")


async def open_shop(catalog: RunningService, orders: RunningService, legal_name: str) -> Shop:
    """A verified seller with a category of its own, selling through these two services."""
    subject = f"seller-{secrets.token_hex(3)}"
    seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject), json={
        "legal_name": legal_name, "country": "GB", "business_type": "company",
        "market": "GB"})).json()
    await catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                              headers=bearer("operator"))
    category = (await catalog.client.post("/v1/categories", headers=bearer("operator"),
                                          json={"name": f"Tops {subject}"})).json()["id"]
    return Shop(catalog, orders, bearer("seller", subject, seller_id=seller["id"]), category)


async def live_sku(shop: Shop, stock: int, price: int = 2500, category: str | None = None) -> str:
    product = (await shop.catalog.client.post("/v1/products", headers=shop.seller_headers, json={
        "title": distinct_title("Breton striped top"), "category_id":
            category or shop.category,
        "skus": [{"code": f"BRT-{secrets.token_hex(4)}", "price_minor": price,
                  "currency": "GBP", "stock": stock}]})).json()
    submitted = await shop.catalog.client.post(f"/v1/products/{product['id']}/submission",
                                               headers=shop.seller_headers)
    assert submitted.json()["outcome"] == "auto_approved"
    sku: str = product["skus"][0]["id"]

    async def known_to_orders() -> bool:
        buyer = bearer("buyer", "probe")
        response = await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                                json={"quantity": 1})
        await shop.orders.client.delete(f"/v1/cart/lines/{sku}", headers=buyer)
        return response.status_code == 200

    assert await eventually(known_to_orders, timeout=60), "orders never saw product.published"
    return sku


async def stock_of(shop: Shop, sku: str) -> dict[str, int]:
    body = (await shop.catalog.client.get(f"/v1/skus/{sku}/stock",
                                          headers=shop.seller_headers)).json()
    return {k: body[k] for k in ("on_hand", "reserved")}


async def checkout(shop: Shop, buyer: dict[str, str], card: str = GOOD_CARD,
                   key: str | None = None) -> Any:
    return await shop.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": key or secrets.token_hex(6)},
        json={"shipping_address": ADDRESS, "payment": {"method": card}})


async def reaches(shop: Shop, buyer: dict[str, str], order_id: str, status: str) -> Any:
    async def probe() -> Any:
        order = (await shop.orders.client.get(f"/v1/orders/{order_id}", headers=buyer)).json()
        return order if order.get("status") == status else None

    return await eventually(probe, timeout=60, interval=0.2)


async def test_a_paid_order_is_confirmed_held_then_ready_to_ship(shop: Shop) -> None:
    sku = await live_sku(shop, stock=5)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={
        "quantity": 2, "source": await credited_source(shop.orders.runtime.db, sku, buyer,
                                                        "cr_9")})
    response = await checkout(shop, buyer, key="pay-once")
    assert response.status_code == 201, response.text
    [order] = response.json()["orders"]
    assert order["total_minor"] == 2 * 2500 + 0  # over the free-shipping threshold
    again = await checkout(shop, buyer, key="pay-once")
    assert again.json() == response.json(), "a retried checkout returns the same orders"

    held = await reaches(shop, buyer, order["id"], "on_hold")
    assert held, "the order never reached on_hold"
    assert held["card_last4"] == "4242" and held["lines"][0]["source"]["creator_id"] == "cr_9"
    # Its deadlines are data on the order: paid by the pay-by time, to ship by the ship-by one.
    placed_at = datetime.fromisoformat(held["created_at"])
    assert datetime.fromisoformat(held["pay_by"]) > placed_at
    assert datetime.fromisoformat(held["ship_by"]) > placed_at
    assert held["deliver_by"] is None and held["return_window_ends_at"] is None
    assert await reaches(shop, buyer, order["id"], "awaiting_shipment")

    async def committed() -> bool:
        return await stock_of(shop, sku) == {"on_hand": 3, "reserved": 0}

    assert await eventually(committed, timeout=60)
    timeline = (await shop.orders.client.get(f"/v1/orders/{order['id']}",
                                             headers=buyer)).json()["timeline"]
    assert [t["status"] for t in timeline] == ["awaiting_stock", "awaiting_payment", "on_hold",
                                               "awaiting_shipment"]
    assert (await shop.orders.client.get(f"/v1/orders/{order['id']}",
                                         headers=bearer("buyer", "someone-else"))).status_code == 404
    seller_view = await shop.orders.client.get("/v1/seller/orders", headers=shop.seller_headers)
    assert order["id"] in [o["id"] for o in seller_view.json()["items"]]
    placed = datetime.fromisoformat(held["created_at"])
    window = {"placed_from": (placed - timedelta(seconds=1)).isoformat(),
              "placed_before": (placed + timedelta(seconds=1)).isoformat()}
    in_window = await shop.orders.client.get("/v1/seller/orders", headers=shop.seller_headers,
                                             params=window)
    assert order["id"] in [o["id"] for o in in_window.json()["items"]]
    later = await shop.orders.client.get("/v1/seller/orders", headers=shop.seller_headers,
                                         params={"placed_from": (placed + timedelta(seconds=1))
                                                 .isoformat()})
    assert order["id"] not in [o["id"] for o in later.json()["items"]]
    backwards = await shop.orders.client.get(
        "/v1/seller/orders", headers=shop.seller_headers,
        params={"placed_from": window["placed_before"], "placed_before": window["placed_from"]})
    assert backwards.status_code == 200 and backwards.json()["items"] == []  # holds nothing
    cart = (await shop.orders.client.get("/v1/cart", headers=buyer)).json()
    assert cart["lines"] == []


async def test_a_rush_of_checkouts_is_decided_in_runs_exactly_as_one_at_a_time(
        shop: Shop) -> None:
    """60 buyers check out one SKU of 40 units at once (each retried with its key while the shop
    asks it to come back in a moment, as the app does). Catalog's answers reach orders in runs,
    applied by the batch handler (`saga_batches`): the 40 reserved orders are confirmed, each
    with one `awaiting_payment` step, its stock timeout cancelled and one authorisation fired;
    the other 20 are cancelled as out of stock."""
    sku = await live_sku(shop, stock=40)
    buyers = [bearer("buyer", f"rush-{n}-{secrets.token_hex(3)}") for n in range(60)]
    for buyer in buyers:
        await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                     json={"quantity": 1})
    batched_before = shop.orders.runtime.consumer.stats.batched
    answers = await asyncio.gather(*(retried_while_busy(partial(
        checkout, shop, buyer, key=secrets.token_hex(6))) for buyer in buyers))
    assert [a.status_code for a in answers] == [201] * 60
    order_ids = [a.json()["orders"][0]["id"] for a in answers]

    async def all_decided() -> list[Any] | None:
        rows = await shop.orders.runtime.db.fetch(
            "SELECT id, status, cancel_reason FROM orders WHERE id = ANY($1::uuid[])", order_ids)
        decided = [r for r in rows if r["status"] not in ("awaiting_stock", "awaiting_payment")]
        return rows if len(decided) == 60 else None

    rows = await eventually(all_decided, timeout=90, interval=0.3)
    assert rows is not None, "every order decided"
    confirmed = [str(r["id"]) for r in rows if r["status"] != "cancelled"]
    assert len(confirmed) == 40
    assert {r["cancel_reason"] for r in rows if r["status"] == "cancelled"} == {"out_of_stock"}
    assert shop.orders.runtime.consumer.stats.batched - batched_before >= 40
    steps = await shop.orders.runtime.db.fetch(
        """SELECT order_id::text, count(*) AS n FROM order_timeline
           WHERE order_id = ANY($1::uuid[]) AND status = 'awaiting_payment' GROUP BY 1""",
        confirmed)
    assert {r["order_id"]: r["n"] for r in steps} == dict.fromkeys(confirmed, 1)
    timers = await shop.orders.runtime.db.fetch(
        """SELECT key, kind, outcome FROM deadlines WHERE key = ANY($1::text[])
           AND kind IN ('stock_timeout', 'authorize_payment')""", confirmed)
    by_order: dict[str, list[tuple[str, str]]] = {}
    for timer in timers:
        by_order.setdefault(timer["key"], []).append((timer["kind"], timer["outcome"]))
    expected = [("authorize_payment", "fired"), ("stock_timeout", "cancelled")]
    assert {key: sorted(kinds) for key, kinds in by_order.items()} == {
        order_id: expected for order_id in confirmed}


async def test_declined_payment_cancels_and_hands_the_stock_back(shop: Shop) -> None:
    sku = await live_sku(shop, stock=3)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 3})
    [order] = (await checkout(shop, buyer, card=DECLINED)).json()["orders"]
    cancelled = await reaches(shop, buyer, order["id"], "cancelled")
    assert cancelled and cancelled["cancel_reason"] == "payment_failed"

    async def released() -> bool:
        return await stock_of(shop, sku) == {"on_hand": 3, "reserved": 0}

    assert await eventually(released, timeout=60)


async def test_out_of_stock_cancels_with_that_reason(shop: Shop) -> None:
    sku = await live_sku(shop, stock=1)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 2})
    [order] = (await checkout(shop, buyer)).json()["orders"]
    cancelled = await reaches(shop, buyer, order["id"], "cancelled")
    assert cancelled and cancelled["cancel_reason"] == "out_of_stock"


async def test_a_payment_timeout_is_retried_with_the_same_key_and_charges_once(
    shop: Shop,
) -> None:
    sku = await live_sku(shop, stock=2)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
    [order] = (await checkout(shop, buyer, card=TIMEOUT)).json()["orders"]
    held = await reaches(shop, buyer, order["id"], "on_hold")
    assert held, "the retried authorization never went through"
    assert any("timed out" in (t["note"] or "") for t in held["timeline"])
    charges = await shop.orders.runtime.db.fetchval(
        "SELECT count(*) FROM simulated_provider_calls WHERE idempotency_key = $1",
        f"authorize-{order['id']}")
    assert charges == 1


async def test_the_buyer_cancels_in_the_hold_window_and_gets_everything_back(
    shop: Shop,
) -> None:
    sku = await live_sku(shop, stock=4)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 4})
    [order] = (await checkout(shop, buyer)).json()["orders"]
    assert await reaches(shop, buyer, order["id"], "on_hold")
    cancelled = await shop.orders.client.post(f"/v1/orders/{order['id']}/cancellation",
                                              headers=buyer)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancel_reason"] == "buyer_cancelled"

    async def restored() -> bool:
        return await stock_of(shop, sku) == {"on_hand": 4, "reserved": 0}

    assert await eventually(restored, timeout=60)

    async def voided() -> bool:
        status = await shop.orders.runtime.db.fetchval(
            "SELECT status FROM payments WHERE order_id = $1::uuid", order["id"])
        return bool(status == "voided")

    assert await eventually(voided, timeout=30)
    again = await shop.orders.client.post(f"/v1/orders/{order['id']}/cancellation",
                                          headers=buyer)
    assert again.status_code == 409


async def test_checkout_refusals(shop: Shop) -> None:
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    empty = await checkout(shop, buyer)
    assert empty.status_code == 409 and empty.json()["errors"][0]["field"] == "cart"
    sku = await live_sku(shop, stock=5, price=1000)
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
    bad_address = await shop.orders.client.post("/v1/checkout", headers=buyer, json={
        "shipping_address": {**ADDRESS, "postcode": ""},
        "payment": {"method": GOOD_CARD}})
    assert bad_address.json()["errors"][0]["field"] == "shipping_address.postcode"
    too_many = await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                            json={"quantity": 1000})
    assert too_many.json()["errors"][0]["field"] == "quantity"

    seller_products = (await shop.catalog.client.get("/v1/seller/products",
                                                     headers=shop.seller_headers)).json()
    mine = next(p for p in seller_products["items"] if p["skus"][0]["id"] == sku)
    await shop.catalog.client.patch(f"/v1/products/{mine['id']}", headers=shop.seller_headers,
                                    json={"prices": [{"code": mine["skus"][0]["code"],
                                                      "price_minor": 1200}]})

    async def orders_knows_the_new_price() -> bool:
        price = await shop.orders.runtime.db.fetchval(
            "SELECT price_minor FROM catalog_skus WHERE sku_id = $1::uuid", sku)
        return bool(price == 1200)

    assert await eventually(orders_knows_the_new_price, timeout=60)
    changed = await checkout(shop, buyer)
    assert changed.status_code == 409
    assert changed.json()["changes"] == [{"sku_id": sku, "was_minor": 1000, "now_minor": 1200}]
    cart = (await shop.orders.client.get("/v1/cart", headers=buyer)).json()
    assert cart["lines"][0]["unit_price_minor"] == 1200, "the cart shows the new price"


async def test_age_rules(shop: Shop) -> None:
    knives = (await shop.catalog.client.post("/v1/categories", headers=bearer("operator"), json={
        "name": f"Knives {secrets.token_hex(3)}", "age_restricted": True})).json()["id"]
    sku = await live_sku(shop, stock=5, category=knives)
    for claims, rule in [({}, "age_unverified"), ({"birthdate": "2012-01-01"},
                                                   "age_restricted_product")]:
        buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}", **claims)
        await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
        refused = await checkout(shop, buyer)
        assert refused.status_code == 403 and refused.json()["rule"] == rule
    adult = bearer("buyer", f"buyer-{secrets.token_hex(3)}", birthdate="1990-05-05")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=adult, json={"quantity": 1})
    assert (await checkout(shop, adult)).status_code == 201

    teen = bearer("buyer", f"buyer-{secrets.token_hex(3)}", birthdate="2011-02-02")
    pricey = await live_sku(shop, stock=5, price=6000)
    await shop.orders.client.put(f"/v1/cart/lines/{pricey}", headers=teen, json={"quantity": 2})
    capped = await checkout(shop, teen)
    assert capped.status_code == 403 and capped.json()["rule"] == "minor_monthly_cap"


async def test_a_buyer_buys_only_what_is_sold_in_the_market_it_ships_to(shop: Shop) -> None:
    """Issue 13, part 3: a GB listing does not ship to an Irish address; nothing is placed."""
    sku = await live_sku(shop, stock=3, price=1000)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
    dublin = {**ADDRESS, "city": "Dublin", "postcode": "D02 X285", "country": "IE"}
    refused = await shop.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(6)},
        json={"shipping_address": dublin, "payment": {"method": GOOD_CARD}})
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0] == {
        "field": "lines.0", "code": "not_sold_in_market",
        "message": "sold in market GB, not in IE where this order would ship"}
    mine = (await shop.orders.client.get("/v1/orders", headers=buyer)).json()
    assert mine["items"] == [], "nothing was placed"
    assert (await checkout(shop, buyer)).status_code == 201, "the same cart ships within GB"


async def test_a_minors_top_ups_and_orders_share_one_monthly_cap(shop: Shop) -> None:
    """Gift tokens buy gifts, so a buyer under 18 tops up within the same monthly cap as their
    orders (GBP 100.00), even with many top-ups at once; an adult is not capped."""
    import asyncio

    teen = bearer("buyer", f"teen-{secrets.token_hex(3)}", birthdate="2011-02-02")

    async def top_up(who: dict[str, str], tokens: int) -> Any:
        return await shop.orders.client.post(
            "/v1/wallet/top-ups", headers={**who, "Idempotency-Key": secrets.token_hex(6)},
            json={"tokens": tokens, "currency": "GBP", "payment": {"method": GOOD_CARD}})

    answers = await asyncio.gather(*[top_up(teen, 3000) for _ in range(5)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 201, 201, 403, 403], statuses  # 3 x GBP 30.00 fit under 100.00
    refused = next(a for a in answers if a.status_code == 403).json()
    assert refused["rule"] == "minor_monthly_cap" and refused["errors"][0]["field"] == "tokens"
    sku = await live_sku(shop, stock=5, price=1500)
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=teen, json={"quantity": 1})
    capped = await checkout(shop, teen)
    assert capped.status_code == 403 and capped.json()["rule"] == "minor_monthly_cap", \
        "GBP 90.00 of tokens leave GBP 10.00 for orders"
    adult = bearer("buyer", f"adult-{secrets.token_hex(3)}", birthdate="1990-05-05")
    assert (await top_up(adult, 20_000)).status_code == 201


async def test_vouchers_hold_their_limits_under_concurrency(shop: Shop) -> None:
    import asyncio

    sku = await live_sku(shop, stock=50, price=2000)
    code = f"FLASH{secrets.token_hex(3)}".upper()
    window = {"starts_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
              "ends_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    created = await shop.orders.client.post("/v1/vouchers", headers=bearer("operator"), json={
        "code": code, "kind": "fixed", "value": 500, "currency": "GBP", "min_spend_minor": 1000,
        "total_limit": 3, "per_buyer_limit": 1, **window})
    assert created.status_code == 201, created.text
    buyers = [bearer("buyer", f"buyer-{secrets.token_hex(3)}") for _ in range(8)]
    for buyer in buyers:
        await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})

    async def attempt(buyer: dict[str, str]) -> Any:
        return await shop.orders.client.post(
            "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(4)},
            json={"shipping_address": ADDRESS, "payment": {"method": GOOD_CARD},
                  "voucher_codes": [code.lower()]})

    results = await asyncio.gather(*(attempt(b) for b in buyers))
    placed = [r for r in results if r.status_code == 201]
    assert len(placed) == 3, [r.status_code for r in results]
    assert all(r.json()["errors"][0]["code"] == "voucher_exhausted"
               for r in results if r.status_code != 201)
    assert placed[0].json()["orders"][0]["total_minor"] == 2000 - 500 + 399
    usage = (await shop.orders.client.get(f"/v1/vouchers/{code}",
                                          headers=bearer("operator"))).json()
    assert usage["used_count"] == 3
    for outsider, status in ((bearer("buyer"), 403), (shop.seller_headers, 404)):
        hidden = await shop.orders.client.get(f"/v1/vouchers/{code}", headers=outsider)
        assert hidden.status_code == status, "a platform voucher's usage is for operators only"

    winner = buyers[results.index(placed[0])]
    order_id = placed[0].json()["orders"][0]["id"]
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=winner, json={"quantity": 1})
    twice = await attempt(winner)
    assert twice.json()["errors"][0]["code"] in ("voucher_buyer_limit", "voucher_exhausted")
    await shop.orders.client.post(f"/v1/orders/{order_id}/cancellation", headers=winner)
    again = (await shop.orders.client.get(f"/v1/vouchers/{code}",
                                          headers=bearer("operator"))).json()
    assert again["used_count"] == 2, "a cancelled order hands its voucher use back"

    expired_code = f"OLD{secrets.token_hex(3)}".upper()
    await shop.orders.client.post("/v1/vouchers", headers=shop.seller_headers, json={
        "code": expired_code, "kind": "percent", "value": 1000, "currency": "GBP",
        "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-02-01T00:00:00Z"})
    own = await shop.orders.client.get(f"/v1/vouchers/{expired_code}", headers=shop.seller_headers)
    assert own.status_code == 200, "a seller reads its own voucher"
    other_seller = bearer("seller", "another", seller_id=str(new_id()))
    assert (await shop.orders.client.get(f"/v1/vouchers/{expired_code}",
                                         headers=other_seller)).status_code == 404
    late = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=late, json={"quantity": 1})
    refused = await shop.orders.client.post(
        "/v1/checkout", headers={**late, "Idempotency-Key": secrets.token_hex(4)},
        json={"shipping_address": ADDRESS, "payment": {"method": GOOD_CARD},
              "voucher_codes": [expired_code]})
    assert refused.json()["errors"][0] == {"field": "voucher_codes.0", "code": "voucher_expired",
                                           "message": f"{expired_code} has expired"}
    assert (await shop.orders.client.get("/v1/cart", headers=late)).json()["lines"], \
        "a refused checkout leaves the cart as it was"


async def test_card_numbers_never_reach_the_api_or_the_database(shop: Shop) -> None:
    """Checkout and top-ups take the provider's payment-method token; a card number is refused
    at the door, an unknown token names its field, and orders' schema has nowhere to keep a
    card number (issue 12, item 9)."""
    sku = await live_sku(shop, stock=2)
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")
    await shop.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={"quantity": 1})
    raw = await shop.orders.client.post("/v1/checkout", headers=buyer, json={
        "shipping_address": ADDRESS, "payment": {"card_number": "4242424242424242"}})
    assert raw.status_code == 422
    assert {e["field"] for e in raw.json()["errors"]} >= {"payment.card_number"}
    unknown = await checkout(shop, buyer, card="pm_made_up_by_the_client")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "payment.method"
    top_up = await shop.orders.client.post("/v1/wallet/top-ups", headers=buyer, json={
        "tokens": 50, "currency": "GBP", "payment": {"card_number": "4242424242424242"}})
    assert top_up.status_code == 422
    paid = await checkout(shop, buyer)
    assert paid.status_code == 201, paid.text
    columns = await shop.orders.runtime.db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name LIKE '%card%' "
        "AND table_name <> 'shipping_rate_cards'")  # a rate card is not a payment card
    assert {(c["table_name"], c["column_name"]) for c in columns} == {
        ("orders", "card_last4"), ("wallet_topups", "card_last4"),
        ("topup_intents", "card_last4")}
    digits = await shop.orders.runtime.db.fetchval(
        "SELECT count(*) FROM payments WHERE payment_method ~ '[0-9]{12,}'")
    assert digits == 0
