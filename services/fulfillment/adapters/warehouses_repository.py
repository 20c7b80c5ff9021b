"""Warehouses in Postgres."""

from __future__ import annotations

from datetime import time
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.sql import locking
from services.fulfillment.domain.warehouses import CarrierService, Warehouse


def _warehouse(row: Any) -> Warehouse:
    services = row["services"]
    return Warehouse(
        id=row["id"], code=row["code"], name=row["name"], market=row["market"],
        country=row["country"], postcode=row["postcode"], address=row["address"],
        timezone=row["timezone"], cutoff=row["cutoff"], handling_days=row["handling_days"],
        zones_served=tuple(row["zones_served"]),
        services=tuple(CarrierService(**s) for s in services),
        capacity_units=row["capacity_units"], active=row["active"])


def services_json(services: tuple[CarrierService, ...] | list[CarrierService],
                  ) -> list[dict[str, Any]]:
    return [{"carrier": s.carrier, "service": s.service, "speed": s.speed,
             "transit_days": s.transit_days} for s in services]


async def add(conn: asyncpg.Connection, w: Warehouse) -> bool:
    """False when the code is taken."""
    row = await conn.fetchrow(
        """INSERT INTO warehouses (id, code, name, market, country, postcode, address, timezone,
                                  cutoff, handling_days, zones_served, services, capacity_units,
                                  active, zone)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12::jsonb,$13,$14,$15)
            ON CONFLICT (code) DO NOTHING RETURNING id""",
        w.id, w.code, w.name, w.market, w.country, w.postcode, w.address, w.timezone, w.cutoff,
        w.handling_days, list(w.zones_served), services_json(w.services), w.capacity_units,
        w.active, w.zone.code)
    return row is not None


async def save(conn: asyncpg.Connection, w: Warehouse) -> None:
    await conn.execute(
        """UPDATE warehouses SET name = $2, cutoff = $3, handling_days = $4, zones_served = $5,
                  services = $6::jsonb, capacity_units = $7, active = $8, address = $9
           WHERE id = $1""",
        w.id, w.name, w.cutoff, w.handling_days, list(w.zones_served),
        services_json(w.services), w.capacity_units, w.active, w.address)


async def get(conn: asyncpg.Connection | asyncpg.Pool, warehouse_id: UUID,
              *, for_update: bool = False) -> Warehouse | None:
    row = await conn.fetchrow(locking("SELECT * FROM warehouses WHERE id = $1", for_update),
                              warehouse_id)
    return _warehouse(row) if row else None


async def all_active(conn: asyncpg.Connection | asyncpg.Pool,
                     market: str | None = None) -> list[Warehouse]:
    rows = await conn.fetch("""SELECT * FROM warehouses
                                WHERE active AND ($1::text IS NULL OR market = $1)
                                ORDER BY code""", market)
    return [_warehouse(r) for r in rows]


async def page(conn: asyncpg.Connection | asyncpg.Pool, after: UUID | None,
               limit: int) -> list[Warehouse]:
    rows = await conn.fetch("""SELECT * FROM warehouses
                                WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2""",
                            after, limit)
    return [_warehouse(r) for r in rows]


async def units_held(conn: asyncpg.Connection, warehouse_id: UUID) -> int:
    """Every unit the warehouse holds or expects: what its capacity is measured against."""
    return int(await conn.fetchval(
        """SELECT coalesce(sum(fulfillable + reserved + inbound + unfulfillable), 0)
           FROM stock WHERE warehouse_id = $1""", warehouse_id))


def parse_cutoff(value: str) -> time:
    return time.fromisoformat(value)
