"""Postgres persistence of gift-token top-up intents (one row from request to outcome)."""

from __future__ import annotations

from typing import TypeAlias
from uuid import UUID

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def open_intent(conn: asyncpg.Connection, intent_id: UUID, *, buyer_id: str, tokens: int,
                      amount_minor: int, currency: str, payment_method: str, card_last4: str,
                      idempotency_key: str | None) -> UUID | None:
    """Opens an intent, or returns the one this buyer opened with the same key and the same
    terms; None when the key was used for different terms."""
    row = await conn.fetchrow(
        """INSERT INTO topup_intents (id, buyer_id, tokens, amount_minor, currency,
                                      payment_method, card_last4, idempotency_key, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')
           ON CONFLICT (buyer_id, idempotency_key) DO NOTHING RETURNING id""",
        intent_id, buyer_id, tokens, amount_minor, currency, payment_method, card_last4,
        idempotency_key)
    if row is not None:
        return UUID(str(row["id"]))
    earlier = await conn.fetchrow(
        "SELECT * FROM topup_intents WHERE buyer_id = $1 AND idempotency_key = $2",
        buyer_id, idempotency_key)
    assert earlier is not None
    same = (earlier["tokens"], earlier["currency"], earlier["payment_method"]) == (
        tokens, currency, payment_method)
    return UUID(str(earlier["id"])) if same else None


async def intent(conn: Conn, intent_id: UUID, *,
                 for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM topup_intents WHERE id = $1 FOR UPDATE" if for_update
        else "SELECT * FROM topup_intents WHERE id = $1", intent_id)


async def failure(conn: Conn, intent_id: UUID) -> str:
    return str(await conn.fetchval("SELECT failure FROM topup_intents WHERE id = $1", intent_id))


async def fail(conn: asyncpg.Connection, intent_id: UUID, reason: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE topup_intents SET status = 'failed', failure = $2, settled_at = now() "
        "WHERE id = $1 RETURNING *", intent_id, reason)
    assert row is not None
    return row


async def succeed(conn: asyncpg.Connection, intent_id: UUID,
                  payment_id: UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        """UPDATE topup_intents SET status = 'succeeded', payment_id = $2, paid_at = now(),
                                    settled_at = now()
           WHERE id = $1 RETURNING *""", intent_id, payment_id)
    assert row is not None
    await conn.execute(
        """INSERT INTO wallet_topups (id, buyer_id, tokens, amount_minor, currency, payment_id,
                                      card_last4, paid_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        intent_id, row["buyer_id"], row["tokens"], row["amount_minor"], row["currency"],
        payment_id, row["card_last4"], row["paid_at"])
    return row
