"""Discovery end to end, through Kafka on real servers: a consenting adult's feed follows what
they do, while a minor's and a non-consenting buyer's feeds never use their history (they see
exactly what a newcomer sees); what is sold out, age-restricted for a minor, or from a
suspended seller leaves the feed; pages are stable; a campaign wins labelled slots, each click
is billed once and charged to the seller's ledger, and 200 concurrent clicks never overspend
its budget; attributed orders reach the report."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from libs.testing import bearer, eventually, subject_of
from tests.e2e.discovery_world import (
    MINOR,
    PHONE,
    World,
    add_products,
    buyer,
    feed,
    interact,
    organic,
    ours,
    staged,
    whole_feed,
)
from tests.e2e.fulfillment_world import order_status

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
async def world(settings_for: Callable[..., Any]) -> AsyncIterator[World]:
    async with staged(settings_for) as stage:
        knits, trainers = stage.shops
        await add_products(stage, knits, "knitwear", 8)
        await add_products(stage, trainers, "trainers", 8, title="Leather court trainers")
        # the crowd makes knitwear the market's favourite
        crowd = [buyer() for _ in range(4)]
        for who in crowd:
            await interact(stage, who, [p for p, _ in knits.products["knitwear"]],
                           action="add_to_cart")
        yield stage


def _category_of(world: World, product_id: str) -> str:
    for shop in world.shops:
        for category, products in shop.products.items():
            if product_id in {p for p, _ in products}:
                return category
    return "?"


async def _consent(world: World, who: dict[str, str], on: bool) -> dict[str, Any]:
    response = await world.discovery.client.put("/v1/discovery/consent", headers=who,
                                                json={"personalised": on, "market": "GB"})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_consenting_adults_feed_follows_them_and_nobody_elses_does(world: World) -> None:
    trainers = [p for p, _ in world.shops[1].products["trainers"]]
    newcomer = buyer()
    adult, refuser, minor = buyer(), buyer(), buyer(MINOR)
    assert (await _consent(world, adult, True))["basis"] == "personalised"
    assert (await _consent(world, minor, True))["basis"] == "minor"  # a minor's yes is not enough
    # GB is opt-in: a buyer who never chose is not profiled
    assert (await feed(world, refuser))["basis"] == "no_consent"

    before = ours(world, organic(await feed(world, newcomer)))
    assert [_category_of(world, p) for p in before[:8]] == ["knitwear"] * 8

    for who in (adult, refuser, minor):
        await interact(world, who, trainers[:4], action="tap")
        await interact(world, who, trainers[:2], action="add_to_cart")

    adult_page = await feed(world, adult)
    assert adult_page["personalised"] is True
    top = [_category_of(world, p) for p in organic(adult_page)[:6]]  # ahead of everything
    assert top.count("trainers") >= 5, top

    # a newcomer, after everyone's taps (other modules' products may still be arriving in the
    # market through Kafka, so the journey compares the order of its own products, and reads
    # the pages again if one of its own arrived between two reads: seen once on Apache Kafka)
    async def unprofiled_alike() -> list[str] | None:
        baseline = ours(world, organic(await feed(world, buyer())))
        for who, basis in ((refuser, "no_consent"), (minor, "minor")):
            page = await feed(world, who)
            assert page["basis"] == basis and page["personalised"] is False
            if ours(world, organic(page)) != baseline:
                return None
        return baseline

    assert await eventually(unprofiled_alike, timeout=15, interval=0.5), \
        "the refuser's or the minor's feed differs from a newcomer's"
    kept = await world.discovery.runtime.db.fetch(
        "SELECT DISTINCT buyer_id FROM buyer_interactions WHERE buyer_id = ANY($1::text[])",
        [subject_of(adult), subject_of(refuser), subject_of(minor)])
    assert {r["buyer_id"] for r in kept} == {subject_of(adult)}

    # the non-personalised option, for anyone: the adult gets what the newcomer gets
    async def adult_unprofiled() -> bool:
        return ours(world, organic(await feed(world, buyer()))) == ours(
            world, organic(await feed(world, adult, personalised="false")))

    assert await eventually(adult_unprofiled, timeout=15, interval=0.5)

    # turning consent off deletes what was kept, and the feed stops using it at once
    await _consent(world, adult, False)

    async def adult_like_a_newcomer() -> bool:
        return ours(world, organic(await feed(world, adult))) == ours(
            world, organic(await feed(world, buyer())))

    assert await eventually(adult_like_a_newcomer, timeout=5, interval=0.5)
    assert not await world.discovery.runtime.db.fetchval(
        "SELECT count(*) FROM buyer_interactions WHERE buyer_id = $1", subject_of(adult))
    history = (await world.discovery.client.get("/v1/discovery/consent/history",
                                                headers=adult)).json()
    assert [h["personalised"] for h in history] == [True, False]

    # what everyone did is published per market, summed, naming nobody
    async def summarised() -> Any:
        rows = await world.discovery.runtime.db.fetch(
            "SELECT payload::text AS p FROM outbox WHERE event_type = 'interaction.recorded'")
        text = " ".join(r["p"] for r in rows)
        return text if trainers[3] in text else None

    summaries = await eventually(summarised, timeout=30)
    assert summaries and not any(subject_of(who) in summaries for who in (adult, refuser, minor))


async def test_what_cannot_be_bought_leaves_the_feed_and_pages_stay_stable(world: World) -> None:
    knits, trainers = world.shops
    vapes = await add_products(world, knits, "vapes", 2, title="Menthol vape kit")
    adult, minor = buyer(), buyer(MINOR)
    assert {p for p, _ in vapes} <= set(await whole_feed(world, adult))
    assert not {p for p, _ in vapes} & set(await whole_feed(world, minor))

    # pages: no repeats, nothing lost, the same order as one big page
    first = await feed(world, adult, limit=7)
    second = await feed(world, adult, limit=7, cursor=first["next_cursor"])
    whole = await whole_feed(world, adult)
    paged = organic(first) + organic(second)
    assert len(set(paged)) == len(paged) == 14
    assert paged == whole[:14]
    assert len(set(whole)) == len(whole)
    foreign = await world.discovery.client.get(
        "/v1/discovery/feed", headers=minor,
        params={"market": "GB", "cursor": first["next_cursor"]})
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "query.cursor"

    # sold out: gone from the next page read
    product, sku = trainers.products["trainers"][-1]
    adjusted = await world.catalog.client.post(
        f"/v1/skus/{sku}/stock/adjustments", headers=trainers.seller,
        json={"set_to": 0, "reason": "stock count"})
    assert adjusted.status_code == 200, adjusted.text

    async def gone() -> bool:
        return product not in await whole_feed(world, adult)

    assert await eventually(gone, timeout=30)
    # back in stock: back in the feed
    await world.catalog.client.post(f"/v1/skus/{sku}/stock/adjustments",
                                    headers=trainers.seller, json={"set_to": 5, "reason": "count"})

    async def back() -> bool:
        return product in await whole_feed(world, adult)

    assert await eventually(back, timeout=30)

    # a suspended seller's products leave every feed; reinstated, they return
    suspended = await world.catalog.client.post(
        f"/v1/sellers/{knits.seller_id}/suspension", headers=bearer("operator"),
        json={"reason": "counterfeit listings under review"})
    assert suspended.status_code == 200, suspended.text
    knit_ids = {p for p, _ in knits.products["knitwear"]}

    async def hidden() -> bool:
        return not knit_ids & set(await whole_feed(world, adult))

    assert await eventually(hidden, timeout=30)
    await world.catalog.client.post(f"/v1/sellers/{knits.seller_id}/reinstatement",
                                    headers=bearer("operator"), json={"reason": "cleared"})

    async def shown() -> bool:
        return knit_ids <= set(await whole_feed(world, adult))

    assert await eventually(shown, timeout=30)


async def _campaign(world: World, shop_index: int, body: dict[str, Any]) -> dict[str, Any]:
    response = await world.discovery.client.post(
        "/v1/discovery/campaigns", headers=world.shops[shop_index].seller,
        json={"name": "Spring push", **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _search_slot(world: World, who: dict[str, str], q: str) -> dict[str, Any] | None:
    response = await world.discovery.client.get(
        "/v1/discovery/search-ads", headers=who, params={"market": "GB", "q": q, "results": 10})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) <= 2  # at most one slot in five
    return items[0] if items else None


async def _click(world: World, who: dict[str, str], token: str,
                 agent: dict[str, str] = PHONE) -> dict[str, Any]:
    response = await world.discovery.client.post("/v1/discovery/ads/clicks",
                                                  headers={**who, **agent}, json={"token": token})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_campaign_wins_labelled_slots_and_each_click_is_billed_once(world: World) -> None:
    knits, trainers = world.shops
    shoe, shoe_sku = trainers.products["trainers"][0]
    rival, _ = knits.products["knitwear"][0]
    campaign = await _campaign(world, 1, {"daily_budget_minor": 5000, "max_bid_minor": 40,
                                          "product_ids": [shoe],
                                          "targeting": {"keywords": ["trainers"]}})
    await _campaign(world, 0, {"daily_budget_minor": 5000, "max_bid_minor": 10,
                               "product_ids": [rival],
                               "targeting": {"keywords": ["trainers"]}})
    shopper = buyer()
    slot = await _search_slot(world, shopper, "white trainers")
    assert slot is not None and slot["sponsored"] is True
    assert slot["id"] == shoe and slot["campaign_id"] == campaign["id"]

    # the feed labels its sponsored items too, never more than one slot in five
    page = await feed(world, buyer(), limit=10)
    assert sum(i["sponsored"] for i in page["items"]) <= 2

    billed = await _click(world, shopper, slot["click_token"])
    assert billed["billed"] is True and 0 < billed["price_minor"] <= 40
    assert (await _click(world, shopper, slot["click_token"]))["outcome"] == "duplicate"
    again = await _search_slot(world, shopper, "white trainers")
    assert again is not None
    assert (await _click(world, shopper, again["click_token"]))["outcome"] == "duplicate"
    bot = buyer()
    bot_slot = await _search_slot(world, bot, "trainers")
    assert bot_slot is not None
    assert (await _click(world, bot, bot_slot["click_token"],
                         {"User-Agent": "Googlebot/2.1"}))["outcome"] == "bot"
    # the seller clicking its own ad is not billed
    own = bearer(["buyer", "seller"], f"owner-{secrets.token_hex(3)}",
                 seller_id=trainers.seller_id, birthdate="1980-01-01")
    own_slot = await _search_slot(world, own, "trainers")
    assert own_slot is not None
    assert (await _click(world, own, own_slot["click_token"]))["outcome"] == "own_ad"
    # a token served to someone else, or forged, bills nothing
    stranger = await world.discovery.client.post(
        "/v1/discovery/ads/clicks", headers={**buyer(), **PHONE},
        json={"token": slot["click_token"]})
    assert stranger.status_code == 403
    forged = await world.discovery.client.post(
        "/v1/discovery/ads/clicks", headers={**shopper, **PHONE},
        json={"token": slot["click_token"][:-4] + "AAAA"})
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "token"

    # the billed click reaches the seller's ledger through Kafka
    async def charged() -> Any:
        statement = (await world.orders.client.get("/v1/seller/commissions",
                                                   headers=trainers.seller)).json()
        spend = [b for b in statement["balances"] if b["account"].endswith(":ad_spend")]
        return spend[0]["balance_minor"] if spend else None

    assert await eventually(charged, timeout=30) == -billed["price_minor"]

    # the buyer who clicked buys it: the order is attributed to the campaign
    async def in_cart() -> bool:
        response = await world.orders.client.put(f"/v1/cart/lines/{shoe_sku}",
                                                 headers=shopper, json={"quantity": 1})
        return response.status_code == 200

    assert await eventually(in_cart, timeout=60)
    order = await world.orders.client.post(
        "/v1/checkout", headers={**shopper, "Idempotency-Key": secrets.token_hex(8)},
        json={"shipping_address": {"name": "Ada", "line1": "1 Mall", "city": "London",
                                   "postcode": "SW1Y 4JH", "country": "GB"},
              "payment": {"method": "pm_card_visa"}, "shipping_speed": "standard"})
    assert order.status_code == 201, order.text
    [placed] = order.json()["orders"]
    await order_status(world, shopper, placed["id"], "confirmed")  # type: ignore[arg-type]

    async def reported() -> Any:
        report = (await world.discovery.client.get(
            f"/v1/discovery/campaigns/{campaign['id']}/report", headers=trainers.seller)).json()
        return report if report["attributed_orders"] == 1 else None

    report = await eventually(reported, timeout=30)
    assert report["clicks"] == 1 and report["spend_minor"] == billed["price_minor"]
    assert report["filtered"] == {"bot": 1, "duplicate": 2, "own_ad": 1}
    assert report["impressions"] >= 4
    assert report["return_on_ad_spend"] == round(
        report["attributed_revenue_minor"] / report["spend_minor"], 4)
    # another seller cannot read it
    other = await world.discovery.client.get(
        f"/v1/discovery/campaigns/{campaign['id']}/report", headers=knits.seller)
    assert other.status_code == 404


async def test_two_hundred_concurrent_clicks_never_overspend_the_budget(world: World) -> None:
    knits, _ = world.shops
    product, _ = knits.products["knitwear"][3]
    budget = 700
    campaign = await _campaign(world, 0, {"daily_budget_minor": budget, "max_bid_minor": 9,
                                          "product_ids": [product],
                                          "targeting": {"keywords": ["cashmere"]}})
    clickers = [buyer() for _ in range(200)]
    slots = []
    for who in clickers:
        slot = await _search_slot(world, who, "cashmere scarf")
        assert slot is not None and slot["campaign_id"] == campaign["id"]
        slots.append((who, slot["click_token"]))
    results = await asyncio.gather(*(_click(world, who, token) for who, token in slots))
    billed = [r for r in results if r["billed"]]
    spent = sum(r["price_minor"] for r in billed)
    assert spent <= budget
    assert budget - spent < 9  # stopped only when the next click no longer fitted
    assert {r["outcome"] for r in results} <= {"billed", "budget_exhausted"}
    row = await world.discovery.runtime.db.fetchrow(
        "SELECT spent_minor, exhausted_at FROM campaign_days WHERE campaign_id = $1",
        UUID(campaign["id"]))
    assert row["spent_minor"] == spent and row["exhausted_at"] is not None
    # an exhausted campaign stops winning slots for the rest of the day
    assert await _search_slot(world, buyer(), "cashmere scarf") is None


async def test_bad_campaigns_and_events_are_refused_naming_the_field(world: World) -> None:
    knits, trainers = world.shops
    mine, _ = knits.products["knitwear"][1]
    theirs, _ = trainers.products["trainers"][1]
    cases = [
        ({"daily_budget_minor": 5000, "max_bid_minor": 10, "product_ids": [theirs]},
         409, "product_ids.0"),
        ({"daily_budget_minor": 50, "max_bid_minor": 10, "product_ids": [mine]},
         422, "daily_budget_minor"),
        ({"daily_budget_minor": 500, "max_bid_minor": 900, "product_ids": [mine]},
         422, "max_bid_minor"),
        ({"daily_budget_minor": 5000, "max_bid_minor": 10, "product_ids": [mine],
          "targeting": {"audience": {"min_age": 13}}}, 422, "targeting.audience.min_age"),
        ({"daily_budget_minor": 5000, "max_bid_minor": 10, "product_ids": [mine],
          "targeting": {"audience": {"include_non_consenting": True}}},
         422, "targeting.audience.include_non_consenting"),
        ({"daily_budget_minor": 5000, "max_bid_minor": 10, "product_ids": [mine],
          "targeting": {"markets": ["US"]}}, 422, "targeting.markets"),
        ({"daily_budget_minor": 5000, "max_bid_minor": 10, "kind": "catalogue"},
         422, "target_roas"),
    ]
    for body, status, field in cases:
        response = await world.discovery.client.post(
            "/v1/discovery/campaigns", headers=knits.seller, json={"name": "x", **body})
        assert response.status_code == status, (field, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]], response.text

    # a buyer cannot forge purchases, and a replayed event counts once
    shopper = buyer()
    forged = await world.discovery.client.post(
        "/v1/discovery/interactions", headers=shopper, json={"market": "GB", "events": [
            {"client_event_id": "ev-12345678", "action": "purchase", "item_kind": "product",
             "item_id": mine, "surface": "feed", "occurred_at": "2026-01-01T00:00:00Z"}]})
    assert forged.status_code == 422
    assert {e["field"] for e in forged.json()["errors"]} >= {"events.0.action"}
    once = await interact(world, shopper, [mine], ids=["ev-replayed-1"])
    twice = await interact(world, shopper, [mine], ids=["ev-replayed-1"])
    assert (once["accepted"], twice["accepted"], twice["duplicates"]) == (1, 0, 1)

    # a campaign on an ended state cannot come back
    campaign = (await world.discovery.client.post(
        "/v1/discovery/campaigns", headers=knits.seller,
        json={"name": "Short", "daily_budget_minor": 500, "max_bid_minor": 5,
              "product_ids": [mine]})).json()
    for action, status in (("pause", 200), ("resume", 200), ("end", 200), ("resume", 409)):
        response = await world.discovery.client.post(
            f"/v1/discovery/campaigns/{campaign['id']}/{action}", headers=knits.seller)
        assert response.status_code == status, (action, response.text)
    stolen = await world.discovery.client.post(
        f"/v1/discovery/campaigns/{campaign['id']}/pause", headers=trainers.seller)
    assert stolen.status_code == 404
    listed = (await world.discovery.client.get("/v1/discovery/campaigns",
                                               headers=trainers.seller)).json()["items"]
    assert all(c["seller_id"] == trainers.seller_id for c in listed)


async def test_each_item_keeps_only_its_strongest_neighbours(world: World) -> None:
    from services.discovery.adapters.interactions_repository import prune_co_visits

    db = world.discovery.runtime.db
    item = uuid4()
    others = [uuid4() for _ in range(60)]
    await db.execute(
        """INSERT INTO co_visits (market, item_id, other_id, weight)
           SELECT 'GB', $1, unnest($2::uuid[]), unnest($3::float8[])""",
        item, others, [float(n) for n in range(60)])
    await prune_co_visits(db, keep=50)  # not touched through an interaction: left alone
    assert await db.fetchval("SELECT count(*) FROM co_visits WHERE item_id = $1", item) == 60
    await db.execute("INSERT INTO co_visits_touched VALUES ('GB', $1)", item)
    await prune_co_visits(db, keep=50)
    kept = await db.fetch("SELECT weight FROM co_visits WHERE item_id = $1 ORDER BY weight",
                          item)
    assert [r["weight"] for r in kept] == [float(n) for n in range(10, 60)]
