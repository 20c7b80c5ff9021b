"""Attribution from end to end (issue 12, item 2): a shop invites a creator, the creator
accepts and hosts its live session, a buyer taps a product there and checks out with the
token live signed; orders credits the creator's commission from that token alone. A buyer
cannot name a creator, nor use someone else's token or a token for another product."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from libs.taxes import included_tax
from libs.testing import bearer, eventually
from tests.e2e.flash_world import ADDRESS, GOOD_CARD, Stage, live_product, staged

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
async def stage(settings_for: Callable[..., Any]) -> AsyncIterator[Stage]:
    async with staged(settings_for, payment_window_seconds=60) as ready:
        yield ready


async def creator_on_air(stage: Stage, product_id: str) -> tuple[str, str, dict[str, str]]:
    creator_id = f"cr_{secrets.token_hex(3)}"
    creator = bearer("creator", f"user-{creator_id}", creator_id=creator_id)
    await stage.live.client.put(f"/v1/live/partners/{creator_id}", headers=stage.seller)
    accepted = await stage.live.client.post(
        f"/v1/live/partnerships/{stage.seller_id}/acceptance", headers=creator)
    assert accepted.status_code == 200, accepted.text

    async def scheduled() -> Any:  # once live has heard catalog verify the seller
        response = await stage.live.client.post("/v1/live/sessions", headers=stage.seller, json={
            "title": "Knits with a creator", "scheduled_for": datetime.now(UTC).isoformat(),
            "host": {"kind": "creator", "creator_id": creator_id}})
        return response if response.status_code != 403 else None

    session = await eventually(scheduled, timeout=60, interval=0.2)
    assert session.status_code == 201, session.text
    session_id = str(session.json()["id"])
    assert (await stage.live.client.post(f"/v1/live/sessions/{session_id}/start",
                                         headers=creator)).status_code == 200
    assert (await stage.live.client.put(f"/v1/live/sessions/{session_id}/showcase/{product_id}",
                                        headers=creator)).status_code == 204
    return creator_id, session_id, creator


async def test_a_sale_is_credited_only_through_the_token_live_signed(stage: Stage) -> None:
    product_id, sku = await live_product(stage, stock=10, price=3000)
    _, other_sku = await live_product(stage, stock=10)
    rate = await stage.orders.client.put(f"/v1/products/{product_id}/commission-rate",
                                         headers=stage.seller, json={"rate_bps": 1000})
    assert rate.status_code == 200, rate.text
    creator_id, session_id, creator = await creator_on_air(stage, product_id)
    buyer_id = f"fan-{secrets.token_hex(3)}"
    buyer = bearer("buyer", buyer_id)
    line = f"/v1/cart/lines/{sku}"

    named = await stage.orders.client.put(line, headers=buyer, json={
        "quantity": 1, "source": {"creator_id": "cr_me", "live_session_id": session_id}})
    assert named.status_code == 422
    assert {e["field"] for e in named.json()["errors"]} == {
        "source.creator_id", "source.live_session_id"}

    tapped = await stage.live.client.post(
        f"/v1/live/sessions/{session_id}/products/{product_id}/taps", headers=buyer)
    assert tapped.status_code == 201, tapped.text
    token = tapped.json()["attribution_token"]
    stolen = await stage.orders.client.put(line, headers=bearer("buyer", "thief"), json={
        "quantity": 1, "source": {"attribution_token": token}})
    assert stolen.status_code == 422
    assert stolen.json()["errors"][0]["code"] == "touch_not_yours"
    elsewhere = await stage.orders.client.put(f"/v1/cart/lines/{other_sku}", headers=buyer,
                                              json={"quantity": 1,
                                                    "source": {"attribution_token": token}})
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["code"] == "touch_other_product"
    await stage.orders.client.delete(f"/v1/cart/lines/{other_sku}", headers=buyer)

    put = await stage.orders.client.put(line, headers=buyer, json={
        "quantity": 1, "source": {"attribution_token": token}})
    assert put.status_code == 200, put.text
    again = await stage.orders.client.put(line, headers=buyer, json={"quantity": 2})
    assert again.json()["lines"][0]["source"]["creator_id"] == creator_id, \
        "changing the quantity keeps the last touch"
    checkout = await stage.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(6)},
        json={"shipping_address": ADDRESS, "payment": {"method": GOOD_CARD}})
    assert checkout.status_code == 201, checkout.text
    [order] = checkout.json()["orders"]

    async def credited() -> list[Any] | None:
        statement = (await stage.orders.client.get("/v1/creator/commissions",
                                                   headers=creator)).json()
        mine = [c for c in statement["lines"] if c["order_id"] == order["id"]]
        return mine or None

    commission = await eventually(credited, timeout=60)
    net = 2 * 3000 - included_tax(2 * 3000, 2000)  # UK prices hold 20 % VAT
    assert commission and commission[0]["amount_minor"] == net * 1000 // 10_000
    placed = (await stage.orders.client.get(f"/v1/orders/{order['id']}", headers=buyer)).json()
    assert placed["lines"][0]["source"] == {"creator_id": creator_id,
                                            "live_session_id": session_id}

    async def counted_by_the_session() -> bool:
        return bool(await stage.live.runtime.db.fetchval(
            "SELECT count(*) FROM session_order_lines WHERE order_id = $1::uuid",
            order["id"]))

    assert await eventually(counted_by_the_session, timeout=60)
