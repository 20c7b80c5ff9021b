"""Buyer search against real Postgres: relevance, filters, sorts, pagination, visibility."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from libs.testing import RunningService

from .conftest import Seller

MakeSeller = Callable[..., Awaitable[Seller]]
MakeCategory = Callable[..., Awaitable[str]]
MakeLive = Callable[..., Awaitable[dict[str, Any]]]


async def test_search_filters_sorts_and_pages(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    word = f"zq{secrets.token_hex(3)}"  # unique to this test
    seller, other = await make_seller(), await make_seller()
    parent = await make_category()
    child = await make_category(parent_id=parent)
    made = {}
    for name, owner, category, price, stock in [
        ("linen", seller, child, 3000, 5), ("wool", seller, parent, 1000, 0),
        ("silk", other, child, 2000, 2), ("cotton", other, parent, 4000, 1)]:
        made[name] = await make_live_product(owner, category, title=f"{word} {name} scarf",
                                             skus=[{"code": f"{word}-{name}", "price_minor": price,
                                                    "currency": "GBP", "stock": stock}])

    async def ids(**params: Any) -> list[str]:
        response = await catalog.client.get("/v1/products", params={"q": word, **params})
        assert response.status_code == 200, response.text
        return [hit["id"] for hit in response.json()["items"]]

    assert set(await ids()) == {p["id"] for p in made.values()}
    assert await ids(q=f"{word} silk") == [made["silk"]["id"]]
    assert set(await ids(category_id=parent)) == {p["id"] for p in made.values()}, \
        "a category includes its sub-categories"
    assert set(await ids(category_id=child)) == {made["linen"]["id"], made["silk"]["id"]}
    assert set(await ids(min_price=1500, max_price=3500)) == {made["linen"]["id"],
                                                              made["silk"]["id"]}
    assert set(await ids(seller_id=seller.id)) == {made["linen"]["id"], made["wool"]["id"]}
    assert made["wool"]["id"] not in await ids(in_stock=True)
    assert await ids(sort="price_asc") == [made[n]["id"] for n in
                                           ("wool", "silk", "linen", "cotton")]
    assert await ids(sort="price_desc") == [made[n]["id"] for n in
                                            ("cotton", "linen", "silk", "wool")]
    assert await ids(sort="newest") == [made[n]["id"] for n in
                                        ("cotton", "silk", "wool", "linen")]

    for sort in ("relevance", "price_asc", "newest"):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"q": word, "sort": sort, "limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = (await catalog.client.get("/v1/products", params=params)).json()
            seen += [hit["id"] for hit in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(p["id"] for p in made.values()), sort


async def test_search_rejects_bad_parameters(catalog: RunningService) -> None:
    cases: list[tuple[dict[str, Any], str]] = [({"sort": "cheapest"}, "query.sort"),
                          ({"min_price": -1}, "query.min_price"),
                          ({"q": "a", "cursor": "bm9wZQ"}, "query.cursor")]
    for params, field in cases:
        response = await catalog.client.get("/v1/products", params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field


async def test_relevance_without_words_lists_newest_first(catalog: RunningService) -> None:
    newest = await catalog.client.get("/v1/products", params={"sort": "newest"})
    relevance = await catalog.client.get("/v1/products", params={"sort": "relevance"})
    assert relevance.status_code == 200
    assert relevance.json()["items"] == newest.json()["items"]


async def test_buyers_see_only_their_markets_listings_and_cross_border_ones_say_so(
    catalog: RunningService, make_seller: MakeSeller, make_category: MakeCategory,
    make_live_product: MakeLive,
) -> None:
    """Issue 13, part 3: search and detail filter by the buyer's market; a cross-border
    listing names the country it ships from."""
    word = f"zm{secrets.token_hex(3)}"
    local, abroad = await make_seller("GB"), await make_seller("GB", country="CN")
    german = await make_seller("DE")
    category = await make_category()
    made = {}
    for name, owner, currency in (("local", local, "GBP"), ("abroad", abroad, "GBP"),
                                  ("german", german, "EUR")):
        made[name] = await make_live_product(owner, category, title=f"{word} {name} lamp",
                                             skus=[{"code": f"{word}-{name}",
                                                    "price_minor": 2000, "currency": currency,
                                                    "stock": 3}])
    found = (await catalog.client.get("/v1/products", params={"q": word, "market": "GB"})
             ).json()["items"]
    assert {hit["id"] for hit in found} == {made["local"]["id"], made["abroad"]["id"]}
    by_id = {hit["id"]: hit for hit in found}
    assert (by_id[made["abroad"]["id"]]["cross_border"],
            by_id[made["abroad"]["id"]]["ships_from"]) == (True, "CN")
    assert by_id[made["local"]["id"]]["cross_border"] is False
    in_germany = (await catalog.client.get("/v1/products", params={"q": word, "market": "DE"})
                  ).json()["items"]
    assert [hit["id"] for hit in in_germany] == [made["german"]["id"]]

    german_id = made["german"]["id"]
    detail = await catalog.client.get(f"/v1/products/{german_id}", params={"market": "DE"})
    assert detail.status_code == 200 and detail.json()["market"] == "DE"
    assert (await catalog.client.get(f"/v1/products/{german_id}",
                                     params={"market": "GB"})).status_code == 404
    bad = await catalog.client.get("/v1/products", params={"market": "XX"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.market"
