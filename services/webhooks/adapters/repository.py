"""Webhooks' tables: endpoints, the sellers' public events, deliveries and their attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.sql import locking


@dataclass(frozen=True)
class NewEvent:
    event_id: UUID
    seller_id: UUID
    type: str
    topic: str
    aggregate_id: str
    occurred_at: datetime
    data: dict[str, Any]


async def add_event(conn: asyncpg.Connection, *, event_id: UUID, seller_id: UUID, type_: str,
                    topic: str, aggregate_id: str, sequence: int | None, occurred_at: datetime,
                    data: dict[str, Any]) -> int | None:
    """The event's feed position, or None when it was recorded before. Its `sequence` is kept
    as given: for the platform's own events (a test delivery), not for public ones."""
    seq: int | None = await conn.fetchval(
        """INSERT INTO events (event_id, seller_id, type, topic, aggregate_id, sequence,
                               occurred_at, data)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id""",
        event_id, seller_id, type_, topic, aggregate_id, sequence, occurred_at, data)
    return seq


async def add_events(conn: asyncpg.Connection, events: list[NewEvent]) -> dict[UUID, int]:
    """Records the events new to the feed, in the order given, each with the next public
    sequence number of its aggregate on its topic (1, 2, 3...: the events a seller can see,
    with no gaps from private ones); their feed positions by event id. Two statements however
    many events: a consumer batch of public events costs what one did."""
    rows = await conn.fetch(
        """INSERT INTO events (event_id, seller_id, type, topic, aggregate_id, occurred_at, data)
           SELECT event_id, seller_id, type, topic, aggregate_id, occurred_at, data
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                       $6::timestamptz[], $7::jsonb[]) WITH ORDINALITY
                AS t(event_id, seller_id, type, topic, aggregate_id, occurred_at, data, place)
           ORDER BY place
           ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id""",
        [e.event_id for e in events], [e.seller_id for e in events],
        [e.type for e in events], [e.topic for e in events],
        [e.aggregate_id for e in events], [e.occurred_at for e in events],
        [e.data for e in events])
    positions = {row["event_id"]: row["seq"] for row in rows}
    if positions:
        await conn.execute(
            """WITH fresh AS (
                   SELECT seq, topic, aggregate_id,
                          row_number() OVER (PARTITION BY topic, aggregate_id ORDER BY seq)
                              AS place,
                          count(*) OVER (PARTITION BY topic, aggregate_id) AS n
                   FROM events WHERE seq = ANY($1::bigint[])),
               numbered AS (
                   INSERT INTO public_sequences AS p (topic, aggregate_id, last)
                   SELECT DISTINCT topic, aggregate_id, n FROM fresh
                   ON CONFLICT (topic, aggregate_id) DO UPDATE SET last = p.last + EXCLUDED.last
                   RETURNING topic, aggregate_id, last)
               UPDATE events e SET sequence = numbered.last - fresh.n + fresh.place
               FROM fresh JOIN numbered USING (topic, aggregate_id)
               WHERE e.seq = fresh.seq""", list(positions.values()))
    return positions


async def feed(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID, after: int,
               types: list[str] | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT seq, event_id, type, aggregate_id, sequence, occurred_at, data FROM events
           WHERE seller_id = $1 AND seq > $2 AND ($3::text[] IS NULL OR type = ANY($3))
             AND topic <> 'webhooks.test'
           ORDER BY seq LIMIT $4""", seller_id, after, types, limit)
    return [dict(r) for r in rows]


async def event(conn: asyncpg.Connection | asyncpg.Pool, seq: int) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM events WHERE seq = $1", seq)
    return dict(row) if row else None


async def active_endpoints(conn: asyncpg.Connection,
                           seller_ids: list[UUID]) -> list[dict[str, Any]]:
    rows = await conn.fetch("""SELECT id, seller_id, event_types FROM endpoints
                               WHERE seller_id = ANY($1::uuid[]) AND active""", seller_ids)
    return [dict(r) for r in rows]


async def add_endpoint(conn: asyncpg.Connection, *, endpoint_id: UUID, seller_id: UUID,
                       url: str, description: str, event_types: list[str], secret: bytes,
                       scheme: str = "hmac", public_key: str | None = None) -> None:
    await conn.execute(
        """INSERT INTO endpoints (id, seller_id, url, description, event_types, secret, scheme,
                                  public_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        endpoint_id, seller_id, url, description, event_types, secret, scheme, public_key)


async def endpoint(conn: asyncpg.Connection | asyncpg.Pool, endpoint_id: UUID, *,
                   for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM endpoints WHERE id = $1", for_update),
                              endpoint_id)
    return dict(row) if row else None


async def endpoints_page(conn: asyncpg.Connection | asyncpg.Pool, seller_id: UUID | None,
                         after: UUID | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT * FROM endpoints WHERE ($1::uuid IS NULL OR seller_id = $1)
           AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3""", seller_id, after, limit)
    return [dict(r) for r in rows]


_ENDPOINT_COLUMNS = {"url", "description", "event_types", "active", "disabled_reason",
                     "secret", "old_secret", "old_secret_until", "failing_since",
                     "public_key", "old_public_key"}


async def update_endpoint(conn: asyncpg.Connection, endpoint_id: UUID, **fields: Any) -> None:
    """Sets the given columns (names come from this service's code, never a client)."""
    assert set(fields) <= _ENDPOINT_COLUMNS, set(fields) - _ENDPOINT_COLUMNS
    names = list(fields)
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    await conn.execute(f"UPDATE endpoints SET updated_at = now(), {assignments} "  # noqa: S608
                       "WHERE id = $1", endpoint_id, *[fields[n] for n in names])


async def delete_endpoint(conn: asyncpg.Connection, endpoint_id: UUID) -> None:
    await conn.execute("DELETE FROM endpoints WHERE id = $1", endpoint_id)


async def add_deliveries(conn: asyncpg.Connection, rows: list[tuple[UUID, UUID, int, str]]) -> None:
    """(delivery id, endpoint id, event seq, aggregate id), due now."""
    if not rows:
        return
    await conn.executemany(
        """INSERT INTO deliveries (id, endpoint_id, event_seq, aggregate_id, status, next_at)
           VALUES ($1, $2, $3, $4, 'pending', now())
           ON CONFLICT (endpoint_id, event_seq) DO NOTHING""", rows)


async def lease_due(conn: asyncpg.Connection | asyncpg.Pool, limit: int, lease_seconds: float,
                    per_endpoint: int) -> list[dict[str, Any]]:
    """Due deliveries, leased so another instance skips them (and picks them up again if this
    one dies). Only deliveries whose aggregate has no earlier one still pending to that endpoint
    (order per aggregate holds while an endpoint recovers), and no more per endpoint than its
    free slots (`per_endpoint` in flight across instances): a slow endpoint's backlog cannot
    take the places of others' deliveries."""
    rows = await conn.fetch(
        """WITH busy AS (
               SELECT endpoint_id, count(*) AS n FROM deliveries
               WHERE status = 'delivering' AND leased_until >= now() GROUP BY endpoint_id),
           candidates AS (
               SELECT d.id, d.endpoint_id, d.next_at,
                      row_number() OVER (PARTITION BY d.endpoint_id
                                         ORDER BY d.next_at, d.event_seq) AS place
               FROM deliveries d
               WHERE ((d.status = 'pending' AND d.next_at <= now())
                      OR (d.status = 'delivering' AND d.leased_until < now()))
                 AND NOT EXISTS (
                     SELECT 1 FROM deliveries e
                     WHERE e.endpoint_id = d.endpoint_id AND e.aggregate_id = d.aggregate_id
                       AND e.event_seq < d.event_seq AND e.status IN ('pending', 'delivering'))),
           chosen AS (
               SELECT c.id, c.next_at FROM candidates c LEFT JOIN busy b USING (endpoint_id)
               WHERE c.place <= $3 - coalesce(b.n, 0)
               ORDER BY c.next_at LIMIT $1),
           due AS (
               SELECT d.id FROM deliveries d JOIN chosen USING (id)
               FOR UPDATE OF d SKIP LOCKED)
           UPDATE deliveries d SET status = 'delivering', updated_at = now(),
                  leased_until = now() + make_interval(secs => $2)
           FROM due, endpoints p, events v
           WHERE d.id = due.id AND p.id = d.endpoint_id AND v.seq = d.event_seq
           RETURNING d.id, d.endpoint_id, d.event_seq, d.attempts, p.url, p.seller_id,
                     p.secret, p.old_secret, p.old_secret_until, p.active, p.failing_since,
                     v.event_id, v.type, v.aggregate_id, v.sequence, v.occurred_at, v.data""",
        limit, lease_seconds, per_endpoint)
    return [dict(r) for r in rows]


async def finish(conn: asyncpg.Connection, delivery_id: UUID, *, status: str, attempts: int,
                 next_at: datetime | None, last_status: int | None) -> None:
    await conn.execute(
        """UPDATE deliveries SET status = $2, attempts = $3, next_at = $4, last_status = $5,
                  leased_until = NULL, updated_at = now() WHERE id = $1""",
        delivery_id, status, attempts, next_at, last_status)


async def add_attempt(conn: asyncpg.Connection, delivery_id: UUID, *, url: str,
                      status_code: int | None, latency_ms: int, response: str | None,
                      error: str | None, next_at: datetime | None) -> None:
    await conn.execute(
        """INSERT INTO attempts (delivery_id, url, status_code, latency_ms, response, error,
                                 next_at) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        delivery_id, url, status_code, latency_ms, response, error, next_at)


async def deliveries_page(conn: asyncpg.Connection | asyncpg.Pool, endpoint_id: UUID,
                          after: tuple[datetime, UUID] | None, limit: int,
                          event_id: UUID | None = None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT d.id, d.event_seq, v.event_id, v.type, v.aggregate_id, v.sequence, d.status,
                  d.attempts, d.next_at, d.last_status, d.created_at
           FROM deliveries d JOIN events v ON v.seq = d.event_seq
           WHERE d.endpoint_id = $1
             AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2, $3::uuid))
             AND ($5::uuid IS NULL OR v.event_id = $5)
           ORDER BY d.created_at DESC, d.id DESC LIMIT $4""",
        endpoint_id, after[0] if after else None, after[1] if after else None, limit, event_id)
    return [dict(r) for r in rows]


async def attempts_of(conn: asyncpg.Connection | asyncpg.Pool,
                      delivery_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch("""SELECT at, url, status_code, latency_ms, response, error, next_at
                               FROM attempts WHERE delivery_id = $1 ORDER BY id""", delivery_id)
    return [dict(r) for r in rows]


async def delivery(conn: asyncpg.Connection | asyncpg.Pool, delivery_id: UUID, *,
                   for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking(
        """SELECT d.*, p.seller_id FROM deliveries d JOIN endpoints p ON p.id = d.endpoint_id
           WHERE d.id = $1""", for_update), delivery_id)
    return dict(row) if row else None


async def requeue(conn: asyncpg.Connection, *, endpoint_id: UUID, delivery_id: UUID | None,
                  since: datetime | None, until: datetime | None) -> int:
    """Replays one delivery, or every failed delivery of the endpoint in a time range."""
    result = await conn.execute(
        """UPDATE deliveries SET status = 'pending', next_at = now(), updated_at = now()
           WHERE endpoint_id = $1 AND status IN ('failed', 'succeeded')
             AND ($2::uuid IS NOT NULL AND id = $2
                  OR $2::uuid IS NULL AND status = 'failed'
                     AND ($3::timestamptz IS NULL OR created_at >= $3)
                     AND ($4::timestamptz IS NULL OR created_at < $4))""",
        endpoint_id, delivery_id, since, until)
    return int(str(result).split()[-1])
