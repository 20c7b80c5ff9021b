"""Sellers' API keys, accepted by services other than catalog (which issues them).

Catalog announces each key's look-up prefix and digest (`api_key.issued`) and its revocation
(`api_key.revoked`); a service keeps them in its own `seller_api_keys` table (`DDL`, created by
its migration) with these handlers, and resolves `X-Api-Key` with `resolver`. The key itself
never leaves catalog's response to the seller. Revocation takes effect here when the event
arrives (seconds), which the seller's documentation states.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg

from libs.auth import api_keys
from libs.auth.principal import Principal, Role
from libs.errors import Problem
from libs.events.envelope import Envelope
from libs.events.schemas.catalog import ApiKeyIssued, ApiKeyRevoked

DDL = """
CREATE TABLE seller_api_keys (
    key_id      uuid PRIMARY KEY,
    seller_id   uuid NOT NULL,
    shop_id     uuid NOT NULL,
    prefix      text NOT NULL UNIQUE,
    digest      text NOT NULL,
    revoked_at  timestamptz
);
"""

Standing = Callable[[Any, UUID], Awaitable[str | None]]
"""The seller's standing as the service knows it (`verified`, `pending`, `suspended`)."""


async def on_issued(conn: asyncpg.Connection, envelope: Envelope, event: ApiKeyIssued) -> None:
    await conn.execute(
        """INSERT INTO seller_api_keys (key_id, seller_id, shop_id, prefix, digest)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING""",
        event.key_id, event.seller_id, event.shop_id, event.prefix, event.digest)


async def on_revoked(conn: asyncpg.Connection, envelope: Envelope, event: ApiKeyRevoked) -> None:
    await conn.execute(
        """UPDATE seller_api_keys SET revoked_at = coalesce(revoked_at, $2)
           WHERE key_id = $1""", event.key_id, event.revoked_at)


HANDLERS: dict[str, Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]] = {
    "api_key.issued": on_issued, "api_key.revoked": on_revoked}
"""Add to a service's handlers (`libs.consumer.Handler` shape)."""


def resolver(runtime: Any, standing: Standing) -> Callable[[str], Awaitable[Principal | None]]:
    """Resolves an `X-Api-Key` to the seller it belongs to; a suspended seller is refused."""

    async def resolve(plaintext: str) -> Principal | None:
        prefix = api_keys.parse_prefix(plaintext)
        if prefix is None:
            return None
        row = await runtime.db.fetchrow(
            """SELECT key_id, seller_id, shop_id, digest FROM seller_api_keys
               WHERE prefix = $1 AND revoked_at IS NULL""", prefix)
        if row is None or not api_keys.matches(plaintext, row["digest"]):
            return None
        if await standing(runtime.db, row["seller_id"]) == "suspended":
            raise Problem(403, "Forbidden", "The seller is suspended.")
        return Principal(subject=f"api-key:{row['key_id']}", roles=frozenset({Role.SELLER}),
                         seller_id=str(row["seller_id"]), shop_id=str(row["shop_id"]),
                         via_api_key=True)

    return resolve
