"""Webhooks end to end, through Kafka on real servers: sellers subscribe, a buyer's order
reaches its seller's receiver signed (verified with the `standardwebhooks` library) and in
sequence order, never another seller's; a receiver that is down gets everything once it is back;
410 disables; a rotation signs with both secrets; the pull feed holds the same events."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from libs.testing import (
    RunningService,
    ServedService,
    bearer,
    distinct_title,
    eventually,
    run_service,
    serve,
)
from services.catalog.app import create_app as create_catalog
from services.catalog.settings import CatalogSettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings
from services.webhooks.adapters.signing import verify_ed25519
from services.webhooks.app import create_app as create_webhooks
from services.webhooks.settings import WebhooksSettings

pytestmark = pytest.mark.kafka
OPERATOR = bearer("operator", "ops-1")
ADDRESS = {"name": "Ada", "line1": "1 Mall", "city": "London", "postcode": "SW1Y 4JH",
           "country": "GB"}


@dataclass
class Receiver:
    """A seller's server: records what arrives, answers with the status it is told to."""

    served: ServedService
    answer: dict[str, int] = field(default_factory=dict)
    received: dict[str, list[tuple[dict[str, str], bytes]]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"{self.served.base_url}/hooks/{name}"


@dataclass
class World:
    catalog: RunningService
    orders: RunningService
    webhooks: RunningService
    receiver: Receiver


@pytest.fixture(scope="module")
async def world(settings_for: Callable[..., Any]) -> AsyncIterator[World]:
    app = FastAPI()
    answer: dict[str, int] = {}
    received: dict[str, list[tuple[dict[str, str], bytes]]] = {}

    @app.post("/hooks/{name}")
    async def hook(name: str, request: Request) -> Response:
        received.setdefault(name, []).append((dict(request.headers), await request.body()))
        return Response(status_code=answer.get(name, 204))

    webhooks_settings = settings_for(
        WebhooksSettings, dev_mode=True, retry_scale=0.002, poll_interval_seconds=0.05,
        endpoint_secret_key=SecretStr("dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0cy1rZXktMzI="))
    async with (
        run_service(create_catalog(settings_for(CatalogSettings))) as catalog,
        run_service(create_orders(settings_for(OrdersSettings, hold_window_seconds=0.5))) as orders,
        run_service(create_webhooks(webhooks_settings)) as webhooks,
        serve(app) as served,
    ):
        receiver = Receiver(served)
        receiver.answer, receiver.received = answer, received
        yield World(catalog, orders, webhooks, receiver)


async def seller(world: World) -> tuple[str, dict[str, str], str]:
    """A verified seller with one live product: (seller id, headers, SKU id)."""
    subject = f"seller-{secrets.token_hex(3)}"
    created = (await world.catalog.client.post("/v1/sellers", headers=bearer("seller", subject),
                                               json={"legal_name": "Hook & Loop Ltd",
                                                     "country": "GB", "business_type": "company",
                                                     "market": "GB"})).json()
    await world.catalog.client.post(f"/v1/sellers/{created['id']}/verification", headers=OPERATOR)
    headers = bearer("seller", subject, seller_id=created["id"])
    category = (await world.catalog.client.post("/v1/categories", headers=OPERATOR, json={
        "name": f"Hooks {subject}"})).json()["id"]
    product = (await world.catalog.client.post("/v1/products", headers=headers, json={
        "title": distinct_title("Brass coat hook"), "category_id": category,
        "skus": [{"code": f"HK-{secrets.token_hex(3)}", "price_minor": 1200, "currency": "GBP",
                  "stock": 50}]})).json()
    await world.catalog.client.post(f"/v1/products/{product['id']}/submission", headers=headers)
    return created["id"], headers, product["skus"][0]["id"]


async def subscribe(world: World, headers: dict[str, str], name: str,
                    types: list[str]) -> dict[str, Any]:
    response = await world.webhooks.client.post(
        "/v1/webhook-endpoints", headers={**headers, "Idempotency-Key": secrets.token_hex(8)},
        json={"url": world.receiver.url(name), "event_types": types, "description": name})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def buy(world: World, sku: str) -> str:
    buyer = bearer("buyer", f"buyer-{secrets.token_hex(3)}")

    async def in_cart() -> bool:
        return (await world.orders.client.put(f"/v1/cart/lines/{sku}", headers=buyer,
                                              json={"quantity": 1})).status_code == 200

    assert await eventually(in_cart, timeout=60)
    response = await world.orders.client.post(
        "/v1/checkout", headers={**buyer, "Idempotency-Key": secrets.token_hex(8)},
        json={"shipping_address": ADDRESS, "payment": {"method": "pm_card_visa"}})
    assert response.status_code == 201, response.text
    return str(response.json()["orders"][0]["id"])


def verified(received: list[tuple[dict[str, str], bytes]], secret: str) -> list[dict[str, Any]]:
    return [Webhook(secret).verify(body, headers) for headers, body in received]


async def events_for(world: World, name: str, order_id: str, *types: str) -> list[Any]:
    async def arrived() -> Any:
        bodies = [b for _, b in world.receiver.received.get(name, [])]
        mine = [b for b in bodies if order_id.encode() in b]
        return mine if all(any(t.encode() in b for b in mine) for t in types) else None

    return list(await eventually(arrived, timeout=60) or [])


async def test_a_sellers_order_events_arrive_signed_in_order_and_only_to_it(world: World) -> None:
    alpha_id, alpha, alpha_sku = await seller(world)
    _, beta, beta_sku = await seller(world)
    a = await subscribe(world, alpha, "alpha", ["order.*"])
    await subscribe(world, beta, "beta", ["order.*", "product.*"])
    assert a["secret"].startswith("whsec_")
    order_id = await buy(world, alpha_sku)
    await events_for(world, "alpha", order_id, "order.placed", "order.confirmed")
    mine = [e for e in verified(world.receiver.received["alpha"], a["secret"])
            if e["aggregate_id"] == order_id]
    assert [e["type"] for e in mine][:2] == ["order.placed", "order.confirmed"]
    assert [e["sequence"] for e in mine] == list(range(1, len(mine) + 1)), "in sequence order"
    assert all(e["data"]["seller_id"] == alpha_id for e in mine)
    beta_got = [body for _, body in world.receiver.received.get("beta", [])]
    assert not any(order_id.encode() in body for body in beta_got), "never another seller's"
    other_order = await buy(world, beta_sku)
    await events_for(world, "beta", other_order, "order.confirmed")
    assert not any(other_order.encode() in body for _, body in world.receiver.received["alpha"])

    feed = (await world.webhooks.client.get("/v1/events", headers=alpha,
                                            params={"types": "order.placed,order.confirmed"}
                                            )).json()
    fed = [e for e in feed["events"] if e["aggregate_id"] == order_id]
    assert [e["type"] for e in fed] == ["order.placed", "order.confirmed"]
    assert fed[0]["data"] == mine[0]["data"], "the feed holds what webhooks delivered"
    stranger = await world.webhooks.client.get(f"/v1/webhook-endpoints/{a['id']}", headers=beta)
    assert stranger.status_code == 404
    log = (await world.webhooks.client.get(f"/v1/webhook-endpoints/{a['id']}/deliveries",
                                           headers=alpha)).json()["items"]
    assert log and all(d["status"] == "succeeded" for d in log)
    one = (await world.webhooks.client.get(f"/v1/webhook-endpoints/{a['id']}/deliveries",
                                           headers=alpha,
                                           params={"event_id": mine[0]["event_id"]})).json()
    assert [d["type"] for d in one["items"]] == ["order.placed"], "the log of one event"

    cancelled = await world.orders.client.post(f"/v1/seller/orders/{order_id}/cancellation",
                                               headers=alpha, json={"reason": "broken in store"})
    assert cancelled.status_code == 200, cancelled.text
    await events_for(world, "alpha", order_id, "order.cancelled")
    story = {e["type"]: e["sequence"]
             for e in verified(world.receiver.received["alpha"], a["secret"])
             if e["aggregate_id"] == order_id}
    assert story == {"order.placed": 1, "order.confirmed": 2, "order.cancelled": 3}, \
        "no gap where a private event (the address for fulfillment) came between"


async def test_a_receiver_that_was_down_gets_everything_once_it_is_back(world: World) -> None:
    _, headers, sku = await seller(world)
    endpoint = await subscribe(world, headers, "flaky", ["order.*"])
    world.receiver.answer["flaky"] = 503
    order_id = await buy(world, sku)

    async def retried() -> bool:
        return len(world.receiver.received.get("flaky", [])) >= 4

    assert await eventually(retried, timeout=60), "deliveries are retried while it is down"
    first_ids = {h["webhook-id"] for h, _ in world.receiver.received["flaky"]}
    assert len(first_ids) == 1, "a later event of the order waits for the earlier one"
    world.receiver.answer["flaky"] = 200
    await events_for(world, "flaky", order_id, "order.placed", "order.confirmed")
    ok = verified(world.receiver.received["flaky"], endpoint["secret"])
    delivered_after = [e["type"] for e in ok if e["aggregate_id"] == order_id]
    assert delivered_after.index("order.placed") < delivered_after.index("order.confirmed")
    [attempts] = [d for d in (await world.webhooks.client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=headers)).json()["items"]
        if d["type"] == "order.placed"]
    assert attempts["status"] == "succeeded" and attempts["attempts"] >= 4
    log = (await world.webhooks.client.get(
        f"/v1/webhook-deliveries/{attempts['id']}/attempts", headers=headers)).json()
    assert [a["status_code"] for a in log][-1] == 200 and 503 in [a["status_code"] for a in log]


async def test_410_disables_and_rotation_signs_with_both_secrets(world: World) -> None:
    _, headers, sku = await seller(world)
    gone = await subscribe(world, headers, "gone", ["order.placed"])
    rotating = await subscribe(world, headers, "rotating", ["order.placed"])
    world.receiver.answer["gone"] = 410
    rotated = (await world.webhooks.client.post(
        f"/v1/webhook-endpoints/{rotating['id']}/secret-rotation", headers=headers)).json()
    assert rotated["secret"] != rotating["secret"] and rotated["old_secret_until"]
    order_id = await buy(world, sku)
    await events_for(world, "rotating", order_id, "order.placed")
    for secret in (rotating["secret"], rotated["secret"]):
        assert verified(world.receiver.received["rotating"], secret)

    async def disabled() -> Any:
        found = (await world.webhooks.client.get(f"/v1/webhook-endpoints/{gone['id']}",
                                                 headers=headers)).json()
        return found if not found["active"] else None

    assert "410" in (await eventually(disabled, timeout=30))["disabled_reason"]
    assert len(world.receiver.received["gone"]) == 1, "no retry after 410 Gone"


async def test_an_ed25519_endpoint_gets_v1a_signatures_its_public_key_verifies(
        world: World) -> None:
    _, headers, sku = await seller(world)
    response = await world.webhooks.client.post(
        "/v1/webhook-endpoints", headers={**headers, "Idempotency-Key": secrets.token_hex(8)},
        json={"url": world.receiver.url("ed"), "event_types": ["order.placed"],
              "scheme": "ed25519"})
    assert response.status_code == 201, response.text
    endpoint = response.json()
    assert endpoint["secret"] is None and endpoint["public_key"].startswith("whpk_")
    order_id = await buy(world, sku)
    await events_for(world, "ed", order_id, "order.placed")
    [(sent_headers, body)] = [(h, b) for h, b in world.receiver.received["ed"]
                              if order_id.encode() in b]
    assert sent_headers["webhook-signature"].startswith("v1a,")
    assert verify_ed25519(endpoint["public_key"], sent_headers, body.decode())


async def test_bad_subscriptions_are_refused_with_the_field_named(world: World) -> None:
    _, headers, _ = await seller(world)
    for body, field_name in [
        ({"url": "https://10.0.0.7/hook", "event_types": ["order.*"]}, "url"),
        ({"url": "http://169.254.169.254/latest", "event_types": ["order.*"]}, "url"),
        ({"url": world.receiver.url("x"), "event_types": ["payment.*"]}, "event_types.0"),
        ({"url": world.receiver.url("x"), "event_types": ["order.*"],
          "description": "x" * 501}, "description"),
    ]:
        response = await world.webhooks.client.post(
            "/v1/webhook-endpoints", json=body,
            headers={**headers, "Idempotency-Key": secrets.token_hex(8)})
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"].endswith(field_name), response.json()
    listed = (await world.webhooks.client.get("/v1/webhook-endpoints", headers=headers)).json()
    assert listed["items"] == [], "nothing half-written"


async def test_the_log_and_the_feed_are_purged_after_their_retention(world: World) -> None:
    from services.webhooks.use_cases.retention import purge_once

    _, headers, sku = await seller(world)
    endpoint = await subscribe(world, headers, "kept", ["order.placed"])
    order_id = await buy(world, sku)
    await events_for(world, "kept", order_id, "order.placed")
    pool = world.webhooks.runtime.db

    async def recorded() -> bool:  # the receiver answers before the worker records it
        return bool(await pool.fetchval(
            """SELECT count(*) FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
               WHERE d.endpoint_id = $1 AND d.status = 'succeeded'""", endpoint["id"]))

    assert await eventually(recorded, timeout=30)
    await pool.execute("""UPDATE attempts SET at = at - interval '40 days' WHERE delivery_id IN
                          (SELECT id FROM deliveries WHERE endpoint_id = $1)""", endpoint["id"])
    await pool.execute("""UPDATE deliveries SET updated_at = updated_at - interval '40 days'
                          WHERE endpoint_id = $1""", endpoint["id"])
    assert await purge_once(pool, world.webhooks.runtime.settings) >= 2
    log = (await world.webhooks.client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                                           headers=headers)).json()
    assert log["items"] == [], "attempts and finished deliveries past retention are gone"


async def test_a_test_event_reaches_the_endpoint_but_not_the_feed(world: World) -> None:
    _, headers, _ = await seller(world)
    endpoint = await subscribe(world, headers, "pinged", ["order.*"])
    sent = await world.webhooks.client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/test",
        headers={**headers, "Idempotency-Key": secrets.token_hex(8)})
    assert sent.status_code == 202, sent.text

    async def pinged() -> Any:
        return world.receiver.received.get("pinged") or None

    [(sent_headers, body)] = await eventually(pinged, timeout=30)
    event = Webhook(endpoint["secret"]).verify(body, sent_headers)
    assert event["type"] == "webhook.test" and event["data"]["endpoint_id"] == endpoint["id"]
    feed = (await world.webhooks.client.get("/v1/events", headers=headers)).json()
    assert all(e["type"] != "webhook.test" for e in feed["events"])
    operator_view = await world.webhooks.client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/disable", headers=OPERATOR)
    assert operator_view.status_code == 200 and operator_view.json()["active"] is False
    again = await world.webhooks.client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/test",
        headers={**headers, "Idempotency-Key": secrets.token_hex(8)})
    assert again.status_code == 409, "a disabled endpoint is enabled again before a test"


async def test_replay_and_disabling_after_failing_for_too_long(world: World) -> None:
    _, headers, sku = await seller(world)
    _, other, _ = await seller(world)
    endpoint = await subscribe(world, headers, "replayed", ["order.placed"])
    order_id = await buy(world, sku)
    await events_for(world, "replayed", order_id, "order.placed")
    [done] = (await world.webhooks.client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=headers)).json()["items"]
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert (await world.webhooks.client.post(f"{path}/replay", headers=other,
                                             json={"delivery_id": done["id"]})).status_code == 404
    assert (await world.webhooks.client.post(f"{path}/secret-rotation",
                                             headers=other)).status_code == 404
    replayed = await world.webhooks.client.post(f"{path}/replay", headers=headers,
                                                json={"delivery_id": done["id"]})
    assert replayed.json() == {"queued": 1}

    async def twice() -> bool:
        return len([b for _, b in world.receiver.received["replayed"]
                    if order_id.encode() in b]) == 2

    assert await eventually(twice, timeout=30), "a replay delivers the event again"

    world.receiver.answer["replayed"] = 500
    await world.webhooks.runtime.db.execute(
        "UPDATE endpoints SET failing_since = now() - interval '6 days' WHERE id = $1",
        endpoint["id"])
    await buy(world, sku)

    async def disabled() -> Any:
        found = (await world.webhooks.client.get(path, headers=headers)).json()
        return found if not found["active"] else None

    assert "kept failing" in (await eventually(disabled, timeout=30))["disabled_reason"]
    events = await world.webhooks.runtime.db.fetch(
        "SELECT payload FROM outbox WHERE event_type = 'endpoint.disabled' AND event_key = $1",
        endpoint["id"])
    assert len(events) == 1, "the seller is told, once"


async def test_deliveries_recheck_the_address_outside_dev_mode(
        settings_for: Callable[..., Any]) -> None:
    """At delivery time the URL is checked again and the connection goes only to an allowed
    address: outside dev mode, loopback and plain http are refused before any byte is sent."""
    from services.webhooks.use_cases.delivery import Deliverer

    settings = settings_for(WebhooksSettings, dev_mode=False, endpoint_secret_key=SecretStr(
        "dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0cy1rZXktMzI="))
    deliverer = Deliverer(None, settings)  # no database is needed for _post
    try:
        for url in ("https://localhost:9/hook", "https://127.0.0.1/hook",
                    "https://[::ffff:127.0.0.1]/hook", "http://example.com/hook"):
            status, _, error, _ = await deliverer._post(url, {}, "{}")
            assert status is None and error is not None and error.startswith("refused"), url
    finally:
        await deliverer.client.aclose()
