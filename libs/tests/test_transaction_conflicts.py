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


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://test")


async def test_a_route_whose_connection_postgres_drops_answers_503_not_500(
        scratch: Scratch) -> None:
    """What a Postgres restart does to a request in flight: the server ends its connection in
    the middle of the transaction, and leaving the transaction then raises asyncpg's
    InterfaceError about a closed connection. The client must be told to retry."""
    app = FastAPI()
    install_problem_handlers(app)
    inside = asyncio.Event()

    @app.post("/slow")
    async def slow() -> None:
        async with transaction(scratch.pool) as conn:
            await conn.execute("SET application_name = 'doomed'")
            inside.set()
            await conn.execute("SELECT pg_sleep(30)")

    async def terminate() -> None:
        await inside.wait()
        await scratch.pool.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'doomed'")

    async with _client(app) as client:
        response, _ = await asyncio.gather(client.post("/slow"), terminate())
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"


async def test_misusing_a_live_connection_is_still_a_500() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/misuse")
    async def misuse() -> None:
        raise asyncpg.InterfaceError("cannot perform operation: another operation is in progress")

    async with _client(app) as client:
        response = await client.post("/misuse")
    assert response.status_code == 500


async def test_a_connection_left_mid_operation_by_a_restart_answers_503_not_500() -> None:
    """Seen in the fault suite: after a Postgres restart, a pooled connection's protocol was
    still mid-operation and the cart line's next statement failed inside asyncpg. Nothing ran;
    the client must be told to retry, not shown a server error."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.put("/line")
    async def line() -> None:
        raise asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress")

    async with _client(app) as client:
        response = await client.put("/line")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
