"""Many orders locked and moved in a few statements, whatever their number: what the consumer's
batch handlers use when a run of one event type arrives (see `libs.consumer`)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.orders.adapters.repository import order_from_row
from services.orders.domain.order import Order


async def lock_orders(conn: asyncpg.Connection, order_ids: list[UUID]) -> dict[UUID, Order]:
    """The orders that exist among `order_ids`, locked in id order (so two batches, or a batch
    and one order's own transaction, always take their locks in the same order)."""
    rows = await conn.fetch("SELECT * FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id "
                            "FOR UPDATE", order_ids)
    return {row["id"]: order_from_row(row) for row in rows}


async def save_orders(conn: asyncpg.Connection, moved: list[Order], note: str) -> None:
    """Each order's new status, and one timeline entry each, in two statements."""
    ids = [order.id for order in moved]
    statuses = [order.status.value for order in moved]
    await conn.execute(
        """UPDATE orders o SET status = m.status, cancel_reason = m.cancel_reason,
                  updated_at = now()
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS m(id, status, cancel_reason)
           WHERE o.id = m.id""", ids, statuses, [order.cancel_reason for order in moved])
    await conn.execute(
        """INSERT INTO order_timeline (order_id, status, note)
           SELECT id, status, $3 FROM unnest($1::uuid[], $2::text[]) AS t(id, status)""",
        ids, statuses, note)


async def add_timelines(conn: asyncpg.Connection, entries: list[tuple[UUID, str, str]]) -> None:
    """Timeline entries `(order_id, status, note)` with a note each, in one statement."""
    await conn.execute(
        """INSERT INTO order_timeline (order_id, status, note)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])""",
        [e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries])


async def set_promises(conn: asyncpg.Connection, promised: list[tuple[UUID, datetime, datetime]]
                       ) -> None:
    """Each order's `(ship_by, deliver_by)`, in one statement."""
    await conn.execute(
        """UPDATE orders o SET ship_by = p.ship_by, deliver_by = p.deliver_by
           FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[])
                AS p(id, ship_by, deliver_by)
           WHERE o.id = p.id""",
        [p[0] for p in promised], [p[1] for p in promised], [p[2] for p in promised])
