"""Postgres persistence of stock levels, movements and reservations.

Reservation is one transaction of conditional updates (`reserved + q <= on_hand`), one per
SKU in a fixed order so concurrent orders never deadlock; a line that does not fit rolls the
whole transaction back. The table's CHECK constraints are the last guard against overselling.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.catalog.domain.stock import Availability, StockLevel


class ConcurrentUpdate(Exception):
    """The stock changed since the version the caller read."""


class DoesNotFit(Exception):
    """A line of the reservation does not fit in what is available."""


def _level(row: asyncpg.Record) -> StockLevel:
    return StockLevel(sku_id=row["sku_id"], on_hand=row["on_hand"], reserved=row["reserved"],
                      low_stock_threshold=row["low_stock_threshold"], version=row["version"])


async def get(conn: asyncpg.Connection | asyncpg.Pool, sku_id: UUID, *,
              for_update: bool = False) -> tuple[StockLevel, UUID] | None:
    sql = ("SELECT * FROM stock WHERE sku_id = $1 FOR UPDATE" if for_update
           else "SELECT * FROM stock WHERE sku_id = $1")
    row = await conn.fetchrow(sql, sku_id)
    return (_level(row), row["seller_id"]) if row else None


async def levels(conn: asyncpg.Connection, sku_ids: list[UUID]) -> dict[UUID, StockLevel]:
    rows = await conn.fetch("SELECT * FROM stock WHERE sku_id = ANY($1::uuid[])", sku_ids)
    return {r["sku_id"]: _level(r) for r in rows}


async def reservation_and_products(conn: asyncpg.Connection, owner_id: UUID,
                                   lines: list[tuple[UUID, int]]) -> tuple[bool, dict[UUID, UUID]]:
    """In one round trip (the reservation path's first question, asked thousands of times a
    second for a hot SKU): whether `owner_id` already has a reservation, and the product of
    each purchasable SKU among `lines`: of a live listing whose seller is verified, the only
    ones an order may hold."""
    rows = await conn.fetch(
        """SELECT EXISTS (SELECT 1 FROM reservations WHERE order_id = $1) AS decided,
                  k.id AS sku_id, k.product_id
           FROM (SELECT 1) AS always_one_row
           LEFT JOIN (skus k JOIN products p ON p.id = k.product_id
                             JOIN sellers s ON s.id = p.seller_id)
             ON k.id = ANY($2::uuid[]) AND p.status = 'live' AND s.status = 'verified'""",
        owner_id, [sku_id for sku_id, _ in lines])
    return rows[0]["decided"], {r["sku_id"]: r["product_id"] for r in rows
                                if r["sku_id"] is not None}


async def decided_and_products_many(conn: asyncpg.Connection, owner_ids: list[UUID],
                                    sku_ids: list[UUID]) -> tuple[set[UUID], dict[UUID, UUID]]:
    """For a batch: which owners already have a reservation, and the product of each
    purchasable SKU (see `reservation_and_products`)."""
    decided = await conn.fetch("SELECT order_id FROM reservations WHERE order_id = ANY($1::uuid[])",
                               owner_ids)
    products = await conn.fetch(
        """SELECT k.id, k.product_id FROM skus k JOIN products p ON p.id = k.product_id
           JOIN sellers s ON s.id = p.seller_id
           WHERE k.id = ANY($1::uuid[]) AND p.status = 'live' AND s.status = 'verified'""",
        sku_ids)
    return {r["order_id"] for r in decided}, {r["id"]: r["product_id"] for r in products}


async def lock_levels(conn: asyncpg.Connection,
                      sku_ids: list[UUID]) -> dict[UUID, tuple[StockLevel, UUID]]:
    """The SKUs' levels and sellers, locked until the transaction ends (in SKU order, as every
    reservation locks them, so batches and single holds never deadlock)."""
    rows = await conn.fetch(
        "SELECT * FROM stock WHERE sku_id = ANY($1::uuid[]) ORDER BY sku_id FOR UPDATE", sku_ids)
    return {r["sku_id"]: (_level(r), r["seller_id"]) for r in rows}


async def hold_many(conn: asyncpg.Connection, levels: list[StockLevel],
                    holds: list[tuple[UUID, UUID, UUID, int, datetime]]) -> None:
    """Writes a batch's decisions, taken under `lock_levels`: the SKUs' new levels and one
    reservation (reservation id, order id, SKU, quantity, expiry) per hold."""
    await conn.execute(
        """UPDATE stock s SET reserved = v.reserved, version = v.version, updated_at = now()
           FROM unnest($1::uuid[], $2::int[], $3::int[]) AS v(sku_id, reserved, version)
           WHERE s.sku_id = v.sku_id""",
        [level.sku_id for level in levels], [level.reserved for level in levels],
        [level.version for level in levels])
    await conn.execute(
        """INSERT INTO reservations (id, order_id, status, expires_at)
           SELECT id, order_id, 'active', expires_at
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS r(id, order_id, expires_at)""",
        [h[0] for h in holds], [h[1] for h in holds], [h[4] for h in holds])
    await conn.execute(
        """INSERT INTO reservation_lines (reservation_id, sku_id, quantity)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[])""",
        [h[0] for h in holds], [h[2] for h in holds], [h[3] for h in holds])


async def active_reservations(conn: asyncpg.Connection, order_ids: list[UUID],
                              ) -> dict[UUID, tuple[UUID, list[tuple[UUID, int]]]]:
    """The orders' active reservations (order id: reservation id and its lines in SKU order),
    locked until the transaction ends, in id order as every batch locks them."""
    rows = await conn.fetch(
        """WITH held AS MATERIALIZED (
               SELECT id, order_id FROM reservations
               WHERE order_id = ANY($1::uuid[]) AND status = 'active' ORDER BY id FOR UPDATE)
           SELECT h.id, h.order_id, l.sku_id, l.quantity
           FROM held h JOIN reservation_lines l ON l.reservation_id = h.id
           ORDER BY h.id, l.sku_id""", order_ids)
    found: dict[UUID, tuple[UUID, list[tuple[UUID, int]]]] = {}
    for row in rows:
        found.setdefault(row["order_id"], (row["id"], []))[1].append(
            (row["sku_id"], row["quantity"]))
    return found


async def commit_many(conn: asyncpg.Connection, reservation_ids: list[UUID],
                      levels: list[StockLevel], movements: list[tuple[UUID, int, int, str]],
                      reason: str) -> None:
    """Writes a batch of committed reservations, decided under `lock_levels`: the SKUs' new
    levels, one ledger movement (SKU, on hand, reserved, reservation) per line in the order
    they were applied, and the reservations' end."""
    await conn.execute(
        """UPDATE stock s SET on_hand = v.on_hand, reserved = v.reserved, version = v.version,
                              updated_at = now()
           FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[])
                AS v(sku_id, on_hand, reserved, version)
           WHERE s.sku_id = v.sku_id""",
        [level.sku_id for level in levels], [level.on_hand for level in levels],
        [level.reserved for level in levels], [level.version for level in levels])
    await conn.execute(
        """INSERT INTO stock_movements (sku_id, on_hand, reserved, reason, actor, reference)
           SELECT sku_id, on_hand, reserved, $5, 'orders', reference
           FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[])
                WITH ORDINALITY AS m(sku_id, on_hand, reserved, reference, place)
           ORDER BY place""",
        [m[0] for m in movements], [m[1] for m in movements], [m[2] for m in movements],
        [m[3] for m in movements], reason)
    await conn.execute(
        """UPDATE reservations SET status = 'committed', ended_at = now(), end_reason = $2
           WHERE id = ANY($1::uuid[])""", reservation_ids, reason)


async def save_level(conn: asyncpg.Connection, level: StockLevel, *, expected_version: int,
                     reason: str, actor: str, reference: str | None = None) -> None:
    result = await conn.execute(
        """UPDATE stock SET on_hand = $2, low_stock_threshold = $3, version = $4,
                            updated_at = now()
           WHERE sku_id = $1 AND version = $5""",
        level.sku_id, level.on_hand, level.low_stock_threshold, level.version, expected_version)
    if result == "UPDATE 0":
        raise ConcurrentUpdate(str(level.sku_id))
    await _movement(conn, level.sku_id, reason, actor, reference)


async def _movement(conn: asyncpg.Connection, sku_id: UUID, reason: str, actor: str,
                    reference: str | None) -> None:
    await conn.execute(
        """INSERT INTO stock_movements (sku_id, on_hand, reserved, reason, actor, reference)
           SELECT sku_id, on_hand, reserved, $2, $3, $4 FROM stock WHERE sku_id = $1""",
        sku_id, reason, actor, reference)


async def receive(conn: asyncpg.Connection, sku_id: UUID, quantity: int, reference: str,
                  reason: str = "received into warehouse",
                  ) -> tuple[StockLevel, StockLevel, UUID] | None:
    """A warehouse's sellable units changed by `quantity` (received, returned, written off);
    returns (before, after, seller) or None for unknown SKUs. Units held for orders stay held:
    a write-off larger than what is free takes what is free. Applied once per `reference` (an
    inbound plan, an adjustment), whichever consumer group delivers it."""
    row = await conn.fetchrow("SELECT * FROM stock WHERE sku_id = $1 FOR UPDATE", sku_id)
    if row is None:
        return None
    if await conn.fetchval(
            """SELECT true FROM stock_movements WHERE sku_id = $1 AND actor = 'fulfillment'
               AND reference = $2 LIMIT 1""", sku_id, reference):
        return _level(row), _level(row), row["seller_id"]  # already applied: a redelivery
    after = await conn.fetchrow(
        """UPDATE stock SET on_hand = greatest(reserved, on_hand + $2), version = version + 1,
                            updated_at = now()
           WHERE sku_id = $1 RETURNING *""", sku_id, quantity)
    await _movement(conn, sku_id, reason, "fulfillment", reference)
    return _level(row), _level(after), row["seller_id"]


async def reservation(conn: asyncpg.Connection, order_id: UUID,
                      *, for_update: bool = False) -> asyncpg.Record | None:
    sql = ("SELECT * FROM reservations WHERE order_id = $1 FOR UPDATE" if for_update
           else "SELECT * FROM reservations WHERE order_id = $1")
    return await conn.fetchrow(sql, order_id)


async def hold(conn: asyncpg.Connection, reservation_id: UUID, order_id: UUID,
               wanted: dict[UUID, int], expires_at: datetime,
               already_reserved: dict[UUID, int] | None = None,
               ) -> list[tuple[StockLevel, StockLevel]]:
    """Reserve every line or raise DoesNotFit (the caller's transaction then rolls back).
    `already_reserved` units (moved over from a flash deal's set-aside) count towards the
    lines without being reserved again. Returns (before, after) levels per SKU for low-stock
    checks."""
    changes = []
    for sku_id in sorted(wanted):
        quantity = wanted[sku_id] - (already_reserved or {}).get(sku_id, 0)
        row = await conn.fetchrow(
            """UPDATE stock SET reserved = reserved + $2, version = version + 1,
                                updated_at = now()
               WHERE sku_id = $1 AND on_hand - reserved >= $2 RETURNING *""",
            sku_id, quantity)
        if row is None:
            raise DoesNotFit(str(sku_id))
        after = _level(row)
        before = StockLevel(sku_id, after.on_hand, after.reserved - quantity,
                            after.low_stock_threshold, after.version - 1)
        changes.append((before, after))
    await conn.execute(
        "INSERT INTO reservations (id, order_id, status, expires_at) VALUES ($1, $2, 'active', $3)",
        reservation_id, order_id, expires_at)
    await conn.executemany(
        "INSERT INTO reservation_lines (reservation_id, sku_id, quantity) VALUES ($1, $2, $3)",
        [(reservation_id, sku_id, q) for sku_id, q in wanted.items()])
    return changes


async def end(conn: asyncpg.Connection, reservation_id: UUID, *, commit: bool,
              reason: str, kept: dict[UUID, int] | None = None) -> list[Availability]:
    """Release (units back to available) or commit (units leave on hand); returns each SKU
    with its availability before and after. `kept` units of a released reservation stay
    reserved (moved back into a deal's set-aside)."""
    lines = await conn.fetch(
        "SELECT sku_id, quantity FROM reservation_lines WHERE reservation_id = $1 ORDER BY sku_id",
        reservation_id)
    changes: list[Availability] = []
    for line in lines:
        freed = line["quantity"] - (kept or {}).get(line["sku_id"], 0)
        if freed <= 0:
            changes.append((line["sku_id"], 0, 0))
            continue
        available = await conn.fetchval(
            f"""UPDATE stock SET reserved = reserved - $2,
                       {"on_hand = on_hand - $2," if commit else ""}
                       version = version + 1, updated_at = now()
                WHERE sku_id = $1 RETURNING on_hand - reserved""",  # noqa: S608 - a fixed fragment
            line["sku_id"], freed)
        changes.append((line["sku_id"], available if commit else available - freed, available))
        await _movement(conn, line["sku_id"], reason, "orders", str(reservation_id))
    await conn.execute(
        """UPDATE reservations SET status = $2, ended_at = now(), end_reason = $3
           WHERE id = $1""", reservation_id, "committed" if commit else "released", reason)
    return changes


async def available_of(conn: asyncpg.Connection, sku_ids: list[UUID]) -> dict[UUID, int]:
    rows = await conn.fetch(
        "SELECT sku_id, on_hand - reserved AS available FROM stock WHERE sku_id = ANY($1::uuid[])",
        sku_ids)
    return {r["sku_id"]: r["available"] for r in rows}


async def product_of_skus(conn: asyncpg.Connection, sku_ids: list[UUID]) -> set[UUID]:
    rows = await conn.fetch("SELECT DISTINCT product_id FROM skus WHERE id = ANY($1::uuid[])",
                            sku_ids)
    return {r["product_id"] for r in rows}


async def restock_committed(conn: asyncpg.Connection, reservation_id: UUID,
                            reason: str) -> list[Availability]:
    """Units of a committed reservation come back on hand (the order was cancelled after its
    stock was committed, before anything shipped); each SKU with its availability before and
    after."""
    lines = await conn.fetch(
        "SELECT sku_id, quantity FROM reservation_lines WHERE reservation_id = $1 ORDER BY sku_id",
        reservation_id)
    changes: list[Availability] = []
    for line in lines:
        available = await conn.fetchval(
            """UPDATE stock SET on_hand = on_hand + $2, version = version + 1, updated_at = now()
               WHERE sku_id = $1 RETURNING on_hand - reserved""", line["sku_id"], line["quantity"])
        changes.append((line["sku_id"], available - line["quantity"], available))
        await _movement(conn, line["sku_id"], reason, "orders", str(reservation_id))
    await conn.execute(
        """UPDATE reservations SET status = 'released', ended_at = now(), end_reason = $2
           WHERE id = $1""", reservation_id, reason)
    return changes


async def tombstone(conn: asyncpg.Connection, reservation_id: UUID, order_id: UUID) -> None:
    """An order cancelled before its reservation arrived: a later `order.placed` holds nothing."""
    await conn.execute(
        """INSERT INTO reservations (id, order_id, status, expires_at, ended_at, end_reason)
           VALUES ($1, $2, 'released', now(), now(), 'cancelled before reservation')
           ON CONFLICT (order_id) DO NOTHING""", reservation_id, order_id)


async def take_from_set_aside(conn: asyncpg.Connection, owner_id: UUID, sku_id: UUID,
                              quantity: int) -> bool:
    """Moves units out of an active set-aside (a flash deal's reservation), still reserved;
    False when it holds fewer than `quantity`."""
    status: str = await conn.execute(
        """UPDATE reservation_lines l SET quantity = l.quantity - $3
           FROM reservations r
           WHERE r.id = l.reservation_id AND r.order_id = $1 AND r.status = 'active'
             AND l.sku_id = $2 AND l.quantity >= $3""", owner_id, sku_id, quantity)
    return status != "UPDATE 0"


async def release_from_set_aside(conn: asyncpg.Connection, owner_id: UUID, sku_id: UUID,
                                 quantity: int, reason: str) -> int:
    """Hands up to `quantity` units of an active set-aside back to available; returns how many."""
    line = await conn.fetchrow(
        """SELECT l.reservation_id, l.quantity FROM reservation_lines l
           JOIN reservations r ON r.id = l.reservation_id
           WHERE r.order_id = $1 AND r.status = 'active' AND l.sku_id = $2
           FOR UPDATE OF l""", owner_id, sku_id)
    if line is None:
        return 0
    released = min(int(line["quantity"]), quantity)
    if released == 0:
        return 0
    await conn.execute(
        "UPDATE reservation_lines SET quantity = quantity - $3 "
        "WHERE reservation_id = $1 AND sku_id = $2", line["reservation_id"], sku_id, released)
    await conn.execute(
        """UPDATE stock SET reserved = reserved - $2, version = version + 1, updated_at = now()
           WHERE sku_id = $1""", sku_id, released)
    await _movement(conn, sku_id, reason, "live", str(owner_id))
    return released
