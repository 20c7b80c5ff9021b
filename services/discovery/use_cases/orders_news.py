"""What discovery learns from orders: purchases (popularity, and consenting buyers' history)
and the orders to attribute to sponsored clicks. An order is remembered from `order.placed`
(which names its buyer and lines) until it is confirmed or cancelled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from libs.events.schemas.orders import OrderCancelled, OrderConfirmed, OrderPlaced
from services.discovery.adapters import clicks_repository as clicks
from services.discovery.adapters import showcase_repository as showcase
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases.interactions import record_purchase


async def placed(conn: asyncpg.Connection, event: OrderPlaced) -> None:
    lines = [{"sku_id": str(line.sku_id), "quantity": line.quantity,
              "unit_price_minor": line.unit_price_minor} for line in event.lines]
    await conn.execute(
        """INSERT INTO placed_orders (order_id, buyer_id, lines, placed_at)
           VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING""",
        event.order_id, event.buyer_id, json.dumps(lines), event.placed_at)


async def confirmed(conn: asyncpg.Connection, settings: DiscoverySettings,
                    event: OrderConfirmed) -> None:
    row = await conn.fetchrow("DELETE FROM placed_orders WHERE order_id = $1 RETURNING *",
                              event.order_id)
    if row is None:
        return  # placed before discovery listened, or cancelled already
    lines = json.loads(row["lines"])
    sku_lines = [(UUID(line["sku_id"]), int(line["quantity"])) for line in lines]
    await record_purchase(conn, row["buyer_id"], sku_lines, settings.recent_items)
    await _attribute(conn, settings, event.order_id, row["buyer_id"], lines,
                     event.confirmed_at)


async def _attribute(conn: asyncpg.Connection, settings: DiscoverySettings, order_id: UUID,
                     buyer_id: str, lines: list[dict[str, object]], at: datetime) -> None:
    """Last touch: each product's revenue goes to the buyer's latest billed click on it within
    the attribution window."""
    products = await showcase.products_of_skus(conn, [UUID(str(line["sku_id"])) for line in lines])
    revenue: dict[UUID, int] = {}
    for line in lines:
        product = products.get(UUID(str(line["sku_id"])))
        if product is not None:
            revenue[product["id"]] = revenue.get(product["id"], 0) + (
                int(str(line["quantity"])) * int(str(line["unit_price_minor"])))
    touches = await clicks.last_billed_clicks(
        conn, buyer_id, list(revenue), at - timedelta(days=settings.attribution_days))
    for product_id, click in touches.items():
        await clicks.attribute(conn, order_id=order_id, product_id=product_id,
                               campaign_id=click["campaign_id"], click_id=click["id"],
                               revenue_minor=revenue[product_id], at=datetime.now(UTC))


async def cancelled(conn: asyncpg.Connection, event: OrderCancelled) -> None:
    await conn.execute("DELETE FROM placed_orders WHERE order_id = $1", event.order_id)
    await clicks.cancel_attributions(conn, event.order_id)
