"""Postgres persistence of privacy requests and the services' answers to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs.db.sql import locking
from services.support.domain.privacy import Answer

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


async def add(conn: asyncpg.Connection, request: dict[str, Any]) -> bool:
    """False when the requester already has an open request of this kind."""
    inserted = await conn.fetchval(
        """INSERT INTO privacy_requests (id, kind, requester, requested_by, pseudonym, status,
                                         services, requested_at, due_at)
           VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8)
           ON CONFLICT (requester, kind) WHERE status = 'open' DO NOTHING RETURNING true""",
        request["id"], request["kind"], request["requester"], request["requested_by"],
        request["pseudonym"], request["services"], request["requested_at"], request["due_at"])
    return bool(inserted)


async def get(conn: Conn, request_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        locking("SELECT * FROM privacy_requests WHERE id = $1", for_update), request_id)
    return dict(row) if row else None


async def open_request(conn: Conn, requester: str, kind: str) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT id FROM privacy_requests WHERE requester = $1 AND kind = $2 AND status = 'open'",
        requester, kind)
    return found


async def list_for(conn: Conn, requester: str | None, after: tuple[datetime, UUID] | None,
                   limit: int) -> list[dict[str, Any]]:
    """A requester's requests, newest first (`requester` None: everyone's)."""
    moment, last_id = after if after else (None, None)
    rows = await conn.fetch(
        """SELECT * FROM privacy_requests
            WHERE ($1::text IS NULL OR requester = $1)
              AND ($2::timestamptz IS NULL OR (requested_at, id) < ($2, $3))
            ORDER BY requested_at DESC, id DESC LIMIT $4""",
        requester, moment, last_id, limit)
    return [dict(r) for r in rows]


async def add_answer(conn: asyncpg.Connection, request_id: UUID, answer: Answer,
                     content: str | None) -> bool:
    """False for a piece already recorded (a redelivered answer)."""
    inserted = await conn.fetchval(
        """INSERT INTO privacy_answers (request_id, service, part, parts, content, redacted,
                                        pseudonymised, answered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING true""",
        request_id, answer.service, answer.part, answer.parts, content, answer.redacted,
        answer.pseudonymised, answer.answered_at)
    return bool(inserted)


async def answers(conn: Conn, request_id: UUID) -> list[Answer]:
    return (await answers_of(conn, [request_id])).get(request_id, [])


async def answers_of(conn: Conn, request_ids: list[UUID]) -> dict[UUID, list[Answer]]:
    """The answers to several requests in one query (a page of the list)."""
    rows = await conn.fetch(
        """SELECT request_id, service, part, parts, answered_at, redacted, pseudonymised
             FROM privacy_answers WHERE request_id = ANY($1::uuid[])
            ORDER BY request_id, service, part""", request_ids)
    found: dict[UUID, list[Answer]] = {}
    for row in rows:
        fields = dict(row)
        found.setdefault(fields.pop("request_id"), []).append(Answer(**fields))
    return found


async def pieces(conn: Conn, request_id: UUID) -> list[tuple[str, int, str]]:
    rows = await conn.fetch(
        """SELECT service, part, content FROM privacy_answers
            WHERE request_id = $1 AND content IS NOT NULL""", request_id)
    return [(r["service"], r["part"], r["content"]) for r in rows]


async def complete(conn: asyncpg.Connection, request_id: UUID, at: datetime,
                   archive_expires_at: datetime | None) -> None:
    await conn.execute(
        """UPDATE privacy_requests SET status = 'completed', completed_at = $2,
                  archive_expires_at = $3 WHERE id = $1""", request_id, at, archive_expires_at)


async def forget_requester(conn: asyncpg.Connection, request_id: UUID) -> None:
    """An erasure is done: its record names the pseudonym, not the buyer."""
    await conn.execute(
        """UPDATE privacy_requests
              SET requested_by = CASE WHEN requested_by = requester THEN pseudonym
                                      ELSE requested_by END,
                  requester = pseudonym
            WHERE id = $1""", request_id)


async def expire_archive(conn: asyncpg.Connection, request_id: UUID) -> None:
    await conn.execute("UPDATE privacy_answers SET content = NULL WHERE request_id = $1",
                       request_id)
    await conn.execute("UPDATE privacy_requests SET archive_expired = true WHERE id = $1",
                       request_id)
