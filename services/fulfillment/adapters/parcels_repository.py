"""Fulfillment orders, their parcels, tracking history and FBT fees, in Postgres."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.sql import locking


def _lines(value: dict[str, int]) -> dict[UUID, int]:
    return {UUID(k): int(v) for k, v in value.items()}


def lines_json(lines: dict[UUID, int]) -> dict[str, int]:
    """SKU -> units as a JSON document (object keys are text)."""
    return {str(k): v for k, v in lines.items()}


@dataclass(frozen=True)
class NewOrder:
    order_id: UUID
    seller_id: UUID
    buyer_id: str
    market: str
    method: str
    ship_to: dict[str, Any]
    zone: str
    speed: str
    lines: dict[UUID, int]
    short: dict[UUID, int]
    ship_by: datetime
    deliver_by: datetime


@dataclass(frozen=True)
class NewParcel:
    parcel_id: UUID
    order_id: UUID
    seller_id: UUID
    origin: str
    warehouse_id: UUID | None
    status: str
    lines: dict[UUID, int]


@dataclass(frozen=True)
class Tracking:
    """A platform entry of an order's tracking history."""

    order_id: UUID
    parcel_id: UUID | None
    status: str
    note: str


async def known_orders(conn: asyncpg.Connection, order_ids: list[UUID]) -> set[UUID]:
    """Which of these orders fulfillment already has (their requests were redelivered)."""
    rows = await conn.fetch("SELECT order_id FROM fulfillment_orders "
                            "WHERE order_id = ANY($1::uuid[])", order_ids)
    return {r["order_id"] for r in rows}


async def add_orders(conn: asyncpg.Connection, orders: list[NewOrder], now: datetime) -> None:
    """Orders in one round trip; one already known (a redelivered request) is left as it is."""
    await conn.execute(
        """INSERT INTO fulfillment_orders (order_id, seller_id, buyer_id, market, method, status,
                                           ship_to, zone, speed, lines, short, ship_by,
                                           deliver_by, created_at, updated_at)
           SELECT o, s, b, m, h, 'open', t, z, p, l, x, sb, db, $13, $13
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                       $7::text[], $8::text[], $9::jsonb[], $10::jsonb[], $11::timestamptz[],
                       $12::timestamptz[]) AS n(o, s, b, m, h, t, z, p, l, x, sb, db)
           ON CONFLICT (order_id) DO NOTHING""",
        [o.order_id for o in orders], [o.seller_id for o in orders],
        [o.buyer_id for o in orders], [o.market for o in orders], [o.method for o in orders],
        [o.ship_to for o in orders], [o.zone for o in orders], [o.speed for o in orders],
        [lines_json(o.lines) for o in orders], [lines_json(o.short) for o in orders],
        [o.ship_by for o in orders], [o.deliver_by for o in orders], now)


async def add_parcels(conn: asyncpg.Connection, parcels: list[NewParcel], now: datetime) -> None:
    """Parcels in one round trip (`add_parcel`'s rows)."""
    if not parcels:
        return
    await conn.execute(
        """INSERT INTO parcels (id, order_id, seller_id, origin, warehouse_id, status, lines,
                                created_at, updated_at)
           SELECT *, $8, $8 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[],
                                        $5::uuid[], $6::text[], $7::jsonb[])""",
        [p.parcel_id for p in parcels], [p.order_id for p in parcels],
        [p.seller_id for p in parcels], [p.origin for p in parcels],
        [p.warehouse_id for p in parcels], [p.status for p in parcels],
        [lines_json(p.lines) for p in parcels], now)


async def track_many(conn: asyncpg.Connection, entries: list[Tracking], at: datetime) -> None:
    """Platform entries of tracking histories in one round trip, in the order given."""
    if not entries:
        return
    await conn.execute(
        """INSERT INTO tracking_events (order_id, parcel_id, status, note, source, at)
           SELECT o, p, s, n, 'platform', $5
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY
                AS e(o, p, s, n, place)
           ORDER BY place""",
        [e.order_id for e in entries], [e.parcel_id for e in entries],
        [e.status for e in entries], [e.note for e in entries], at)


async def get_order(conn: asyncpg.Connection | asyncpg.Pool, order_id: UUID, *,
                    for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        locking("SELECT * FROM fulfillment_orders WHERE order_id = $1", for_update), order_id)
    if row is None:
        return None
    order = dict(row)
    order["lines"], order["short"] = _lines(row["lines"]), _lines(row["short"])
    return order


async def set_order_status(conn: asyncpg.Connection, order_id: UUID, status: str,
                           now: datetime) -> None:
    await conn.execute("""UPDATE fulfillment_orders SET status = $2, updated_at = $3
                          WHERE order_id = $1""", order_id, status, now)


async def add_parcel(conn: asyncpg.Connection, *, parcel_id: UUID, order_id: UUID,
                     seller_id: UUID, origin: str, warehouse_id: UUID | None, status: str,
                     lines: dict[UUID, int], now: datetime) -> None:
    await conn.execute(
        """INSERT INTO parcels (id, order_id, seller_id, origin, warehouse_id, status, lines,
                                created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $8)""",
        parcel_id, order_id, seller_id, origin, warehouse_id, status, lines_json(lines), now)


_PARCEL_COLUMNS = {"status", "lines", "carrier", "service", "tracking_number", "weight_grams",
                   "billable_grams", "size_tier"}


def _parcel(row: Any) -> dict[str, Any]:
    parcel = dict(row)
    parcel["lines"] = _lines(row["lines"])
    return parcel


async def parcel(conn: asyncpg.Connection | asyncpg.Pool, parcel_id: UUID, *,
                 for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM parcels WHERE id = $1", for_update), parcel_id)
    return _parcel(row) if row else None


async def locked_parcel(conn: asyncpg.Connection, parcel_id: UUID) -> dict[str, Any] | None:
    """The parcel, locked after its order: every writer locks the order first, then its
    parcels, so two changes to one order cannot deadlock."""
    order_id = await conn.fetchval("SELECT order_id FROM parcels WHERE id = $1", parcel_id)
    if order_id is None:
        return None
    await conn.execute("SELECT 1 FROM fulfillment_orders WHERE order_id = $1 FOR UPDATE",
                       order_id)
    return await parcel(conn, parcel_id, for_update=True)


async def parcel_by_tracking(conn: asyncpg.Connection, carrier: str,
                             tracking_number: str) -> dict[str, Any] | None:
    parcel_id = await conn.fetchval(
        "SELECT id FROM parcels WHERE carrier = $1 AND tracking_number = $2",
        carrier, tracking_number)
    return await locked_parcel(conn, parcel_id) if parcel_id else None


async def parcels_of(conn: asyncpg.Connection | asyncpg.Pool, order_id: UUID, *,
                     for_update: bool = False) -> list[dict[str, Any]]:
    rows = await conn.fetch(locking(
        "SELECT * FROM parcels WHERE order_id = $1 ORDER BY created_at, id", for_update), order_id)
    return [_parcel(r) for r in rows]


async def update_parcel(conn: asyncpg.Connection, parcel_id: UUID, now: datetime,
                        **fields: Any) -> None:
    """Sets the given columns (names are this module's callers', never a client's)."""
    unknown = set(fields) - _PARCEL_COLUMNS
    assert not unknown, unknown
    if "lines" in fields:
        fields["lines"] = lines_json(fields["lines"])
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i + 3}" + ("::jsonb" if name == "lines" else "")
                            for i, name in enumerate(names))
    await conn.execute(f"UPDATE parcels SET updated_at = $2, {assignments} WHERE id = $1",  # noqa: S608
                       parcel_id, now, *[fields[n] for n in names])


async def pick_list(conn: asyncpg.Connection, warehouse_id: UUID, wave: str,
                    limit: int) -> list[dict[str, Any]]:
    """Gives the warehouse's allocated parcels not yet on a wave to this wave (oldest first)."""
    rows = await conn.fetch(
        """UPDATE parcels SET wave = $2 WHERE id IN (
               SELECT id FROM parcels WHERE warehouse_id = $1 AND status = 'allocated'
                      AND wave IS NULL ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING *""", warehouse_id, wave, limit)
    return sorted((_parcel(r) for r in rows), key=lambda p: (p["created_at"], p["id"]))


async def track(conn: asyncpg.Connection, order_id: UUID, status: str, note: str, *,
                source: str, parcel_id: UUID | None = None, return_id: UUID | None = None,
                at: datetime | None = None) -> None:
    """One row of the order's tracking history, which its buyer and seller read."""
    await conn.execute(
        """INSERT INTO tracking_events (order_id, parcel_id, return_id, status, note, source, at)
           VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now()))""",
        order_id, parcel_id, return_id, status, note, source, at)


async def history(conn: asyncpg.Connection | asyncpg.Pool,
                  order_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT parcel_id, return_id, status, note, source, at FROM tracking_events
           WHERE order_id = $1 ORDER BY id""", order_id)
    return [dict(r) for r in rows]


async def orders_page(conn: asyncpg.Connection | asyncpg.Pool, *, seller_id: UUID | None,
                      status: str | None, after: UUID | None,
                      limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT order_id, seller_id, method, status, ship_by, deliver_by, created_at
           FROM fulfillment_orders
           WHERE ($1::uuid IS NULL OR seller_id = $1) AND ($2::text IS NULL OR status = $2)
                 AND ($3::uuid IS NULL OR order_id > $3)
           ORDER BY order_id LIMIT $4""", seller_id, status, after, limit)
    return [dict(r) for r in rows]


async def charge_fee(conn: asyncpg.Connection, *, parcel_id: UUID, seller_id: UUID,
                     order_id: UUID, size_tier: str, units: int, fee_per_unit: int,
                     currency: str, now: datetime) -> None:
    await conn.execute(
        """INSERT INTO fbt_fees (parcel_id, seller_id, order_id, month, size_tier, units,
                                 fee_per_unit_minor, amount_minor, currency, charged_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (parcel_id) DO NOTHING""",
        parcel_id, seller_id, order_id, now.strftime("%Y-%m"), size_tier, units, fee_per_unit,
        units * fee_per_unit, currency, now)


async def fees(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID | None,
               month: str) -> list[dict[str, Any]]:
    """A month's fees of one seller (None: of every seller)."""
    rows = await conn.fetch(
        """SELECT parcel_id, order_id, size_tier, units, fee_per_unit_minor, amount_minor,
                  currency, charged_at
           FROM fbt_fees WHERE ($1::uuid IS NULL OR seller_id = $1) AND month = $2
           ORDER BY charged_at, parcel_id LIMIT 10000""",
        seller_id, month)
    return [dict(r) for r in rows]
