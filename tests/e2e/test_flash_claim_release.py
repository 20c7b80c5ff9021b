"""A flash-deal claim whose order is cancelled is not lost (issue 12, item 3): checked out with
a declined card, the claim is its buyer's again until it expires, its unit stays with the deal
(not general stock at list price), the buyer checks it out again with a good card, and the
deal's tally counts as sold only units in paid orders."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from libs.testing import bearer, eventually
from tests.e2e.flash_world import (
    ADDRESS,
    GOOD_CARD,
    Stage,
    deal_state,
    live_product,
    on_air,
    staged,
    stock_of,
)

pytestmark = pytest.mark.kafka
DECLINED = "pm_card_declined"


@pytest.fixture(scope="module")
async def stage(settings_for: Callable[..., Any]) -> AsyncIterator[Stage]:
    async with staged(settings_for, payment_window_seconds=120) as ready:
        yield ready


async def checkout(stage: Stage, buyer: dict[str, str], sku: str, claim: dict[str, Any],
                   card: str) -> dict[str, Any]:
    put = await stage.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={
        "quantity": claim["quantity"], "source": {"claim_token": claim["claim_token"]}})
    assert put.status_code == 200, put.text
    placed = await stage.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(6)},
        json={"shipping_address": ADDRESS, "payment": {"method": card}})
    assert placed.status_code == 201, placed.text
    [order] = placed.json()["orders"]
    return dict(order)


async def order_status(stage: Stage, buyer: dict[str, str], order_id: str,
                       wanted: str) -> bool:
    got = await stage.orders.client.get(f"/v1/orders/{order_id}", headers=buyer)
    return bool(got.json()["status"] == wanted)


@dataclass
class DeclinedClaim:
    sku: str
    session_id: str
    deal_id: str
    buyer: dict[str, str]
    claim: dict[str, Any]
    order_id: str


async def claim_then_decline(stage: Stage, *, stock: int, quantity: int,
                             price: int) -> DeclinedClaim:
    """A running deal, a buyer's claim on it, and that claim checked out with a card the
    provider declines (the order is cancelled)."""
    product_id, sku = await live_product(stage, stock=stock)
    session_id = await on_air(stage, product_id)
    created = await stage.live.client.post(
        f"/v1/live/sessions/{session_id}/deals", headers=stage.seller,
        json={"sku_id": sku, "deal_price_minor": price, "quantity": quantity,
              "per_buyer_limit": 1, "countdown_seconds": 10, "duration_seconds": 120})
    deal_id = created.json()["id"]
    buyer = bearer("buyer", f"unlucky-{secrets.token_hex(3)}")

    async def claimed() -> dict[str, Any] | None:
        answer = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                              headers=buyer)
        return answer.json() if answer.status_code == 201 else None

    claim = await eventually(claimed, timeout=60, interval=0.5)
    assert claim
    declined = await checkout(stage, buyer, sku, claim, DECLINED)
    assert await eventually(lambda: order_status(stage, buyer, declined["id"], "cancelled"),
                            timeout=60)
    return DeclinedClaim(sku, session_id, deal_id, buyer, claim, declined["id"])


async def test_a_declined_card_gives_the_claim_back_to_retry(stage: Stage) -> None:
    declined = await claim_then_decline(stage, stock=5, quantity=2, price=1500)
    sku, session_id, deal_id = declined.sku, declined.session_id, declined.deal_id
    buyer, claim = declined.buyer, declined.claim

    async def back_with_its_buyer() -> bool:
        mine = await stage.live.client.get(f"/v1/live/deals/{deal_id}/claims/mine",
                                           headers=buyer)
        tally = (await deal_state(stage, deal_id))["tally"]
        return bool(mine.json()[0]["status"] == "active" and tally["sold"] == 0
                    and tally["held"] == 1)

    assert await eventually(back_with_its_buyer, timeout=30)
    # The unit went back into the deal's set-aside, not to general stock at list price.
    assert await eventually(lambda: _stock_is(stage, sku, on_hand=5, reserved=2), timeout=30), \
        await stock_of(stage, sku)

    paid = await checkout(stage, buyer, sku, claim, GOOD_CARD)
    assert paid["subtotal_minor"] == 1500
    assert await eventually(lambda: order_status(stage, buyer, paid["id"], "on_hold"),
                            timeout=60)
    ended = await stage.live.client.post(f"/v1/live/sessions/{session_id}/end",
                                         headers=stage.seller)
    assert ended.status_code == 200

    async def settled() -> dict[str, Any] | None:
        deal = await deal_state(stage, deal_id)
        return deal if deal["status"] == "ended" and deal["tally"]["held"] == 0 else None

    deal = await eventually(settled, timeout=30)
    assert deal, "the deal never settled"
    assert deal["tally"]["sold"] == 1 and deal["tally"]["unclaimed_at_end"] == 1
    assert deal["tally"]["balances"]
    assert await eventually(lambda: _stock_is(stage, sku, on_hand=4, reserved=0), timeout=30), \
        await stock_of(stage, sku)
    figures = (await stage.live.client.get(f"/v1/live/sessions/{session_id}/analytics",
                                           headers=stage.seller)).json()
    assert figures["per_deal"][0]["units_sold"] == 1


async def test_a_released_claim_keeps_its_unit_for_its_buyer(stage: Stage) -> None:
    """Inside the payment window the released unit is the buyer's, not the next viewer's;
    live says so once, as `live.claim.released` to `claim`."""
    declined = await claim_then_decline(stage, stock=3, quantity=1, price=900)
    deal_id = declined.deal_id

    async def released_once() -> bool:
        rows = await stage.live.runtime.db.fetch(
            "SELECT payload->>'returned_to' AS returned_to FROM outbox "
            "WHERE event_type = 'live.claim.released' AND payload->>'order_id' = $1",
            declined.order_id)
        return [r["returned_to"] for r in rows] == ["claim"]

    assert await eventually(released_once, timeout=30)
    # No one else can take the unit meanwhile: the deal is sold out while the claim is held.
    other = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                         headers=bearer("buyer", f"other-{secrets.token_hex(3)}"))
    assert other.status_code == 409 and other.json()["code"] == "sold_out"


async def _stock_is(stage: Stage, sku: str, *, on_hand: int, reserved: int) -> bool:
    return await stock_of(stage, sku) == {"on_hand": on_hand, "reserved": reserved}


async def test_a_deal_redis_lost_is_rebuilt_from_postgres_before_the_next_claim(
        stage: Stage) -> None:
    """Redis restarted without its data mid-deal: the next claim finds no deal there, live
    rebuilds it from the claims Postgres recorded, and only then decides, so the deal never
    grants more units than it has and no buyer passes the limit (issue 12, the fault suite's
    Redis row)."""
    from services.live.adapters.claims_store import _keys

    product_id, sku = await live_product(stage, stock=5)
    session_id = await on_air(stage, product_id)
    created = await stage.live.client.post(
        f"/v1/live/sessions/{session_id}/deals", headers=stage.seller,
        json={"sku_id": sku, "deal_price_minor": 1500, "quantity": 3, "per_buyer_limit": 1,
              "countdown_seconds": 10, "duration_seconds": 120})
    deal_id = created.json()["id"]
    first = bearer("buyer", f"first-{secrets.token_hex(3)}")

    async def claimed() -> dict[str, Any] | None:
        answer = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims", headers=first)
        return answer.json() if answer.status_code == 201 else None

    assert await eventually(claimed, timeout=60, interval=0.5)
    await stage.live.runtime.redis.delete(*_keys(UUID(deal_id)))  # what a cold restart loses

    again = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims", headers=first)
    assert again.status_code == 409 and again.json()["code"] == "limit_reached"
    answers = [await stage.live.client.post(
        f"/v1/live/deals/{deal_id}/claims", headers=bearer("buyer", f"n-{n}-{deal_id[:6]}"))
        for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 409, 409]
    assert answers[-1].json()["code"] == "sold_out"
    assert (await deal_state(stage, deal_id))["units_left"] == 0
