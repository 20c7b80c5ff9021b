"""Postgres persistence of bulk import jobs."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg


async def find_by_file(pool: asyncpg.Pool, seller_id: UUID, sha256: str) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT * FROM import_jobs WHERE seller_id = $1 AND file_sha256 = $2", seller_id, sha256)


async def create(pool: asyncpg.Pool, job_id: UUID, seller_id: UUID, sha256: str, fmt: str,
                 products: list[dict[str, Any]]) -> asyncpg.Record:
    """Returns the job; an identical file uploaded concurrently gets the first one's job."""
    payload = "\n".join(json.dumps(p, separators=(",", ":")) for p in products)
    row = await pool.fetchrow(
        """INSERT INTO import_jobs (id, seller_id, file_sha256, format, status, total_rows,
                                    payload)
           VALUES ($1, $2, $3, $4, 'queued', $5, $6)
           ON CONFLICT (seller_id, file_sha256) DO NOTHING RETURNING *""",
        job_id, seller_id, sha256, fmt, len(products), payload)
    if row is None:
        row = await find_by_file(pool, seller_id, sha256)
    assert row is not None
    return row


async def get(pool: asyncpg.Pool, job_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(
        """SELECT id, seller_id, status, format, total_rows, processed, created, skipped, failed,
                  errors, created_at, finished_at FROM import_jobs WHERE id = $1""", job_id)


async def unfinished(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return list(await pool.fetch(
        """SELECT id FROM import_jobs WHERE status IN ('queued', 'running')
           ORDER BY created_at LIMIT 20"""))


async def load(conn: asyncpg.Connection, job_id: UUID) -> asyncpg.Record:
    return await conn.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job_id)


async def record_progress(conn: asyncpg.Connection, job_id: UUID, *, processed: int,
                          created: int, skipped: int, failed: int,
                          errors: list[dict[str, Any]], finished: bool) -> None:
    await conn.execute(
        """UPDATE import_jobs SET processed = $2, created = created + $3, skipped = skipped + $4,
               failed = failed + $5, errors = errors || $6::jsonb,
               status = CASE WHEN $7 THEN 'finished' ELSE 'running' END,
               finished_at = CASE WHEN $7 THEN now() END,
               payload = CASE WHEN $7 THEN NULL ELSE payload END
           WHERE id = $1""",
        job_id, processed, created, skipped, failed, errors, finished)
