"""Postgres persistence of disputes and their evidence."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from libs.db.sql import assignments, insert, locking

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool

_UPDATABLE = {"status", "respond_by", "escalate_by", "decide_by", "outcome", "decided_by",
              "decision_note", "refund_shipping", "resolved_at", "lines"}


async def add(conn: asyncpg.Connection, dispute: dict[str, Any]) -> bool:
    row = {**dispute, "lines": json.dumps(dispute["lines"])}
    inserted = await conn.fetchval(
        insert("disputes", list(row), "ON CONFLICT DO NOTHING RETURNING true"), *row.values())
    return bool(inserted)


async def get(conn: Conn, dispute_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
    row = await conn.fetchrow(locking("SELECT * FROM disputes WHERE id = $1", for_update),
                              dispute_id)
    return _dispute(row) if row else None


def _dispute(row: asyncpg.Record) -> dict[str, Any]:
    item = dict(row)
    if isinstance(item["lines"], str):
        item["lines"] = json.loads(item["lines"])
    return item


async def update(conn: asyncpg.Connection, dispute_id: UUID, now: datetime,
                 **fields: Any) -> None:
    changes = assignments(list(fields), _UPDATABLE, first=3)
    await conn.execute(f"UPDATE disputes SET updated_at = $2, {changes} WHERE id = $1",  # noqa: S608
                       dispute_id, now, *fields.values())


async def for_order(conn: Conn, order_ids: list[UUID]) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM disputes WHERE order_id = ANY($1::uuid[]) "
                            "ORDER BY opened_at", order_ids)
    return [_dispute(r) for r in rows]


async def list_for(conn: Conn, *, buyer_id: str | None, seller_id: UUID | None,
                   status: str | None, after: tuple[datetime, UUID] | None,
                   limit: int) -> list[dict[str, Any]]:
    moment, last_id = after if after else (None, None)
    rows = await conn.fetch(
        """SELECT * FROM disputes
           WHERE ($1::text IS NULL OR buyer_id = $1) AND ($2::uuid IS NULL OR seller_id = $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::timestamptz IS NULL OR (opened_at, id) < ($4, $5))
           ORDER BY opened_at DESC, id DESC LIMIT $6""",
        buyer_id, seller_id, status, moment, last_id, limit)
    return [_dispute(r) for r in rows]


async def add_evidence(conn: asyncpg.Connection, evidence: dict[str, Any]) -> None:
    await conn.execute(insert("dispute_evidence", list(evidence)), *evidence.values())


async def evidence(conn: Conn, dispute_id: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT * FROM dispute_evidence WHERE dispute_id = $1 ORDER BY created_at, id",
        dispute_id)]
