"""What fulfillment knows of catalog's sellers and SKUs (from catalog's events)."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def set_seller_status(conn: asyncpg.Connection, seller_id: UUID, status: str,
                            market: str | None = None) -> None:
    await conn.execute(
        """INSERT INTO sellers (seller_id, status, market) VALUES ($1, $2, $3)
           ON CONFLICT (seller_id) DO UPDATE
           SET status = EXCLUDED.status, market = coalesce(EXCLUDED.market, sellers.market)""",
        seller_id, status, market)


async def seller_status(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID) -> str | None:
    status: str | None = await conn.fetchval("SELECT status FROM sellers WHERE seller_id = $1",
                                             seller_id)
    return status


async def add_skus(conn: asyncpg.Connection, seller_id: UUID, product_id: UUID,
                   sku_ids: list[UUID]) -> None:
    await conn.executemany(
        """INSERT INTO skus (sku_id, seller_id, product_id) VALUES ($1, $2, $3)
           ON CONFLICT (sku_id) DO NOTHING""", [(s, seller_id, product_id) for s in sku_ids])


async def owners(conn: asyncpg.Connection | asyncpg.Pool,
                 sku_ids: list[UUID]) -> dict[UUID, UUID]:
    rows = await conn.fetch("SELECT sku_id, seller_id FROM skus WHERE sku_id = ANY($1::uuid[])",
                            sku_ids)
    return {r["sku_id"]: r["seller_id"] for r in rows}
