"""Shoppable videos against real servers (issue 13, part 1): who may tag what, publishing and
the market feed with the tagged products' live price and stock, interactions counted once per
viewer and window, taps that sign attribution (never to the buyer themself), and a suspended
seller's videos leaving the feed."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from libs import attribution_tokens
from libs.events.schemas.catalog import InventoryAdjusted, SellerSuspended, StockLevel
from libs.testing import TEST_CLAIM_SECRET, ServedService, bearer, eventually

from .conftest import Publish, Shop, new_shop, published_product

pytestmark = pytest.mark.kafka

MEDIA = {"media_url": "https://media.example.com/v/1.mp4",
         "thumbnail_url": "https://media.example.com/v/1.jpg"}


def creator_account() -> tuple[str, dict[str, str]]:
    creator_id = f"cr_{secrets.token_hex(3)}"
    return creator_id, bearer("creator", f"user-{creator_id}", creator_id=creator_id)


async def partner(live: ServedService, shop: Shop, creator_id: str,
                  creator: dict[str, str]) -> None:
    assert (await live.client.put(f"/v1/live/partners/{creator_id}",
                                  headers=shop.headers)).status_code == 204
    accepted = await live.client.post(f"/v1/live/partnerships/{shop.seller_id}/acceptance",
                                      headers=creator)
    assert accepted.status_code == 200, accepted.text


async def new_video(live: ServedService, author: dict[str, str], market: str = "GB",
                    **overrides: Any) -> dict[str, Any]:
    created = await live.client.post("/v1/live/videos", headers=author, json={
        "market": market, "title": "Three ways to wear it", "duration_seconds": 45, **MEDIA,
        **overrides})
    assert created.status_code == 201, created.text
    return dict(created.json())


async def tag(live: ServedService, video_id: str, product_id: str, author: dict[str, str],
              offset: int | None = None) -> Any:
    return await live.client.put(f"/v1/live/videos/{video_id}/products/{product_id}",
                                 headers=author, json={"offset_seconds": offset})


async def test_a_creator_tags_only_partner_shops_and_the_feed_shows_live_price_and_stock(
        live: ServedService, publish: Publish) -> None:
    shop, stranger = await new_shop(live, publish), await new_shop(live, publish)
    product_id, sku_id = await published_product(live, publish, shop, price=2500)
    foreign_id, _ = await published_product(live, publish, stranger)
    creator_id, creator = creator_account()
    market = "IE"  # a market of its own, so the feed holds only this test's videos
    video = await new_video(live, creator, market=market)
    assert video["status"] == "draft" and video["author_id"] == creator_id

    refused = await tag(live, video["id"], product_id, creator)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "not_a_partner"
    await partner(live, shop, creator_id, creator)
    assert (await tag(live, video["id"], product_id, creator, offset=12)).status_code == 204
    assert (await tag(live, video["id"], foreign_id, creator)).status_code == 403
    late = await tag(live, video["id"], product_id, creator, offset=46)
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "offset_seconds"
    assert (await live.client.put(f"/v1/live/videos/{video['id']}/publication",
                                  headers=bearer("creator", "other", creator_id="cr_other"))
            ).status_code == 404, "another creator cannot publish it"
    published = await live.client.put(f"/v1/live/videos/{video['id']}/publication",
                                      headers=creator)
    assert published.status_code == 200 and published.json()["status"] == "published"

    await publish(InventoryAdjusted(
        sku_id=UUID(sku_id), seller_id=UUID(shop.seller_id), delta=0, reason="count",
        level=StockLevel(sku_id=UUID(sku_id), on_hand=3, reserved=0, available=3),
        adjusted_at=datetime.now(UTC)))

    async def shown() -> dict[str, Any] | None:
        page = (await live.client.get("/v1/live/videos", params={"market": market})).json()
        mine = [v for v in page["items"] if v["id"] == video["id"]]
        return mine[0] if mine and mine[0]["products"][0]["available"] == 3 else None

    listed = await eventually(shown, timeout=60)
    [product] = listed["products"]
    assert (product["product_id"], product["price_minor"], product["currency"],
            product["offset_seconds"], product["buyable"]) == (product_id, 2500, "GBP", 12, True)
    elsewhere = (await live.client.get("/v1/live/videos", params={"market": "DE"})).json()
    assert video["id"] not in {v["id"] for v in elsewhere["items"]}


async def test_views_count_once_per_viewer_and_window_and_taps_credit_never_the_buyer(
        live: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    product_id, _ = await published_product(live, publish, shop)
    creator_id, creator = creator_account()
    await partner(live, shop, creator_id, creator)
    video = await new_video(live, creator)
    assert (await tag(live, video["id"], product_id, creator)).status_code == 204
    untagged = await tap_product(live, video["id"], product_id, bearer("buyer", "early"))
    assert untagged.status_code == 404, "a draft is nobody's to tap"
    assert (await live.client.put(f"/v1/live/videos/{video['id']}/publication",
                                  headers=creator)).status_code == 200

    viewers = [bearer("buyer", f"viewer-{i}-{secrets.token_hex(2)}") for i in range(3)]
    answers = await asyncio.gather(*[
        live.client.post(f"/v1/live/videos/{video['id']}/views", headers=viewer)
        for viewer in viewers for _ in range(4)])
    assert [a.status_code for a in answers] == [200] * 12
    assert sum(a.json()["counted"] for a in answers) == 3, "a reload is not a second view"

    fan = f"fan-{secrets.token_hex(3)}"
    tapped = await tap_product(live, video["id"], product_id, bearer("buyer", fan))
    assert tapped.status_code == 201, tapped.text
    touch = attribution_tokens.verify(TEST_CLAIM_SECRET, tapped.json()["attribution_token"])
    assert (touch.video_id, touch.session_id, touch.creator_id, str(touch.seller_id)) == (
        UUID(video["id"]), None, creator_id, shop.seller_id)
    own = await tap_product(live, video["id"], product_id,
                            bearer(["buyer", "creator"], f"user-{creator_id}",
                                   creator_id=creator_id))
    assert own.status_code == 201 and own.json()["creator_credited"] is False
    other = await tap_product(live, video["id"], str(UUID(int=7)), bearer("buyer", fan))
    assert other.status_code == 409 and other.json()["errors"][0]["code"] == "not_tagged"
    added = await live.client.post(
        f"/v1/live/videos/{video['id']}/products/{product_id}/add-to-carts",
        headers=bearer("buyer", fan))
    assert added.status_code == 200 and added.json()["counted"] is True

    figures = await live.client.get(f"/v1/live/videos/{video['id']}/analytics",
                                    headers=creator)
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert (body["views"], body["unique_viewers"], body["taps"], body["add_to_carts"]) == (
        3, 3, 2, 1)
    assert (await live.client.get(f"/v1/live/videos/{video['id']}/analytics",
                                  headers=shop.headers)).status_code == 200, "the tagged shop"
    stranger = await new_shop(live, publish)
    assert (await live.client.get(f"/v1/live/videos/{video['id']}/analytics",
                                  headers=stranger.headers)).status_code == 404


async def tap_product(live: ServedService, video_id: str, product_id: str,
                      buyer: dict[str, str]) -> Any:
    return await live.client.post(f"/v1/live/videos/{video_id}/products/{product_id}/taps",
                                  headers=buyer)


async def test_bad_input_is_refused_naming_the_field_and_suspension_unpublishes(
        live: ServedService, publish: Publish) -> None:
    shop = await new_shop(live, publish)
    product_id, _ = await published_product(live, publish, shop)
    for body, field in ((
            {"market": "XX"}, "market"), ({"duration_seconds": 601}, "duration_seconds"),
            ({"media_url": "javascript:alert(1)//x"}, "media_url"),
            ({"media_url": "https://media[.example.com/v.mp4"}, "media_url"),  # was a 500
            ({"thumbnail_url": "https://media.example.com/t.jpg\n"}, "thumbnail_url"),
            ({"thumbnail_url": "http://plain.example.com/t.jpg"}, "thumbnail_url"),
            ({"surprise": 1}, "surprise")):
        answer = await live.client.post("/v1/live/videos", headers=shop.headers, json={
            "market": "GB", "title": "t", "duration_seconds": 30, **MEDIA, **body})
        assert answer.status_code == 422, (body, answer.text)
        assert any(field in e["field"] for e in answer.json()["errors"]), answer.json()
    video = await new_video(live, shop.headers)
    empty = await live.client.put(f"/v1/live/videos/{video['id']}/publication",
                                  headers=shop.headers)
    assert empty.status_code == 409 and empty.json()["errors"][0]["code"] == "no_products"
    assert (await tag(live, video["id"], product_id, shop.headers)).status_code == 204
    assert (await live.client.put(f"/v1/live/videos/{video['id']}/publication",
                                  headers=shop.headers)).status_code == 200
    assert (await live.client.get(f"/v1/live/videos/{video['id']}")).status_code == 200

    await publish(SellerSuspended(seller_id=UUID(shop.seller_id), reason="fraud",
                                  suspended_at=datetime.now(UTC)))

    async def gone() -> bool:
        return (await live.client.get(f"/v1/live/videos/{video['id']}")).status_code == 404

    assert await eventually(gone, timeout=60), "a suspended seller's video left the feed"
    blocked = await live.client.post("/v1/live/videos", headers=shop.headers, json={
        "market": "GB", "title": "t", "duration_seconds": 30, **MEDIA})
    assert blocked.status_code == 403


async def test_commission_news_that_comes_before_its_order_is_applied_when_it_comes(
        live: ServedService) -> None:
    """Orders publishes commissions and orders on different topics: an accrual and a
    reversal handled before `order.placed` wait, then count against the video's line."""
    from libs.events.schemas.orders import (
        CommissionAccrued,
        CommissionReversed,
        OrderLine,
        OrderPlaced,
    )
    from libs.ids import new_id
    from services.live.handlers import video_sales

    order_id, sku_id, video_id, seller_id = new_id(), new_id(), new_id(), new_id()
    now = datetime.now(UTC)
    async with live.runtime.db.acquire() as conn, conn.transaction():
        await video_sales.on_commission_accrued(conn, None, CommissionAccrued(  # type: ignore[arg-type]
            order_id=order_id, creator_id="cr_early", seller_id=seller_id, sku_id=sku_id,
            amount_minor=500, currency="GBP"))
        await video_sales.on_commission_reversed(conn, None, CommissionReversed(  # type: ignore[arg-type]
            order_id=order_id, creator_id="cr_early", amount_minor=200, currency="GBP",
            reason="refund"))
        await video_sales.record_placed(conn, OrderPlaced(
            order_id=order_id, buyer_id="b-early", seller_id=seller_id, currency="GBP",
            reserve_for_seconds=60, placed_at=now, lines=[OrderLine(
                sku_id=sku_id, quantity=1, unit_price_minor=5000, video_id=video_id,
                creator_id="cr_early")]))
        commission = await conn.fetchval(
            "SELECT commission_minor FROM video_order_lines WHERE order_id = $1", order_id)
        left = await conn.fetchval(
            "SELECT count(*) FROM video_commissions_pending WHERE order_id = $1", order_id)
        await conn.execute("DELETE FROM video_order_lines WHERE order_id = $1", order_id)
    assert (commission, left) == (300, 0)


async def test_commission_news_handled_while_its_order_is_being_written_is_not_lost(
        live: ServedService) -> None:
    """The two topics' consumers can handle an order's `order.placed` and its accrual at the
    same moment, in two transactions: the accrual waits for the order's lines to commit and
    then counts against them, instead of being held for lines that already took the news
    they could see (the held news then waited for ever)."""
    from libs.events.schemas.orders import CommissionAccrued, OrderLine, OrderPlaced
    from libs.ids import new_id
    from services.live.handlers import video_sales

    order_id, sku_id, video_id, seller_id = new_id(), new_id(), new_id(), new_id()
    pool = live.runtime.db
    lines_written = asyncio.Event()

    async def place() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await video_sales.record_placed(conn, OrderPlaced(
                order_id=order_id, buyer_id="b-race", seller_id=seller_id, currency="GBP",
                reserve_for_seconds=60, placed_at=datetime.now(UTC), lines=[OrderLine(
                    sku_id=sku_id, quantity=1, unit_price_minor=5000, video_id=video_id,
                    creator_id="cr_race")]))
            lines_written.set()
            await asyncio.sleep(0.5)  # the rest of a batch, still uncommitted

    async def accrue() -> None:
        await lines_written.wait()
        async with pool.acquire() as conn, conn.transaction():
            await video_sales.on_commission_accrued(conn, None, CommissionAccrued(  # type: ignore[arg-type]
                order_id=order_id, creator_id="cr_race", seller_id=seller_id, sku_id=sku_id,
                amount_minor=700, currency="GBP"))

    await asyncio.gather(place(), accrue())
    commission = await pool.fetchval(
        "SELECT commission_minor FROM video_order_lines WHERE order_id = $1", order_id)
    held = await pool.fetchval(
        "SELECT count(*) FROM video_commissions_pending WHERE order_id = $1", order_id)
    await pool.execute("DELETE FROM video_order_lines WHERE order_id = $1", order_id)
    assert (commission, held) == (700, 0)
