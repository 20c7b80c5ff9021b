"""Catalog's seller API against real Postgres, Redis and Kafka: auth, errors, idempotency,
pagination and ownership."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from libs.auth.dev_token import mint
from libs.testing import TEST_JWT_SECRET, RunningService, bearer, run_service
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings

PROBLEM = "application/problem+json"
REGISTRATION = {"legal_name": "Harbour & Pine Candles", "country": "GB",
                "business_type": "company", "market": "GB"}


@pytest.fixture(scope="module")
async def catalog(settings_for: Callable[..., Any]) -> AsyncIterator[RunningService]:
    async with run_service(create_app(settings_for(CatalogSettings))) as service:
        yield service


def seller_headers(subject: str | None = None, **extra: str) -> dict[str, str]:
    return {**bearer("seller", subject or f"seller-{secrets.token_hex(4)}"), **extra}


async def test_registration_creates_a_pending_seller(catalog: RunningService) -> None:
    response = await catalog.client.post("/v1/sellers", json=REGISTRATION,
                                         headers=seller_headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending_verification"
    assert body["currency"] == "GBP" and body["tier"] == "local"


async def test_missing_expired_and_forged_tokens_are_401_problems(catalog: RunningService) -> None:
    expired = mint(TEST_JWT_SECRET, subject="u", roles=["seller"], ttl_seconds=-120)
    forged = mint("another-secret", subject="u", roles=["seller"])
    for headers, detail in [({}, "Authentication required"),
                            ({"Authorization": f"Bearer {expired}"}, "expired"),
                            ({"Authorization": f"Bearer {forged}"}, "invalid"),
                            ({"Authorization": "Bearer not.a.jwt"}, "invalid")]:
        response = await catalog.client.post("/v1/sellers", json=REGISTRATION, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert detail in response.json()["detail"]


async def test_wrong_role_is_403_problem(catalog: RunningService) -> None:
    response = await catalog.client.post("/v1/sellers", json=REGISTRATION,
                                         headers=bearer("buyer"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert "seller" in response.json()["detail"]
    listing = await catalog.client.get("/v1/sellers", headers=seller_headers())
    assert listing.status_code == 403


async def test_malformed_json_and_wrong_types_name_the_field(catalog: RunningService) -> None:
    broken = await catalog.client.post(
        "/v1/sellers", content=b'{"legal_name": "x",', headers={
            **seller_headers(), "content-type": "application/json"})
    assert broken.status_code == 422
    assert broken.headers["content-type"] == PROBLEM
    wrong = await catalog.client.post(
        "/v1/sellers", json={**REGISTRATION, "business_type": 7, "country": "gb"},
        headers=seller_headers())
    assert wrong.status_code == 422
    fields = {e["field"] for e in wrong.json()["errors"]}
    assert fields == {"business_type", "country"}
    unknown_market = await catalog.client.post(
        "/v1/sellers", json={**REGISTRATION, "market": "ZZ"}, headers=seller_headers())
    assert unknown_market.status_code == 422
    assert unknown_market.json()["errors"][0]["field"] == "market"


async def test_unknown_route_is_404_problem(catalog: RunningService) -> None:
    response = await catalog.client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


async def test_idempotency_key_replays_or_refuses(catalog: RunningService) -> None:
    subject = f"signup-{secrets.token_hex(4)}"
    headers = seller_headers(subject, **{"Idempotency-Key": "signup-1"})
    first = await catalog.client.post("/v1/sellers", json=REGISTRATION, headers=headers)
    again = await catalog.client.post("/v1/sellers", json=REGISTRATION, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await catalog.client.post("/v1/sellers", json={**REGISTRATION, "market": "US",
                                                           "country": "US"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    count = await catalog.runtime.db.fetchval(
        "SELECT count(*) FROM sellers WHERE owner_subject = $1", subject)
    assert count == 1


async def test_same_key_in_flight_twice_gives_409(catalog: RunningService) -> None:
    headers = seller_headers(**{"Idempotency-Key": "double-click"})
    responses = await asyncio.gather(*(
        catalog.client.post("/v1/sellers", json=REGISTRATION, headers=headers)
        for _ in range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1, "never two sellers for one key"


async def test_a_seller_sees_only_itself(catalog: RunningService) -> None:
    mine = (await catalog.client.post("/v1/sellers", json=REGISTRATION,
                                      headers=seller_headers("owner-a"))).json()
    theirs = (await catalog.client.post("/v1/sellers", json=REGISTRATION,
                                        headers=seller_headers("owner-b"))).json()
    assert (await catalog.client.get(f"/v1/sellers/{mine['id']}",
                                     headers=seller_headers("owner-a"))).status_code == 200
    other = await catalog.client.get(f"/v1/sellers/{theirs['id']}",
                                     headers=seller_headers("owner-a"))
    assert other.status_code == 404
    assert (await catalog.client.get(f"/v1/sellers/{theirs['id']}",
                                     headers=bearer("agent"))).status_code == 200


async def test_cursor_pagination_walks_every_seller_once(catalog: RunningService) -> None:
    for i in range(5):
        await catalog.client.post("/v1/sellers", json=REGISTRATION,
                                  headers=seller_headers(f"pager-{i}"))
    total = await catalog.runtime.db.fetchval("SELECT count(*) FROM sellers")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await catalog.client.get("/v1/sellers", params=params,
                                         headers=bearer("operator"))).json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == total
    bad = await catalog.client.get("/v1/sellers", params={"cursor": "!!"},
                                   headers=bearer("operator"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.cursor"
    too_big = await catalog.client.get("/v1/sellers", params={"limit": 1000},
                                       headers=bearer("operator"))
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "query.limit"


async def test_the_catalog_role_cannot_touch_another_services_schema(
    catalog: RunningService,
) -> None:
    import asyncpg

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await catalog.runtime.db.fetchval("SELECT count(*) FROM support.seller_accounts")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await catalog.runtime.db.execute("CREATE TABLE public.sneaky (id int)")


async def test_openapi_lists_the_routes(catalog: RunningService) -> None:
    spec = (await catalog.client.get("/openapi.json")).json()
    assert "/v1/sellers" in spec["paths"]
    assert "/readyz" in spec["paths"]


async def test_operators_verify_suspend_and_reinstate_with_reasons(
    catalog: RunningService,
) -> None:
    subject = f"lifecycle-{secrets.token_hex(4)}"
    seller = (await catalog.client.post("/v1/sellers", json=REGISTRATION,
                                        headers=seller_headers(subject))).json()
    base = f"/v1/sellers/{seller['id']}"
    operator = bearer("operator", "ops-1")
    owner = bearer("seller", subject, seller_id=seller["id"])

    assert (await catalog.client.post(f"{base}/verification", headers=owner)).status_code == 403
    assert (await catalog.client.post(f"{base}/verification",
                                      headers=bearer("agent"))).status_code == 403
    verified = await catalog.client.post(f"{base}/verification", headers=operator)
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    again = await catalog.client.post(f"{base}/verification", headers=operator)
    assert again.status_code == 409 and again.json()["current_status"] == "verified"

    no_reason = await catalog.client.post(f"{base}/suspension", json={}, headers=operator)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    suspended = await catalog.client.post(f"{base}/suspension", headers=operator,
                                          json={"reason": "counterfeit trainers"})
    assert suspended.json()["status"] == "suspended"
    reinstated = await catalog.client.post(f"{base}/reinstatement", headers=operator,
                                           json={"reason": "appeal upheld"})
    assert reinstated.json()["status"] == "verified"

    history = (await catalog.client.get(f"{base}/status-history", headers=owner)).json()
    assert [(h["status"], h["reason"]) for h in history] == [
        ("verified", None), ("suspended", "counterfeit trainers"), ("verified", "appeal upheld")]
    assert {h["actor"] for h in history} == {"ops-1"}
    stranger = await catalog.client.get(f"{base}/status-history", headers=seller_headers())
    assert stranger.status_code == 404
    events = await catalog.runtime.db.fetch(
        "SELECT event_type FROM outbox WHERE event_key = $1 ORDER BY seq", seller["id"])
    assert [e["event_type"] for e in events] == [
        "seller.registered", "seller.verified", "seller.suspended", "seller.reinstated"]


async def test_unknown_seller_decisions_are_404(catalog: RunningService) -> None:
    response = await catalog.client.post(
        "/v1/sellers/01900000-0000-7000-8000-000000000000/verification",
        headers=bearer("operator"))
    assert response.status_code == 404
