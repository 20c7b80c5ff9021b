"""Grants of concurrent claims are recorded together (one commit for many, since each grant's
event takes its deal's next sequence number) and each exactly once."""

from __future__ import annotations

import asyncio
import secrets

from libs.testing import ServedService, bearer
from services.live.tests.conftest import Publish, running_deal, units_left


async def test_a_rush_of_grants_is_recorded_once_each_in_fewer_commits(
        live: ServedService, publish: Publish) -> None:
    deal_id, _, _ = await running_deal(live, publish, quantity=20)
    path = f"/v1/live/deals/{deal_id}/claims"
    answers = await asyncio.gather(*[live.client.post(path, headers=bearer(
        "buyer", f"rush-{n}-{secrets.token_hex(3)}")) for n in range(40)])
    granted = [a.json()["claim_id"] for a in answers if a.status_code == 201]
    assert sorted(a.status_code for a in answers) == [201] * 20 + [409] * 20
    db = live.runtime.db
    rows = await db.fetch("SELECT id::text, status, xmin::text AS tx FROM claims "
                          "WHERE deal_id = $1", deal_id)
    assert sorted(r["id"] for r in rows) == sorted(granted)
    assert {r["status"] for r in rows} == {"active"}
    told = await db.fetch("SELECT payload->>'claim_id' AS claim, sequence FROM outbox "
                          "WHERE event_type = 'live.claim.created' AND event_key = $1",
                          str(deal_id))
    assert sorted(r["claim"] for r in told) == sorted(granted), "one event per grant"
    assert len({r["sequence"] for r in told}) == 20, "each its own place in the deal's order"
    assert len({r["tx"] for r in rows}) < 20, "grants arriving together commit together"
    assert await live.runtime.components["live"].claims.pending_count(deal_id) == 0
    assert await units_left(live, deal_id) == 0
