"""Inbound plans, their lines and cartons, in Postgres."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.sql import locking
from services.fulfillment.domain.inbound import Carton, Count


async def add(conn: asyncpg.Connection, *, inbound_id: UUID, seller_id: UUID,
              warehouse_id: UUID, ship_from: dict[str, str], lines: dict[UUID, int],
              cartons: list[Carton], labels: list[str], now: datetime) -> None:
    await conn.execute(
        """INSERT INTO inbound_plans (id, seller_id, warehouse_id, status, ship_from,
                                      created_at, updated_at)
           VALUES ($1, $2, $3, 'draft', $4::jsonb, $5, $5)""",
        inbound_id, seller_id, warehouse_id, ship_from, now)
    await conn.executemany(
        "INSERT INTO inbound_lines (inbound_id, sku_id, planned) VALUES ($1, $2, $3)",
        [(inbound_id, sku, qty) for sku, qty in lines.items()])
    await conn.executemany(
        """INSERT INTO inbound_cartons (inbound_id, number, label, weight_grams, length_mm,
                                        width_mm, height_mm, contents)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)""",
        [(inbound_id, n + 1, label, c.weight_grams, c.length_mm, c.width_mm, c.height_mm,
          {str(k): v for k, v in c.contents.items()})
         for n, (c, label) in enumerate(zip(cartons, labels, strict=True))])


async def get(conn: asyncpg.Connection | asyncpg.Pool, inbound_id: UUID, *,
              for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM inbound_plans WHERE id = $1", for_update), inbound_id)
    if row is None:
        return None
    plan = dict(row)
    plan["lines"] = [dict(r) for r in await conn.fetch(
        """SELECT sku_id, planned, good, damaged, missing, unexpected FROM inbound_lines
           WHERE inbound_id = $1 ORDER BY sku_id""", inbound_id)]
    plan["cartons"] = [dict(r) for r in await conn.fetch(
        """SELECT number, label, weight_grams, length_mm, width_mm, height_mm, contents
           FROM inbound_cartons WHERE inbound_id = $1 ORDER BY number""", inbound_id)]
    return plan


async def set_status(conn: asyncpg.Connection, inbound_id: UUID, status: str, now: datetime,
                     *, carrier: str | None = None, tracking_number: str | None = None) -> None:
    await conn.execute(
        """UPDATE inbound_plans SET status = $2, updated_at = $3,
                  carrier = coalesce($4, carrier), tracking_number = coalesce($5, tracking_number)
           WHERE id = $1""", inbound_id, status, now, carrier, tracking_number)


async def record_counts(conn: asyncpg.Connection, inbound_id: UUID, counts: list[Count]) -> None:
    await conn.executemany(
        """INSERT INTO inbound_lines (inbound_id, sku_id, planned, good, damaged, missing,
                                      unexpected)
           VALUES ($1, $2, 0, $3, $4, $5, $6)
           ON CONFLICT (inbound_id, sku_id) DO UPDATE
           SET good = $3, damaged = $4, missing = $5, unexpected = $6""",
        [(inbound_id, c.sku_id, c.good, c.damaged, c.missing, c.unexpected) for c in counts])


async def page(conn: asyncpg.Connection | asyncpg.Pool, *, seller_id: UUID | None,
               status: str | None, after: UUID | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, seller_id, warehouse_id, status, created_at, updated_at FROM inbound_plans
           WHERE ($1::uuid IS NULL OR seller_id = $1) AND ($2::text IS NULL OR status = $2)
                 AND ($3::uuid IS NULL OR id > $3)
           ORDER BY id LIMIT $4""", seller_id, status, after, limit)
    return [dict(r) for r in rows]
