"""Postgres persistence of flash deals and claims (Redis decides claims; this is the record)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg

from services.live.domain.deals import DealTally

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def add(conn: Conn, *, deal_id: UUID, session_id: UUID, seller_id: UUID, product_id: UUID,
              sku_id: UUID, deal_price_minor: int, currency: str, quantity: int,
              per_buyer_limit: int, starts_at: datetime, ends_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO deals (id, session_id, seller_id, product_id, sku_id, deal_price_minor,
                              currency, quantity, per_buyer_limit, starts_at, ends_at, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'awaiting_stock')""",
        deal_id, session_id, seller_id, product_id, sku_id, deal_price_minor, currency,
        quantity, per_buyer_limit, starts_at, ends_at)


async def get(conn: Conn, deal_id: UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM deals WHERE id = $1 FOR UPDATE" if for_update
        else "SELECT * FROM deals WHERE id = $1", deal_id)


async def advance_redis_epoch(conn: asyncpg.Connection, deal_id: UUID) -> asyncpg.Record | None:
    """Moves a deal that is set up (ready or live) to a new Redis epoch, never used before
    (a sequence), and locks it until the caller's transaction ends, so no grant records
    meanwhile; None for any other deal. `previous_epoch` is the one Postgres kept until now."""
    return await conn.fetchrow(
        "WITH kept AS (SELECT id, redis_epoch FROM deals "
        "              WHERE id = $1 AND status IN ('ready', 'live') FOR UPDATE) "
        "UPDATE deals d SET redis_epoch = nextval('deal_redis_epochs') FROM kept "
        "WHERE d.id = kept.id "
        "RETURNING d.quantity, d.per_buyer_limit, d.starts_at, d.ends_at, d.redis_epoch, "
        "          kept.redis_epoch AS previous_epoch", deal_id)


async def redis_epochs(conn: asyncpg.Connection, deal_ids: set[UUID]) -> dict[UUID, int]:
    """The deals' Redis epochs, share-locked until the caller's transaction ends, so that no
    rebuild counts the deals' claims while grants are being recorded against them."""
    rows = await conn.fetch("SELECT id, redis_epoch FROM deals WHERE id = ANY($1::uuid[]) "
                            "FOR SHARE", list(deal_ids))
    return {row["id"]: row["redis_epoch"] for row in rows}


async def of_session(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM deals WHERE session_id = $1 ORDER BY created_at",
                                 session_id))


async def running_on_sku(conn: Conn, sku_id: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM deals WHERE sku_id = $1 "
        "AND status IN ('awaiting_stock', 'ready', 'live') LIMIT 1", sku_id))


async def set_status(conn: Conn, deal_id: UUID, status: str, *, expected: tuple[str, ...],
                     unclaimed_at_end: int | None = None) -> bool:
    return _changed(await conn.execute(
        """UPDATE deals SET status = $2, unclaimed_at_end = coalesce($4, unclaimed_at_end)
           WHERE id = $1 AND status = ANY($3::text[])""",
        deal_id, status, list(expected), unclaimed_at_end))


async def live_in_session(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT * FROM deals WHERE session_id = $1 "
        "AND status IN ('awaiting_stock', 'ready', 'live') FOR UPDATE", session_id))


# Claims -------------------------------------------------------------------------------------

async def add_claims(conn: Conn, claims: list[tuple[UUID, UUID, UUID, str, UUID, int,
                                                   datetime]]) -> None:
    """Active claims `(id, deal, session, buyer, sku, units, expires_at)`, in one statement."""
    await conn.execute(
        """INSERT INTO claims (id, deal_id, session_id, buyer_id, sku_id, quantity, status,
                               expires_at)
           SELECT c.id, c.deal_id, c.session_id, c.buyer_id, c.sku_id, c.quantity, 'active',
                  c.expires_at
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::int[],
                       $7::timestamptz[])
                AS c (id, deal_id, session_id, buyer_id, sku_id, quantity, expires_at)""",
        *(list(column) for column in zip(*claims, strict=True)))


async def bar_unrecorded(conn: Conn, deal: asyncpg.Record, grants: list[tuple[UUID, str, int]],
                         fenced: set[UUID]) -> dict[UUID, bool]:
    """Writes an 'abandoned' row for each grant `(claim id, buyer, units)` that has no claim
    row, so its recording can never commit after this (it would collide on the id). Those in
    `fenced` were decided under a Redis epoch the deal has left: no count holds their units,
    so they are settled at once ('fenced'), with nothing to hand back. Returns, for each
    grant, whether its units still have to go back (abandoned and not settled)."""
    ids = [g[0] for g in grants]
    await conn.execute(
        """INSERT INTO claims (id, deal_id, session_id, buyer_id, sku_id, quantity, status,
                               expires_at, returned_to, settled_at)
           SELECT g.id, $1, $2, g.buyer_id, $3, g.quantity, 'abandoned', now(),
                  CASE WHEN g.id = ANY($7::uuid[]) THEN 'fenced' END,
                  CASE WHEN g.id = ANY($7::uuid[]) THEN now() END
           FROM unnest($4::uuid[], $5::text[], $6::int[]) AS g (id, buyer_id, quantity)
           ON CONFLICT (id) DO NOTHING""",
        deal["id"], deal["session_id"], deal["sku_id"], ids, [g[1] for g in grants],
        [g[2] for g in grants], list(fenced))
    rows = await conn.fetch("SELECT id, status, returned_to FROM claims WHERE id = ANY($1::uuid[])",
                            ids)
    return {row["id"]: row["status"] == "abandoned" and row["returned_to"] is None
            for row in rows}


async def abandoned(conn: Conn, deal_id: UUID) -> list[asyncpg.Record]:
    """Grants barred from being recorded (status 'abandoned', for good) whose units have not
    gone back yet."""
    return list(await conn.fetch(
        "SELECT * FROM claims WHERE deal_id = $1 AND status = 'abandoned' "
        "AND returned_to IS NULL ORDER BY id",
        deal_id))


async def buyer_claims(conn: Conn, deal_id: UUID, buyer_id: str) -> list[asyncpg.Record]:
    """The buyer's claims (not grants barred before they were recorded: never theirs)."""
    return list(await conn.fetch(
        "SELECT * FROM claims WHERE deal_id = $1 AND buyer_id = $2 AND status <> 'abandoned' "
        "ORDER BY created_at",
        deal_id, buyer_id))


async def consume(conn: Conn, claim_id: UUID, order_id: UUID) -> asyncpg.Record | None:
    """Active (or, late, already expired) claims become consumed; returns the claim as it was."""
    return await conn.fetchrow(
        """UPDATE claims c SET status = 'consumed', order_id = $2, settled_at = now()
           FROM claims old WHERE c.id = old.id AND c.id = $1
            AND c.status NOT IN ('consumed', 'paid', 'abandoned')
           RETURNING old.*""", claim_id, order_id)


async def get_claim(conn: Conn, claim_id: UUID, *,
                    for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM claims WHERE id = $1 FOR UPDATE" if for_update
        else "SELECT * FROM claims WHERE id = $1", claim_id)


async def of_order(conn: Conn, order_id: UUID) -> list[asyncpg.Record]:
    """The claims an order checked out (consumed or paid), locked."""
    return list(await conn.fetch(
        "SELECT * FROM claims WHERE order_id = $1 AND status IN ('consumed', 'paid') "
        "ORDER BY id FOR UPDATE", order_id))


async def mark_paid(conn: Conn, order_ids: list[UUID]) -> None:
    await conn.execute("UPDATE claims SET status = 'paid' WHERE order_id = ANY($1::uuid[]) "
                       "AND status = 'consumed'", order_ids)


async def give_back_to_buyer(conn: Conn, claim_id: UUID) -> None:
    """The claim's order was cancelled inside its payment window: it is active again."""
    await conn.execute("UPDATE claims SET status = 'active', order_id = NULL, settled_at = NULL "
                       "WHERE id = $1", claim_id)


async def handed_back(conn: Conn, claim_id: UUID, returned_to: str) -> bool:
    """An abandoned grant's units went back; it stays 'abandoned' (no buyer ever held it).
    False when it was handed back already."""
    return _changed(await conn.execute(
        "UPDATE claims SET returned_to = $2, settled_at = now() "
        "WHERE id = $1 AND status = 'abandoned' AND returned_to IS NULL", claim_id, returned_to))


async def expire(conn: Conn, claim_id: UUID, returned_to: str) -> None:
    await conn.execute(
        "UPDATE claims SET status = 'expired', returned_to = $2, settled_at = now() "
        "WHERE id = $1", claim_id, returned_to)


async def units_held(conn: Conn, deal_id: UUID) -> dict[str, int]:
    """Units each buyer's claims hold out of the deal (claimed, checking out or sold, or
    abandoned and not yet handed back; an expired or abandoned claim's units went back to the
    deal or to stock)."""
    rows = await conn.fetch(
        "SELECT buyer_id, sum(quantity) AS units FROM claims WHERE deal_id = $1 "
        "AND (status IN ('active', 'consumed', 'paid') OR returned_to = 'stock' "
        "     OR (status = 'abandoned' AND returned_to IS NULL)) "
        "GROUP BY buyer_id", deal_id)
    return {r["buyer_id"]: int(r["units"]) for r in rows}


async def tally(conn: Conn, deal_id: UUID) -> DealTally:
    row = await conn.fetchrow(
        """SELECT d.quantity, d.unclaimed_at_end,
                  coalesce(sum(c.quantity) FILTER (WHERE c.status = 'paid'), 0) AS sold,
                  coalesce(sum(c.quantity) FILTER (WHERE c.status IN ('active', 'consumed')),
                           0) AS held,
                  coalesce(sum(c.quantity) FILTER (WHERE c.status = 'expired'
                                                   AND c.returned_to = 'stock'), 0) AS returned
           FROM deals d LEFT JOIN claims c ON c.deal_id = d.id
           WHERE d.id = $1 GROUP BY d.id""", deal_id)
    return DealTally(quantity=row["quantity"], sold=row["sold"], held=row["held"],
                     returned_to_stock=row["returned"], unclaimed_at_end=row["unclaimed_at_end"])


def _changed(status: str) -> bool:
    """Whether a DELETE or UPDATE touched any row."""
    return not status.endswith(" 0")
