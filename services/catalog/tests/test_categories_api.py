"""The category tree through the API, against real servers."""

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


async def test_operators_build_a_tree_that_anyone_can_browse(catalog: RunningService) -> None:
    operator = bearer("operator")
    root_name = f"Health {secrets.token_hex(3)}"
    root = await catalog.client.post("/v1/categories", headers=operator, json={
        "name": root_name, "prohibited_markets": ["ID"]})
    assert root.status_code == 201, root.text
    adult = (await catalog.client.post("/v1/categories", headers=operator, json={
        "name": "Adult wellness", "parent_id": root.json()["id"], "age_restricted": True,
        "required_attributes": [{"name": "brand", "kind": "text"}]})).json()
    leaf = await catalog.client.post("/v1/categories", headers=operator, json={
        "name": "Massagers", "parent_id": adult["id"],
        "required_attributes": [{"name": "power", "kind": "choice",
                                 "choices": ["battery", "mains"]}]})
    body = leaf.json()
    assert body["path"] == [root_name, "Adult wellness", "Massagers"]
    assert body["age_restricted"] is True and body["prohibited_markets"] == ["ID"]
    assert [a["name"] for a in body["required_attributes"]] == ["brand", "power"]

    public = await catalog.client.get(f"/v1/categories/{body['id']}")
    assert public.status_code == 200 and public.json() == body
    tree = (await catalog.client.get("/v1/categories")).json()
    [mine] = [n for n in tree if n["name"] == root_name]
    massagers = mine["children"][0]["children"][0]
    assert massagers["name"] == "Massagers" and massagers["age_restricted"] is True


async def test_only_operators_manage_categories(catalog: RunningService) -> None:
    for headers in ({}, bearer("seller"), bearer("agent")):
        response = await catalog.client.post("/v1/categories", json={"name": "Toys"},
                                             headers=headers)
        assert response.status_code in (401, 403)


async def test_bad_definitions_are_refused_naming_the_field(catalog: RunningService) -> None:
    operator = bearer("operator")
    unknown_parent = await catalog.client.post("/v1/categories", headers=operator, json={
        "name": "Orphans", "parent_id": "01900000-0000-7000-8000-000000000000"})
    assert unknown_parent.status_code == 409  # well-formed; no such category exists
    assert unknown_parent.json()["errors"][0]["field"] == "parent_id"
    bad_market = await catalog.client.post("/v1/categories", headers=operator, json={
        "name": "Knives", "prohibited_markets": ["GB", "ZZ"]})
    assert bad_market.json()["errors"][0]["field"] == "prohibited_markets"
    name = f"Toys {secrets.token_hex(3)}"
    assert (await catalog.client.post("/v1/categories", headers=operator,
                                      json={"name": name})).status_code == 201
    twin = await catalog.client.post("/v1/categories", headers=operator, json={"name": name})
    assert twin.status_code == 409
    assert (await catalog.client.get(
        "/v1/categories/01900000-0000-7000-8000-000000000000")).status_code == 404
