"""Postgres persistence of the desk's configuration: queues and their agents, SLA policies,
business calendars and holidays."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs.db.sql import locking
from services.support.domain.calendars import BusinessCalendar
from services.support.domain.routing import Member, Queue
from services.support.domain.sla import Policy, Priority

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def queues(conn: Conn) -> list[Queue]:
    rows = await conn.fetch("SELECT * FROM queues ORDER BY created_at, id")
    return [_queue(r) for r in rows]


async def queue(conn: Conn, queue_id: UUID) -> Queue | None:
    row = await conn.fetchrow("SELECT * FROM queues WHERE id = $1", queue_id)
    return _queue(row) if row else None


async def add_queue(conn: Conn, queue: Queue) -> bool:
    inserted = await conn.fetchval(
        """INSERT INTO queues (id, name, category, market, lead, strategy, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING true""",
        queue.id, queue.name, queue.category, queue.market, queue.lead, queue.strategy,
        queue.created_at)
    return bool(inserted)


def _queue(row: asyncpg.Record) -> Queue:
    return Queue(id=row["id"], name=row["name"], category=row["category"],
                 market=row["market"], lead=row["lead"], strategy=row["strategy"],
                 created_at=row["created_at"])


async def members(conn: Conn, queue_id: UUID, *, for_update: bool = False) -> list[Member]:
    rows = await conn.fetch(
        locking("SELECT * FROM queue_members WHERE queue_id = $1 ORDER BY agent", for_update),
        queue_id)
    return [Member(agent=r["agent"], skills=frozenset(r["skills"]),
                   last_assigned_at=r["last_assigned_at"]) for r in rows]


async def set_member(conn: Conn, queue_id: UUID, agent: str, skills: list[str]) -> None:
    await conn.execute(
        """INSERT INTO queue_members (queue_id, agent, skills) VALUES ($1, $2, $3)
           ON CONFLICT (queue_id, agent) DO UPDATE SET skills = EXCLUDED.skills""",
        queue_id, agent, skills)


async def remove_member(conn: Conn, queue_id: UUID, agent: str) -> bool:
    result = await conn.execute("DELETE FROM queue_members WHERE queue_id = $1 AND agent = $2",
                                queue_id, agent)
    return str(result) != "DELETE 0"


async def mark_assigned(conn: asyncpg.Connection, queue_id: UUID, agent: str,
                        at: datetime) -> None:
    await conn.execute("UPDATE queue_members SET last_assigned_at = $3 "
                       "WHERE queue_id = $1 AND agent = $2", queue_id, agent, at)


async def is_member(conn: Conn, queue_id: UUID | None, agent: str) -> bool:
    if queue_id is None:
        return False
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM queue_members WHERE queue_id = $1 AND agent = $2)",
        queue_id, agent))


async def queues_of(conn: Conn, agent: str) -> list[UUID]:
    return [r["queue_id"] for r in await conn.fetch(
        "SELECT queue_id FROM queue_members WHERE agent = $1", agent)]


async def policy(conn: Conn, tier: str, priority: Priority) -> Policy:
    row = await conn.fetchrow("SELECT * FROM sla_policies WHERE tier = $1 AND priority = $2",
                              tier, priority.value)
    if row is None:  # a tier without a policy gets the standard one
        row = await conn.fetchrow(
            "SELECT * FROM sla_policies WHERE tier = 'standard' AND priority = $1",
            priority.value)
    return Policy(tier=tier, priority=priority, first_reply_minutes=row["first_reply_minutes"],
                  next_reply_minutes=row["next_reply_minutes"],
                  resolution_minutes=row["resolution_minutes"])


async def policies(conn: Conn) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT * FROM sla_policies ORDER BY tier, array_position("
        "ARRAY['low','normal','high','urgent'], priority)")]


async def set_policy(conn: Conn, policy: Policy) -> None:
    await conn.execute(
        """INSERT INTO sla_policies (tier, priority, first_reply_minutes, next_reply_minutes,
                                     resolution_minutes) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tier, priority) DO UPDATE SET
             first_reply_minutes = EXCLUDED.first_reply_minutes,
             next_reply_minutes = EXCLUDED.next_reply_minutes,
             resolution_minutes = EXCLUDED.resolution_minutes""",
        policy.tier, policy.priority.value, policy.first_reply_minutes,
        policy.next_reply_minutes, policy.resolution_minutes)


async def calendar(conn: Conn, market: str) -> BusinessCalendar:
    row = await conn.fetchrow("SELECT * FROM business_calendars WHERE market = $1", market)
    if row is None:
        raise LookupError(market)
    days = await conn.fetch("SELECT day FROM holidays WHERE market = $1", market)
    return BusinessCalendar(market=market, timezone=row["timezone"],
                            working_days=frozenset(row["working_days"]),
                            opens_minute=row["opens_minute"], closes_minute=row["closes_minute"],
                            holidays=frozenset(r["day"] for r in days))


async def holidays(conn: Conn, market: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT day, name FROM holidays WHERE market = $1 ORDER BY day", market)]


async def set_calendar(conn: asyncpg.Connection, calendar: BusinessCalendar,
                       holidays: list[tuple[date, str]]) -> None:
    await conn.execute(
        """INSERT INTO business_calendars (market, timezone, working_days, opens_minute,
                                           closes_minute) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (market) DO UPDATE SET timezone = EXCLUDED.timezone,
             working_days = EXCLUDED.working_days, opens_minute = EXCLUDED.opens_minute,
             closes_minute = EXCLUDED.closes_minute""",
        calendar.market, calendar.timezone, sorted(calendar.working_days),
        calendar.opens_minute, calendar.closes_minute)
    await conn.execute("DELETE FROM holidays WHERE market = $1", calendar.market)
    await conn.executemany("INSERT INTO holidays (market, day, name) VALUES ($1, $2, $3)",
                           [(calendar.market, day, name) for day, name in holidays])
