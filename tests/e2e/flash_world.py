"""The stage for flash-deal journeys: catalog, orders and live running against real servers,
a verified seller, and helpers to put a product on air and read the deal and the stock."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from libs.testing import RunningService, bearer, distinct_title, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.live.app import create_app as create_live
from services.live.settings import LiveSettings
from services.orders.adapters import repository as orders_repository
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings

ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
           "postcode": "SW1Y 4JH", "country": "GB"}
GOOD_CARD = "pm_card_visa"


@dataclass
class Stage:
    catalog: RunningService
    orders: RunningService
    live: RunningService
    seller: dict[str, str]
    seller_id: str
    category: str


@asynccontextmanager
async def staged(settings_for: Callable[..., Any], *,
                 payment_window_seconds: int) -> AsyncIterator[Stage]:
    """Catalog, orders and live, and a verified seller with a category of its own."""
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(settings_for(OrdersSettings, hold_window_seconds=600))) as orders,
        run_service(create_live(settings_for(LiveSettings,
                                             payment_window_seconds=payment_window_seconds,
                                             claim_grace_seconds=0))) as live,
    ):
        subject = f"seller-{secrets.token_hex(3)}"
        seller = (await catalog.client.post("/v1/sellers", headers=bearer("seller", subject), json={
            "legal_name": "Cardigan Bay Knitwear", "country": "GB", "business_type": "company",
            "market": "GB"})).json()
        await catalog.client.post(f"/v1/sellers/{seller['id']}/verification",
                                  headers=bearer("operator"))
        category = (await catalog.client.post("/v1/categories", headers=bearer("operator"),
                                              json={"name": f"Knitwear {subject}"})).json()["id"]
        yield Stage(catalog, orders, live, bearer("seller", subject, seller_id=seller["id"]),
                    seller["id"], category)


async def live_product(stage: Stage, stock: int, price: int = 4000) -> tuple[str, str]:
    product = (await stage.catalog.client.post("/v1/products", headers=stage.seller, json={
        "title": distinct_title("Aran wool cardigan"), "category_id": stage.category,
        "skus": [{"code": f"ARN-{secrets.token_hex(4)}", "price_minor": price,
                  "currency": "GBP", "stock": stock}]})).json()
    submitted = await stage.catalog.client.post(f"/v1/products/{product['id']}/submission",
                                                headers=stage.seller)
    assert submitted.json()["outcome"] == "auto_approved"

    sku_id = UUID(product["skus"][0]["id"])

    async def known_to_live_and_orders() -> bool:
        live = await stage.live.runtime.db.fetchval(
            "SELECT live FROM listings WHERE product_id = $1::uuid", product["id"])
        # Sellable as a cart sees it: the listing *and* its seller's verification, which
        # arrive on different topics (a cart put in between was refused with 409).
        view = (await orders_repository.skus(stage.orders.runtime.db, [sku_id])).get(sku_id)
        return bool(live and view is not None and view.purchasable)

    assert await eventually(known_to_live_and_orders, timeout=60)
    return product["id"], product["skus"][0]["id"]


async def on_air(stage: Stage, product_id: str) -> str:
    async def scheduled() -> Any:  # once live has heard catalog verify the seller
        response = await stage.live.client.post("/v1/live/sessions", headers=stage.seller, json={
            "title": "Winter knits, live", "scheduled_for": datetime.now(UTC).isoformat()})
        return response if response.status_code != 403 else None

    session = await eventually(scheduled, timeout=60, interval=0.2)
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]
    started = await stage.live.client.post(f"/v1/live/sessions/{session_id}/start",
                                           headers=stage.seller)
    assert started.status_code == 200, started.text
    shown = await stage.live.client.put(f"/v1/live/sessions/{session_id}/showcase/{product_id}",
                                        headers=stage.seller)
    assert shown.status_code == 204, shown.text
    return str(session_id)


async def stock_of(stage: Stage, sku_id: str) -> dict[str, int]:
    row = await stage.catalog.runtime.db.fetchrow(
        "SELECT on_hand, reserved FROM stock WHERE sku_id = $1::uuid", sku_id)
    return {"on_hand": row["on_hand"], "reserved": row["reserved"]}


async def deal_state(stage: Stage, deal_id: str) -> dict[str, Any]:
    response = await stage.live.client.get(f"/v1/live/deals/{deal_id}")
    return dict(response.json())
