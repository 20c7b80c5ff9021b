"""Sellers' API keys: issued and revoked here, announced to the other services (prefix and
digest only) so a seller's system can use one key everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from libs.auth import api_keys
from libs.events.schemas.catalog import ApiKeyIssued, ApiKeyRevoked
from libs.ids import new_id
from libs.outbox import enqueue
from services.catalog.adapters import api_keys_repository
from services.catalog.adapters.api_keys_repository import StoredKey


async def issue(conn: asyncpg.Connection, seller_id: UUID,
                name: str) -> tuple[api_keys.IssuedKey, StoredKey]:
    issued = api_keys.issue()
    stored = StoredKey(id=new_id(), seller_id=seller_id, name=name, prefix=issued.prefix,
                       created_at=datetime.now(UTC), last_used_at=None, revoked_at=None)
    await api_keys_repository.add(conn, stored, issued.digest)
    shop_id = await conn.fetchval("SELECT id FROM shops WHERE seller_id = $1", seller_id)
    await enqueue(conn, "catalog", ApiKeyIssued(
        seller_id=seller_id, shop_id=shop_id, key_id=stored.id, prefix=issued.prefix,
        digest=issued.digest, issued_at=stored.created_at))
    return issued, stored


async def revoke(conn: asyncpg.Connection, seller_id: UUID, key_id: UUID) -> bool:
    if not await api_keys_repository.revoke(conn, seller_id, key_id):
        return False
    await enqueue(conn, "catalog", ApiKeyRevoked(seller_id=seller_id, key_id=key_id,
                                                 revoked_at=datetime.now(UTC)))
    return True
