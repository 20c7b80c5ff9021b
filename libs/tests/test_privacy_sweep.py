"""The erasure sweep on real Postgres, against a transaction changing the same row."""

from __future__ import annotations

import asyncio
import json

from libs.privacy import pseudonymise
from libs.testing import Scratch, eventually


async def test_a_row_updated_while_the_sweep_runs_is_still_pseudonymised(
        scratch: Scratch) -> None:
    """The outbox relay holds the erasure request's own row while it publishes it, and marks
    it published as the services already hear the request. The sweep that meets it then must
    still rewrite it, not the version it first read. (`relayed` stands in for the outbox,
    which the scratch schema already has, with more columns than this needs.)"""
    pool = scratch.pool
    await pool.execute("CREATE TABLE relayed (seq int PRIMARY KEY, payload jsonb NOT NULL, "
                       "published_at timestamptz)")
    await pool.execute("INSERT INTO relayed VALUES (1, $1::jsonb, NULL)",
                       json.dumps({"subject_id": "buyer-7", "kind": "erasure"}))

    async def sweep_waits_for_a_lock() -> bool:
        return bool(await pool.fetchval(
            """SELECT count(*) FROM pg_stat_activity
               WHERE wait_event_type = 'Lock' AND query LIKE '%relayed%'"""))

    async with pool.acquire() as relay, relay.transaction():
        await relay.execute("SELECT 1 FROM relayed WHERE seq = 1 FOR UPDATE")

        async def erase() -> int:
            async with pool.acquire() as conn, conn.transaction():
                return await pseudonymise(conn, "buyer-7", "erased-1")

        sweep = asyncio.create_task(erase())
        assert await eventually(sweep_waits_for_a_lock, timeout=10, interval=0.02)
        await relay.execute("UPDATE relayed SET published_at = now() WHERE seq = 1")
    assert await asyncio.wait_for(sweep, timeout=10) == 1
    row = await pool.fetchrow("SELECT payload, published_at FROM relayed WHERE seq = 1")
    assert json.loads(row["payload"]) == {"subject_id": "erased-1", "kind": "erasure"}
    assert row["published_at"] is not None, "the relay's change is kept too"
