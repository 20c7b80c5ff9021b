"""LISTEN on a Postgres channel for as long as a worker runs, from a pooled connection, and the
loop that the outbox relay and the deadline worker share: woken by a commit, polling besides.

Workers that are woken by commits (the outbox relay, the deadline worker) also poll, so a lost
connection only costs latency: the listener reconnects on the next `refresh()` and polling covers
the gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
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
        if self._conn is not None and _usable(self._conn):
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
        if conn is not None and _usable(conn):
            try:
                await conn.remove_listener(self._channel, self._on_notify)
            finally:
                await self._pool.release(conn)


def _usable(conn: asyncpg.Connection) -> bool:
    """Whether the listening connection is still ours and open. After a server restart the pool
    may already have taken it back, and asking a released connection anything raises."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class WakeableLoop:
    """Runs a worker's `step` until stopped: again at once after a full batch, else after a
    notification on `channel` or `idle_seconds()`, whichever comes first. A database error in
    a step is logged and waited out like an idle turn; the next turn reconnects the listener."""

    def __init__(self, pool: asyncpg.Pool, channel: str, name: str) -> None:
        self._pool = pool
        self._channel = channel
        self._name = name
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self, step: Callable[[], Awaitable[bool]],
                  idle_seconds: Callable[[], Awaitable[float]]) -> None:
        """`step` returns whether there may be more work right away."""
        async with Listener(self._pool, self._channel, self._wake.set) as listener:
            while not self._stopping.is_set():
                await listener.refresh()
                try:
                    if await step():
                        continue
                except DATABASE_ERRORS as exc:
                    log.warning("%s: database error, retrying: %s", self._name, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), await idle_seconds())
                self._wake.clear()
