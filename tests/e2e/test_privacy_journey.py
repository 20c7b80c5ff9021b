"""A buyer's data export and erasure across all six services, on real Postgres, Redis and Kafka.

The buyer leaves personal data everywhere a buyer can: an order with their name and address
(orders, fulfillment, support's read model), a ticket (support), a chat message in a live
session (live). Each piece carries a marker string, so the scan after erasure can look for the
data itself, not only the buyer's id, in every table of every service's schema."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from libs.privacy import occurrences
from libs.testing import RunningService, bearer, eventually, run_service, subject_of
from services.discovery.app import create_app as create_discovery
from services.discovery.settings import DiscoverySettings
from services.live.app import create_app as create_live
from services.live.settings import LiveSettings
from services.support.app import create_app as create_support
from services.support.settings import SupportSettings
from services.webhooks.app import create_app as create_webhooks
from services.webhooks.settings import WebhooksSettings
from tests.e2e.fulfillment_world import OPERATOR, World, checked_out, listed, start_world, tracking

pytestmark = pytest.mark.kafka

SERVICES = ("catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery")


@dataclass
class Platform:
    world: World
    support: RunningService
    live: RunningService
    webhooks: RunningService
    discovery: RunningService

    def service(self, name: str) -> RunningService:
        world = self.world
        return {"catalog": world.catalog, "orders": world.orders, "live": self.live,
                "fulfillment": world.fulfillment, "support": self.support,
                "webhooks": self.webhooks, "discovery": self.discovery}[name]


@pytest.fixture(scope="module")
async def platform(settings_for: Callable[..., Any]) -> AsyncIterator[Platform]:
    """All seven services. No support queues are made here: the schemas are shared by the test
    session, and the support journeys route tickets to the queues they make themselves."""
    async for world in start_world(settings_for):
        async with (
            run_service(create_support(settings_for(SupportSettings))) as support,
            run_service(create_live(settings_for(LiveSettings))) as live,
            run_service(create_webhooks(settings_for(WebhooksSettings, dev_mode=True))) as hooks,
            run_service(create_discovery(settings_for(DiscoverySettings))) as discovery,
        ):
            yield Platform(world, support, live, hooks, discovery)


@dataclass
class Trail:
    """What one buyer left behind, and the markers that find it."""

    buyer: dict[str, str]
    order: dict[str, Any]
    ticket_id: str
    markers: list[str]

    @property
    def subject(self) -> str:
        return subject_of(self.buyer)


async def leave_a_trail(platform: Platform) -> Trail:
    world = platform.world
    tag = secrets.token_hex(4)
    markers = [f"Marker{tag}Name", f"{tag} Marker Street", f"chat-{tag}-words",
               f"ticket-{tag}-words"]
    buyer = bearer("buyer", f"buyer-{tag}", birthdate="1991-02-03")
    item = await listed(world, stock=5)
    sku = item["sku"]
    await seen_in_discovery(platform, buyer, item["product"]["id"])
    order, _ = await checked_out(world, {sku: 1}, buyer=buyer, address={
        "name": markers[0], "line1": markers[1], "city": "London", "postcode": "SW1Y 4JH",
        "country": "GB"})
    await tracking(world, order["id"], buyer)  # fulfillment holds the address
    ticket = await opened(platform, buyer, {
        "category": "order", "market": "GB", "subject": "Where is my parcel",
        "body": f"My order has not come, {markers[3]}.",
        "links": [{"kind": "order", "id": order["id"]}]})
    session_id = await on_air(platform, world.seller)
    said = await platform.live.client.post(f"/v1/live/sessions/{session_id}/chat",
                                           headers=buyer, json={"text": markers[2]})
    assert said.status_code == 201, said.text
    return Trail(buyer, order, ticket["id"], markers)


async def seen_in_discovery(platform: Platform, buyer: dict[str, str], product_id: str) -> None:
    """The buyer consents to personalisation and taps the product: discovery keeps history."""
    client = platform.discovery.client
    consent = await client.put("/v1/discovery/consent", headers=buyer,
                               json={"personalised": True, "market": "GB"})
    assert consent.status_code == 200, consent.text

    async def tapped() -> bool:
        response = await client.post("/v1/discovery/interactions", headers=buyer, json={
            "market": "GB", "events": [{
                "client_event_id": f"tap-{secrets.token_hex(6)}", "action": "tap",
                "item_kind": "product", "item_id": product_id, "surface": "feed",
                "occurred_at": datetime.now(UTC).isoformat()}]})
        assert response.status_code == 200, response.text
        return bool(response.json()["counted"])

    assert await eventually(tapped, timeout=60, interval=0.3)  # once discovery knows it


async def opened(platform: Platform, buyer: dict[str, str], body: dict[str, Any]) -> Any:
    """A ticket about the order, once support has heard of the order."""
    async def attempt() -> Any:
        response = await platform.support.client.post("/v1/tickets", headers=buyer, json=body)
        assert response.status_code in (201, 409, 422), response.text
        return response.json() if response.status_code == 201 else None

    ticket = await eventually(attempt, timeout=60, interval=0.3)
    assert ticket, "support never heard of the order"
    return ticket


async def on_air(platform: Platform, seller: dict[str, str]) -> str:
    async def scheduled() -> Any:  # once live has heard catalog verify the seller
        response = await platform.live.client.post("/v1/live/sessions", headers=seller, json={
            "title": "Privacy stream", "scheduled_for": datetime.now(UTC).isoformat()})
        return response if response.status_code != 403 else None

    session = await eventually(scheduled, timeout=60, interval=0.2)
    assert session.status_code == 201, session.text
    started = await platform.live.client.post(f"/v1/live/sessions/{session.json()['id']}/start",
                                              headers=seller)
    assert started.status_code == 200, started.text
    return str(session.json()["id"])


async def ask(platform: Platform, who: dict[str, str], body: dict[str, Any]) -> Any:
    return await platform.support.client.post("/v1/privacy-requests", headers=who,
                                                   json=body)


async def completed(platform: Platform, request_id: str) -> dict[str, Any]:
    async def done() -> Any:
        response = await platform.support.client.get(f"/v1/privacy-requests/{request_id}",
                                                           headers=OPERATOR)
        return response.json() if response.json().get("status") == "completed" else None

    found = await eventually(done, timeout=90, interval=0.3)
    assert found, "the request never completed"
    return dict(found)


async def scan(platform: Platform, needles: list[str]) -> dict[str, dict[str, int]]:
    found = {}
    for name in SERVICES:
        async with platform.service(name).runtime.db.acquire() as conn:
            hits = await occurrences(conn, needles)
        if hits:
            found[name] = hits
    return found


async def test_an_export_gathers_what_every_service_holds_into_one_archive(
        platform: Platform) -> None:
    trail = await leave_a_trail(platform)
    asked = await ask(platform, trail.buyer, {"kind": "export"})
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["id"]
    again = await ask(platform, trail.buyer, {"kind": "export"})
    assert again.status_code in (202, 409), again.text  # 202: the first already completed
    if again.status_code == 409:
        assert again.json()["errors"][0]["field"] == "kind"

    status = await completed(platform, request_id)
    assert sorted(s["service"] for s in status["services"] if s["answered"]) == sorted(SERVICES)

    stranger = bearer("buyer", f"buyer-{secrets.token_hex(4)}")
    client = platform.support.client
    mine = (await client.get("/v1/privacy-requests", headers=trail.buyer)).json()["items"]
    listed = {item["id"]: item for item in mine}
    assert sorted(s["service"] for s in listed[request_id]["services"] if s["answered"]) == \
        sorted(SERVICES), "the list shows each request's answers too"
    assert (await client.get("/v1/privacy-requests", headers=stranger)).json()["items"] == []
    assert (await client.get(f"/v1/privacy-requests/{request_id}",
                             headers=stranger)).status_code == 404
    assert (await client.get(f"/v1/privacy-requests/{request_id}/archive",
                             headers=stranger)).status_code == 404
    download = await client.get(f"/v1/privacy-requests/{request_id}/archive",
                                headers=trail.buyer)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        files = {name: json.loads(archive.read(name)) for name in archive.namelist()}
    assert set(files) == {"manifest.json", *(f"{s}.json" for s in SERVICES)}
    orders = files["orders.json"]
    assert [o["id"] for o in orders["tables"]["orders"]] == [trail.order["id"]]
    assert orders["tables"]["orders"][0]["shipping_address"]["name"] == trail.markers[0]
    assert orders["related"]["order_lines"][0]["order_id"] == trail.order["id"]
    assert trail.markers[1] in json.dumps(files["fulfillment.json"])
    assert trail.markers[2] in json.dumps(files["live.json"])
    assert trail.markers[3] in json.dumps(files["support.json"])
    assert [t["id"] for t in files["support.json"]["tables"]["tickets"]] == [trail.ticket_id]


async def test_an_erasure_leaves_no_personal_data_anywhere_and_the_books_still_balance(
        platform: Platform) -> None:
    trail = await leave_a_trail(platform)
    world = platform.world
    orders_db = world.orders.runtime.db
    total_before = await orders_db.fetchval(
        "SELECT sum(quantity * unit_price_minor) FROM order_lines WHERE order_id = $1::uuid",
        trail.order["id"])
    before = await scan(platform, [trail.subject, *trail.markers])
    assert {"orders", "fulfillment", "support", "live", "discovery"} <= set(before), before

    asked = await ask(platform, trail.buyer, {"kind": "erasure"})
    assert asked.status_code == 202, asked.text
    status = await completed(platform, asked.json()["id"])
    answers = {s["service"]: s for s in status["services"]}
    assert all(answers[s]["answered"] for s in SERVICES), answers
    assert answers["orders"]["pseudonymised"] >= 1 and answers["live"]["redacted"] >= 1
    assert answers["support"]["redacted"] >= 1 and answers["fulfillment"]["redacted"] >= 1
    assert answers["discovery"]["redacted"] >= 2  # the history and the birthdate

    assert await scan(platform, [trail.subject, *trail.markers]) == {}
    # The buyer's record of the request is forgotten with them.
    gone = await platform.support.client.get(
        f"/v1/privacy-requests/{asked.json()['id']}", headers=trail.buyer)
    assert gone.status_code == 404

    order = await orders_db.fetchrow("SELECT buyer_id, status, shipping_address FROM orders "
                                     "WHERE id = $1::uuid", trail.order["id"])
    assert order["buyer_id"].startswith("erased-")
    assert order["shipping_address"] == {"country": "GB", "erased": True}
    assert await orders_db.fetchval(
        "SELECT sum(quantity * unit_price_minor) FROM order_lines WHERE order_id = $1::uuid",
        trail.order["id"]) == total_before
    assert await orders_db.fetchval(
        "SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries") == 0
    assert await platform.live.runtime.db.fetchval(
        "SELECT coalesce(sum(tokens), 0) FROM ledger_entries") == 0
    fulfilled = await world.fulfillment.runtime.db.fetchval(
        "SELECT buyer_id FROM fulfillment_orders WHERE order_id = $1::uuid", trail.order["id"])
    assert fulfilled == order["buyer_id"]  # the same pseudonym in every service

    async def notice() -> Any:
        response = await platform.webhooks.client.get(
            "/v1/events", headers=world.seller, params={"types": "buyer.redaction_requested", "limit": 500})
        items = [e for e in response.json()["events"]
                 if trail.order["id"] in e["data"]["order_ids"]]
        return items or None

    [told] = await eventually(notice, timeout=60, interval=0.3)
    assert told["data"]["pseudonym"] == order["buyer_id"]
    assert trail.subject not in json.dumps(told)


async def test_privacy_requests_for_someone_else_or_malformed_are_refused(
        platform: Platform) -> None:
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(4)}")
    other = await ask(platform, buyer, {"kind": "erasure", "subject_id": "buyer-someone-else"})
    assert other.status_code == 403
    assert other.json()["errors"][0]["field"] == "subject_id"
    unnamed = await ask(platform, OPERATOR, {"kind": "export"})
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["field"] == "subject_id"
    unknown = await ask(platform, buyer, {"kind": "forget-me-maybe"})
    assert unknown.status_code == 422
    assert "kind" in json.dumps(unknown.json()["errors"])
    seller = await ask(platform, platform.world.seller, {"kind": "export"})
    assert seller.status_code == 403
    assert (await platform.support.client.post(
        "/v1/privacy-requests", json={"kind": "export"})).status_code == 401
    erasure = await ask(platform, buyer, {"kind": "erasure"})
    assert erasure.status_code == 202
    archive = await platform.support.client.get(
        f"/v1/privacy-requests/{erasure.json()['id']}/archive", headers=OPERATOR)
    assert archive.status_code == 409
