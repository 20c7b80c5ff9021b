"""Clicks on sponsored slots with what was decided about each, orders attributed to billed
clicks, and the figures of a campaign's report."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def add(conn: asyncpg.Connection | asyncpg.Pool, *, click_id: UUID, impression_id: UUID,
              campaign_id: UUID, product_id: UUID, buyer_id: str, price_minor: int,
              outcome: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO clicks (id, impression_id, campaign_id, product_id, buyer_id, price_minor,
                               outcome, clicked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        click_id, impression_id, campaign_id, product_id, buyer_id, price_minor, outcome, at)


async def impression_clicked(conn: asyncpg.Connection, impression_id: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM clicks WHERE impression_id = $1)", impression_id))


async def billed_recently(conn: asyncpg.Connection, *, buyer_id: str, campaign_id: UUID,
                          product_id: UUID, since: datetime) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM clicks
                           WHERE buyer_id = $1 AND product_id = $3 AND campaign_id = $2
                             AND outcome = 'billed' AND clicked_at >= $4)""",
        buyer_id, campaign_id, product_id, since))


async def last_billed_clicks(conn: asyncpg.Connection, buyer_id: str, product_ids: list[UUID],
                             since: datetime) -> dict[UUID, asyncpg.Record]:
    """Per product, the buyer's latest billed click since then (last touch is credited)."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (product_id) id, product_id, campaign_id FROM clicks
            WHERE buyer_id = $1 AND product_id = ANY($2::uuid[]) AND outcome = 'billed'
              AND clicked_at >= $3
            ORDER BY product_id, clicked_at DESC""", buyer_id, product_ids, since)
    return {r["product_id"]: r for r in rows}


async def attribute(conn: asyncpg.Connection, *, order_id: UUID, product_id: UUID,
                    campaign_id: UUID, click_id: UUID, revenue_minor: int,
                    at: datetime) -> None:
    await conn.execute(
        """INSERT INTO attributions (order_id, product_id, campaign_id, click_id, revenue_minor,
                                     attributed_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        order_id, product_id, campaign_id, click_id, revenue_minor, at)


async def cancel_attributions(conn: asyncpg.Connection, order_id: UUID) -> None:
    await conn.execute("UPDATE attributions SET cancelled = true WHERE order_id = $1", order_id)


async def figures(db: asyncpg.Pool, campaign_id: UUID, since: datetime) -> dict[str, object]:
    clicks = await db.fetch(
        """SELECT outcome, count(*) AS n, coalesce(sum(price_minor), 0) AS amount FROM clicks
            WHERE campaign_id = $1 AND clicked_at >= $2 GROUP BY outcome""", campaign_id, since)
    orders = await db.fetchrow(
        """SELECT count(DISTINCT order_id) AS orders, coalesce(sum(revenue_minor), 0) AS revenue
             FROM attributions WHERE campaign_id = $1 AND NOT cancelled AND attributed_at >= $2""",
        campaign_id, since)
    by_outcome = {r["outcome"]: (r["n"], r["amount"]) for r in clicks}
    billed = by_outcome.pop("billed", (0, 0))
    return {"clicks": billed[0], "spend_minor": billed[1],
            "filtered": {outcome: n for outcome, (n, _) in sorted(by_outcome.items())},
            "attributed_orders": orders["orders"], "attributed_revenue_minor": orders["revenue"]}
