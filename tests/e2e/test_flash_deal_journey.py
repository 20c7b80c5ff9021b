"""A flash deal from end to end, through Kafka: catalog sets the units aside, viewers race for
them, a winner checks out with the claim token, unpaid claims expire back into the deal and,
after the end, into stock; the counts reconcile and catalog's stock agrees. Also: wallet
top-ups paid through orders, gifts that can never overdraw, analytics and the replay."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

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
PAYMENT_WINDOW = 3


@pytest.fixture(scope="module")
async def stage(settings_for: Callable[..., Any]) -> AsyncIterator[Stage]:
    async with staged(settings_for, payment_window_seconds=PAYMENT_WINDOW) as ready:
        yield ready


async def test_a_flash_deal_sells_exactly_its_units_and_reconciles(stage: Stage) -> None:
    product_id, sku = await live_product(stage, stock=20)
    session_id = await on_air(stage, product_id)
    pinned = await stage.live.client.put(f"/v1/live/sessions/{session_id}/pin",
                                         headers=stage.seller, json={"product_id": product_id})
    assert pinned.status_code == 200, pinned.text

    created = await stage.live.client.post(
        f"/v1/live/sessions/{session_id}/deals", headers=stage.seller,
        json={"sku_id": sku, "deal_price_minor": 2500, "quantity": 6, "per_buyer_limit": 2,
              "countdown_seconds": 10, "duration_seconds": 60})
    assert created.status_code == 201, created.text
    deal_id = created.json()["id"]
    assert created.json()["status"] == "awaiting_stock"

    async def set_aside() -> bool:
        return bool((await deal_state(stage, deal_id))["status"] == "ready")

    assert await eventually(set_aside, timeout=60)
    assert await stock_of(stage, sku) == {"on_hand": 20, "reserved": 6}

    early = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                         headers=bearer("buyer", "early-bird"))
    assert early.status_code == 409 and early.json()["code"] == "not_started"

    async def started() -> bool:
        return bool((await deal_state(stage, deal_id))["status"] == "live")

    assert await eventually(started, timeout=30)

    # Ten viewers race for six units, one of them asking for two at once.
    buyers = [f"viewer-{secrets.token_hex(3)}" for _ in range(10)]
    answers = await asyncio.gather(*[
        stage.live.client.post(f"/v1/live/deals/{deal_id}/claims", headers=bearer("buyer", b),
                               json={"quantity": 2 if i == 0 else 1})
        for i, b in enumerate(buyers)])
    granted = [a.json() for a in answers if a.status_code == 201]
    refused = [a.json()["code"] for a in answers if a.status_code == 409]
    assert sum(g["quantity"] for g in granted) == 6
    assert refused and set(refused) == {"sold_out"}
    assert all(g["unit_price_minor"] == 2500 for g in granted)

    winner_claim = granted[0]
    winner = bearer("buyer", next(b for b, a in zip(buyers, answers, strict=True)
                                  if a.status_code == 201
                                  and a.json()["claim_id"] == winner_claim["claim_id"]))

    # Someone else cannot use the winner's token; the winner can, once.
    thief = await stage.orders.client.put(
        f"/v1/cart/lines/{sku}", headers=bearer("buyer", "thief"),
        json={"quantity": winner_claim["quantity"],
              "source": {"claim_token": winner_claim["claim_token"]}})
    assert thief.status_code == 422
    assert thief.json()["errors"][0]["code"] == "claim_not_yours"
    in_cart = await stage.orders.client.put(
        f"/v1/cart/lines/{sku}", headers=winner,
        json={"quantity": winner_claim["quantity"],
              "source": {"claim_token": winner_claim["claim_token"]}})
    assert in_cart.status_code == 200, in_cart.text
    assert in_cart.json()["lines"][0]["unit_price_minor"] == 2500
    checkout = await stage.orders.client.post(
        "/v1/checkout", headers={**winner, "Idempotency-Key": secrets.token_hex(6)},
        json={"shipping_address": ADDRESS, "payment": {"method": GOOD_CARD}})
    assert checkout.status_code == 201, checkout.text
    [order] = checkout.json()["orders"]
    assert order["subtotal_minor"] == 2500 * winner_claim["quantity"]

    async def confirmed() -> bool:
        got = await stage.orders.client.get(f"/v1/orders/{order['id']}", headers=winner)
        return bool(got.json()["status"] == "on_hold")  # paid, within the free-cancel hold

    assert await eventually(confirmed, timeout=60)

    # The other claims go unpaid: after the payment window their units return to the deal.
    async def returned_to_deal() -> bool:
        deal = await deal_state(stage, deal_id)
        return bool(deal["units_left"] == 6 - winner_claim["quantity"]
                    and deal["tally"]["held"] == 0)

    assert await eventually(returned_to_deal, timeout=30)
    second_chance = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                                 headers=bearer("buyer", "latecomer"))
    assert second_chance.status_code == 201

    # The session ends (cutting the deal short); the latecomer's claim expires into stock.
    ended = await stage.live.client.post(f"/v1/live/sessions/{session_id}/end",
                                         headers=stage.seller)
    assert ended.status_code == 200

    async def settled() -> dict[str, Any] | None:
        deal = await deal_state(stage, deal_id)
        return deal if deal["status"] == "ended" and deal["tally"]["held"] == 0 else None

    deal = await eventually(settled, timeout=30)
    assert deal, "the deal never settled"
    tally = deal["tally"]
    assert tally["sold"] == winner_claim["quantity"]
    assert tally["returned_to_stock"] == 1
    assert tally["sold"] + tally["returned_to_stock"] + tally["unclaimed_at_end"] == 6
    assert tally["balances"]

    async def catalog_agrees() -> bool:
        return await stock_of(stage, sku) == {"on_hand": 20 - winner_claim["quantity"],
                                              "reserved": 0}

    assert await eventually(catalog_agrees, timeout=30), await stock_of(stage, sku)

    replay = (await stage.live.client.get(f"/v1/live/sessions/{session_id}/replay")).json()
    kinds = [entry["kind"] for entry in replay["timeline"]]
    assert "pin" in kinds and "deal.started" in kinds and "purchase" in kinds
    figures = (await stage.live.client.get(f"/v1/live/sessions/{session_id}/analytics",
                                           headers=stage.seller)).json()
    assert figures["orders"] == 1 and figures["buyers"] == 1
    assert figures["gmv"] == [{"currency": "GBP",
                               "placed_minor": 2500 * winner_claim["quantity"],
                               "paid_minor": 2500 * winner_claim["quantity"]}]
    assert figures["per_deal"][0]["units_sold"] == winner_claim["quantity"]
    assert figures["per_pin"][0]["buyers"] == 1


async def test_a_claim_token_buys_once(stage: Stage) -> None:
    product_id, sku = await live_product(stage, stock=5)
    session_id = await on_air(stage, product_id)
    deal = await stage.live.client.post(
        f"/v1/live/sessions/{session_id}/deals", headers=stage.seller,
        json={"sku_id": sku, "deal_price_minor": 1000, "quantity": 2, "per_buyer_limit": 1,
              "countdown_seconds": 10, "duration_seconds": 60})
    deal_id = deal.json()["id"]

    async def claimable() -> dict[str, Any] | None:
        answer = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                              headers=bearer("buyer", "twice"))
        return answer.json() if answer.status_code == 201 else None

    claim = await eventually(claimable, timeout=60, interval=0.5)
    assert claim
    again = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                         headers=bearer("buyer", "twice"))
    assert again.json()["code"] == "limit_reached"
    buyer = bearer("buyer", "twice")
    for attempt in range(2):
        put = await stage.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={
            "quantity": 1, "source": {"claim_token": claim["claim_token"]}})
        assert put.status_code == 200
        checkout = await stage.orders.client.post(
            "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(6)},
            json={"shipping_address": ADDRESS, "payment": {"method": GOOD_CARD}})
        if attempt == 0:
            assert checkout.status_code == 201, checkout.text
        else:
            assert checkout.status_code == 409
            assert checkout.json()["errors"][0]["code"] == "claim_used"
    forged = await stage.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer, json={
        "quantity": 1, "source": {"claim_token": claim["claim_token"][:-4] + "AAAA"}})
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "source.claim_token"


async def test_gifts_are_paid_from_a_wallet_that_never_goes_negative(stage: Stage) -> None:
    product_id, _ = await live_product(stage, stock=1)
    session_id = await on_air(stage, product_id)
    fan = bearer("buyer", f"fan-{secrets.token_hex(3)}")
    topped = await stage.orders.client.post(
        "/v1/wallet/top-ups", headers={**fan, "Idempotency-Key": secrets.token_hex(6)},
        json={"tokens": 100, "currency": "GBP", "payment": {"method": GOOD_CARD}})
    assert topped.status_code == 201, topped.text
    assert topped.json()["amount_minor"] == 100
    declined = await stage.orders.client.post(
        "/v1/wallet/top-ups", headers=fan,
        json={"tokens": 100, "currency": "GBP", "payment": {"method": "pm_card_declined"}})
    assert declined.status_code == 402

    async def credited() -> bool:
        wallet = await stage.live.client.get("/v1/live/wallet", headers=fan)
        return bool(wallet.json()["balance_tokens"] == 100)

    assert await eventually(credited, timeout=60)
    # Fifteen concurrent 'confetti' gifts of 20 tokens: only five can be paid for.
    sent = await asyncio.gather(*[
        stage.live.client.post(f"/v1/live/sessions/{session_id}/gifts", headers=fan,
                               json={"gift_code": "confetti"}) for _ in range(15)])
    assert sorted(r.status_code for r in sent) == [201] * 5 + [409] * 10
    refusal = next(r for r in sent if r.status_code == 409).json()
    assert refusal["errors"][0]["code"] == "insufficient_tokens"
    wallet = await stage.live.client.get("/v1/live/wallet", headers=fan)
    assert wallet.json()["balance_tokens"] == 0
    ledger = await stage.live.runtime.db.fetchval("SELECT sum(tokens) FROM ledger_entries")
    assert ledger == 0
    earnings = await stage.live.client.get("/v1/live/earnings", headers=stage.seller)
    assert earnings.json()["tokens"] >= 70  # 70 % of this session's 100 tokens, at least
    unknown = await stage.live.client.post(f"/v1/live/sessions/{session_id}/gifts",
                                           headers=fan, json={"gift_code": "unicorn"})
    assert unknown.status_code == 409 and unknown.json()["errors"][0]["field"] == "gift_code"


async def test_a_deal_larger_than_the_stock_is_refused_and_holds_nothing(stage: Stage) -> None:
    product_id, sku = await live_product(stage, stock=3)
    session_id = await on_air(stage, product_id)
    created = await stage.live.client.post(
        f"/v1/live/sessions/{session_id}/deals", headers=stage.seller,
        json={"sku_id": sku, "deal_price_minor": 1000, "quantity": 5, "per_buyer_limit": 1,
              "countdown_seconds": 10, "duration_seconds": 60})
    assert created.status_code == 201, created.text
    deal_id = created.json()["id"]

    async def refused() -> bool:
        return bool((await deal_state(stage, deal_id))["status"] == "refused")

    assert await eventually(refused, timeout=60)
    claim = await stage.live.client.post(f"/v1/live/deals/{deal_id}/claims",
                                         headers=bearer("buyer", "hopeful"))
    assert claim.status_code == 409 and claim.json()["code"] == "not_ready"
    assert await stock_of(stage, sku) == {"on_hand": 3, "reserved": 0}
