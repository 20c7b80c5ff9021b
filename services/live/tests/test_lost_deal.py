"""A deal Redis lost while one of its grants was still being recorded (the fault suite's Redis
restart, at its worst moment): the deal is rebuilt from what Postgres holds, and the grant in
flight is either counted by the rebuild or refused, never granted on top of it. And a Redis
that holds a deal at an epoch Postgres does not keep (restored from an older snapshot, or
left by a rebuild that never committed) is dropped and rebuilt, not trusted and not stuck."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from libs.testing import ServedService, bearer
from services.live.adapters import deals_repository
from services.live.adapters.claims_store import AttemptBudget, ClaimDecision
from services.live.components import LiveComponents
from services.live.tests.conftest import Publish, running_deal, units_left
from services.live.use_cases.claim_audit import recover_unrecorded_grants
from services.live.use_cases.deals import rebuild_lost_deal
from services.live.use_cases.grant_records import (
    DecidedGrant,
    GrantFenced,
    GrantRecord,
    record_grants,
)

AMPLE = AttemptBudget(limit=1000, window_seconds=60)


async def _decided(live: ServedService, decision: ClaimDecision, deal_id: UUID,
                   buyer_id: str) -> DecidedGrant:
    """The grant as `grant_claim` hands it to be recorded."""
    assert decision.granted and decision.claim_id is not None
    deal = await deals_repository.get(live.runtime.db, deal_id)
    assert deal is not None
    return DecidedGrant(GrantRecord(
        claim_id=decision.claim_id, deal_id=deal_id, session_id=deal["session_id"],
        buyer_id=buyer_id, sku_id=deal["sku_id"], quantity=1,
        expires_at=datetime.now(UTC) + timedelta(minutes=10)), decision.epoch)


async def _a_grant_decided(live: ServedService, publish: Publish, buyer_id: str,
                           ) -> tuple[UUID, LiveComponents, Any, ClaimDecision]:
    """A running deal of 3 units and one grant Redis decided for `buyer_id`, not recorded."""
    deal_id, _, _ = await running_deal(live, publish, quantity=3)
    components: LiveComponents = live.runtime.components["live"]
    decision = await components.claims.claim(deal_id, buyer_id, 1, AMPLE)
    return deal_id, components, live.runtime.db, decision


async def _claim(live: ServedService, deal_id: UUID, buyer: str) -> int:
    answer = await live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                    headers=bearer("buyer", f"{buyer}-{secrets.token_hex(3)}"))
    return answer.status_code


async def test_a_grant_the_lost_redis_decided_is_refused_after_the_rebuild(
        live: ServedService, publish: Publish) -> None:
    deal_id, components, pool, in_flight = await _a_grant_decided(live, publish, "in-flight")
    await components.claims.forget(deal_id)  # Redis restarted without its data

    answers = [await _claim(live, deal_id, f"after-{n}") for n in range(4)]
    assert answers == [201, 201, 201, 409], "rebuilt: 3 units, 0 held"

    with pytest.raises(GrantFenced):  # its record arrives after the rebuild counted without it
        await components.grants.record(components, pool,
                                       await _decided(live, in_flight, deal_id, "in-flight"))
    held = await deals_repository.units_held(pool, deal_id)
    assert sum(held.values()) == 3 and "in-flight" not in held, "never more than the deal has"
    assert await units_left(live, deal_id) == 0, "its units were not handed back on top"


async def test_a_rebuild_waits_for_a_grant_being_recorded_and_counts_it(
        live: ServedService, publish: Publish) -> None:
    deal_id, components, pool, recording = await _a_grant_decided(live, publish, "recording")
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await record_grants(conn, [await _decided(live, recording, deal_id, "recording")],
                            components.settings.claim_grace_seconds)
        await components.claims.forget(deal_id)
        rebuild = asyncio.create_task(rebuild_lost_deal(components, pool, deal_id))
        await asyncio.sleep(0.5)
        assert not rebuild.done(), "the rebuild waits for the record on the deal's row"
        await transaction.commit()
    assert await asyncio.wait_for(rebuild, 10)
    assert await units_left(live, deal_id) == 2, "the rebuild counted the recorded grant"
    assert (await deals_repository.units_held(pool, deal_id)) == {"recording": 1}


async def test_a_redis_restored_from_an_older_snapshot_is_dropped_and_rebuilt(
        live: ServedService, publish: Publish) -> None:
    deal_id, _, _ = await running_deal(live, publish, quantity=3)
    components: LiveComponents = live.runtime.components["live"]
    redis, pool = live.runtime.redis, live.runtime.db
    assert await _claim(live, deal_id, "first") == 201
    keys = [f"deal:{{{deal_id}}}", f"deal:{{{deal_id}}}:buyers"]
    snapshot = {key: await redis.dump(key) for key in keys}  # 2 units left, by this snapshot

    await components.claims.forget(deal_id)  # Redis lost it: rebuilt at the next claim
    assert await _claim(live, deal_id, "second") == 201
    for key, dumped in snapshot.items():  # ... then came back from the older snapshot
        await redis.restore(key, 0, dumped, replace=True)
    assert await units_left(live, deal_id) == 2, "the stale state claims one unit too many"

    assert await _claim(live, deal_id, "third") == 503, "decided by the stale state: refused"
    assert [await _claim(live, deal_id, f"then-{n}") for n in range(3)] == [201, 409, 409], \
        "rebuilt from Postgres: one unit was left"
    held = await deals_repository.units_held(pool, deal_id)
    assert sum(held.values()) == 3 and await units_left(live, deal_id) == 0


async def test_a_rebuild_that_never_committed_leaves_nothing_behind(
        live: ServedService, publish: Publish) -> None:
    deal_id, components, pool, first = await _a_grant_decided(live, publish, "recorded")
    await components.grants.record(components, pool,
                                   await _decided(live, first, deal_id, "recorded"))
    assert await _claim(live, deal_id, "recorded-too") == 201  # 1 unit left, epoch 0
    # A rebuild wrote Redis at its new epoch, then its transaction failed and so did the
    # clean-up: Redis holds an epoch Postgres never kept, and a grant decided under it.
    async with pool.acquire() as conn:
        dead_epoch = await conn.fetchval("SELECT nextval('deal_redis_epochs')")
    await components.claims.forget(deal_id)
    assert await components.claims.rebuild(
        deal_id, remaining=3, per_buyer_limit=1, starts_at=datetime.now(UTC),
        ends_at=datetime.now(UTC) + timedelta(minutes=5), held={}, epoch=dead_epoch,
        kept_epoch=0)
    orphan = await components.claims.claim(deal_id, "orphan", 1, AMPLE)
    assert orphan.epoch == dead_epoch

    assert await _claim(live, deal_id, "fenced") == 503, "decided by the dead state: refused"
    assert [await _claim(live, deal_id, f"then-{n}") for n in range(2)] == [201, 409], \
        "rebuilt at a new epoch, from the two claims recorded"
    with pytest.raises(GrantFenced):  # the dead state's grant never records...
        await components.grants.record(components, pool,
                                       await _decided(live, orphan, deal_id, "orphan"))
    deal = await deals_repository.get(pool, deal_id)
    assert deal is not None
    await recover_unrecorded_grants(components, pool, deal, older_than_seconds=0)
    assert await units_left(live, deal_id) == 0, "... and the audit hands none of it back"
    held = await deals_repository.units_held(pool, deal_id)
    assert sum(held.values()) == 3 and "orphan" not in held


async def test_units_of_a_grant_never_recorded_go_back_only_to_the_epoch_that_counted_them(
        live: ServedService, publish: Publish) -> None:
    deal_id, components, _, unrecorded = await _a_grant_decided(live, publish, "lost")
    await components.claims.forget(deal_id)
    assert await _claim(live, deal_id, "after") == 201  # rebuilt: 3 units, 1 claimed
    assert unrecorded.claim_id is not None
    destination = await components.give_back(deal_id, unrecorded.claim_id, "lost", 1,
                                              unrecorded_at_epoch=unrecorded.epoch)
    assert destination == "fenced" and await units_left(live, deal_id) == 2


async def test_the_audit_hands_back_nothing_of_a_grant_from_before_the_rebuild(
        live: ServedService, publish: Publish) -> None:
    deal_id, components, pool, lost = await _a_grant_decided(live, publish, "lost")
    assert lost.claim_id is not None
    [noted] = await components.claims.stale_grants(deal_id, older_than_seconds=0)
    assert noted.claim_id == lost.claim_id and noted.epoch == lost.epoch
    await components.claims.forget(deal_id)
    assert await _claim(live, deal_id, "after") == 201  # rebuilt: 3 units, 1 claimed
    # The audit read the note just before the rebuild and bars it just after:
    pending = f"deal:{{{deal_id}}}:pending"
    await live.runtime.redis.hset(pending, str(lost.claim_id), f"lost|1|0|{lost.epoch}")
    deal = await deals_repository.get(pool, deal_id)
    assert deal is not None
    await recover_unrecorded_grants(components, pool, deal, older_than_seconds=0)

    assert await units_left(live, deal_id) == 2, "nothing handed back on top of the rebuild"
    claim = await deals_repository.get_claim(pool, lost.claim_id)
    assert claim is not None and (claim["status"], claim["returned_to"]) == ("abandoned",
                                                                             "fenced")
    assert await components.claims.pending_count(deal_id) == 0
    held = await deals_repository.units_held(pool, deal_id)
    assert sum(held.values()) == 1 and "lost" not in held, "a later rebuild counts it nowhere"
