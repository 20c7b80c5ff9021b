"""Across services through Kafka: a seller registers in catalog and support opens the seller's
account; one trace spans the HTTP request, the outbox publish and support's handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from libs.testing import SPANS, bearer, eventually, run_service
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.support.app import create_app as create_support
from services.support.settings import SupportSettings

pytestmark = pytest.mark.kafka


async def test_registered_seller_gets_a_support_account_in_one_trace(
    settings_for: Callable[..., Any],
) -> None:
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_support(settings_for(SupportSettings))) as support,
    ):
        registered = await catalog.client.post(
            "/v1/sellers", headers=bearer("seller", "journey-seller"),
            json={"legal_name": "Northside Sneaker Lab Ltd", "country": "GB",
                  "business_type": "company", "market": "GB"})
        assert registered.status_code == 201, registered.text
        seller = registered.json()
        seller_headers = bearer("seller", "journey-seller", seller_id=seller["id"])

        async def account() -> Any:
            response = await support.client.get(f"/v1/seller-accounts/{seller['id']}",
                                                headers=seller_headers)
            return response.json() if response.status_code == 200 else None

        opened = await eventually(account, timeout=60)
        assert opened, "support never opened the account"
        assert opened["standing"] == "good" and opened["health_score"] == 100
        assert opened["shop_id"] == seller["shop_id"]

        stranger = await support.client.get(f"/v1/seller-accounts/{seller['id']}",
                                            headers=bearer("seller", "someone-else",
                                                           seller_id="00000000-0000-7000-8000-000000000000"))
        assert stranger.status_code == 404

        suspended = await catalog.client.post(
            f"/v1/sellers/{seller['id']}/suspension", headers=bearer("operator", "ops-1"),
            json={"reason": "unsafe electrical goods"})
        assert suspended.status_code == 200

        async def restricted() -> bool:
            return bool((await account() or {}).get("standing") == "restricted")

        assert await eventually(restricted, timeout=60), "support never saw the suspension"

    spans = SPANS.get_finished_spans()
    handled = [s for s in spans if s.name == "consume seller.registered"
               and str((s.attributes or {}).get("messaging.consumer.group.name")).startswith(
                   "support")]
    requests = {s.context.trace_id for s in spans
                if s.kind.name == "SERVER" and s.name == "POST /v1/sellers"}
    joined = [h for h in handled if h.context.trace_id in requests]
    assert joined, "support's handling is not in the registration's trace"
    in_trace = [s for s in spans if s.context.trace_id == joined[0].context.trace_id]
    names = {s.name for s in in_trace}
    assert {"POST /v1/sellers", "INSERT", "outbox publish seller.registered",
            "catalog.seller.v1 send", "consume seller.registered",
            "outbox publish seller_account.opened"} <= names
