"""One durable deadline engine for every service.

A deadline is a row in the owner's schema (`deadlines`), written by `schedule()` in the same
transaction as the state that sets it, so a deadline exists exactly when its cause committed.
`DeadlineWorker` fires due rows: it leases them (any number of instances can run side by side),
fires different keys concurrently and one key's deadlines one after another in due order, and
retries a failed firing with backoff. A deadline may carry a warning time: the warning fires
first (its handler emits the warning event), then the deadline itself. `cancel()` drops deadlines
whose cause has moved on, in the transaction that moved it.

Handlers come in two shapes. Most are *transactional*: the worker opens a transaction, runs the
handler in it and marks the deadline fired in the same transaction. It does not lock the
deadline before the handler runs: the handler locks its subject (the ticket, the order) first,
in the order every route takes when it changes the subject and cancels its deadlines, and a
deadline cancelled meanwhile rolls the handler's work back. Some must call the outside
world first (a payment provider); those run outside any transaction and end with
`complete()` or `retry()` on the connection of their final transaction. While such a handler
runs, the worker renews its lease, so a slow provider does not let another instance fire the
same deadline meanwhile; it stops renewing after `max_hold_seconds`, so a handler stuck for
good does not hold its deadline for ever (the handlers stay safe to fire twice all the same).

The deadline's time is data of the object it belongs to (an order's `ship_by`, a reservation's
`expires_at`): owners keep it on their own rows too, for their APIs to show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from libs.db.notify import DATABASE_ERRORS, WakeableLoop
from libs.db.transaction import transaction
from libs.retry import backoff

log = logging.getLogger(__name__)

NOTIFY_HORIZON_SECONDS = 2.0
"""Deadlines due sooner than this wake the workers at once instead of waiting for a poll."""


@dataclass(frozen=True)
class Deadline:
    id: int
    key: str
    kind: str
    due_at: datetime
    warn_at: datetime | None
    payload: dict[str, Any]
    attempts: int
    """How many times a worker has leased it, this lease included."""
    warning: bool = False
    """This firing is the warning before the due time, not the deadline itself."""


class Retry(Exception):
    """Raised by a transactional handler: not yet (its transaction is rolled back); fire again
    after `after_seconds`."""

    def __init__(self, after_seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {after_seconds}s")
        self.after_seconds = after_seconds


Fire = Callable[[asyncpg.Connection, Deadline], Awaitable[None]]
FireOutside = Callable[[asyncpg.Pool, Deadline], Awaitable[None]]
FireManyOutside = Callable[[asyncpg.Pool, list[Deadline]], Awaitable[None]]


@dataclass(frozen=True)
class DeadlineKind:
    """What happens when a kind of deadline falls due (exactly one of `fire` and
    `fire_outside_transaction`), and optionally at its warning time."""

    name: str
    fire: Fire | None = None
    fire_outside_transaction: FireOutside | None = None
    """Runs with the pool, outside any transaction; must end with `complete()` or `retry()`."""
    fire_many_outside_transaction: FireManyOutside | None = None
    """Like `fire_outside_transaction`, for every due deadline of the kind a worker leased at
    once (at most one per key): a run of them costs a few statements, not a few per deadline.
    Must end each with `complete_many()` or `retry()`; if it raises, all are tried again."""
    warn: Fire | None = None

    def __post_init__(self) -> None:
        ways = (self.fire, self.fire_outside_transaction, self.fire_many_outside_transaction)
        if sum(way is not None for way in ways) != 1:
            raise ValueError(f"deadline kind {self.name!r}: give exactly one way to fire it")
        if self.fire_many_outside_transaction is not None and self.warn is not None:
            raise ValueError(f"deadline kind {self.name!r}: kinds fired in runs have no warning")


def notify_channel(schema: str) -> str:
    return f"deadlines_{schema}"


async def schedule(conn: asyncpg.Connection, key: object, kind: str, due_at: datetime, *,
                   warn_at: datetime | None = None, payload: dict[str, Any] | None = None,
                   replace: bool = False) -> int:
    """Sets a deadline in the current transaction; returns its id. `replace` first cancels the
    key's pending deadlines of the same kind (a promise recomputed)."""
    if not conn.is_in_transaction():
        raise RuntimeError("schedule() must run inside the transaction of the state that sets it")
    if replace:
        await cancel(conn, key, kind)
    deadline_id: int = await conn.fetchval(_SCHEDULE, str(key), kind, due_at,
                                           _warning(warn_at, due_at),
                                           json.dumps(payload or {}), NOTIFY_HORIZON_SECONDS)
    return deadline_id


def _warning(warn_at: datetime | None, due_at: datetime) -> datetime | None:
    """A warning at or after the due time says nothing the deadline won't: none then."""
    return None if warn_at is None or warn_at >= due_at else warn_at


_SCHEDULE = """
WITH added AS (
    INSERT INTO deadlines (key, kind, due_at, warn_at, next_at, payload)
    VALUES ($1, $2, $3::timestamptz, $4::timestamptz, coalesce($4, $3), $5::jsonb)
    RETURNING id, next_at
)
SELECT id, CASE WHEN next_at <= now() + make_interval(secs => $6)
                THEN pg_notify('deadlines_' || current_schema(), '') END
FROM added
"""
"""One round trip: the row, and a notification when it is due soon (sent at commit)."""


async def cancel(conn: asyncpg.Connection, key: object, *kinds: str) -> int:
    """Drops the key's pending deadlines (of `kinds`, or all): what they waited for happened."""
    return await cancel_many(conn, [key], *kinds)


async def cancel_many(conn: asyncpg.Connection, keys: Sequence[object], *kinds: str) -> int:
    """`cancel` for many keys in one round trip (a batch of decisions)."""
    result = await conn.execute(CANCEL, [str(key) for key in keys], list(kinds))
    return int(result.split()[-1])


CANCEL = """
UPDATE deadlines SET done_at = now(), outcome = 'cancelled', leased_until = NULL
WHERE key = ANY($1::text[]) AND done_at IS NULL
  AND (cardinality($2::text[]) = 0 OR kind = ANY($2::text[]))
  AND id <> coalesce(nullif(current_setting('deadlines.firing', true), '')::bigint, 0)
"""
"""Meant to find the keys' pending rows through `deadlines_pending_by_key`; without statistics
the planner walked every pending deadline instead (`libs.devstack.servers.AUTOVACUUM_NAPTIME`).
It spares the deadline whose handler runs in this transaction (`_CHECK_AND_MARK`): a handler
that closes its ticket drops the ticket's other deadlines, and the one firing ends as fired."""

_CHECK_AND_MARK = """
SELECT done_at IS NULL, set_config('deadlines.firing', id::text, true) FROM deadlines WHERE id = $1
"""
"""Before a transactional handler: still pending? Marks the transaction as firing it. No row
lock: the handler locks its subject first, as every route does before it cancels the subject's
deadlines, so the two take their locks in one order. (Locked here, the deadline was held while
the handler waited for the subject, and a route holding the subject and cancelling deadlines
deadlocked with it; support's CI met that.)"""

_FIRED = """
UPDATE deadlines SET done_at = now(), outcome = 'fired', leased_until = NULL
WHERE id = $1 AND done_at IS NULL
"""
"""After a transactional handler, in its transaction: no row means a route cancelled the
deadline while the handler ran, and the handler's work is rolled back."""

_WARNED = """
UPDATE deadlines SET warned_at = now(), next_at = due_at, leased_until = NULL
WHERE id = $1 AND done_at IS NULL
"""


class _CancelledMeanwhile(Exception):
    """Rolls back a firing whose deadline was cancelled while its handler ran."""


_RETRY = """
UPDATE deadlines SET next_at = now() + make_interval(secs => $2),
                     leased_until = now() + make_interval(secs => $2), last_error = nullif($3, '')
WHERE id = $1 AND done_at IS NULL
"""
"""Fire again later; the lease is held until then, so the key's later deadlines keep waiting."""


async def complete(conn: asyncpg.Connection, deadline: Deadline) -> None:
    """Marks a deadline fired (in the transaction of its effects)."""
    await complete_many(conn, [deadline])


async def complete_many(conn: asyncpg.Connection, fired: list[Deadline]) -> None:
    """`complete` for a run of deadlines, in one round trip."""
    await conn.execute(
        """UPDATE deadlines SET done_at = coalesce(done_at, now()), outcome = 'fired',
                                leased_until = NULL
           WHERE id = ANY($1::bigint[])""", [deadline.id for deadline in fired])


async def retry(conn: asyncpg.Connection, deadline: Deadline, after_seconds: float,
                reason: str = "") -> None:
    """Fires the deadline again after a while (from a handler that runs outside a transaction);
    the key's later deadlines wait for it."""
    await conn.execute(
        _RETRY, deadline.id, after_seconds, reason[:1000])


async def pending(conn: asyncpg.Connection | asyncpg.Pool, key: object) -> dict[str, datetime]:
    """The key's pending deadlines by kind (the earliest of each kind)."""
    rows = await conn.fetch(
        """SELECT kind, min(due_at) AS due_at FROM deadlines
           WHERE key = $1 AND done_at IS NULL GROUP BY kind""", str(key))
    return {row["kind"]: row["due_at"] for row in rows}


_LEASE = """
WITH busy AS (
    SELECT DISTINCT key FROM deadlines
    WHERE done_at IS NULL AND leased_until > now()
), due AS (
    SELECT id FROM deadlines d
    WHERE done_at IS NULL AND next_at <= now()
      AND (leased_until IS NULL OR leased_until <= now())
      AND kind = ANY($3::text[])
      AND key NOT IN (SELECT key FROM busy)
      AND NOT EXISTS (  -- an earlier deadline of the key is being retried: it goes first
          SELECT 1 FROM deadlines e
          WHERE e.key = d.key AND e.done_at IS NULL AND e.next_at > e.due_at
            AND (e.due_at, e.id) < (d.due_at, d.id))
    ORDER BY next_at, id
    LIMIT $1
)
UPDATE deadlines d SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
FROM due WHERE d.id = due.id
RETURNING d.id, d.key, d.kind, d.due_at, d.warn_at, d.warned_at, d.next_at, d.payload,
          d.attempts, now() AS leased_at
"""


_RENEW = """
UPDATE deadlines d SET leased_until = now() + make_interval(secs => $3)
FROM unnest($1::bigint[], $2::int[]) AS held(id, attempts)
WHERE d.id = held.id AND d.attempts = held.attempts AND d.done_at IS NULL AND d.next_at <= now()
"""
"""Still this worker's lease (`attempts` counts leases), not done, and not put off by `retry()`
(whose `next_at` lies ahead and whose lease must end with it)."""


@dataclass
class WorkerStats:
    fired: int = 0
    warned: int = 0
    failed: int = 0
    retried: int = 0
    cancelled_meanwhile: int = 0
    """Cancelled while their handler ran: its work was rolled back."""


@dataclass
class DeadlineWorker:
    """Fires the due deadlines of one schema. Start as many as you like, in as many processes:
    leasing is serialised by an advisory lock held for one short statement, and a key with a
    leased deadline is not leased again until that one is done, and a deadline waits for the
    earlier ones of its key that are being retried, so one key's deadlines fire in due order
    across instances."""

    pool: asyncpg.Pool
    kinds: Iterable[DeadlineKind]
    schema: str
    batch: int = 100
    concurrency: int = 8
    """Keys fired at once; each firing waits mostly on Postgres or a provider."""
    lease_seconds: float = 30.0
    """A deadline leased by a worker that died is fired again after this."""
    max_hold_seconds: float = 600.0
    """The longest a handler that calls out keeps its lease renewed; after it, the lease runs
    out and another instance may fire the deadline again."""
    poll_interval: float = 1.0
    max_backoff: float = 60.0
    stats: WorkerStats = field(default_factory=WorkerStats)

    def __post_init__(self) -> None:
        self._kinds = {kind.name: kind for kind in self.kinds}
        self._loop = WakeableLoop(self.pool, notify_channel(self.schema), "deadlines")

    def stop(self) -> None:
        self._loop.stop()

    async def run(self) -> None:
        async def step() -> bool:
            return await self.fire_due() >= self.batch

        await self._loop.run(step, self._idle_seconds)

    async def _idle_seconds(self) -> float:
        """Until the next deadline is due, at most one poll interval."""
        try:
            wait = await self.pool.fetchval(
                """SELECT extract(epoch FROM min(next_at) - now()) FROM deadlines
                   WHERE done_at IS NULL AND kind = ANY($1::text[])""", list(self._kinds))
        except DATABASE_ERRORS:
            return self.poll_interval
        if wait is None:
            return self.poll_interval
        return max(0.01, min(self.poll_interval, float(wait)))

    async def fire_due(self) -> int:
        """Leases the due deadlines and fires them; returns how many were leased."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || "
                               "'.deadlines'))")
            rows = await conn.fetch(_LEASE, self.batch, self.lease_seconds, list(self._kinds))
        by_key: dict[str, list[asyncpg.Record]] = {}
        for row in sorted(rows, key=lambda r: (r["due_at"], r["id"])):
            by_key.setdefault(row["key"], []).append(row)
        gate = asyncio.Semaphore(self.concurrency)

        async def fire_key(key_rows: list[asyncpg.Record]) -> None:
            async with gate:
                for position, row in enumerate(key_rows):
                    if not await self._fire_one(row):
                        await self._release([r["id"] for r in key_rows[position + 1:]])
                        return

        runs: dict[str, list[list[asyncpg.Record]]] = {}
        alone: list[list[asyncpg.Record]] = []
        for group in by_key.values():
            kind = self._kinds[group[0]["kind"]]
            (runs.setdefault(kind.name, []) if kind.fire_many_outside_transaction is not None
             else alone).append(group)

        async def fire_run(kind: DeadlineKind, groups: list[list[asyncpg.Record]]) -> None:
            """Each key's first deadline together; each key's later ones after it, in turn."""
            if await self._fire_many(kind, [group[0] for group in groups]):
                await asyncio.gather(*(fire_key(group[1:]) for group in groups if group[1:]))
            else:
                await self._release([row["id"] for group in groups for row in group[1:]])

        await asyncio.gather(*(fire_key(group) for group in alone),
                             *(fire_run(self._kinds[name], groups)
                               for name, groups in runs.items()))
        return len(rows)

    async def _fire_many(self, kind: DeadlineKind, rows: list[asyncpg.Record]) -> bool:
        """Fires a run of leased deadlines of one kind; False when its handler failed."""
        due = [_deadline(row) for row in rows]
        assert kind.fire_many_outside_transaction is not None
        try:
            async with self._renewing(due):
                await kind.fire_many_outside_transaction(self.pool, due)
            self.stats.fired += len(due)
            return True
        except Exception as exc:
            self.stats.failed += len(due)
            log.exception("a run of %d %s deadlines failed; retrying", len(due), kind.name)
            with contextlib.suppress(*DATABASE_ERRORS):
                await self.pool.executemany(_RETRY, [
                    (deadline.id, backoff(deadline.attempts, cap=self.max_backoff),
                     repr(exc)[:1000]) for deadline in due])
            return False

    async def _fire_one(self, row: asyncpg.Record) -> bool:
        """Fires one leased deadline (or its warning); False when it failed."""
        kind = self._kinds[row["kind"]]
        deadline = _deadline(row)
        warning = deadline.warning
        try:
            if warning:
                async with transaction(self.pool) as conn:
                    if kind.warn is not None:
                        await kind.warn(conn, deadline)
                    await _still_pending(conn.execute(_WARNED, deadline.id))
                self.stats.warned += 1
            elif kind.fire is not None:
                async with transaction(self.pool) as conn:
                    if await conn.fetchval(_CHECK_AND_MARK, deadline.id):
                        await kind.fire(conn, deadline)
                        await _still_pending(conn.execute(_FIRED, deadline.id))
                self.stats.fired += 1
            elif kind.fire_outside_transaction is not None:
                async with self._renewing([deadline]):
                    await kind.fire_outside_transaction(self.pool, deadline)
                self.stats.fired += 1
            else:  # a kind fired in runs, due after an earlier deadline of its key
                assert kind.fire_many_outside_transaction is not None
                async with self._renewing([deadline]):
                    await kind.fire_many_outside_transaction(self.pool, [deadline])
                self.stats.fired += 1
            return True
        except _CancelledMeanwhile:
            self.stats.cancelled_meanwhile += 1
            return True
        except Retry as again:
            self.stats.retried += 1
            await self.pool.execute(_RETRY, deadline.id, again.after_seconds, str(again)[:1000])
            return False
        except Exception as exc:
            self.stats.failed += 1
            delay = backoff(deadline.attempts, cap=self.max_backoff)
            log.exception("deadline %s (%s of %s) failed; retrying in %.1fs", deadline.id,
                          deadline.kind, deadline.key, delay)
            with contextlib.suppress(*DATABASE_ERRORS):
                await self.pool.execute(_RETRY, deadline.id, delay, repr(exc)[:1000])
            return False

    @contextlib.asynccontextmanager
    async def _renewing(self, held: list[Deadline]) -> AsyncIterator[None]:
        """Renews the leases of `held` every third of a lease while the block runs (a handler
        waiting on the outside world), for at most `max_hold_seconds`."""
        renewal = asyncio.create_task(self._renew(held))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal

    async def _renew(self, held: list[Deadline]) -> None:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.max_hold_seconds
        every = self.lease_seconds / 3
        while loop.time() + every < give_up_at:
            await asyncio.sleep(every)
            try:
                await self.pool.execute(_RENEW, [d.id for d in held], [d.attempts for d in held],
                                        self.lease_seconds)
            except DATABASE_ERRORS:  # the lease may run out; the handlers bear a second firing
                log.warning("could not renew the lease of %d deadlines", len(held), exc_info=True)

    async def _release(self, ids: list[int]) -> None:
        """Gives back leases not used because an earlier deadline of the key failed."""
        if ids:
            with contextlib.suppress(*DATABASE_ERRORS):
                await self.pool.execute(
                    """UPDATE deadlines SET leased_until = NULL, attempts = attempts - 1
                       WHERE id = ANY($1::bigint[])""", ids)


async def _still_pending(update: Awaitable[str]) -> None:
    """Raises `_CancelledMeanwhile` when the deadline's closing update found it done."""
    if await update == "UPDATE 0":
        raise _CancelledMeanwhile


def _deadline(row: asyncpg.Record) -> Deadline:
    """A leased row as its handler sees it: a warning when the warning is due and not sent."""
    warning = (row["warn_at"] is not None and row["warned_at"] is None
               and row["due_at"] > row["leased_at"])
    return Deadline(id=row["id"], key=row["key"], kind=row["kind"], due_at=row["due_at"],
                    warn_at=row["warn_at"], payload=dict(_json(row["payload"])),
                    attempts=row["attempts"], warning=warning)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


async def schedule_many(conn: asyncpg.Connection, kind: str,
                        due: list[tuple[object, datetime]]) -> None:
    """Deadlines of one kind for many keys in one round trip (a batch of decisions)."""
    await schedule_each(conn, [(key, kind, due_at) for key, due_at in due])


async def schedule_each(conn: asyncpg.Connection,
                        due: list[tuple[object, str, datetime]], *,
                        warn_at: Sequence[datetime | None] | None = None) -> None:
    """Deadlines `(key, kind, due_at)`, without payloads, in one round trip: the several time
    limits one decision sets, or one for each of many decisions. `warn_at`, when given, has
    each one's warning time (None for none), as `schedule()`'s."""
    if not conn.is_in_transaction():
        raise RuntimeError("schedule_each() must run inside the transaction that sets them")
    warnings = [_warning(warn, due_at)
                for (_, _, due_at), warn in zip(due, warn_at or [None] * len(due), strict=True)]
    await conn.execute(_SCHEDULE_EACH, [str(key) for key, _, _ in due],
                       [kind for _, kind, _ in due], [due_at for _, _, due_at in due],
                       warnings, NOTIFY_HORIZON_SECONDS)


_SCHEDULE_EACH = """
WITH added AS (
    INSERT INTO deadlines (key, kind, due_at, warn_at, next_at, payload)
    SELECT key, kind, due_at, warn_at, coalesce(warn_at, due_at), '{}'::jsonb
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
        AS d(key, kind, due_at, warn_at)
    RETURNING next_at
)
SELECT CASE WHEN min(next_at) <= now() + make_interval(secs => $5)
            THEN pg_notify('deadlines_' || current_schema(), '') END
FROM added
"""
