"""Many orders locked and moved in a few statements, whatever their number: what the consumer's
batch handlers use when a run of one event type arrives (see `libs.consumer`)."""

from __future__ import annotations

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
