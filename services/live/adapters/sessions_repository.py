"""Postgres persistence of sessions, their showcase and pins, hosts' partnerships, and live's
view of catalog's listings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from services.live.domain.sessions import HostKind, LiveSession, SessionStatus

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


def to_session(row: asyncpg.Record) -> LiveSession:
    return LiveSession(id=row["id"], seller_id=row["seller_id"],
                       host_kind=HostKind(row["host_kind"]), host_id=row["host_id"],
                       title=row["title"], scheduled_for=row["scheduled_for"],
                       status=SessionStatus(row["status"]), started_at=row["started_at"],
                       ended_at=row["ended_at"])


async def add(conn: Conn, session: LiveSession) -> None:
    await conn.execute(
        """INSERT INTO sessions (id, seller_id, host_kind, host_id, title, scheduled_for, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        session.id, session.seller_id, session.host_kind.value, session.host_id, session.title,
        session.scheduled_for, session.status.value)


async def get(conn: Conn, session_id: UUID, *, for_update: bool = False) -> LiveSession | None:
    row = await conn.fetchrow(
        "SELECT * FROM sessions WHERE id = $1 FOR UPDATE" if for_update
        else "SELECT * FROM sessions WHERE id = $1",
        session_id)
    return to_session(row) if row else None


async def row(conn: Conn, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM sessions WHERE id = $1", session_id)


async def save_state(conn: Conn, session: LiveSession) -> None:
    await conn.execute(
        "UPDATE sessions SET status = $2, started_at = $3, ended_at = $4 WHERE id = $1",
        session.id, session.status.value, session.started_at, session.ended_at)


async def save_audience(conn: Conn, session_id: UUID, peak: int, unique: int) -> None:
    await conn.execute(
        "UPDATE sessions SET peak_viewers = $2, unique_viewers = $3 WHERE id = $1",
        session_id, peak, unique)


async def listing(conn: Conn, *, seller_id: UUID | None = None,
                  status: str | None = None, after: tuple[datetime, UUID] | None,
                  limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT * FROM sessions
           WHERE ($1::uuid IS NULL OR seller_id = $1) AND ($2::text IS NULL OR status = $2)
             AND ($3::timestamptz IS NULL OR (scheduled_for, id) < ($3, $4))
           ORDER BY scheduled_for DESC, id DESC LIMIT $5""",
        seller_id, status, after[0] if after else None, after[1] if after else None, limit))


async def set_pinned_message(conn: Conn, session_id: UUID, message: dict[str, Any] | None) -> None:
    await conn.execute("UPDATE sessions SET pinned_message = $2 WHERE id = $1",
                       session_id, message)


# Partnerships -----------------------------------------------------------------------------

async def invite(conn: Conn, seller_id: UUID, creator_id: str) -> None:
    """A shop invites a creator; an invitation or partnership that exists stays as it is."""
    await conn.execute(
        "INSERT INTO creator_partners (seller_id, creator_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING", seller_id, creator_id)


async def accept(conn: Conn, seller_id: UUID, creator_id: str,
                 creator_subject: str) -> asyncpg.Record | None:
    """The creator accepts the shop's invitation; None when there is none."""
    return await conn.fetchrow(
        """UPDATE creator_partners
           SET status = 'active', accepted_at = coalesce(accepted_at, now()),
               creator_subject = $3
           WHERE seller_id = $1 AND creator_id = $2 RETURNING *""",
        seller_id, creator_id, creator_subject)


async def end_partnership(conn: Conn, seller_id: UUID, creator_id: str) -> bool:
    """Either side ends it (or withdraws or declines the invitation)."""
    return _changed(await conn.execute(
        "DELETE FROM creator_partners WHERE seller_id = $1 AND creator_id = $2",
        seller_id, creator_id))


async def partners(conn: Conn, seller_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT * FROM creator_partners WHERE seller_id = $1 ORDER BY invited_at, creator_id",
        seller_id))


async def shops_of(conn: Conn, creator_id: str) -> list[asyncpg.Record]:
    """A creator's invitations and partnerships."""
    return list(await conn.fetch(
        "SELECT * FROM creator_partners WHERE creator_id = $1 ORDER BY invited_at, seller_id",
        creator_id))


async def partnership(conn: Conn, seller_id: UUID, creator_id: str) -> asyncpg.Record | None:
    """The partnership if the creator accepted it."""
    return await conn.fetchrow(
        "SELECT * FROM creator_partners WHERE seller_id = $1 AND creator_id = $2 "
        "AND status = 'active'", seller_id, creator_id)


async def are_partners(conn: Conn, seller_id: UUID, creator_id: str) -> bool:
    return await partnership(conn, seller_id, creator_id) is not None


async def record_tap(conn: Conn, tap_id: UUID, session_id: UUID, product_id: UUID,
                     buyer_id: str, creator_id: str | None) -> None:
    await conn.execute(
        "INSERT INTO product_taps (id, session_id, product_id, buyer_id, creator_id) "
        "VALUES ($1, $2, $3, $4, $5)", tap_id, session_id, product_id, buyer_id, creator_id)


# Showcase and pins --------------------------------------------------------------------------

async def showcase_add(conn: Conn, session_id: UUID, product_id: UUID) -> None:
    await conn.execute("INSERT INTO showcase (session_id, product_id) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING", session_id, product_id)


async def showcase_remove(conn: Conn, session_id: UUID, product_id: UUID) -> bool:
    return _changed(await conn.execute("DELETE FROM showcase WHERE session_id = $1 AND product_id = $2",
                              session_id, product_id))


async def showcase(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT s.product_id, s.added_at,
                  coalesce(bool_or(l.live), false) AS live,
                  coalesce(json_agg(json_build_object(
                      'sku_id', l.sku_id, 'price_minor', l.price_minor,
                      'currency', l.currency)) FILTER (WHERE l.sku_id IS NOT NULL), '[]') AS skus
           FROM showcase s LEFT JOIN listings l ON l.product_id = s.product_id
           WHERE s.session_id = $1 GROUP BY s.product_id, s.added_at ORDER BY s.added_at""",
        session_id))


async def is_showcased(conn: Conn, session_id: UUID, product_id: UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM showcase WHERE session_id = $1 AND product_id = $2",
        session_id, product_id))


async def pin(conn: Conn, pin_id: UUID, session_id: UUID, product_id: UUID,
              at: datetime) -> None:
    await conn.execute("UPDATE pins SET unpinned_at = $2 WHERE session_id = $1 "
                       "AND unpinned_at IS NULL", session_id, at)
    await conn.execute("INSERT INTO pins (id, session_id, product_id, pinned_at) "
                       "VALUES ($1, $2, $3, $4)", pin_id, session_id, product_id, at)


async def unpin(conn: Conn, session_id: UUID, at: datetime) -> bool:
    return _changed(await conn.execute("UPDATE pins SET unpinned_at = $2 WHERE session_id = $1 "
                              "AND unpinned_at IS NULL", session_id, at))


async def pins(conn: Conn, session_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT id, product_id, pinned_at, unpinned_at FROM pins WHERE session_id = $1 "
        "ORDER BY pinned_at", session_id))


# Listings (catalog's view) ------------------------------------------------------------------

async def upsert_listing(conn: Conn, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        """INSERT INTO listings (sku_id, product_id, seller_id, price_minor, currency, live)
           VALUES ($1, $2, $3, $4, $5, true)
           ON CONFLICT (sku_id) DO UPDATE SET price_minor = EXCLUDED.price_minor,
               live = true, updated_at = now()""", rows)


async def set_prices(conn: Conn, prices: list[tuple[UUID, int]]) -> None:
    await conn.executemany("UPDATE listings SET price_minor = $2, updated_at = now() "
                           "WHERE sku_id = $1", prices)


async def set_product_live(conn: Conn, product_id: UUID, live: bool) -> None:
    await conn.execute("UPDATE listings SET live = $2, updated_at = now() "
                       "WHERE product_id = $1", product_id, live)


async def set_standing(conn: Conn, seller_id: UUID, status: str) -> None:
    await conn.execute(
        """INSERT INTO seller_standing (seller_id, status) VALUES ($1, $2)
           ON CONFLICT (seller_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()""",
        seller_id, status)


async def standing(conn: Conn, seller_id: UUID) -> str | None:
    status: str | None = await conn.fetchval(
        "SELECT status FROM seller_standing WHERE seller_id = $1", seller_id)
    return status


async def set_seller_live(conn: Conn, seller_id: UUID, live: bool) -> None:
    await conn.execute("UPDATE listings SET live = $2, updated_at = now() "
                       "WHERE seller_id = $1", seller_id, live)


async def set_available(conn: Conn, sku_id: UUID, available: int) -> None:
    await conn.execute("UPDATE listings SET available = $2, updated_at = now() "
                       "WHERE sku_id = $1", sku_id, available)


async def product_listings(conn: Conn, product_id: UUID) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM listings WHERE product_id = $1", product_id))


async def products_of_skus(conn: Conn, sku_ids: list[UUID]) -> dict[UUID, UUID]:
    """SKU -> product, for the SKUs live knows."""
    return {r["sku_id"]: r["product_id"] for r in await conn.fetch(
        "SELECT sku_id, product_id FROM listings WHERE sku_id = ANY($1::uuid[])", sku_ids)}


async def sku_listing(conn: Conn, sku_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM listings WHERE sku_id = $1", sku_id)


def _changed(status: str) -> bool:
    """Whether a DELETE or UPDATE touched any row."""
    return not status.endswith(" 0")


async def set_orders_status(conn: asyncpg.Connection, order_ids: list[UUID], status: str) -> None:
    """The session lines of these orders (if any) are now paid or cancelled."""
    await conn.execute(
        "UPDATE session_order_lines SET status = $2 WHERE order_id = ANY($1::uuid[])",
        order_ids, status)
