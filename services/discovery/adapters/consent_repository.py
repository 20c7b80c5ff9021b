"""Buyers as discovery knows them: their verified birthdate (for purchases that arrive by event,
with no token to read it from), their consent and its history."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg


async def note_buyer(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str, market: str,
                     birthdate: date | None, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO buyers (buyer_id, market, birthdate, seen_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (buyer_id) DO UPDATE SET market = EXCLUDED.market,
               birthdate = EXCLUDED.birthdate, seen_at = EXCLUDED.seen_at
           WHERE (buyers.market, buyers.birthdate) IS DISTINCT FROM
                 (EXCLUDED.market, EXCLUDED.birthdate)""",
        buyer_id, market, birthdate, at)


async def buyer(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT b.buyer_id, b.market, b.birthdate, c.personalised
             FROM buyers b LEFT JOIN consents c ON c.buyer_id = b.buyer_id
            WHERE b.buyer_id = $1""", buyer_id)


async def consent(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str) -> bool | None:
    value: bool | None = await conn.fetchval(
        "SELECT personalised FROM consents WHERE buyer_id = $1", buyer_id)
    return value


async def record(conn: asyncpg.Connection, buyer_id: str, personalised: bool, market: str,
                 at: datetime) -> bool:
    """Records the choice; False when it was already the buyer's choice (nothing changed)."""
    changed = await conn.fetchval(
        """INSERT INTO consents (buyer_id, personalised, market, changed_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (buyer_id) DO UPDATE SET personalised = EXCLUDED.personalised,
               market = EXCLUDED.market, changed_at = EXCLUDED.changed_at
           WHERE consents.personalised IS DISTINCT FROM EXCLUDED.personalised
           RETURNING true""", buyer_id, personalised, market, at)
    if changed:
        await conn.execute(
            """INSERT INTO consent_history (buyer_id, personalised, market, changed_at)
               VALUES ($1, $2, $3, $4)""", buyer_id, personalised, market, at)
    return bool(changed)


async def history(conn: asyncpg.Connection | asyncpg.Pool, buyer_id: str
                  ) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT personalised, market, changed_at FROM consent_history
            WHERE buyer_id = $1 ORDER BY id""", buyer_id))


async def forget_history(conn: asyncpg.Connection, buyer_id: str) -> None:
    """Turning personalisation off deletes what was kept to personalise."""
    await conn.execute("DELETE FROM buyer_interactions WHERE buyer_id = $1", buyer_id)
