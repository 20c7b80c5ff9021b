"""Fixtures for catalog's integration tests: one running catalog per module, verified sellers,
categories and live products made through the public API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from libs.testing import RunningService, bearer, distinct_title, run_service
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings


@pytest.fixture(scope="module")
async def catalog(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with run_service(create_app(settings_for(CatalogSettings))) as service:
        yield service


@dataclass
class Seller:
    id: str
    shop_id: str
    headers: dict[str, str]
    currency: str


@pytest.fixture
def make_seller(catalog: RunningService) -> Callable[..., Awaitable[Seller]]:
    async def make(market: str = "GB", verified: bool = True,
                   country: str | None = None) -> Seller:
        """`country`: where the seller is based (another than `market`: cross-border)."""
        subject = f"seller-{secrets.token_hex(4)}"
        created = await catalog.client.post(
            "/v1/sellers", headers=bearer("seller", subject),
            json={"legal_name": f"Shop {subject}", "country": country or market,
                  "business_type": "company", "market": market})
        assert created.status_code == 201, created.text
        body = created.json()
        if verified:
            response = await catalog.client.post(f"/v1/sellers/{body['id']}/verification",
                                                 headers=bearer("operator"))
            assert response.status_code == 200
        return Seller(body["id"], body["shop_id"],
                      bearer("seller", subject, seller_id=body["id"]), body["currency"])

    return make


@pytest.fixture
def make_category(catalog: RunningService) -> Callable[..., Awaitable[str]]:
    async def make(**fields: Any) -> str:
        response = await catalog.client.post(
            "/v1/categories", headers=bearer("operator"),
            json={"name": f"Category {secrets.token_hex(4)}", **fields})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    return make


def product_body(category_id: str, currency: str = "GBP", *, title: str | None = None,
                 skus: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    code = secrets.token_hex(4)
    return {
        "title": title or distinct_title("Waxed cotton field jacket"),
        "description": "Water-resistant, made in Wales.",
        "category_id": category_id, "images": ["https://cdn.example/jacket.jpg"],
        "attributes": {}, **fields,
        "skus": skus or [
            {"code": f"JKT-{code}-M", "options": {"size": "M"}, "price_minor": 8900,
             "currency": currency, "stock": 10},
            {"code": f"JKT-{code}-L", "options": {"size": "L"}, "price_minor": 9400,
             "currency": currency, "stock": 0}],
    }


@pytest.fixture
def make_live_product(catalog: RunningService) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def make(seller: Seller, category_id: str, **kwargs: Any) -> dict[str, Any]:
        created = await catalog.client.post(
            "/v1/products", headers=seller.headers,
            json=product_body(category_id, seller.currency, **kwargs))
        assert created.status_code == 201, created.text
        submitted = await catalog.client.post(
            f"/v1/products/{created.json()['id']}/submission", headers=seller.headers)
        assert submitted.json()["outcome"] == "auto_approved", submitted.text
        return dict(submitted.json()["product"])

    return make
