"""The purchase path under more orders than the saga decides: cart writes and checkout say
busy instead of queueing, lose nothing, and take orders again once the saga has caught up
(`domain.admission`); and more purchase requests at once than a process serves are told the
same, and placed once when retried (`api.admission`'s in-flight limit)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from libs.testing import bearer, eventually, retried_while_busy, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings
from tests.e2e.test_checkout_journeys import checkout, live_sku, open_shop

pytestmark = pytest.mark.kafka


async def test_checkout_says_busy_while_the_saga_is_behind_and_takes_orders_once_it_caught_up(
        settings_for: Callable[..., Any]) -> None:
    """Catalog stops answering: three orders wait for their stock answer. Once they are late
    the fourth buyer is told to come back (503, Retry-After, problem+json), at checkout and at
    the cart, with the cart kept and nothing placed. When their stock-answer deadline has
    settled the three, the same request with the same Idempotency-Key places the order."""
    async with run_service(create_orders(settings_for(
            OrdersSettings, checkout_late_after_seconds=0.5, checkout_late_orders_allowed=3,
            stock_answer_timeout_seconds=6, checkouts_per_minute=1000))) as orders:
        async with run_service(create_catalog(settings_for(CatalogSettings))) as catalog:
            shop = await open_shop(catalog, orders, "Busy Day Ltd")
            sku = await live_sku(shop, stock=100)
        # Catalog is gone: orders placed now wait for a stock answer that does not come.
        buyers = [bearer("buyer", f"busy-{n}-{secrets.token_hex(3)}") for n in range(4)]
        for buyer in buyers:
            added = await orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                            json={"quantity": 1})
            assert added.status_code == 200
        waiting = [await checkout(shop, buyer) for buyer in buyers[:3]]
        assert [w.status_code for w in waiting] == [201, 201, 201]

        last, key = buyers[3], secrets.token_hex(6)
        empty_cart = bearer("buyer", f"no-cart-{secrets.token_hex(3)}")

        async def turned_away() -> Any:
            """An empty cart's checkout: 409 when admitted, 503 once the saga is behind."""
            answer = await checkout(shop, empty_cart)
            assert answer.status_code in (409, 503), answer.text
            return answer if answer.status_code == 503 else None

        assert await eventually(turned_away, timeout=5, interval=0.1), \
            "checkout kept taking orders while three were late"
        busy = await checkout(shop, last, key=key)
        assert busy.status_code == 503
        assert busy.headers["content-type"].startswith("application/problem+json")
        assert busy.headers["retry-after"] == "2"
        assert busy.json()["title"] == "Shop busy"
        more = await orders.client.put(f"/v1/cart/lines/{sku}", headers=last,
                                       json={"quantity": 2})
        assert (more.status_code, more.headers["retry-after"]) == (503, "2"), \
            "cart writes wait too"
        cart = (await orders.client.get("/v1/cart", headers=last)).json()
        assert [(line["sku_id"], line["quantity"]) for line in cart["lines"]] == [(sku, 1)], \
            "the cart is kept as it was"
        mine = (await orders.client.get("/v1/orders", headers=last)).json()
        assert mine["items"] == [], "nothing was placed"

        async def placed() -> Any:
            answer = await checkout(shop, last, key=key)
            return answer if answer.status_code == 201 else None

        # The three orders' stock-answer deadline (6 s) cancels them; the saga is no longer behind.
        retried = await eventually(placed, timeout=30, interval=0.5)
        assert retried is not None, "checkout never took orders again"
        for buyer, answer in zip(buyers[:3], waiting, strict=True):
            order = (await orders.client.get(f"/v1/orders/{answer.json()['orders'][0]['id']}",
                                             headers=buyer)).json()
            assert order["status"] == "cancelled"


async def test_more_checkouts_at_once_than_a_process_serves_are_told_busy_and_placed_on_retry(
        settings_for: Callable[..., Any]) -> None:
    """One checkout served at a time and no wait for a turn: of twelve buyers checking out
    together, those who came while another was served get 503 "Shop busy" with Retry-After;
    each retried with its key is placed exactly once."""
    async with run_service(create_orders(settings_for(
            OrdersSettings, checkout_in_flight_allowed=1, checkout_in_flight_wait_seconds=0,
            checkouts_per_minute=1000))) as orders, \
            run_service(create_catalog(settings_for(CatalogSettings))) as catalog:
        shop = await open_shop(catalog, orders, "Rush Hour Ltd")
        sku = await live_sku(shop, stock=100)
        buyers = [bearer("buyer", f"rush-{n}-{secrets.token_hex(3)}") for n in range(12)]
        for buyer in buyers:
            added = await orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                            json={"quantity": 1})
            assert added.status_code == 200
        keys = [secrets.token_hex(6) for _ in buyers]

        together = await asyncio.gather(*(checkout(shop, buyer, key=key)
                                          for buyer, key in zip(buyers, keys, strict=True)))
        statuses = [answer.status_code for answer in together]
        assert 201 in statuses and set(statuses) == {201, 503}, statuses
        for answer in together:
            if answer.status_code == 503:
                assert answer.headers["retry-after"] == "2"
                assert answer.json()["title"] == "Shop busy"

        retried = [await retried_while_busy(partial(checkout, shop, buyer, key=key))
                   for buyer, key in zip(buyers, keys, strict=True)]
        assert [answer.status_code for answer in retried] == [201] * 12
        for buyer, answer in zip(buyers, retried, strict=True):
            mine = (await orders.client.get("/v1/orders", headers=buyer)).json()["items"]
            assert [order["id"] for order in mine] == [answer.json()["orders"][0]["id"]], \
                "placed exactly once"
