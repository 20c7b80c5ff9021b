"""Postgres persistence of sellers and shops."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.catalog.domain.sellers import BusinessType, Seller, SellerStatus, Tier

_SELECT = """SELECT s.id, s.owner_subject, s.legal_name, s.country, s.business_type, s.tier,
                    s.status, s.created_at, sh.id AS shop_id, sh.market, sh.currency
             FROM sellers s JOIN shops sh ON sh.seller_id = s.id"""


class SellerAlreadyRegistered(Exception):
    pass


def _to_seller(row: asyncpg.Record) -> Seller:
    return Seller(
        id=row["id"], shop_id=row["shop_id"], owner_subject=row["owner_subject"],
        legal_name=row["legal_name"], country=row["country"],
        business_type=BusinessType(row["business_type"]), market=row["market"],
        currency=row["currency"], tier=Tier(row["tier"]), status=SellerStatus(row["status"]),
        created_at=row["created_at"],
    )


async def add(conn: asyncpg.Connection, seller: Seller) -> None:
    try:
        await conn.execute(
            """INSERT INTO sellers (id, owner_subject, legal_name, country, business_type, tier,
                                    status, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            seller.id, seller.owner_subject, seller.legal_name, seller.country,
            seller.business_type.value, seller.tier.value, seller.status.value, seller.created_at,
        )
    except asyncpg.UniqueViolationError as exc:
        raise SellerAlreadyRegistered(seller.owner_subject) from exc
    await conn.execute(
        "INSERT INTO shops (id, seller_id, market, currency) VALUES ($1, $2, $3, $4)",
        seller.shop_id, seller.id, seller.market, seller.currency,
    )


async def get(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID) -> Seller | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE s.id = $1",
        seller_id,
    )
    return _to_seller(row) if row else None


async def list_page(
    conn: asyncpg.Connection | asyncpg.Pool, *, status: SellerStatus | None,
    after: tuple[Any, UUID] | None, limit: int,
) -> list[Seller]:
    """Newest first; `after` is the (created_at, id) of the last seller of the previous page."""
    rows = await conn.fetch(
        _SELECT + """
            WHERE ($1::text IS NULL OR s.status = $1)
              AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2, $3))
            ORDER BY s.created_at DESC, s.id DESC LIMIT $4""",
        status.value if status else None, after[0] if after else None,
        after[1] if after else None, limit,
    )
    return [_to_seller(r) for r in rows]


async def get_for_update(conn: asyncpg.Connection, seller_id: UUID) -> Seller | None:
    row = await conn.fetchrow(_SELECT + " WHERE s.id = $1 FOR UPDATE OF s", seller_id)
    return _to_seller(row) if row else None


async def record_status_change(
    conn: asyncpg.Connection, seller: Seller, *, actor: str, reason: str | None,
) -> None:
    await conn.execute("UPDATE sellers SET status = $2 WHERE id = $1", seller.id,
                       seller.status.value)
    await conn.execute(
        """INSERT INTO seller_status_changes (seller_id, status, actor, reason)
           VALUES ($1, $2, $3, $4)""",
        seller.id, seller.status.value, actor, reason,
    )


async def status_history(conn: asyncpg.Pool | asyncpg.Connection, seller_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT status, actor, reason, changed_at FROM seller_status_changes
           WHERE seller_id = $1 ORDER BY id""", seller_id))


async def product_ids(conn: asyncpg.Connection, seller_id: UUID) -> list[UUID]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM products WHERE seller_id = $1",
                                              seller_id)]
