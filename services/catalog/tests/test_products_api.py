"""Listings through the API against real Postgres, Redis and Kafka."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from libs.testing import RunningService, bearer
from services.catalog.adapters import product_cache

from .conftest import Seller, product_body

MakeSeller = Callable[..., Awaitable[Seller]]
MakeCategory = Callable[..., Awaitable[str]]
MakeLive = Callable[..., Awaitable[dict[str, Any]]]
PROBLEM = "application/problem+json"


async def test_a_draft_is_the_sellers_alone_until_it_is_live(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    seller = await make_seller()
    category = await make_category()
    created = await catalog.client.post("/v1/products", headers=seller.headers,
                                        json=product_body(category))
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["status"] == "draft" and len(product["skus"]) == 2
    mine = (await catalog.client.get("/v1/seller/products", headers=seller.headers)).json()
    assert [p["id"] for p in mine["items"]] == [product["id"]]
    assert (await catalog.client.get(f"/v1/products/{product['id']}")).status_code == 404

    submitted = await catalog.client.post(f"/v1/products/{product['id']}/submission",
                                          headers=seller.headers)
    assert submitted.json()["outcome"] == "auto_approved"
    detail = await catalog.client.get(f"/v1/products/{product['id']}")
    assert detail.status_code == 200
    skus = {s["code"]: s for s in detail.json()["skus"]}
    assert [s["available"] for s in skus.values()] == [10, 0]
    assert [s["in_stock"] for s in skus.values()] == [True, False]
    assert detail.json()["age_restricted"] is False


async def test_bad_listings_are_refused_naming_the_field(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    seller = await make_seller()
    category = await make_category()
    unknown = await catalog.client.post("/v1/products", headers=seller.headers,
                                        json=product_body("01900000-0000-7000-8000-000000000000"))
    assert unknown.status_code == 409  # well-formed; the category does not exist
    assert unknown.json()["errors"][0]["field"] == "category_id"
    cases = [
        (product_body(category, skus=[{"code": "X", "price_minor": 0, "currency": "GBP"}]),
         "skus.0.price_minor"),
        (product_body(category, skus=[{"code": "X", "price_minor": 100, "currency": "USD"}]),
         "skus.0.currency"),
        (product_body(category, images=["ftp://files.example/a.jpg"]), "images.0"),
        (product_body(category, title="x" * 300), "title"),
        ({**product_body(category), "skus": []}, "skus"),
    ]
    for body, field in cases:
        response = await catalog.client.post("/v1/products", headers=seller.headers, json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["field"] == field

    first = product_body(category)
    assert (await catalog.client.post("/v1/products", headers=seller.headers,
                                      json=first)).status_code == 201
    reused = product_body(category, skus=[first["skus"][0]])
    response = await catalog.client.post("/v1/products", headers=seller.headers, json=reused)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "skus.0.code", "code": "duplicate_sku_code",
        "message": f"SKU code {first['skus'][0]['code']!r} is already used in this shop"}
    count = await catalog.runtime.db.fetchval(
        "SELECT count(*) FROM products WHERE seller_id = $1::uuid", seller.id)
    assert count == 1, "nothing half-written"


async def test_prohibited_listings_are_auto_rejected_with_reasons_and_can_be_fixed(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    seller = await make_seller()
    category = await make_category()
    created = (await catalog.client.post("/v1/products", headers=seller.headers, json=product_body(
        category, title="Extra strength skin bleaching cream"))).json()
    result = (await catalog.client.post(f"/v1/products/{created['id']}/submission",
                                        headers=seller.headers)).json()
    assert result["outcome"] == "auto_rejected"
    assert result["reasons"][0]["code"] == "prohibited_keyword"
    assert result["product"]["rejection_reasons"][0]["field"] == "title"

    fixed = await catalog.client.patch(f"/v1/products/{created['id']}", headers=seller.headers,
                                       json={"title": "Extra rich moisturising cream"})
    assert fixed.json()["status"] == "rejected"
    again = (await catalog.client.post(f"/v1/products/{created['id']}/submission",
                                       headers=seller.headers)).json()
    assert again["outcome"] == "auto_approved" and again["product"]["status"] == "live"
    events = await catalog.runtime.db.fetch(
        "SELECT event_type FROM outbox WHERE event_key = $1 ORDER BY seq", created["id"])
    assert [e["event_type"] for e in events] == [
        "product.submitted", "product.rejected", "product.submitted", "product.published"]


async def test_missing_required_attributes_and_prohibited_categories(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
) -> None:
    seller = await make_seller(market="ID")
    vapes = await make_category(age_restricted=True, prohibited_markets=["ID"],
                                required_attributes=[{"name": "nicotine_mg", "kind": "number"}])
    created = (await catalog.client.post("/v1/products", headers=seller.headers,
                                         json=product_body(vapes, "IDR"))).json()
    result = (await catalog.client.post(f"/v1/products/{created['id']}/submission",
                                        headers=seller.headers)).json()
    assert result["outcome"] == "auto_rejected"
    assert {(r["code"], r["field"]) for r in result["reasons"]} == {
        ("prohibited_category", "category_id"),
        ("missing_attribute", "attributes.nicotine_mg")}


async def test_near_duplicates_wait_for_an_operator(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    category = await make_category()
    title = f"Hand-poured soy candle {secrets.token_hex(3)}"
    await make_live_product(seller, category, title=title)
    twin = (await catalog.client.post("/v1/products", headers=seller.headers,
                                      json=product_body(category, title=title + "!"))).json()
    result = (await catalog.client.post(f"/v1/products/{twin['id']}/submission",
                                        headers=seller.headers)).json()
    assert result["outcome"] == "review_queue"
    assert result["reasons"][0]["code"] == "near_duplicate"

    operator = bearer("operator", "ops-7")
    assert (await catalog.client.get("/v1/moderation/queue",
                                     headers=seller.headers)).status_code == 403
    queue = (await catalog.client.get("/v1/moderation/queue", params={"limit": 100},
                                      headers=operator)).json()
    assert twin["id"] in [p["id"] for p in queue["items"]]
    no_reason = await catalog.client.post(f"/v1/moderation/products/{twin['id']}/rejection",
                                          headers=operator, json={"reasons": []})
    assert no_reason.status_code == 422
    approved = await catalog.client.post(f"/v1/moderation/products/{twin['id']}/approval",
                                         headers=operator)
    assert approved.json()["status"] == "live"
    again = await catalog.client.post(f"/v1/moderation/products/{twin['id']}/approval",
                                      headers=operator)
    assert again.status_code == 409
    trail = (await catalog.client.get(f"/v1/moderation/products/{twin['id']}/decisions",
                                      headers=operator)).json()
    assert [(d["outcome"], d["actor"]) for d in trail] == [("review_queue", "auto"),
                                                           ("approved", "ops-7")]


async def test_live_edits_text_goes_back_through_review_prices_do_not(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    url = f"/v1/products/{product['id']}"
    assert (await catalog.client.get(url)).status_code == 200  # now cached
    code = product["skus"][0]["code"]
    repriced = await catalog.client.patch(url, headers=seller.headers,
                                          json={"prices": [{"code": code, "price_minor": 7500}]})
    assert repriced.json()["status"] == "live"
    detail = (await catalog.client.get(url)).json()
    assert detail["skus"][0]["price_minor"] == 7500, "the cache was evicted on the price edit"

    retitled = await catalog.client.patch(url, headers=seller.headers,
                                          json={"title": "Replica designer jacket"})
    assert retitled.json()["status"] == "rejected"
    assert (await catalog.client.get(url)).status_code == 404, "unreviewed text never shows"
    events = await catalog.runtime.db.fetch(
        "SELECT event_type FROM outbox WHERE event_key = $1 ORDER BY seq", product["id"])
    assert [e["event_type"] for e in events][-3:] == [
        "product.updated", "product.submitted", "product.rejected"]


async def test_a_change_made_through_another_instance_shows_within_the_memory_window(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    """Each instance serves a product's detail from its own memory for a moment, sparing the
    Redis round trip. Another instance's change (its commit and its Redis eviction, played here
    by hand) shows on this one at most `product_memory_seconds` later."""
    product = await make_live_product(await make_seller(), await make_category())
    url = f"/v1/products/{product['id']}"
    assert (await catalog.client.get(url)).json()["skus"][0]["price_minor"] != 4321
    await catalog.runtime.db.execute("UPDATE skus SET price_minor = 4321 WHERE id = $1",
                                     UUID(product["skus"][0]["id"]))
    await catalog.runtime.redis.delete(f"catalog:product:v2:{product['id']}")
    changed_at = time.monotonic()
    while (await catalog.client.get(url)).json()["skus"][0]["price_minor"] != 4321:
        await asyncio.sleep(0.05)
    window = catalog.runtime.settings.product_memory_seconds
    assert time.monotonic() - changed_at <= window + 0.5


async def test_a_fill_that_raced_an_eviction_is_served_once_not_kept(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    """A view that misses the cache reads Postgres; if a change commits and evicts the product
    meanwhile, what the view read may predate the change. It must not be cached (it would
    stand for the entry's whole lifetime), while a fill with no change in between is."""
    product = await make_live_product(await make_seller(), await make_category())
    product_id, client = UUID(product["id"]), catalog.runtime.redis
    await product_cache.evict(product_id)
    missed = await product_cache.get(client, product_id)
    assert missed.found is None
    await product_cache.evict(product_id)  # a change commits while the view reads Postgres
    await product_cache.put(client, product_id, {"market": "GB", "title": "before"}, missed)
    again = await product_cache.get(client, product_id)
    assert again.found is None, "the stale read is kept in neither Redis nor memory"
    await product_cache.put(client, product_id, {"market": "GB", "title": "after"}, again)
    kept = await product_cache.get(client, product_id)
    assert kept.found is not None and b'"after"' in kept.found.body


async def test_a_suspended_sellers_listings_vanish_and_cannot_be_submitted(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    assert (await catalog.client.get(f"/v1/products/{product['id']}")).status_code == 200
    await catalog.client.post(f"/v1/sellers/{seller.id}/suspension", headers=bearer("operator"),
                              json={"reason": "counterfeits"})
    assert (await catalog.client.get(f"/v1/products/{product['id']}")).status_code == 404, \
        "the cached detail was evicted with the suspension"
    hits = (await catalog.client.get("/v1/products", params={"seller_id": seller.id})).json()
    assert hits["items"] == []
    draft = (await catalog.client.post("/v1/products", headers=seller.headers,
                                       json=product_body(await make_category()))).json()
    refused = await catalog.client.post(f"/v1/products/{draft['id']}/submission",
                                        headers=seller.headers)
    assert refused.status_code == 403
    await catalog.client.post(f"/v1/sellers/{seller.id}/reinstatement",
                              headers=bearer("operator"), json={"reason": "appeal upheld"})
    assert (await catalog.client.get(f"/v1/products/{product['id']}")).status_code == 200


async def test_one_seller_cannot_touch_anothers_listings_or_stock(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    owner, other = await make_seller(), await make_seller()
    product = await make_live_product(owner, await make_category())
    pid, sku = product["id"], product["skus"][0]["id"]
    attempts = [
        ("GET", f"/v1/seller/products/{pid}", None),
        ("PATCH", f"/v1/products/{pid}", {"title": "Mine now"}),
        ("POST", f"/v1/products/{pid}/submission", None),
        ("POST", f"/v1/products/{pid}/deactivation", None),
        ("GET", f"/v1/skus/{sku}/stock", None),
        ("POST", f"/v1/skus/{sku}/stock/adjustments", {"delta": -10, "reason": "mine"}),
    ]
    for method, path, body in attempts:
        response = await catalog.client.request(method, path, headers=other.headers, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
    listed = (await catalog.client.get("/v1/seller/products", headers=other.headers)).json()
    assert listed["items"] == []
    for headers in ({}, bearer("buyer")):
        response = await catalog.client.post("/v1/products", headers=headers,
                                             json=product_body(product["category_id"]))
        assert response.status_code in (401, 403)
    unregistered = await catalog.client.post("/v1/products", headers=bearer("seller"),
                                             json=product_body(product["category_id"]))
    assert unregistered.status_code == 403


async def test_price_sanity_compares_within_one_currency(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    category = await make_category()
    rupiah = await make_seller(market="ID")
    for _ in range(5):  # a typical rupiah price: about 1.8 million minor units
        await make_live_product(rupiah, category, skus=[{
            "code": f"ID-{secrets.token_hex(3)}", "price_minor": 1_800_000, "currency": "IDR"}])
    pounds = await make_seller()
    product = await make_live_product(pounds, category)  # 89.00 GBP: not an outlier
    assert product["status"] == "live"


async def test_a_deactivated_listing_leaves_the_shop_for_good(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    url = f"/v1/products/{product['id']}"
    assert (await catalog.client.get(url)).status_code == 200
    gone = await catalog.client.post(f"{url}/deactivation", headers=seller.headers)
    assert gone.json()["status"] == "deactivated"
    assert (await catalog.client.get(url)).status_code == 404
    assert (await catalog.client.post(f"{url}/deactivation",
                                      headers=seller.headers)).status_code == 409
    assert (await catalog.client.patch(url, headers=seller.headers,
                                       json={"title": "Back again"})).status_code == 409
    events = await catalog.runtime.db.fetch(
        "SELECT event_type FROM outbox WHERE event_key = $1 ORDER BY seq", product["id"])
    assert events[-1]["event_type"] == "product.deactivated"


async def test_a_suspended_seller_cannot_republish_by_editing(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    """Issue 12, item 1: a suspended seller's PATCH re-ran moderation and republished."""
    seller = await make_seller()
    product = await make_live_product(seller, await make_category())
    await catalog.client.post(f"/v1/sellers/{seller.id}/suspension", headers=bearer("operator"),
                              json={"reason": "late shipments"})
    edited = await catalog.client.patch(f"/v1/products/{product['id']}", headers=seller.headers,
                                        json={"title": "A brand new title for the jumper"})
    assert edited.status_code == 403
    assert edited.json()["errors"][0]["field"] == "seller_id"
    assert (await catalog.client.get(f"/v1/products/{product['id']}")).status_code == 404
    mine = (await catalog.client.get(f"/v1/seller/products/{product['id']}",
                                     headers=seller.headers)).json()
    assert mine["title"] == product["title"], "nothing half-written"
