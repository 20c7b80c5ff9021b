"""Support's read model of orders, parcels, refunds and listings, kept from other services'
events, and the questions tickets ask of it (does the requester own this? what happened?)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from services.support.domain.order_news import PlacedOrder, StoryLine

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def add_orders(conn: asyncpg.Connection, placed: Sequence[PlacedOrder]) -> set[UUID]:
    """The orders as placed, filling the rows fulfillment's events may have started; returns
    the orders whose placement is new (not already recorded)."""
    first = {order.order_id: order for order in reversed(placed)}  # one row per order
    orders = sorted(first.values(), key=lambda order: order.order_id)
    rows = await conn.fetch(
        """INSERT INTO order_views (order_id, buyer_id, seller_id, currency, lines, sku_ids,
                                    total_minor, status, placed_at, updated_at)
           SELECT o, b, s, c, l::jsonb, ARRAY(SELECT jsonb_object_keys(l::jsonb)::uuid), t,
                  'placed', p, p
             FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                         $6::bigint[], $7::timestamptz[]) AS x(o, b, s, c, l, t, p)
           ON CONFLICT (order_id) DO UPDATE SET
             buyer_id = EXCLUDED.buyer_id, seller_id = EXCLUDED.seller_id,
             currency = EXCLUDED.currency, lines = EXCLUDED.lines, sku_ids = EXCLUDED.sku_ids,
             total_minor = EXCLUDED.total_minor, placed_at = EXCLUDED.placed_at,
             status = coalesce(order_views.status, 'placed')
           WHERE order_views.buyer_id IS NULL
           RETURNING order_id""",
        [o.order_id for o in orders], [o.buyer_id for o in orders],
        [o.seller_id for o in orders], [o.currency for o in orders],
        [json.dumps(o.lines) for o in orders], [o.total_minor for o in orders],
        [o.placed_at for o in orders])
    return {row["order_id"] for row in rows}


_ORDER_FIELDS = {"status": "text", "method": "text", "ship_by": "timestamptz",
                 "deliver_by": "timestamptz", "shipped_at": "timestamptz",
                 "delivered_at": "timestamptz", "return_window_ends_at": "timestamptz",
                 "cancelled_reason": "text"}


async def update_orders(conn: asyncpg.Connection,
                        changes: Mapping[UUID, tuple[datetime, Mapping[str, Any]]]) -> None:
    """Sets what events say of orders (each order's fields and latest time, see
    `domain.order_news.folded`), starting the rows of orders whose events came first: one
    statement per set of fields, orders in id order so concurrent writers lock alike."""
    by_fields: dict[tuple[str, ...], list[UUID]] = {}
    for order_id in sorted(changes):
        names = tuple(sorted(changes[order_id][1]))
        unknown = set(names) - set(_ORDER_FIELDS)
        if unknown:
            raise ValueError(f"not updatable: {unknown}")
        by_fields.setdefault(names, []).append(order_id)
    for names, order_ids in by_fields.items():
        arrays = ", ".join(f"${i}::{_ORDER_FIELDS[name]}[]" for i, name in enumerate(names, 3))
        assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
        await conn.execute(
            f"""INSERT INTO order_views (order_id, updated_at, {', '.join(names)})
                SELECT * FROM unnest($1::uuid[], $2::timestamptz[], {arrays})
                ON CONFLICT (order_id) DO UPDATE SET
                  updated_at = greatest(order_views.updated_at, EXCLUDED.updated_at),
                  {assignments}""",  # noqa: S608 - names are ours
            order_ids, [changes[o][0] for o in order_ids],
            *([changes[o][1][name] for o in order_ids] for name in names))


async def update_order(conn: asyncpg.Connection, order_id: UUID, at: datetime,
                       **fields: Any) -> None:
    """Sets what one event says of the order (see `update_orders`)."""
    await update_orders(conn, {order_id: (at, fields)})


_SELECT_ORDER = """
SELECT o.*, coalesce((SELECT sum(r.amount_minor) FROM refund_views r
                      WHERE r.order_id = o.order_id), 0) AS refunded_minor
FROM order_views o
"""


async def order(conn: Conn, order_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(_SELECT_ORDER + "WHERE o.order_id = $1", order_id)
    return _order(row) if row and row["buyer_id"] is not None else None


def _order(row: asyncpg.Record) -> dict[str, Any]:
    item = dict(row)
    if isinstance(item["lines"], str):  # a placed order's (a stub's rows are never read)
        item["lines"] = json.loads(item["lines"])
    return item


async def shipping_method(conn: Conn, order_id: UUID) -> str | None:
    """Who ships the order (fulfillment's word), known even before orders' events arrive."""
    method: str | None = await conn.fetchval(
        "SELECT method FROM order_views WHERE order_id = $1", order_id)
    return method


async def recent_orders(conn: Conn, *, buyer_id: str | None = None,
                        seller_id: UUID | None = None, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        _SELECT_ORDER + """
           WHERE ($1::text IS NOT NULL AND o.buyer_id = $1) OR ($2::uuid IS NOT NULL
                 AND o.seller_id = $2)
           ORDER BY o.placed_at DESC LIMIT $3""", buyer_id, seller_id, limit)
    return [_order(r) for r in rows]


async def orders_since(conn: Conn, seller_id: UUID, since: datetime) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM order_views WHERE seller_id = $1 AND placed_at > $2",
        seller_id, since))


async def upsert_parcel(conn: asyncpg.Connection, *, shipment_id: UUID, order_id: UUID,
                        seller_id: UUID | None, status: str, at: datetime,
                        carrier: str | None = None, service: str | None = None,
                        tracking_number: str | None = None) -> None:
    """Tracking states can arrive late or twice: the newest one wins."""
    await conn.execute(
        """INSERT INTO shipment_views (shipment_id, order_id, seller_id, carrier, service,
                                       tracking_number, status, last_event_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (shipment_id) DO UPDATE SET
             carrier = coalesce(EXCLUDED.carrier, shipment_views.carrier),
             service = coalesce(EXCLUDED.service, shipment_views.service),
             tracking_number = coalesce(EXCLUDED.tracking_number, shipment_views.tracking_number),
             status = CASE WHEN EXCLUDED.last_event_at >= shipment_views.last_event_at
                           THEN EXCLUDED.status ELSE shipment_views.status END,
             last_event_at = greatest(EXCLUDED.last_event_at, shipment_views.last_event_at)""",
        shipment_id, order_id, seller_id, carrier, service, tracking_number, status, at)


async def parcels(conn: Conn, *order_ids: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT * FROM shipment_views WHERE order_id = ANY($1::uuid[]) ORDER BY last_event_at",
        list(order_ids))]


async def parcel(conn: Conn, shipment_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM shipment_views WHERE shipment_id = $1", shipment_id)
    return dict(row) if row else None


async def add_refund(conn: asyncpg.Connection, *, refund_id: UUID, order_id: UUID,
                     amount_minor: int, reason: str, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO refund_views (refund_id, order_id, amount_minor, reason, refunded_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
        refund_id, order_id, amount_minor, reason, at)


async def refunds(conn: Conn, *order_ids: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT * FROM refund_views WHERE order_id = ANY($1::uuid[]) ORDER BY refunded_at",
        list(order_ids))]


async def set_listing(conn: asyncpg.Connection, *, product_id: UUID, seller_id: UUID,
                      status: str, at: datetime, sku_ids: list[UUID] | None = None,
                      reasons: list[str] | None = None) -> None:
    await conn.execute(
        """INSERT INTO listing_views (product_id, seller_id, status, sku_ids, reasons, updated_at)
           VALUES ($1, $2, $3, coalesce($4::uuid[], '{}'), coalesce($5::jsonb, '[]'), $6)
           ON CONFLICT (product_id) DO UPDATE SET status = EXCLUDED.status,
             sku_ids = CASE WHEN $4::uuid[] IS NULL THEN listing_views.sku_ids
                            ELSE EXCLUDED.sku_ids END,
             reasons = CASE WHEN $5::jsonb IS NULL THEN listing_views.reasons
                            ELSE EXCLUDED.reasons END,
             updated_at = EXCLUDED.updated_at
           WHERE listing_views.updated_at <= EXCLUDED.updated_at""",
        product_id, seller_id, status, sku_ids,
        json.dumps(reasons) if reasons is not None else None, at)


async def listing(conn: Conn, product_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM listing_views WHERE product_id = $1", product_id)
    return _listing(row) if row else None


def _listing(row: asyncpg.Record) -> dict[str, Any]:
    item = dict(row)
    if isinstance(item["reasons"], str):
        item["reasons"] = json.loads(item["reasons"])
    return item


async def recent_listings(conn: Conn, seller_id: UUID, limit: int = 20) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM listing_views WHERE seller_id = $1 "
                            "ORDER BY updated_at DESC LIMIT $2", seller_id, limit)
    return [_listing(r) for r in rows]


async def buyer_bought_listing(conn: Conn, buyer_id: str, product_id: UUID) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM listing_views l JOIN order_views o
                          ON o.sku_ids && l.sku_ids
                          WHERE l.product_id = $2 AND o.buyer_id = $1)""", buyer_id, product_id))


async def tell(conn: asyncpg.Connection, order_id: UUID, at: datetime, type_: str,
               summary: str) -> None:
    """One line of an order's story, as agents read it."""
    await tell_many(conn, [StoryLine(order_id, at, type_, summary)])


async def tell_many(conn: asyncpg.Connection, lines: Sequence[StoryLine]) -> None:
    """Lines of orders' stories, in one statement."""
    if lines:
        await conn.execute(
            """INSERT INTO story (order_id, at, type, summary)
               SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[])""",
            [line.order_id for line in lines], [line.at for line in lines],
            [line.type for line in lines], [line.summary for line in lines])


async def story(conn: Conn, order_ids: list[UUID], limit: int = 200) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        """SELECT order_id, at, type, summary FROM story WHERE order_id = ANY($1::uuid[])
           ORDER BY at, id LIMIT $2""", order_ids, limit)]
