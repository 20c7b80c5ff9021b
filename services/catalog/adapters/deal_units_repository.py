"""Which of an order's reserved units came from a flash deal's set-aside, and where they went
when the order was cancelled. Two events settle them, in either order: catalog's own release
of the order's reservation (the units go back into the set-aside) and live's word that the
claim is over (`live.claim.released` to stock); whichever comes second releases them."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def record(conn: asyncpg.Connection, order_id: UUID,
                 taken: list[tuple[UUID, UUID, int]]) -> None:
    """`taken`: (deal, SKU, units) moved from the deals' set-asides into the order's hold."""
    await conn.executemany(
        """INSERT INTO deal_units_in_orders (order_id, deal_id, sku_id, quantity)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (order_id, deal_id, sku_id)
           DO UPDATE SET quantity = excluded.quantity""",
        [(order_id, deal_id, sku_id, quantity) for deal_id, sku_id, quantity in taken])


async def held_by(conn: asyncpg.Connection, order_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT * FROM deal_units_in_orders WHERE order_id = $1 AND NOT back_in_set_aside "
        "AND NOT released_to_stock ORDER BY deal_id, sku_id FOR UPDATE", order_id))


async def put_back(conn: asyncpg.Connection, deal_id: UUID, sku_id: UUID,
                   quantity: int) -> bool:
    """Units (still reserved) go back into the deal's set-aside; False when it is over."""
    status: str = await conn.execute(
        """UPDATE reservation_lines l SET quantity = l.quantity + $3
           FROM reservations r
           WHERE r.id = l.reservation_id AND r.order_id = $1 AND r.status = 'active'
             AND l.sku_id = $2""", deal_id, sku_id, quantity)
    return status != "UPDATE 0"


async def mark(conn: asyncpg.Connection, row: asyncpg.Record, *, back_in_set_aside: bool = False,
               released_to_stock: bool = False) -> None:
    await conn.execute(
        """UPDATE deal_units_in_orders
           SET back_in_set_aside = back_in_set_aside OR $4,
               released_to_stock = released_to_stock OR $5
           WHERE order_id = $1 AND deal_id = $2 AND sku_id = $3""",
        row["order_id"], row["deal_id"], row["sku_id"], back_in_set_aside, released_to_stock)


async def claim_went_to_stock(conn: asyncpg.Connection, order_id: UUID, deal_id: UUID,
                              sku_id: UUID, quantity: int) -> asyncpg.Record:
    """Live settled the claim to stock; returns the row as it is now (locked)."""
    row = await conn.fetchrow(
        """INSERT INTO deal_units_in_orders (order_id, deal_id, sku_id, quantity,
                                             claim_went_to_stock)
           VALUES ($1, $2, $3, $4, true)
           ON CONFLICT (order_id, deal_id, sku_id) DO UPDATE SET claim_went_to_stock = true
           RETURNING *""", order_id, deal_id, sku_id, quantity)
    assert row is not None
    return row
