"""A run of paid orders through discovery, on real Postgres: purchases counted once per order
and product, a consenting adult's history kept, nobody else's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from libs.db.transaction import transaction
from libs.events.schemas.orders import OrderConfirmed, OrderLine, OrderPlaced
from libs.ids import new_id
from libs.testing import run_service
from services.discovery.app import create_app
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases import orders_news

NOW = datetime.now(UTC)


def order(buyer_id: str, *skus: UUID) -> OrderPlaced:
    return OrderPlaced(order_id=new_id(), buyer_id=buyer_id, seller_id=new_id(), currency="GBP",
                       placed_at=NOW, lines=[OrderLine(sku_id=s, quantity=2, unit_price_minor=300)
                                             for s in skus])


async def test_a_run_of_paid_orders_counts_each_purchase_once(
    settings_for: Callable[..., Any],
) -> None:
    settings = settings_for(DiscoverySettings)
    seller, category = new_id(), new_id()
    bag, hat = new_id(), new_id()
    bag_red, bag_blue, hat_one = new_id(), new_id(), new_id()
    adult, stranger = f"adult-{new_id()}", f"stranger-{new_id()}"
    async with run_service(create_app(settings)) as discovery:
        db = discovery.app.state.runtime.db
        async with transaction(db) as conn:
            for product in (bag, hat):
                await conn.execute(
                    """INSERT INTO products (id, seller_id, category_id, market, title,
                                             age_restricted, price_minor, currency, live,
                                             published_at)
                       VALUES ($1, $2, $3, 'GB', 'item', false, 300, 'GBP', true, now())""",
                    product, seller, category)
            await conn.executemany("INSERT INTO skus (id, product_id) VALUES ($1, $2)",
                                   [(bag_red, bag), (bag_blue, bag), (hat_one, hat)])
            await conn.execute("INSERT INTO buyers VALUES ($1, 'GB', $2, now())", adult,
                               date(1990, 5, 1))
            await conn.execute("INSERT INTO consents VALUES ($1, true, 'GB', now())", adult)
        both_bags = order(adult, bag_red, bag_blue)  # one product, two of its SKUs
        one_bag, one_hat = order(stranger, bag_red), order(stranger, hat_one)
        unknown = order(stranger, hat_one)  # placed before discovery listened
        async with transaction(db) as conn:
            await orders_news.placed_many(conn, [both_bags, one_bag, both_bags])  # a run
            await orders_news.placed(conn, one_hat)  # and a lone one
        paid = [OrderConfirmed(order_id=o.order_id, confirmed_at=NOW)
                for o in (both_bags, one_bag, both_bags, unknown, one_hat)]
        async with transaction(db) as conn:
            await orders_news.confirmed_many(conn, settings, paid)
        async with transaction(db) as conn:  # redelivered: counted already
            await orders_news.confirmed_many(conn, settings, paid[:2])

        purchases = {r["item_id"]: r["purchases"] for r in await db.fetch(
            "SELECT item_id, purchases FROM item_popularity WHERE item_id = ANY($1::uuid[])",
            [bag, hat])}
        history = await db.fetch(
            "SELECT buyer_id, item_id, action FROM buyer_interactions WHERE buyer_id = ANY($1)",
            [adult, stranger])
        waiting = await db.fetchval(
            "SELECT count(*) FROM placed_orders WHERE order_id = ANY($1::uuid[])",
            [both_bags.order_id, one_bag.order_id, one_hat.order_id])

    assert purchases == {bag: 2, hat: 1}, "per order and product, whichever SKUs it bought"
    assert [tuple(r) for r in history] == [(adult, bag, "purchase")], \
        "only the consenting adult's history, one entry for the product"
    assert waiting == 0
