"""A transaction that runs callbacks once it has committed.

Side effects that must not happen for a rolled-back change, or must not happen *before* the
commit (evicting a cache entry that a concurrent reader would refill with the old row), are
registered with `after_commit(...)` from anywhere inside `transaction(pool)`; the consumer
runner opens handlers' transactions this way too. A `savepoint(conn)` inside it that rolls back
drops the callbacks registered within it, as it drops the rows.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TypeVar

import asyncpg

log = logging.getLogger(__name__)
Callback = Callable[[], Awaitable[object]]
T = TypeVar("T")
CONFLICTS: tuple[type[Exception], ...] = (asyncpg.DeadlockDetectedError,
                                          asyncpg.SerializationError)
"""Postgres aborted the transaction to let a concurrent one through: nothing of it was kept,
so it may run again."""
DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError, asyncpg.TooManyConnectionsError)
"""Postgres is out of reach, restarting or full, not wrong about the request: the connection
broke (class 08), the server is shutting down or starting (57P01-57P03), or it has no
connection slot left. Whatever ran was rolled back with the connection, so it may run again."""


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` comes from a Postgres connection that broke under it. asyncpg reports the
    break itself as one of `DATABASE_UNREACHABLE` (or an `OSError`), but what reaches a caller
    is often the `InterfaceError` that leaving the transaction then raised ("the underlying
    connection is closed"), with the break as its context. A server restart can also leave a
    pooled connection's protocol mid-operation, so the next statement on it fails inside asyncpg
    ("another operation is in progress"); nothing ran, and it is the restart's doing as well."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (*DATABASE_UNREACHABLE, OSError)):
            return True
        if isinstance(seen, asyncpg.InterfaceError) and "connection is closed" in str(seen):
            return True
        if isinstance(seen, asyncpg.InternalClientError) and "another operation" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
_pending: ContextVar[list[Callback] | None] = ContextVar("after_commit", default=None)


def after_commit(callback: Callback) -> None:
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("after_commit() outside transaction()")
    pending.append(callback)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    callbacks: list[Callback] = []
    token = _pending.set(callbacks)
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    finally:
        _pending.reset(token)
    for callback in callbacks:  # only reached after a commit
        try:
            await callback()
        except Exception:
            log.exception("after-commit callback failed")


@asynccontextmanager
async def savepoint(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """A nested transaction: on an exception its writes and its after-commit callbacks are both
    undone, and the enclosing transaction carries on (the consumer's batches rely on this)."""
    pending = _pending.get()
    mark = len(pending) if pending is not None else 0
    try:
        async with conn.transaction():
            yield
    except BaseException:
        if pending is not None:
            del pending[mark:]
        raise


async def retry_on_conflict(work: Callable[[], Awaitable[T]], *, attempts: int = 3) -> T:
    """Runs `work`, which opens its own `transaction()`, again (after a short random pause)
    when Postgres chose it as a deadlock's victim: a transaction that locks rows of several
    aggregates can meet a consumer's batch locking them in another order. Its rows and its
    after-commit callbacks went with the rollback; whatever it does outside Postgres must be
    safe to repeat."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except CONFLICTS as exc:
            if attempt == attempts:
                raise
            log.warning("transaction aborted by a conflict (%r); running it again", exc)
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 - jitter
    raise AssertionError("unreachable")
