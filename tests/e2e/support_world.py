"""A running marketplace with its support desk: catalog, orders, fulfillment and support on real
Postgres, Redis and Kafka, with a GB queue of two agents, a GB lead queue with one lead, a desk
open around the clock (so tests do not depend on the hour they run at), and helpers that walk
the real routes.

Time is scaled: an SLA business minute lasts 0.05 s (a standard seller's normal first-reply
target of 240 minutes is 12 s), a dispute hour 0.05 s (the seller's 72 hours are 3.6 s), a
fulfillment day 10 s (a self-shipping seller must ship within 20 s). The health thresholds are
raised so that one late shipment warns and two suspend.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from libs.testing import RunningService, bearer, eventually, run_service
from services.support.app import create_app as create_support
from services.support.settings import SupportSettings
from tests.e2e.fulfillment_world import OPERATOR, World, checked_out, listed, start_world

ALWAYS_OPEN = {"timezone": "Europe/London", "working_days": [1, 2, 3, 4, 5, 6, 7],
               "opens": "00:00", "closes": "24:00", "holidays": []}


@dataclass
class Desk:
    world: World
    support: RunningService
    agents: list[str]
    lead: str
    queue_id: str
    lead_queue_id: str

    def agent(self, index: int = 0) -> dict[str, str]:
        return bearer("agent", self.agents[index])

    def lead_agent(self) -> dict[str, str]:
        return bearer("agent", self.lead)


async def start_desk(settings_for: Callable[..., Any], **support: Any) -> AsyncIterator[Desk]:
    support_settings = settings_for(SupportSettings, **{
        "sla_minute_seconds": 0.05, "dispute_hour_seconds": 0.05,
        "deadline_poll_interval_seconds": 0.2, "health_warning_below": 95,
        "health_suspension_below": 85, **support})
    async for world in start_world(settings_for, seconds_per_day=10,
                                   orders_overrides={"return_window_seconds": 120}):
        async with run_service(create_support(support_settings)) as service:
            client = service.client
            put = await client.put("/v1/business-calendars/GB", headers=OPERATOR,
                                   json=ALWAYS_OPEN)
            assert put.status_code == 200, put.text
            tag = secrets.token_hex(3)
            agents = [f"agent-{tag}-a", f"agent-{tag}-b"]
            lead = f"lead-{tag}"
            queue = (await client.post("/v1/support-queues", headers=OPERATOR, json={
                "name": f"GB desk {tag}", "market": "GB"})).json()
            leads = (await client.post("/v1/support-queues", headers=OPERATOR, json={
                "name": f"GB leads {tag}", "market": "GB", "lead": True})).json()
            for agent in agents:
                assert (await client.put(f"/v1/support-queues/{queue['id']}/agents/{agent}",
                                         headers=OPERATOR, json={"skills": ["order", "en"]})
                        ).status_code == 204
            await client.put(f"/v1/support-queues/{leads['id']}/agents/{lead}",
                             headers=OPERATOR, json={})
            yield Desk(world, service, agents, lead, queue["id"], leads["id"])


async def new_seller(desk: Desk, *, country: str = "GB") -> tuple[str, dict[str, str]]:
    """Another verified GB seller (local, or cross-border when based elsewhere), known to
    support; returns its id and headers."""
    catalog = desk.world.catalog.client
    subject = f"seller-{secrets.token_hex(3)}"
    seller = (await catalog.post("/v1/sellers", headers=bearer("seller", subject), json={
        "legal_name": f"{subject} Ltd", "country": country, "business_type": "company",
        "market": "GB"})).json()
    await catalog.post(f"/v1/sellers/{seller['id']}/verification", headers=OPERATOR)
    headers = bearer("seller", subject, seller_id=seller["id"])

    async def known() -> bool:
        response = await desk.support.client.get(f"/v1/seller-accounts/{seller['id']}",
                                                 headers=headers)
        return response.status_code == 200 and response.json()["catalog_status"] == "verified"

    assert await eventually(known, timeout=60)
    return seller["id"], headers


async def seller_order(desk: Desk, seller: dict[str, str] | None = None,
                       ) -> tuple[dict[str, Any], dict[str, str]]:
    """A paid order the seller ships itself (no warehouse stocks it)."""
    world = desk.world
    if seller is not None:
        world = World(world.catalog, world.orders, world.fulfillment, world.seller_id, seller,
                      world.category)
    sku = (await listed(world, stock=5))["sku"]
    return await checked_out(world, {sku: 1})


async def opened(desk: Desk, who: dict[str, str], body: dict[str, Any],
                 timeout: float = 60) -> dict[str, Any]:
    """Opens a ticket, waiting until support has heard of the linked objects."""
    async def attempt() -> Any:
        response = await desk.support.client.post("/v1/tickets", headers=who, json=body)
        if response.status_code == 201:
            return response.json()
        assert response.status_code in (409, 422), response.text
        return None

    return dict(await eventually(attempt, timeout=timeout, interval=0.3))


async def ticket(desk: Desk, ticket_id: str, who: dict[str, str]) -> dict[str, Any]:
    response = await desk.support.client.get(f"/v1/tickets/{ticket_id}", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def support_events(desk: Desk, key: str, *types: str) -> list[dict[str, Any]]:
    rows = await desk.support.runtime.db.fetch(
        """SELECT event_type, payload, occurred_at FROM outbox WHERE event_key = $1
           AND event_type = ANY($2::text[]) ORDER BY seq""", key, list(types))
    return [{"type": r["event_type"], "occurred_at": r["occurred_at"], **r["payload"]}
            for r in rows]


async def support_knows(desk: Desk, order_id: str, column: str = "ship_by") -> None:
    """Waits until support's read model has heard the order's `column` (the events reach each
    service in its own time; a real ticket about a late order comes long after)."""
    allowed = {"ship_by", "delivered_at", "shipped_at"}
    assert column in allowed

    async def probe() -> bool:
        return bool(await desk.support.runtime.db.fetchval(
            f"SELECT {column} IS NOT NULL FROM order_views WHERE order_id = $1::uuid",
            order_id))

    assert await eventually(probe, timeout=60, interval=0.2), f"support never heard {column}"
