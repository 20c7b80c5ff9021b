"""The stage for discovery journeys: catalog, orders and discovery on real servers through
Kafka, verified sellers with live products in two categories (and one age-restricted), and
helpers for buyers of every kind."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from libs.testing import RunningService, bearer, distinct_title, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.discovery.app import create_app as create_discovery
from services.discovery.settings import DiscoverySettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

ADULT = "1990-04-01"
MINOR = f"{datetime.now(UTC).year - 15}-06-01"
PHONE = {"User-Agent": "ShopApp/5.2 (iPhone; iOS 18.1)"}


@dataclass
class Shop:
    seller: dict[str, str]
    seller_id: str
    products: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Category name -> [(product id, sku id)]."""


@dataclass
class World:
    catalog: RunningService
    orders: RunningService
    discovery: RunningService
    categories: dict[str, str]
    shops: list[Shop]


async def _seller(catalog: RunningService, name: str) -> Shop:
    subject = f"seller-{secrets.token_hex(3)}"
    seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject), json={
        "legal_name": name, "country": "GB", "business_type": "company",
        "market": "GB"})).json()
    await catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                              headers=bearer("operator"))
    return Shop(bearer("seller", subject, seller_id=seller["id"]), seller["id"])


async def add_products(world: World, shop: Shop, category: str, count: int, *,
                       stock: int = 50, title: str = "Aran wool cardigan",
                       price: int = 4000) -> list[tuple[str, str]]:
    made = []
    for _ in range(count):
        product = (await world.catalog.client.post("/v1/products", headers=shop.seller, json={
            "title": distinct_title(title), "category_id": world.categories[category],
            "skus": [{"code": f"SK-{secrets.token_hex(4)}", "price_minor": price,
                      "currency": "GBP", "stock": stock}]})).json()
        submitted = await world.catalog.client.post(
            f"/v1/products/{product['id']}/submission", headers=shop.seller)
        assert submitted.json()["outcome"] == "auto_approved", submitted.text
        made.append((product["id"], product["skus"][0]["id"]))
    shop.products.setdefault(category, []).extend(made)
    ids = [UUID(p) for p, _ in made]

    async def showable() -> bool:
        n = await world.discovery.runtime.db.fetchval(
            """SELECT count(*) FROM products p JOIN sellers s ON s.id = p.seller_id
                WHERE p.id = ANY($1::uuid[]) AND p.live AND p.in_stock
                  AND s.standing = 'active'""", ids)
        return bool(n == len(ids))

    assert await eventually(showable, timeout=60)
    return made


@asynccontextmanager
async def staged(settings_for: Callable[..., Any], **discovery: Any) -> AsyncIterator[World]:
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(settings_for(OrdersSettings, hold_window_seconds=0.5))) as orders,
        run_service(create_discovery(settings_for(
            DiscoverySettings, pacing_front_load=1.0, auction_cache_seconds=0,
            aggregate_interval_seconds=0.5, **discovery))) as found,
    ):
        tag = secrets.token_hex(3)
        categories = {}
        for name, restricted in [("knitwear", False), ("trainers", False), ("vapes", True)]:
            response = await catalog.client.post("/v1/categories", headers=bearer("operator"),
                                                 json={"name": f"{name} {tag}",
                                                       "age_restricted": restricted})
            assert response.status_code == 201, response.text
            categories[name] = response.json()["id"]
        world = World(catalog, orders, found, categories, [])
        world.shops.append(await _seller(catalog, "Cardigan Bay Knitwear"))
        world.shops.append(await _seller(catalog, "Harbour Trainers"))
        yield world


def buyer(birthdate: str | None = ADULT, *roles: str, **claims: Any) -> dict[str, str]:
    subject = f"buyer-{secrets.token_hex(4)}"
    extra = {"birthdate": birthdate} if birthdate else {}
    return bearer(["buyer", *roles] if roles else "buyer", subject, **extra, **claims)


async def feed(world: World, who: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await world.discovery.client.get(
        "/v1/discovery/feed", headers=who, params={"market": "GB", "limit": 20, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def organic(page: dict[str, Any]) -> list[str]:
    return [i["id"] for i in page["items"] if not i["sponsored"]]


async def whole_feed(world: World, who: dict[str, str], **params: Any) -> list[str]:
    """Every organic item of a feed, page after page (other tests' products share the
    market, so a journey looks for its own items in the whole feed)."""
    seen: list[str] = []
    page = await feed(world, who, limit=50, **params)
    seen.extend(organic(page))
    while page["next_cursor"]:
        page = await feed(world, who, limit=50, cursor=page["next_cursor"], **params)
        seen.extend(organic(page))
    return seen


def ours(world: World, ids: list[str]) -> list[str]:
    mine = {p for shop in world.shops for products in shop.products.values() for p, _ in products}
    return [i for i in ids if i in mine]


async def interact(world: World, who: dict[str, str], products: list[str], *,
                   action: str = "tap", ids: list[str] | None = None) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    response = await world.discovery.client.post(
        "/v1/discovery/interactions", headers=who, json={"market": "GB", "events": [
            {"client_event_id": (ids[n] if ids else f"ev-{secrets.token_hex(8)}"),
             "action": action, "item_kind": "product", "item_id": p, "surface": "feed",
             "occurred_at": now} for n, p in enumerate(products)]})
    assert response.status_code == 200, response.text
    return dict(response.json())
