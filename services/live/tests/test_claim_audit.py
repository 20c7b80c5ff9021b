"""A grant Redis decided but Postgres never recorded is not lost (the chaos suite's failure on
6ea4092: live killed mid-rush left a 40-unit deal with 39 granted and none left).

The claims audit runs as the deal's recurring deadline on a live instance with a short grace;
the crash is the claim script run with nothing recorded after it, as a killed process leaves it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

import pytest

from libs.testing import ServedService, bearer, eventually, serve
from services.live.adapters import deals_repository
from services.live.adapters.claims_store import AttemptBudget
from services.live.app import create_app
from services.live.settings import LiveSettings
from services.live.tests.conftest import Publish, running_deal, units_left

AMPLE = AttemptBudget(limit=1000, window_seconds=60)
GRACE = 1.0


@pytest.fixture(scope="module")
async def live(settings_for: Callable[..., Any]) -> AsyncIterator[ServedService]:
    settings = settings_for(LiveSettings, claim_record_grace_seconds=GRACE,
                            claim_audit_interval_seconds=0.2)
    async with serve(create_app(settings)) as service:
        yield service


async def expiries_told(live: ServedService, claim_id: UUID) -> list[str]:
    """`returned_to` of each live.claim.expired in the outbox for the claim."""
    rows = await live.runtime.db.fetch(
        "SELECT payload FROM outbox WHERE event_type = 'live.claim.expired' "
        "AND payload->>'claim_id' = $1", str(claim_id))
    return [_data(row["payload"])["returned_to"] for row in rows]


def _data(payload: Any) -> dict[str, Any]:
    return dict(json.loads(payload) if isinstance(payload, str) else payload)


async def test_a_grant_its_instance_never_recorded_goes_back_to_the_deal(
        live: ServedService, publish: Publish) -> None:
    deal_id, _, _ = await running_deal(live, publish, quantity=5)
    claims, pool = live.runtime.components["live"].claims, live.runtime.db
    kept = await live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                  headers=bearer("buyer", f"kept-{secrets.token_hex(3)}"))
    assert kept.status_code == 201, kept.text
    lost = await claims.claim(deal_id, "killed-mid-grant", 1, AMPLE)  # then the process died
    assert lost.granted and await units_left(live, deal_id) == 3

    async def handed_back() -> bool:
        return await units_left(live, deal_id) == 4

    assert await eventually(handed_back, timeout=30), "the unrecorded grant stayed lost"
    assert lost.claim_id is not None
    barred = await deals_repository.get_claim(pool, lost.claim_id)
    assert barred is not None and (barred["status"], barred["returned_to"]) == ("abandoned",
                                                                                "deal")
    assert await expiries_told(live, lost.claim_id) == ["deal"]
    recorded = await deals_repository.get_claim(pool, UUID(kept.json()["claim_id"]))
    assert recorded is not None and recorded["status"] == "active", \
        "a recorded grant is left alone"
    assert await claims.pending_count(deal_id) == 0
    await asyncio.sleep(GRACE + 0.5)  # further audits hand nothing back twice
    assert await units_left(live, deal_id) == 4
    again = await live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                   headers=bearer("buyer", "killed-mid-grant"))
    assert again.status_code == 201, "the buyer's limit no longer counts the lost grant"


async def test_a_recording_that_stalls_past_the_grace_is_refused_and_counted_once(
        live: ServedService, publish: Publish, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit bars the grant first; the late recording collides on the claim's id, the
    buyer is told to retry (503) and the unit goes back once, not twice."""
    deal_id, _, _ = await running_deal(live, publish, quantity=3)
    record = deals_repository.add_claims

    async def stalled(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(GRACE * 3)
        await record(*args, **kwargs)

    monkeypatch.setattr(deals_repository, "add_claims", stalled)
    buyer = f"stalled-{secrets.token_hex(3)}"
    answer = await live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                    headers=bearer("buyer", buyer))
    monkeypatch.undo()
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await units_left(live, deal_id) == 3
    [claim] = await live.runtime.db.fetch(
        "SELECT * FROM claims WHERE deal_id = $1 AND buyer_id = $2", deal_id, buyer)
    assert await deals_repository.buyer_claims(live.runtime.db, deal_id, buyer) == [], \
        "a barred grant was never the buyer's"
    assert (claim["status"], claim["returned_to"]) == ("abandoned", "deal")
    assert await expiries_told(live, claim["id"]) == ["deal"]


async def test_after_the_deal_the_lost_units_go_to_stock_and_the_audit_stops(
        live: ServedService, publish: Publish) -> None:
    deal_id, session_id, seller = await running_deal(live, publish, quantity=2)
    claims = live.runtime.components["live"].claims
    lost = await claims.claim(deal_id, "killed-at-the-end", 1, AMPLE)
    assert lost.granted and lost.claim_id is not None
    ended = await live.client.post(f"/v1/live/sessions/{session_id}/end", headers=seller)
    assert ended.status_code == 200, ended.text

    async def told_to_stock() -> bool:
        return await expiries_told(live, lost.claim_id) == ["stock"]

    assert await eventually(told_to_stock, timeout=30), "catalog never hears of the unit"
    key = f"{deal_id}:claims"

    async def audit_done() -> bool:
        return bool(await live.runtime.db.fetchval(
            "SELECT bool_and(done_at IS NOT NULL) FROM deadlines WHERE key = $1", key))

    assert await eventually(audit_done, timeout=30), "the audit outlived its deal"
