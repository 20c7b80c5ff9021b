"""Warehouse stock: balances and the append-only ledger of the movements that made them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.fulfillment.domain.stock import Deltas, MovementKind


async def move(conn: asyncpg.Connection, warehouse_id: UUID, sku_id: UUID, seller_id: UUID,
               kind: MovementKind, deltas: Deltas, reference: str) -> None:
    """Applies one movement to the balances and records it, in the caller's transaction. A
    balance that would go negative raises (the table's CHECK), so nothing is half-moved."""
    args = (warehouse_id, sku_id, deltas.fulfillable, deltas.reserved, deltas.inbound,
            deltas.unfulfillable)
    updated = await conn.fetchval(
        """UPDATE stock SET fulfillable = fulfillable + $3, reserved = reserved + $4,
                            inbound = inbound + $5, unfulfillable = unfulfillable + $6
           WHERE warehouse_id = $1 AND sku_id = $2 RETURNING true""", *args)
    if not updated:  # a first movement (CHECKs apply to an insert before any conflict)
        await conn.execute(
            """INSERT INTO stock AS s (warehouse_id, sku_id, fulfillable, reserved, inbound,
                                       unfulfillable, seller_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (warehouse_id, sku_id) DO UPDATE
               SET fulfillable = s.fulfillable + $3, reserved = s.reserved + $4,
                   inbound = s.inbound + $5, unfulfillable = s.unfulfillable + $6""",
            *args, seller_id)
    await conn.execute(
        """INSERT INTO stock_movements (warehouse_id, sku_id, kind, d_fulfillable, d_reserved,
                                        d_inbound, d_unfulfillable, reference)
           VALUES ($1, $2, $7, $3, $4, $5, $6, $8)""", *args, kind.value, reference)


async def fulfillable_by_warehouse(conn: asyncpg.Connection, sku_ids: list[UUID],
                                   market: str) -> dict[UUID, dict[UUID, int]]:
    """warehouse -> sku -> fulfillable units, for the market's active warehouses; the rows are
    locked so two allocations cannot both take the last unit."""
    rows = await conn.fetch(
        """SELECT s.warehouse_id, s.sku_id, s.fulfillable FROM stock s
           JOIN warehouses w ON w.id = s.warehouse_id
           WHERE s.sku_id = ANY($1::uuid[]) AND w.active AND w.market = $2
                 AND s.fulfillable > 0
           ORDER BY s.warehouse_id, s.sku_id FOR UPDATE OF s""", sku_ids, market)
    found: dict[UUID, dict[UUID, int]] = {}
    for r in rows:
        found.setdefault(r["warehouse_id"], {})[r["sku_id"]] = int(r["fulfillable"])
    return found


async def stocked_skus(conn: asyncpg.Connection, sku_ids: list[UUID]) -> set[UUID]:
    """SKUs the platform fulfils: those that ever had a row in a warehouse."""
    rows = await conn.fetch("SELECT DISTINCT sku_id FROM stock WHERE sku_id = ANY($1::uuid[])",
                            sku_ids)
    return {r["sku_id"] for r in rows}


async def balances(conn: asyncpg.Connection | asyncpg.Pool, *, seller_id: UUID | None,
                   sku_id: UUID | None, after: tuple[UUID, UUID] | None,
                   limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT warehouse_id, sku_id, seller_id, fulfillable, reserved, inbound, unfulfillable
           FROM stock
           WHERE ($1::uuid IS NULL OR seller_id = $1) AND ($2::uuid IS NULL OR sku_id = $2)
                 AND ($3::uuid IS NULL OR (sku_id, warehouse_id) > ($3, $4::uuid))
           ORDER BY sku_id, warehouse_id LIMIT $5""",
        seller_id, sku_id, after[0] if after else None, after[1] if after else None, limit)
    return [dict(r) for r in rows]


async def ledger(conn: asyncpg.Connection | asyncpg.Pool, sku_id: UUID, after: int | None,
                 limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, warehouse_id, sku_id, kind, d_fulfillable, d_reserved, d_inbound,
                  d_unfulfillable, reference, at
           FROM stock_movements WHERE sku_id = $1 AND ($2::bigint IS NULL OR id > $2)
           ORDER BY id LIMIT $3""", sku_id, after, limit)
    return [dict(r) for r in rows]


async def owner_of(conn: asyncpg.Connection | asyncpg.Pool, sku_id: UUID) -> UUID | None:
    owner: UUID | None = await conn.fetchval(
        "SELECT seller_id FROM stock WHERE sku_id = $1 LIMIT 1", sku_id)
    return owner


async def sellable_by_sku(conn: asyncpg.Connection | asyncpg.Pool) -> dict[UUID, int]:
    """Per SKU, the units catalog should show as on hand: on the shelf, not yet given to an
    order (reconciliation)."""
    rows = await conn.fetch("SELECT sku_id, sum(fulfillable) AS units FROM stock GROUP BY sku_id")
    return {r["sku_id"]: int(r["units"]) for r in rows}
