"""Seller API keys against real servers: shown once, stored hashed, scoped to the seller,
revocable, usable instead of a bearer token."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from libs.testing import RunningService, bearer, run_service
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings


@pytest.fixture(scope="module")
async def catalog(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with run_service(create_app(settings_for(CatalogSettings))) as service:
        yield service


async def new_seller(catalog: RunningService) -> tuple[str, dict[str, str]]:
    subject = f"keys-{secrets.token_hex(4)}"
    seller = (await catalog.client.post(
        "/v1/sellers", headers=bearer("seller", subject),
        json={"legal_name": "Lone Star Leatherworks LLC", "country": "US",
              "business_type": "company", "market": "US"})).json()
    return seller["id"], bearer("seller", subject, seller_id=seller["id"])


async def test_a_key_is_shown_once_stored_hashed_and_works_until_revoked(
    catalog: RunningService,
) -> None:
    seller_id, owner = await new_seller(catalog)
    created = await catalog.client.post(f"/v1/sellers/{seller_id}/api-keys",
                                        json={"name": "ERP"}, headers=owner)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    listed = (await catalog.client.get(f"/v1/sellers/{seller_id}/api-keys", headers=owner)).json()
    assert [k["prefix"] for k in listed] == [created.json()["prefix"]]
    assert "key" not in listed[0]
    stored = await catalog.runtime.db.fetchval(
        "SELECT digest FROM seller_api_keys WHERE seller_id = $1::uuid", seller_id)
    assert key not in stored and len(stored) == 64

    as_system = await catalog.client.get(f"/v1/sellers/{seller_id}", headers={"X-Api-Key": key})
    assert as_system.status_code == 200
    cannot_mint = await catalog.client.post(f"/v1/sellers/{seller_id}/api-keys",
                                            json={"name": "more"}, headers={"X-Api-Key": key})
    assert cannot_mint.status_code == 403

    revoked = await catalog.client.delete(
        f"/v1/sellers/{seller_id}/api-keys/{created.json()['id']}", headers=owner)
    assert revoked.status_code == 204
    after = await catalog.client.get(f"/v1/sellers/{seller_id}", headers={"X-Api-Key": key})
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"


async def test_keys_are_scoped_to_their_seller(catalog: RunningService) -> None:
    mine, owner = await new_seller(catalog)
    theirs, other_owner = await new_seller(catalog)
    their_key = (await catalog.client.post(f"/v1/sellers/{theirs}/api-keys", json={"name": "x"},
                                           headers=other_owner)).json()["key"]
    assert (await catalog.client.get(f"/v1/sellers/{mine}",
                                     headers={"X-Api-Key": their_key})).status_code == 404
    for method, path in [("GET", f"/v1/sellers/{theirs}/api-keys"),
                         ("POST", f"/v1/sellers/{theirs}/api-keys"),
                         ("DELETE", f"/v1/sellers/{theirs}/api-keys/{mine}")]:
        response = await catalog.client.request(method, path, headers=owner,
                                                json={"name": "y"} if method == "POST" else None)
        assert response.status_code == 404, (method, path)


async def test_garbage_keys_are_401(catalog: RunningService) -> None:
    seller_id, _ = await new_seller(catalog)
    for key in ["nonsense", "sk_000000000000_" + "a" * 43, "sk_" + "x" * 60]:
        response = await catalog.client.get(f"/v1/sellers/{seller_id}", headers={"X-Api-Key": key})
        assert response.status_code == 401, key


async def test_each_api_key_has_a_budget_like_shopifys_bucket(catalog: RunningService) -> None:
    """Issue 12, item 5: scripts using the seller API meet a documented budget per key (40
    requests per 20 s), answered 429 with Retry-After and RateLimit headers, shared by every
    instance through Redis; people with bearer tokens and the seller's other keys go on."""
    import asyncio

    seller_id, owner = await new_seller(catalog)
    keys = [(await catalog.client.post(f"/v1/sellers/{seller_id}/api-keys", json={"name": n},
                                       headers=owner)).json()["key"] for n in ("ERP", "WMS")]
    path = f"/v1/sellers/{seller_id}"
    answers = await asyncio.gather(*[catalog.client.get(path, headers={"X-Api-Key": keys[0]})
                                     for _ in range(45)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 40 + [429] * 5, statuses
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["RateLimit-Policy"] == "40;w=20"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert refused.json()["errors"][0]["field"] == "header.X-API-Key"
    assert (await catalog.client.get(path, headers={"X-Api-Key": keys[1]})).status_code == 200
    assert (await catalog.client.get(path, headers=owner)).status_code == 200
