"""Postgres persistence of seller API keys (digests only; the plaintext is never stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class StoredKey:
    id: UUID
    seller_id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


async def add(conn: asyncpg.Connection, key: StoredKey, digest: str) -> None:
    await conn.execute(
        """INSERT INTO seller_api_keys (id, seller_id, name, prefix, digest, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        key.id, key.seller_id, key.name, key.prefix, digest, key.created_at,
    )


async def list_for_seller(pool: asyncpg.Pool, seller_id: UUID) -> list[StoredKey]:
    rows = await pool.fetch(
        """SELECT id, seller_id, name, prefix, created_at, last_used_at, revoked_at
           FROM seller_api_keys WHERE seller_id = $1 ORDER BY created_at DESC""", seller_id)
    return [StoredKey(**dict(r)) for r in rows]


async def revoke(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID, key_id: UUID) -> bool:
    result = await conn.execute(
        """UPDATE seller_api_keys SET revoked_at = coalesce(revoked_at, now())
           WHERE id = $1 AND seller_id = $2""", key_id, seller_id)
    return str(result) != "UPDATE 0"


@dataclass(frozen=True)
class KeyOwner:
    key_id: UUID
    digest: str
    seller_id: UUID
    shop_id: UUID
    seller_status: str


async def find_active_by_prefix(pool: asyncpg.Pool, prefix: str) -> KeyOwner | None:
    row = await pool.fetchrow(
        """SELECT k.id AS key_id, k.digest, s.id AS seller_id, sh.id AS shop_id,
                  s.status AS seller_status
           FROM seller_api_keys k JOIN sellers s ON s.id = k.seller_id
           JOIN shops sh ON sh.seller_id = s.id
           WHERE k.prefix = $1 AND k.revoked_at IS NULL""", prefix)
    return KeyOwner(**dict(row)) if row else None


async def touch(pool: asyncpg.Pool, key_id: UUID) -> None:
    await pool.execute(
        """UPDATE seller_api_keys SET last_used_at = now()
           WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""",
        key_id)
