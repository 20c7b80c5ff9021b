"""Postgres persistence of tickets, their links and messages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs.db.sql import assignments, insert, locking

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool

_UPDATABLE = {"status", "priority", "queue_id", "assignee", "wants_person", "first_reply_due_at",
              "next_reply_due_at", "resolution_due_at", "resolution_left_s", "first_replied_at",
              "first_reply_by", "escalations", "solved_at", "reopen_until", "closed_at"}


async def add(conn: asyncpg.Connection, ticket: dict[str, Any]) -> None:
    await conn.execute(insert("tickets", list(ticket)), *ticket.values())


async def get(conn: Conn, ticket_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM tickets WHERE id = $1", for_update),
                              ticket_id)
    return dict(row) if row else None


async def update(conn: asyncpg.Connection, ticket_id: UUID, now: datetime, **fields: Any) -> None:
    changes = assignments(list(fields), _UPDATABLE, first=3)
    await conn.execute(f"UPDATE tickets SET updated_at = $2, {changes} WHERE id = $1",  # noqa: S608
                       ticket_id, now, *fields.values())


async def add_links(conn: asyncpg.Connection, ticket_id: UUID,
                    links: list[tuple[str, UUID]]) -> None:
    await conn.executemany(
        "INSERT INTO ticket_links (ticket_id, kind, object_id) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING", [(ticket_id, kind, object_id) for kind, object_id in links])


async def links(conn: Conn, ticket_id: UUID) -> list[tuple[str, UUID]]:
    rows = await conn.fetch("SELECT kind, object_id FROM ticket_links WHERE ticket_id = $1 "
                            "ORDER BY kind, object_id", ticket_id)
    return [(r["kind"], r["object_id"]) for r in rows]


async def add_message(conn: asyncpg.Connection, message: dict[str, Any]) -> None:
    message = {**message, "attachments": json.dumps(message.get("attachments", []))}
    await conn.execute(insert("ticket_messages", list(message)), *message.values())


async def messages(conn: Conn, ticket_id: UUID, *, internal: bool) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT * FROM ticket_messages WHERE ticket_id = $1 AND (internal = false OR $2)
           ORDER BY created_at, id""", ticket_id, internal)
    return [_message(r) for r in rows]


async def message(conn: Conn, ticket_id: UUID, message_id: UUID,
                  *, for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM ticket_messages WHERE id = $1 AND ticket_id = $2",
                                      for_update), message_id, ticket_id)
    return _message(row) if row else None


async def set_helpful(conn: asyncpg.Connection, message_id: UUID, helpful: bool) -> None:
    await conn.execute("UPDATE ticket_messages SET helpful = $2 WHERE id = $1",
                       message_id, helpful)


async def requester_text(conn: Conn, ticket_id: UUID) -> str:
    """The ticket's subject and what its requester wrote, newest last (the responder's query)."""
    row = await conn.fetchrow(
        """SELECT t.subject || ' ' || coalesce(string_agg(m.body, ' ' ORDER BY m.created_at), '')
                  AS text
           FROM tickets t LEFT JOIN ticket_messages m
                ON m.ticket_id = t.id AND m.author_kind = 'requester'
           WHERE t.id = $1 GROUP BY t.id""", ticket_id)
    return str(row["text"]) if row else ""


async def has_agent_reply(conn: Conn, ticket_id: UUID) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM ticket_messages WHERE ticket_id = $1
                          AND author_kind = 'agent' AND NOT internal)""", ticket_id))


def _message(row: asyncpg.Record) -> dict[str, Any]:
    item = dict(row)
    if isinstance(item.get("attachments"), str):
        item["attachments"] = json.loads(item["attachments"])
    return item


_LIST = """
SELECT * FROM tickets
WHERE {scope}
  AND ($2::text IS NULL OR status = $2)
  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
ORDER BY created_at DESC, id DESC
LIMIT $5
"""


async def list_where(conn: Conn, scope: str, value: Any, *, status: str | None,
                     after: tuple[datetime, UUID] | None, limit: int) -> list[dict[str, Any]]:
    """Newest first. `scope` is one of our fixed predicates on `$1`."""
    moment, last_id = after if after else (None, None)
    rows = await conn.fetch(_LIST.format(scope=scope), value, status, moment, last_id, limit)
    return [dict(r) for r in rows]


SCOPE_REQUESTER = "requester = $1 AND seller_id IS NULL"
SCOPE_SELLER = "seller_id = $1"
SCOPE_ASSIGNEE = "assignee = $1"
SCOPE_QUEUE = "queue_id = $1"
SCOPE_ALL = "$1::text IS NULL"
