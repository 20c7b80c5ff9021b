"""asyncpg pools bound to one service's schema."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, schema="pg_catalog", encoder=lambda v: json.dumps(v, default=str),
            decoder=json.loads, format="text",
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's default reset query (advisory unlock, CLOSE ALL,
    UNLISTEN, RESET ALL): a round trip on every release, a measurable share of a short
    transaction. asyncpg still rolls back an open transaction and drops client listeners.
    The services keep no session state on pooled connections: no SET outside transactions,
    no cursors outside transactions, and whoever LISTENs or takes a session advisory lock
    undoes it (or closes the connection) before releasing it."""


STATEMENT_CACHE_SIZE = 1024
"""Prepared statements kept per connection. asyncpg's default (100) is below the distinct
queries one service runs (orders and `libs` hold about 170 call sites), so a busy connection
kept evicting and re-preparing: a Parse round trip and a plan each time."""


async def create_pool(
    database_url: str, schema: str, *, application_name: str, min_size: int = 2,
    max_size: int = 10, **kwargs: Any,
) -> asyncpg.Pool:
    """A pool whose connections see only `schema` (then pg_catalog) on their search path."""
    kwargs.setdefault("statement_cache_size", STATEMENT_CACHE_SIZE)
    return await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_init_connection,
        reset=_keep_session,
        server_settings={"search_path": schema, "application_name": application_name},
        **kwargs,
    )


async def connect(database_url: str, schema: str, *, application_name: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(
        database_url, server_settings={"search_path": schema, "application_name": application_name}
    )
    await _init_connection(conn)
    return conn
