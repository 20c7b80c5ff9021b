"""`Idempotency-Key` on real Postgres: one effect per key whatever the timing, the first answer
replayed, another body refused, a concurrent duplicate told to wait, a failure forgotten."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest

from libs.errors import Problem
from libs.idempotency import request_fingerprint, run_idempotent
from libs.testing import Scratch


async def _effects_table(pool: asyncpg.Pool) -> None:
    await pool.execute("CREATE TABLE effects_made (n bigserial PRIMARY KEY, body text NOT NULL)")


def _work(body: dict[str, Any], *, hold: float = 0.0, fail: bool = False) -> Any:
    async def work(conn: asyncpg.Connection) -> tuple[int, Any]:
        n = await conn.fetchval("INSERT INTO effects_made (body) VALUES ($1) RETURNING n",
                                json.dumps(body))
        await asyncio.sleep(hold)
        if fail:
            raise RuntimeError("the effect failed")
        return 201, {"n": n}
    return work


async def _call(scratch: Scratch, key: str, body: dict[str, Any], **work: Any) -> Any:
    return await run_idempotent(scratch.pool, scope="buyer-1:POST /v1/things", key=key,
                                body=body, work=_work(body, **work))


async def test_a_key_replays_its_first_answer_and_refuses_another_body(scratch: Scratch) -> None:
    await _effects_table(scratch.pool)
    first = await _call(scratch, "k1", {"a": 1})
    again = await _call(scratch, "k1", {"a": 1})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.body == first.body and again.headers["idempotent-replayed"] == "true"
    with pytest.raises(Problem) as refused:
        await _call(scratch, "k1", {"a": 2})
    assert refused.value.status == 422
    other_scope = await run_idempotent(scratch.pool, scope="buyer-2:POST /v1/things", key="k1",
                                       body={"a": 1}, work=_work({"a": 1}))
    assert other_scope.status_code == 201 and "idempotent-replayed" not in other_scope.headers
    assert await scratch.pool.fetchval("SELECT count(*) FROM effects_made") == 2


async def test_concurrent_duplicates_make_one_effect_and_are_told_it_is_in_flight(
        scratch: Scratch) -> None:
    await _effects_table(scratch.pool)
    outcomes = await asyncio.gather(*(_call(scratch, "double-click", {"a": 1}, hold=0.2)
                                      for _ in range(5)), return_exceptions=True)
    answered = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, Problem)]
    assert len(answered) == 1 and answered[0].status_code == 201
    assert len(refused) == 4 and {p.status for p in refused} == {409}
    assert all(p.headers == {"Retry-After": "1"} for p in refused)
    assert await scratch.pool.fetchval("SELECT count(*) FROM effects_made") == 1
    replayed = await _call(scratch, "double-click", {"a": 1})
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.body == answered[0].body


async def test_a_failed_request_leaves_its_key_free_and_no_effect(scratch: Scratch) -> None:
    await _effects_table(scratch.pool)
    with pytest.raises(RuntimeError):
        await _call(scratch, "k2", {"a": 1}, fail=True)
    assert await scratch.pool.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    retried = await _call(scratch, "k2", {"a": 1})
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await scratch.pool.fetchval("SELECT count(*) FROM effects_made") == 1


async def test_a_claim_left_by_a_dead_request_is_taken_over_once_stale(scratch: Scratch) -> None:
    """A row committed `in_flight` (how earlier versions claimed a key before the effect): a
    409 while it may still be running, taken over after the in-flight timeout."""
    await _effects_table(scratch.pool)
    await scratch.pool.execute(
        """INSERT INTO idempotency_keys (scope, key, request_hash, state)
           SELECT 'buyer-1:POST /v1/things', k, $1, 'in_flight' FROM unnest($2::text[]) k""",
        request_fingerprint({"a": 1}),
        ["fresh", "stale"])
    await scratch.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' WHERE key = 'stale'")
    with pytest.raises(Problem) as busy:
        await _call(scratch, "fresh", {"a": 1})
    assert busy.value.status == 409
    taken = await _call(scratch, "stale", {"a": 1})
    assert taken.status_code == 201
    state = await scratch.pool.fetchval("SELECT state FROM idempotency_keys WHERE key = 'stale'")
    assert state == "completed"
