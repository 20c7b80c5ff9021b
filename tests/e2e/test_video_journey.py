"""A shoppable video from end to end through Kafka (issue 13, part 1): a shop makes a creator
its partner, the creator's video tags the shop's product, a buyer watches, taps and buys with
the token live signed, and the creator's commission and the video's analytics show that order;
a creator buying through their own video, or a buyer with a forged token, earns nobody
anything. A refund takes the commission back from the video's figures too."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from libs.taxes import included_tax
from libs.testing import bearer, eventually
from tests.e2e.flash_world import ADDRESS, GOOD_CARD, Stage, live_product, staged

pytestmark = pytest.mark.kafka
MEDIA = {"media_url": "https://media.example.com/v/9.mp4",
         "thumbnail_url": "https://media.example.com/v/9.jpg"}


@pytest.fixture(scope="module")
async def stage(settings_for: Callable[..., Any]) -> AsyncIterator[Stage]:
    async with staged(settings_for, payment_window_seconds=60) as ready:
        yield ready


async def creators_video(stage: Stage, product_id: str) -> tuple[str, str, dict[str, str]]:
    """A creator the shop partnered with publishes a video tagging the product."""
    creator_id = f"cr_{secrets.token_hex(3)}"
    creator = bearer("creator", f"user-{creator_id}", creator_id=creator_id)
    live = stage.live.client
    await live.put(f"/v1/live/partners/{creator_id}", headers=stage.seller)
    assert (await live.post(f"/v1/live/partnerships/{stage.seller_id}/acceptance",
                            headers=creator)).status_code == 200
    video = await live.post("/v1/live/videos", headers=creator, json={
        "market": "GB", "title": "Knit haul", "duration_seconds": 58, **MEDIA})
    assert video.status_code == 201, video.text
    video_id = str(video.json()["id"])
    tagged = await live.put(f"/v1/live/videos/{video_id}/products/{product_id}",
                            headers=creator, json={"offset_seconds": 20})
    assert tagged.status_code == 204, tagged.text
    assert (await live.put(f"/v1/live/videos/{video_id}/publication",
                           headers=creator)).status_code == 200
    return creator_id, video_id, creator


async def buy(stage: Stage, buyer: dict[str, str], sku: str, source: dict[str, str]) -> Any:
    put = await stage.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                        json={"quantity": 2, "source": source})
    if put.status_code != 200:
        return put
    checkout = await stage.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(6)},
        json={"shipping_address": ADDRESS, "payment": {"method": GOOD_CARD}})
    assert checkout.status_code == 201, checkout.text
    [order] = checkout.json()["orders"]
    return order


async def test_a_video_sale_pays_its_creator_and_shows_in_the_videos_figures(
        stage: Stage) -> None:
    product_id, sku = await live_product(stage, stock=20, price=4000)
    rate = await stage.orders.client.put(f"/v1/products/{product_id}/commission-rate",
                                         headers=stage.seller, json={"rate_bps": 1500})
    assert rate.status_code == 200, rate.text
    creator_id, video_id, creator = await creators_video(stage, product_id)
    live = stage.live.client

    buyer = bearer("buyer", f"fan-{secrets.token_hex(3)}")
    assert (await live.post(f"/v1/live/videos/{video_id}/views", headers=buyer)).json()[
        "counted"] is True
    tapped = await live.post(f"/v1/live/videos/{video_id}/products/{product_id}/taps",
                             headers=buyer)
    assert tapped.status_code == 201 and tapped.json()["creator_credited"] is True
    forged = await buy(stage, bearer("buyer", "forger"), sku,
                       {"attribution_token": tapped.json()["attribution_token"][:-4] + "AAAA"})
    assert forged.status_code == 422, "a forged token is refused, naming the field"
    assert forged.json()["errors"][0]["field"] == "source.attribution_token"
    order = await buy(stage, buyer, sku, {"attribution_token": tapped.json()["attribution_token"]})

    # The creator buying through their own video earns nothing.
    own_buyer = bearer("buyer", f"user-{creator_id}")
    own_tap = await live.post(f"/v1/live/videos/{video_id}/products/{product_id}/taps",
                              headers=own_buyer)
    assert own_tap.json()["creator_credited"] is False
    own = await buy(stage, own_buyer, sku, {"attribution_token": own_tap.json()[
        "attribution_token"]})

    async def commission() -> list[Any] | None:
        statement = (await stage.orders.client.get("/v1/creator/commissions",
                                                   headers=creator)).json()
        return [c for c in statement["lines"] if c["order_id"] in (order["id"], own["id"])] \
            or None

    earned = await eventually(commission, timeout=60)
    assert [c["order_id"] for c in earned] == [order["id"]]
    net = 2 * 4000 - included_tax(2 * 4000, 2000)  # commission on the price without VAT
    expected = net * 1500 // 10_000
    assert earned[0]["amount_minor"] == expected
    placed = (await stage.orders.client.get(f"/v1/orders/{order['id']}", headers=buyer)).json()
    assert placed["lines"][0]["source"] == {"creator_id": creator_id, "video_id": video_id}

    async def figures() -> dict[str, Any] | None:
        body = (await live.get(f"/v1/live/videos/{video_id}/analytics", headers=creator)).json()
        return body if body["orders"] == 2 and body["commission_minor"] == expected else None

    shown = await eventually(figures, timeout=60)
    assert (shown["views"], shown["taps"], shown["units"], shown["gmv_minor"]) == (
        1, 2, 4, 2 * 2 * 4000)
    [line] = shown["products"]
    assert line["product_id"] == product_id and line["commission_minor"] == expected
    seller_view = await live.get(f"/v1/live/videos/{video_id}/analytics", headers=stage.seller)
    assert seller_view.status_code == 200 and seller_view.json()["orders"] == 2

    # The buyer cancels in the hold window: the sale and its commission leave the figures.
    cancelled = await stage.orders.client.post(f"/v1/orders/{order['id']}/cancellation",
                                               headers=buyer)
    assert cancelled.status_code == 200, cancelled.text

    async def taken_back() -> dict[str, Any] | None:
        body = (await live.get(f"/v1/live/videos/{video_id}/analytics", headers=creator)).json()
        return body if body["orders"] == 1 and body["commission_minor"] == 0 else None

    after = await eventually(taken_back, timeout=60)
    assert (after["units"], after["gmv_minor"]) == (2, 2 * 4000)
    reversed_lines = await stage.live.runtime.db.fetchval(
        "SELECT sum(commission_minor) FROM video_order_lines WHERE order_id = $1::uuid",
        order["id"])
    assert reversed_lines == 0, "the reversal reached the video's own record"
