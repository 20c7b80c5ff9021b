"""Postgres persistence of seller accounts and their violations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs.db.sql import locking
from services.support.domain.health import Violation, ViolationKind
from services.support.domain.seller_accounts import SellerAccount, Standing

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def add_if_absent(conn: asyncpg.Connection, account: SellerAccount) -> bool:
    inserted = await conn.fetchval(
        """INSERT INTO seller_accounts (seller_id, shop_id, market, origin, health_score, standing,
                                        opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (seller_id) DO NOTHING RETURNING true""",
        account.seller_id, account.shop_id, account.market, account.origin, account.health_score,
        account.standing.value, account.opened_at,
    )
    return bool(inserted)


async def get(conn: Conn, seller_id: UUID, *, for_update: bool = False) -> SellerAccount | None:
    row = await conn.fetchrow(locking("SELECT * FROM seller_accounts WHERE seller_id = $1", for_update),
                              seller_id)
    if row is None:
        return None
    return SellerAccount(
        seller_id=row["seller_id"], shop_id=row["shop_id"], market=row["market"],
        origin=row["origin"], health_score=row["health_score"],
        standing=Standing(row["standing"]), opened_at=row["opened_at"],
        catalog_status=row["catalog_status"], warned_at=row["warned_at"],
        suspended_at=row["suspended_at"], suspension_reason=row["suspension_reason"],
        suspended_by=row["suspended_by"])


async def catalog_status(conn: Conn, seller_id: UUID) -> str | None:
    status: str | None = await conn.fetchval(
        "SELECT catalog_status FROM seller_accounts WHERE seller_id = $1", seller_id)
    return status


async def set_catalog_status(conn: asyncpg.Connection, seller_id: UUID, status: str) -> bool:
    result = await conn.execute(
        "UPDATE seller_accounts SET catalog_status = $2 WHERE seller_id = $1", seller_id, status)
    return str(result) != "UPDATE 0"


async def save_health(conn: asyncpg.Connection, account: SellerAccount) -> None:
    await conn.execute(
        """UPDATE seller_accounts SET health_score = $2, standing = $3, warned_at = $4,
                  suspended_at = $5, suspension_reason = $6, suspended_by = $7
           WHERE seller_id = $1""",
        account.seller_id, account.health_score, account.standing.value, account.warned_at,
        account.suspended_at, account.suspension_reason, account.suspended_by)


async def add_violation(conn: asyncpg.Connection, *, violation_id: UUID, seller_id: UUID,
                        kind: ViolationKind, points: int, reference: str,
                        occurred_at: datetime) -> bool:
    inserted = await conn.fetchval(
        """INSERT INTO violations (id, seller_id, kind, points, reference, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        violation_id, seller_id, kind.value, points, reference, occurred_at)
    return bool(inserted)


async def violations(conn: Conn, seller_id: UUID, since: datetime) -> list[Violation]:
    rows = await conn.fetch(
        """SELECT kind, points, occurred_at, forgiven_at IS NOT NULL AS forgiven FROM violations
           WHERE seller_id = $1 AND occurred_at > $2""", seller_id, since)
    return [Violation(ViolationKind(r["kind"]), r["points"], r["occurred_at"], r["forgiven"])
            for r in rows]


async def violation_list(conn: Conn, seller_id: UUID, limit: int = 100) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        """SELECT id, kind, points, reference, occurred_at, forgiven_at FROM violations
           WHERE seller_id = $1 ORDER BY occurred_at DESC LIMIT $2""", seller_id, limit)]


async def forgive(conn: asyncpg.Connection, seller_id: UUID, at: datetime) -> int:
    result = await conn.execute(
        "UPDATE violations SET forgiven_at = $2 WHERE seller_id = $1 AND forgiven_at IS NULL",
        seller_id, at)
    return int(str(result).split()[-1])
