"""LISTEN on a Postgres channel for as long as a worker runs, from a pooled connection.

Workers that are woken by commits (the outbox relay, the deadline worker) also poll, so a lost
connection only costs latency: the listener reconnects on the next `refresh()` and polling covers
the gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

import asyncpg

log = logging.getLogger(__name__)


class Listener:
    def __init__(self, pool: asyncpg.Pool, channel: str, wake: Callable[[], None]) -> None:
        self._pool = pool
        self._channel = channel
        self._wake = wake
        self._conn: asyncpg.Connection | None = None

    def _on_notify(self, *_: object) -> None:
        self._wake()

    async def refresh(self) -> None:
        """(Re)connects when the listening connection is gone; polling covers failures."""
        if self._conn is not None and not self._conn.is_closed():
            return
        self._conn = None
        try:
            conn: asyncpg.Connection = await self._pool.acquire()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("cannot LISTEN on %s, polling only for now: %s", self._channel, exc)
            return
        try:
            await conn.add_listener(self._channel, self._on_notify)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("cannot LISTEN on %s, polling only for now: %s", self._channel, exc)
            await self._pool.release(conn)
            return
        self._conn = conn

    async def __aenter__(self) -> Listener:
        await self.refresh()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.remove_listener(self._channel, self._on_notify)
            finally:
                await self._pool.release(conn)
