"""A deal Redis lost while one of its grants was still being recorded (the fault suite's Redis
restart, at its worst moment): the deal is rebuilt from what Postgres holds, and the grant in
flight is either counted by the rebuild or refused, never granted on top of it."""

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


async def test_a_grant_the_lost_redis_decided_is_refused_after_the_rebuild(
        live: ServedService, publish: Publish) -> None:
    deal_id, components, pool, in_flight = await _a_grant_decided(live, publish, "in-flight")
    await components.claims.forget(deal_id)  # Redis restarted without its data

    answers = [await live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                      headers=bearer("buyer", f"after-{n}-{secrets.token_hex(3)}"))
               for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 409], "rebuilt: 3 units, 0 held"

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
