"""What discovery learns from orders: purchases (popularity, and consenting buyers' history)
and the orders to attribute to sponsored clicks. An order is remembered from `order.placed`
(which names its buyer and lines) until it is confirmed or cancelled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from libs.events.schemas.orders import OrderCancelled, OrderConfirmed, OrderPlaced
from services.discovery.adapters import clicks_repository as clicks
from services.discovery.adapters import showcase_repository as showcase
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases.interactions import count_purchases, remember_purchase


async def placed(conn: asyncpg.Connection, event: OrderPlaced) -> None:
    """A lone placement is a run of one."""
    await placed_many(conn, [event])


async def placed_many(conn: asyncpg.Connection, events: list[OrderPlaced]) -> None:
    """Placed orders remembered until paid or cancelled, in one statement (an order heard of
    twice keeps its first record)."""
    await conn.execute(
        """INSERT INTO placed_orders (order_id, buyer_id, lines, placed_at)
           SELECT o, b, l::jsonb, p
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS x(o, b, l, p)
            ORDER BY o
           ON CONFLICT DO NOTHING""",
        [e.order_id for e in events], [e.buyer_id for e in events],
        [json.dumps([{"sku_id": str(line.sku_id), "quantity": line.quantity,
                      "unit_price_minor": line.unit_price_minor} for line in e.lines])
         for e in events],
        [e.placed_at for e in events])


def _lines(stored: Any) -> list[dict[str, Any]]:
    """Lines are stored as a JSON array; rows written one at a time before runs were batched
    hold that array encoded once more, as a JSON string."""
    return json.loads(stored) if isinstance(stored, str) else list(stored)


async def confirmed(conn: asyncpg.Connection, settings: DiscoverySettings,
                    event: OrderConfirmed) -> None:
    """A lone confirmation is a run of one."""
    await confirmed_many(conn, settings, [event])


async def confirmed_many(conn: asyncpg.Connection, settings: DiscoverySettings,
                         events: list[OrderConfirmed]) -> None:
    """Paid orders, in the order confirmed: their purchases counted together, then each
    buyer's history and each order's attribution. An order placed before discovery listened,
    or cancelled already, is not remembered and changes nothing."""
    order_ids = list(dict.fromkeys(event.order_id for event in events))
    rows = {r["order_id"]: r for r in await conn.fetch(
        "DELETE FROM placed_orders WHERE order_id = ANY($1::uuid[]) RETURNING *", order_ids)}
    paid = [(event, rows.pop(event.order_id)) for event in events if event.order_id in rows]
    if not paid:
        return
    lines = {event.order_id: _lines(row["lines"]) for event, row in paid}
    products = await showcase.products_of_skus(
        conn, list({UUID(line["sku_id"]) for ls in lines.values() for line in ls}))

    def bought(order_id: UUID) -> list[asyncpg.Record]:
        found = {products[s]["id"]: products[s] for s in
                 (UUID(line["sku_id"]) for line in lines[order_id]) if s in products}
        return list(found.values())

    products_of_order = {event.order_id: bought(event.order_id) for event, _ in paid}
    await count_purchases(conn, list(products_of_order.values()))
    for event, row in paid:
        await remember_purchase(conn, row["buyer_id"], products_of_order[event.order_id],
                                settings.recent_items)
        await _attribute(conn, settings, event.order_id, row["buyer_id"],
                         lines[event.order_id], event.confirmed_at, products)


async def _attribute(conn: asyncpg.Connection, settings: DiscoverySettings, order_id: UUID,
                     buyer_id: str, lines: list[dict[str, object]], at: datetime,
                     products: dict[UUID, asyncpg.Record]) -> None:
    """Last touch: each product's revenue goes to the buyer's latest billed click on it within
    the attribution window."""
    revenue: dict[UUID, int] = {}
    for line in lines:
        product = products.get(UUID(str(line["sku_id"])))
        if product is not None:
            revenue[product["id"]] = revenue.get(product["id"], 0) + (
                int(str(line["quantity"])) * int(str(line["unit_price_minor"])))
    if not revenue:
        return
    touches = await clicks.last_billed_clicks(
        conn, buyer_id, list(revenue), at - timedelta(days=settings.attribution_days))
    for product_id, click in touches.items():
        await clicks.attribute(conn, order_id=order_id, product_id=product_id,
                               campaign_id=click["campaign_id"], click_id=click["id"],
                               revenue_minor=revenue[product_id], at=datetime.now(UTC))


async def cancelled(conn: asyncpg.Connection, event: OrderCancelled) -> None:
    await conn.execute("DELETE FROM placed_orders WHERE order_id = $1", event.order_id)
    await clicks.cancel_attributions(conn, event.order_id)
