"""Returns in Postgres."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.sql import locking
from services.fulfillment.adapters.parcels_repository import lines_json


async def add(conn: asyncpg.Connection, *, return_id: UUID, order_id: UUID, seller_id: UUID,
              buyer_id: str, destination: str, warehouse_id: UUID | None, reason: str,
              lines: dict[UUID, int], carrier: str, tracking_number: str,
              now: datetime) -> bool:
    row = await conn.fetchrow(
        """INSERT INTO returns (id, order_id, seller_id, buyer_id, destination, warehouse_id,
                                status, reason, lines, carrier, tracking_number, created_at,
                                updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'label_issued', $7, $8::jsonb, $9, $10, $11, $11)
           ON CONFLICT (id) DO NOTHING RETURNING id""",
        return_id, order_id, seller_id, buyer_id, destination, warehouse_id, reason,
        lines_json(lines), carrier, tracking_number, now)
    return row is not None


async def get(conn: asyncpg.Connection | asyncpg.Pool, return_id: UUID, *,
              for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM returns WHERE id = $1", for_update), return_id)
    if row is None:
        return None
    found = dict(row)
    found["lines"] = {UUID(k): int(v) for k, v in row["lines"].items()}
    return found


async def of_order(conn: asyncpg.Connection | asyncpg.Pool,
                   order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch("""SELECT id, status, destination, carrier, tracking_number,
                                      created_at FROM returns WHERE order_id = $1
                               ORDER BY created_at""", order_id)
    return [dict(r) for r in rows]


async def set_status(conn: asyncpg.Connection, return_id: UUID, status: str, now: datetime,
                     inspection: list[dict[str, Any]] | None = None) -> None:
    await conn.execute(
        """UPDATE returns SET status = $2, updated_at = $3,
                  inspection = coalesce($4::jsonb, inspection) WHERE id = $1""",
        return_id, status, now, inspection)
