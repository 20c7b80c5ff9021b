"""A transaction Postgres aborts to break a deadlock runs again (real Postgres), and a route
that meets one anyway answers 503 with Retry-After, not 500."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from libs.db.transaction import retry_on_conflict, transaction
from libs.errors import install_problem_handlers
from libs.testing import Scratch


async def test_a_deadlock_victim_runs_again_and_both_changes_are_kept(scratch: Scratch) -> None:
    await scratch.pool.execute(
        "CREATE TABLE pair (id int PRIMARY KEY, v int NOT NULL); "
        "INSERT INTO pair VALUES (1, 0), (2, 0)")
    both_hold_one = asyncio.Barrier(2)
    runs: Counter[int] = Counter()

    async def bump_both(first: int, second: int) -> None:
        async def work() -> None:
            runs[first] += 1
            async with transaction(scratch.pool) as conn:
                await conn.execute("UPDATE pair SET v = v + 1 WHERE id = $1", first)
                if runs[first] == 1:
                    await both_hold_one.wait()  # each holds one row, then wants the other's
                await conn.execute("UPDATE pair SET v = v + 1 WHERE id = $1", second)

        await retry_on_conflict(work)

    await asyncio.gather(bump_both(1, 2), bump_both(2, 1))
    rows = await scratch.pool.fetch("SELECT id, v FROM pair ORDER BY id")
    assert [(r["id"], r["v"]) for r in rows] == [(1, 2), (2, 2)], "each change kept once"
    assert sorted(runs.values()) == [1, 2], "exactly one of them ran twice"


async def test_without_retries_the_conflict_is_raised_after_the_last_attempt() -> None:
    calls = 0

    async def always_deadlocks() -> None:
        nonlocal calls
        calls += 1
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    with pytest.raises(asyncpg.DeadlockDetectedError):
        await retry_on_conflict(always_deadlocks, attempts=2)
    assert calls == 2


async def test_a_route_that_meets_a_deadlock_answers_503_with_retry_after() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def things() -> None:
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        response = await client.post("/things")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
