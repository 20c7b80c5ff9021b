"""After a sell-out an instance refuses claims itself for a moment (`sold_out_memory_seconds`),
without a Redis round trip per refusal; units handed back reach buyers again."""

from __future__ import annotations

import asyncio
import secrets

from libs.ids import new_id
from libs.testing import ServedService, bearer
from services.live.tests.conftest import Publish, running_deal, units_left


async def claim(live: ServedService, deal_path: str) -> tuple[int, str]:
    answer = await live.client.post(deal_path, headers=bearer(
        "buyer", f"fan-{secrets.token_hex(4)}"))
    return answer.status_code, answer.json().get("code", "")


async def test_a_sold_out_deal_is_refused_from_memory_until_a_unit_comes_back(
        live: ServedService, publish: Publish) -> None:
    deal_id, _, _ = await running_deal(live, publish, quantity=1)
    components = live.runtime.components["live"]
    memory_seconds = live.runtime.settings.sold_out_memory_seconds
    path = f"/v1/live/deals/{deal_id}/claims"
    assert (await claim(live, path))[0] == 201
    assert await claim(live, path) == (409, "sold_out")

    # Another instance hands a unit back (Redis only): this one may say "sold out" for at
    # most its memory, then offers the unit.
    await components.claims.give_back(deal_id, new_id(), "someone-elsewhere", 1)
    assert await claim(live, path) == (409, "sold_out"), "remembered, Redis not asked"
    await asyncio.sleep(memory_seconds + 0.05)
    assert (await claim(live, path))[0] == 201
    assert await claim(live, path) == (409, "sold_out")

    # This instance hands a unit back: offered at once.
    await components.give_back(deal_id, new_id(), "someone-here", 1)
    assert (await claim(live, path))[0] == 201
    assert await units_left(live, deal_id) == 0
