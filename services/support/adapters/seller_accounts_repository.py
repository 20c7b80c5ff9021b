"""Postgres persistence of seller accounts."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.support.domain.seller_accounts import SellerAccount, Standing


async def add_if_absent(conn: asyncpg.Connection, account: SellerAccount) -> bool:
    inserted = await conn.fetchval(
        """INSERT INTO seller_accounts (seller_id, shop_id, market, tier, health_score, standing,
                                        opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (seller_id) DO NOTHING RETURNING true""",
        account.seller_id, account.shop_id, account.market, account.tier, account.health_score,
        account.standing.value, account.opened_at,
    )
    return bool(inserted)


async def get(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID) -> SellerAccount | None:
    row = await conn.fetchrow("SELECT * FROM seller_accounts WHERE seller_id = $1", seller_id)
    if row is None:
        return None
    return SellerAccount(
        seller_id=row["seller_id"], shop_id=row["shop_id"], market=row["market"],
        tier=row["tier"], health_score=row["health_score"], standing=Standing(row["standing"]),
        opened_at=row["opened_at"],
    )


async def set_standing(conn: asyncpg.Connection, seller_id: UUID, standing: Standing) -> bool:
    result = await conn.execute(
        "UPDATE seller_accounts SET standing = $2 WHERE seller_id = $1", seller_id, standing.value)
    return str(result) != "UPDATE 0"
