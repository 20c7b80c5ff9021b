"""The same machine's ceilings, measured in the same sitting as the benchmarks they bound.

- `bare_app`: the cheapest useful FastAPI route (a pydantic response, no database, no
  middleware): what any route here could at best do with the same load client, connections and
  process count.
- `hot_row`: a bare Postgres hot-row UPDATE, each in its own transaction, on the stack's own
  server: what any path deciding on one row could at best do.
- `naive_fanout_app`: the obvious FastAPI broadcast (await `send_text` to each socket in turn)
  fed from the same Redis stream as live: the peer a fan-out design has to beat.

Run as `python -m uvicorn benchmarks.ceilings:bare_app --factory` (or `naive_fanout_app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import redis.asyncio as redis
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

NAIVE_FEED_KEY = "bench:naive:feed"


class Priced(BaseModel):
    id: UUID
    title: str
    price_minor: int
    currency: str
    updated_at: datetime


def bare_app() -> FastAPI:
    app = FastAPI()
    item = Priced(id=uuid4(), title="Hand-thrown stoneware mug", price_minor=2400,
                  currency="GBP", updated_at=datetime.now(UTC))

    @app.get("/bare", response_model=Priced)
    async def bare() -> Priced:
        return item

    return app


def naive_fanout_app() -> FastAPI:
    """Every viewer in a set; each stream entry awaited out to them one after another."""
    app = FastAPI()
    viewers: set[WebSocket] = set()
    client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])

    async def pump() -> None:
        last = "$"
        while True:
            reply = await client.xread({NAIVE_FEED_KEY: last}, block=1000, count=100)
            for _, entries in reply:
                for entry_id, fields in entries:
                    last = entry_id
                    text = '{"type":"bench","data":' + fields[b"d"].decode() + "}"
                    for viewer in list(viewers):
                        try:
                            await viewer.send_text(text)
                        except Exception:
                            viewers.discard(viewer)

    @app.on_event("startup")
    async def start() -> None:
        app.state.pump = asyncio.create_task(pump())

    @app.websocket("/ws")
    async def watch(socket_: WebSocket) -> None:
        await socket_.accept()
        viewers.add(socket_)
        try:
            while True:
                await socket_.receive_text()
        except WebSocketDisconnect:
            viewers.discard(socket_)

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(factory: str, workers: int,
            env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """A uvicorn process serving `benchmarks.ceilings:<factory>`; yields its base URL and
    process id."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "uvicorn", f"benchmarks.ceilings:{factory}", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.1)
        time.sleep(0.5 * workers)  # every worker listening
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


async def commits_per_second(database_url: str, connections: int, seconds: float, *,
                             setup: str, statement: str, teardown: str) -> float:
    """`statement` as its own transaction, as fast as `connections` clients can commit it."""
    pool = await asyncpg.create_pool(database_url, min_size=connections, max_size=connections)
    try:
        await pool.execute(setup)
        done = 0
        deadline = time.perf_counter() + seconds

        async def lane() -> None:
            nonlocal done
            async with pool.acquire() as conn:
                while time.perf_counter() < deadline:
                    await conn.execute(statement)
                    done += 1

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        await pool.execute(teardown)
        return done / elapsed
    finally:
        await pool.close()


async def hot_row(database_url: str, connections: int, seconds: float) -> dict[str, Any]:
    """Single-statement transactions incrementing one row, from `connections` clients."""
    rate = await commits_per_second(
        database_url, connections, seconds,
        setup="""CREATE SCHEMA IF NOT EXISTS bench_ceiling;
                 CREATE TABLE IF NOT EXISTS bench_ceiling.hot (id int PRIMARY KEY, n bigint);
                 INSERT INTO bench_ceiling.hot VALUES (1, 0)
                 ON CONFLICT (id) DO UPDATE SET n = 0""",
        statement="UPDATE bench_ceiling.hot SET n = n + 1 WHERE id = 1",
        teardown="DROP SCHEMA bench_ceiling CASCADE")
    return {"transactions_per_second": round(rate), "connections": connections}
