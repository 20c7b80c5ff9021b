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


async def set_promises(conn: asyncpg.Connection, column: str,
                       promised: list[tuple[UUID, datetime]]) -> None:
    """One of the orders' promised times (`ship_by`, `deliver_by`), each its own, in one
    statement."""
    if column not in ("ship_by", "deliver_by"):
        raise ValueError(f"not a promise set in batches: {column}")
    await conn.execute(
        f"""UPDATE orders o SET {column} = p.at
            FROM unnest($1::uuid[], $2::timestamptz[]) AS p(id, at)
            WHERE o.id = p.id""",  # noqa: S608 - the column is one of two names
        [order_id for order_id, _ in promised], [at for _, at in promised])


async def set_payments_authorized(conn: asyncpg.Connection,
                                  authorized: list[tuple[UUID, UUID]]) -> None:
    """Each order's payment authorised, with the provider's payment id, in one statement."""
    if authorized:
        await conn.execute(
            """UPDATE payments p SET status = 'authorized', payment_id = a.payment_id,
                      attempts = p.attempts + 1, updated_at = now()
               FROM unnest($1::uuid[], $2::uuid[]) AS a(order_id, payment_id)
               WHERE p.order_id = a.order_id""",
            [order_id for order_id, _ in authorized], [pid for _, pid in authorized])
