"""The deadline engine on real Postgres: durable, fired once across instances, in order per key,
cancellable, with warnings before the due time."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from libs import deadlines
from libs.deadlines import Deadline, DeadlineKind, DeadlineWorker, Retry
from libs.testing import Scratch, eventually


async def _fired_table(pool: asyncpg.Pool) -> None:
    await pool.execute(
        """CREATE TABLE fired (n bigserial PRIMARY KEY, deadline_id bigint NOT NULL,
                               key text NOT NULL, kind text NOT NULL, warning boolean NOT NULL,
                               seq int NOT NULL)""")


async def record(conn: asyncpg.Connection, deadline: Deadline) -> None:
    """The handler's effect, in the firing transaction; slow enough to overlap instances."""
    await asyncio.sleep(random.uniform(0, 0.005))
    await conn.execute(
        "INSERT INTO fired (deadline_id, key, kind, warning, seq) VALUES ($1, $2, $3, $4, $5)",
        deadline.id, deadline.key, deadline.kind, deadline.warning,
        deadline.payload.get("seq", 0))


RECORDING = [DeadlineKind("step", fire=record, warn=record)]


def worker(scratch: Scratch, kinds: list[DeadlineKind] = RECORDING, **options: object) -> DeadlineWorker:
    return DeadlineWorker(scratch.pool, kinds, schema=scratch.schema, poll_interval=0.05,
                          lease_seconds=2, **options)  # type: ignore[arg-type]


async def _run(*workers: DeadlineWorker) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(w.run()) for w in workers]


async def _stop(workers: list[DeadlineWorker], tasks: list[asyncio.Task[None]]) -> None:
    for w in workers:
        w.stop()
    await asyncio.gather(*tasks)


async def test_scheduling_outside_a_transaction_is_refused(scratch: Scratch) -> None:
    async with scratch.pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            await deadlines.schedule(conn, "k", "step", datetime.now(UTC))


async def test_two_instances_fire_each_deadline_once_and_each_key_in_order(scratch: Scratch) -> None:
    await _fired_table(scratch.pool)
    now = datetime.now(UTC)
    keys = [f"order-{i}" for i in range(40)]
    expected: dict[str, list[int]] = {}
    async with scratch.pool.acquire() as conn, conn.transaction():
        for key in keys:
            # Due times within a key rise with the sequence; some already due, some soon.
            start = now + timedelta(milliseconds=random.randint(-200, 200))
            for seq in range(5):
                due = start + timedelta(milliseconds=40 * seq)
                await deadlines.schedule(conn, key, "step", due, payload={"seq": seq})
            expected[key] = list(range(5))
    workers = [worker(scratch, concurrency=4, batch=7), worker(scratch, concurrency=4, batch=7)]
    tasks = await _run(*workers)
    try:
        await eventually(lambda: _count(scratch.pool, 200), timeout=30)
    finally:
        await _stop(workers, tasks)
    rows = await scratch.pool.fetch("SELECT key, seq, deadline_id FROM fired ORDER BY n")
    assert len(rows) == 200
    assert len({r["deadline_id"] for r in rows}) == 200, "a deadline fired twice"
    by_key: dict[str, list[int]] = {}
    for row in rows:
        by_key.setdefault(row["key"], []).append(row["seq"])
    assert by_key == expected, "a key's deadlines fired out of order"
    assert workers[0].stats.fired > 0 and workers[1].stats.fired > 0, "one instance did it all"
    left = await scratch.pool.fetchval("SELECT count(*) FROM deadlines WHERE done_at IS NULL")
    assert left == 0


async def _count(pool: asyncpg.Pool, n: int) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM fired") >= n)


async def test_deadlines_survive_a_restart_and_a_dead_instance_lease(scratch: Scratch) -> None:
    """An instance that dies holding leases: its deadlines fire once the leases run out, on
    the instance that comes next; deadlines set before the restart fire after it."""
    await _fired_table(scratch.pool)
    hung = asyncio.Event()

    async def hang(conn: asyncpg.Connection, deadline: Deadline) -> None:
        hung.set()
        await asyncio.sleep(3600)

    now = datetime.now(UTC)
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule(conn, "a", "step", now)
        await deadlines.schedule(conn, "b", "step", now + timedelta(seconds=1))
    dying = worker(scratch, [DeadlineKind("step", fire=hang)])
    task = asyncio.create_task(dying.run())
    await asyncio.wait_for(hung.wait(), 10)
    task.cancel()  # killed mid-firing: its transaction never commits, its lease stays
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await scratch.pool.fetchval("SELECT count(*) FROM fired") == 0

    successor = worker(scratch)
    tasks = await _run(successor)
    try:
        await eventually(lambda: _count(scratch.pool, 2), timeout=15)
    finally:
        await _stop([successor], tasks)
    fired = Counter(r["key"] for r in await scratch.pool.fetch("SELECT key FROM fired"))
    assert fired == {"a": 1, "b": 1}


async def test_cancelled_deadlines_never_fire(scratch: Scratch) -> None:
    await _fired_table(scratch.pool)
    soon = datetime.now(UTC) + timedelta(milliseconds=300)
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule(conn, "k", "step", soon, payload={"seq": 1})
        await deadlines.schedule(conn, "k", "other", soon)
        await deadlines.schedule(conn, "k2", "step", soon, payload={"seq": 2})
    async with scratch.pool.acquire() as conn, conn.transaction():
        assert await deadlines.cancel(conn, "k", "step") == 1
        assert await deadlines.pending(conn, "k") == {"other": soon}
    w = worker(scratch, [*RECORDING, DeadlineKind("other", fire=record)])
    tasks = await _run(w)
    try:
        await eventually(lambda: _count(scratch.pool, 2), timeout=10)
        await asyncio.sleep(0.3)
    finally:
        await _stop([w], tasks)
    fired = sorted((r["key"], r["kind"]) for r in await scratch.pool.fetch("SELECT * FROM fired"))
    assert fired == [("k", "other"), ("k2", "step")]
    outcomes = Counter(r["outcome"] for r in await scratch.pool.fetch("SELECT outcome FROM deadlines"))
    assert outcomes == {"fired": 2, "cancelled": 1}


async def _subject(pool: asyncpg.Pool, key: str) -> None:
    await pool.execute("CREATE TABLE IF NOT EXISTS subjects (key text PRIMARY KEY)")
    await pool.execute("INSERT INTO subjects VALUES ($1)", key)


async def lock_subject_then_record(conn: asyncpg.Connection, deadline: Deadline) -> None:
    """A handler the shape of support's breaches or orders' pay-by: it locks its subject."""
    await conn.execute("SELECT 1 FROM subjects WHERE key = $1 FOR UPDATE", deadline.key)
    await record(conn, deadline)


async def test_a_route_holding_the_subject_cancels_a_deadline_being_fired_without_a_deadlock(
        scratch: Scratch) -> None:
    """A route locks its subject and then cancels the subject's deadlines (a ticket's reply, an
    order's payment) while the worker is firing one of them, whose handler waits for that
    subject. Both take their locks in one order, so neither is a deadlock's victim: the route's
    cancel goes through at once, and the handler's work is rolled back once it gets the
    subject. (The worker used to lock the deadline first; Postgres then aborted one of them
    after a second, and support's desk answered 503.)"""
    await _fired_table(scratch.pool)
    await _subject(scratch.pool, "t-1")
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule(conn, "t-1", "breach", datetime.now(UTC))
    w = worker(scratch, [DeadlineKind("breach", fire=lock_subject_then_record)])

    async def handler_waits_for_the_subject() -> bool:
        return bool(await scratch.pool.fetchval(
            """SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
               AND query LIKE '%FROM subjects WHERE key%'"""))

    async with scratch.pool.acquire() as route, route.transaction():
        await route.execute("SELECT 1 FROM subjects WHERE key = 't-1' FOR UPDATE")
        firing = asyncio.create_task(w.fire_due())
        assert await eventually(handler_waits_for_the_subject, timeout=10, interval=0.02)
        cancelled = await asyncio.wait_for(deadlines.cancel(route, "t-1"), timeout=0.5)
    assert cancelled == 1
    assert await asyncio.wait_for(firing, timeout=10) == 1
    assert await scratch.pool.fetchval("SELECT count(*) FROM fired") == 0, "rolled back"
    assert await scratch.pool.fetchval("SELECT outcome FROM deadlines") == "cancelled"
    assert (w.stats.cancelled_meanwhile, w.stats.failed, w.stats.fired) == (1, 0, 0)


async def test_a_handler_that_cancels_its_keys_deadlines_still_ends_as_fired(
        scratch: Scratch) -> None:
    """Closing a solved ticket drops every deadline the ticket still has; the closing deadline
    itself is the one firing, so it ends as fired, with its work, and the others as cancelled."""
    await _fired_table(scratch.pool)

    async def close(conn: asyncpg.Connection, deadline: Deadline) -> None:
        await record(conn, deadline)
        assert await deadlines.cancel(conn, deadline.key) == 1  # the reminder, not itself

    now = datetime.now(UTC)
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule(conn, "t-2", "close", now)
        await deadlines.schedule(conn, "t-2", "remind", now + timedelta(hours=1))
    w = worker(scratch, [DeadlineKind("close", fire=close), DeadlineKind("remind", fire=record)])
    assert await w.fire_due() == 1
    outcomes = dict(await scratch.pool.fetch("SELECT kind, outcome FROM deadlines"))
    assert outcomes == {"close": "fired", "remind": "cancelled"}
    assert [r["kind"] for r in await scratch.pool.fetch("SELECT kind FROM fired")] == ["close"]
    assert (w.stats.fired, w.stats.failed) == (1, 0)


@pytest.mark.parametrize("together", [False, True], ids=["schedule", "schedule_each"])
async def test_a_warning_fires_before_the_deadline_and_a_stale_one_is_skipped(
        scratch: Scratch, together: bool) -> None:
    await _fired_table(scratch.pool)
    now = datetime.now(UTC)
    # Both of "late"'s times already passed (the service was down): the breach alone says it.
    due = [("sla", now + timedelta(milliseconds=600), now + timedelta(milliseconds=100)),
           ("late", now - timedelta(seconds=1), now - timedelta(seconds=2))]
    async with scratch.pool.acquire() as conn, conn.transaction():
        if together:
            await deadlines.schedule_each(conn, [(key, "step", at) for key, at, _ in due],
                                          warn_at=[warn for _, _, warn in due])
        for key, at, warn in [] if together else due:
            await deadlines.schedule(conn, key, "step", at, warn_at=warn)
    w = worker(scratch)
    tasks = await _run(w)
    try:
        await eventually(lambda: _count(scratch.pool, 3), timeout=10)
    finally:
        await _stop([w], tasks)
    rows = await scratch.pool.fetch("SELECT key, warning FROM fired ORDER BY n")
    assert [(r["key"], r["warning"]) for r in rows if r["key"] == "sla"] == [("sla", True),
                                                                            ("sla", False)]
    assert [(r["key"], r["warning"]) for r in rows if r["key"] == "late"] == [("late", False)]


async def test_a_failing_deadline_is_retried_and_holds_back_its_key(scratch: Scratch) -> None:
    await _fired_table(scratch.pool)
    tries = Counter[str]()

    async def flaky(conn: asyncpg.Connection, deadline: Deadline) -> None:
        tries[deadline.key] += 1
        if deadline.payload.get("seq") == 0 and tries[deadline.key] < 3:
            raise RuntimeError("the provider is down")
        if deadline.payload.get("seq") == 1 and tries[deadline.key] < 5:
            raise Retry(0.05, "not yet")
        await record(conn, deadline)

    now = datetime.now(UTC)
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule(conn, "k", "step", now, payload={"seq": 0})
        await deadlines.schedule(conn, "k", "step", now, payload={"seq": 1})
        await deadlines.schedule(conn, "k", "step", now, payload={"seq": 2})
    w = worker(scratch, [DeadlineKind("step", fire=flaky)], max_backoff=0.2)
    tasks = await _run(w)
    try:
        await eventually(lambda: _count(scratch.pool, 3), timeout=15)
    finally:
        await _stop([w], tasks)
    assert [r["seq"] for r in await scratch.pool.fetch("SELECT seq FROM fired ORDER BY n")] == [0, 1, 2]
    assert w.stats.failed == 2 and w.stats.retried >= 1


async def test_a_kind_fired_in_runs_gets_its_due_deadlines_together_keys_still_in_order(
        scratch: Scratch) -> None:
    """30 keys' deadlines of a kind fired in runs go to its handler together; a failed run is
    tried again whole; a key's deadline of another kind due before its run's one fires first,
    and one due after it fires after it."""
    await _fired_table(scratch.pool)
    runs: list[int] = []

    async def fire_run(pool: asyncpg.Pool, due: list[Deadline]) -> None:
        runs.append(len(due))
        if len(runs) == 1:
            raise RuntimeError("the provider is down")
        async with pool.acquire() as conn, conn.transaction():
            for deadline in due:
                await record(conn, deadline)
            await deadlines.complete_many(conn, due)

    now = datetime.now(UTC)
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule(conn, "k1", "step", now - timedelta(seconds=1))
        await deadlines.schedule_many(conn, "run", [(f"k{n}", now) for n in range(30)])
        await deadlines.schedule(conn, "k0", "step", now + timedelta(milliseconds=1))
    kinds = [*RECORDING, DeadlineKind("run", fire_many_outside_transaction=fire_run)]
    w = worker(scratch, kinds, max_backoff=0.2)
    tasks = await _run(w)
    try:
        await eventually(lambda: _count(scratch.pool, 32), timeout=15)
    finally:
        await _stop([w], tasks)
    rows = await scratch.pool.fetch("SELECT key, kind FROM fired ORDER BY n")
    assert Counter(r["kind"] for r in rows) == {"run": 30, "step": 2}, "each fired once"
    order = {key: [r["kind"] for r in rows if r["key"] == key] for key in ("k0", "k1")}
    assert order == {"k0": ["run", "step"], "k1": ["step", "run"]}
    assert runs[0] >= 28 and max(runs[1:]) >= 28, "the run went to its handler together"
    assert w.stats.failed == runs[0]
    with pytest.raises(ValueError):
        DeadlineKind("both", fire=record, fire_many_outside_transaction=fire_run)


async def test_a_handler_that_calls_out_keeps_its_lease_while_it_waits(scratch: Scratch) -> None:
    """A provider slower than the lease: the worker renews the lease while its handler waits, so
    a second instance does not fire the same deadline meanwhile; past `max_hold_seconds` the
    lease is left to run out, and the other instance fires it again. (A lease of 0.3 s, renewed
    every 0.1 s, ran out once on a CI machine busy with the whole suite: a renewal may be late
    by a few hundred milliseconds there. One second, renewed every third, leaves it 0.67 s.)"""
    calls: Counter[str] = Counter()

    async def call_slow_provider(pool: asyncpg.Pool, deadline: Deadline) -> None:
        calls[deadline.key] += 1
        await asyncio.sleep(3.0)  # three leases
        async with pool.acquire() as conn:
            await deadlines.complete(conn, deadline)

    kinds = [DeadlineKind("call", fire_outside_transaction=call_slow_provider)]

    async def fire_with_two_instances(key: str, max_hold_seconds: float) -> None:
        async with scratch.pool.acquire() as conn, conn.transaction():
            await deadlines.schedule(conn, key, "call", datetime.now(UTC))
        instances = [DeadlineWorker(scratch.pool, kinds, schema=scratch.schema,
                                    poll_interval=0.05, lease_seconds=1.0,
                                    max_hold_seconds=max_hold_seconds) for _ in range(2)]
        tasks = await _run(*instances)
        try:
            await eventually(lambda: scratch.pool.fetchval(
                "SELECT done_at IS NOT NULL FROM deadlines WHERE key = $1", key), timeout=10)
            await asyncio.sleep(3.1)  # a second firing, had there been one, has ended too
        finally:
            await _stop(instances, tasks)

    await fire_with_two_instances("renewed", max_hold_seconds=600)
    assert calls["renewed"] == 1, "the lease ran out while the provider answered"
    assert await scratch.pool.fetchval(
        "SELECT attempts FROM deadlines WHERE key = 'renewed'") == 1

    await fire_with_two_instances("held-too-long", max_hold_seconds=0.3)
    assert calls["held-too-long"] >= 2, "a handler held past the limit kept its lease"


async def test_a_deadline_table_grown_from_empty_has_statistics_within_seconds(
        scratch: Scratch) -> None:
    """A fresh stack's deadline table is analysed while empty (the seed analyses everything),
    then fills at checkout's pace. Until autovacuum analyses it again, the planner has no
    statistics: it cancelled an order's deadlines by walking every pending one. The stack's
    Postgres looks every `AUTOVACUUM_NAPTIME`, so that lasts seconds, not a minute."""
    await scratch.pool.execute("ANALYZE deadlines")
    due = datetime.now(UTC) + timedelta(days=2)
    async with scratch.pool.acquire() as conn, conn.transaction():
        await deadlines.schedule_each(conn, [(f"order-{n}", kind, due) for n in range(3000)
                                             for kind in ("pay_by", "ship_by")])

    async def analysed() -> bool:
        return bool(await scratch.pool.fetchval(
            """SELECT last_autoanalyze IS NOT NULL FROM pg_stat_user_tables
               WHERE schemaname = $1 AND relname = 'deadlines'""", scratch.schema))

    assert await eventually(analysed, timeout=45, interval=0.5)
    plan = "\n".join(row[0] for row in await scratch.pool.fetch(
        "EXPLAIN " + deadlines.CANCEL, [f"order-{n}" for n in range(20)], ["pay_by"]))
    assert "deadlines_pending_by_key" in plan, plan
