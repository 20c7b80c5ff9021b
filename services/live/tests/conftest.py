"""Live's integration fixtures: live instances on real ports (WebSocket and SSE need them),
with listings fed the way production feeds them, by catalog's events through Kafka."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from libs.events.base import Event
from libs.events.envelope import Envelope, to_kafka
from libs.events.schemas.catalog import (
    InventoryReserved,
    ProductPublished,
    PublishedSku,
    ReservedLine,
    SellerRegistered,
    SellerVerified,
)
from libs.ids import new_id
from libs.kafka import create_producer
from libs.testing import ServedService, bearer, eventually, serve
from services.live.app import create_app
from services.live.settings import LiveSettings


@dataclass
class Shop:
    seller_id: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
async def publish(kafka_bootstrap: str) -> AsyncIterator[Callable[[Event], Awaitable[None]]]:
    producer = create_producer(kafka_bootstrap, "test-catalog", idempotent=False)
    await producer.start()

    async def send(event: Event) -> None:
        key, value, headers = to_kafka(Envelope.wrap(event, source="tests"))
        await producer.send_and_wait(event.topic, value=value, key=key, headers=headers)

    yield send
    await producer.stop()


@pytest.fixture(scope="module")
async def live(settings_for: Callable[..., Any]) -> AsyncIterator[ServedService]:
    async with serve(create_app(settings_for(LiveSettings, chat_messages_per_window=3,
                                             chat_window_seconds=30))) as service:
        yield service


@pytest.fixture(scope="module")
async def live_replica(settings_for: Callable[..., Any],
                       live: ServedService) -> AsyncIterator[ServedService]:
    """A second instance of the same service (same database, same Redis): an API replica."""
    settings = settings_for(LiveSettings, chat_messages_per_window=3, chat_window_seconds=30,
                            run_consumers=False)
    async with serve(create_app(settings)) as service:
        yield service


Publish = Callable[[Event], Awaitable[None]]


async def new_shop(live: ServedService, publish: Publish) -> Shop:
    """A seller catalog registered and verified (by its events, as catalog announces them):
    live lets only verified sellers go live."""
    seller_id = new_id()
    now = datetime.now(UTC)
    await publish(SellerRegistered(seller_id=seller_id, shop_id=new_id(), market="GB",
                                   currency="GBP", tier="local", business_type="company",
                                   registered_at=now))
    await publish(SellerVerified(seller_id=seller_id, verified_at=now))

    async def verified() -> bool:
        status = await live.runtime.db.fetchval(
            "SELECT status FROM seller_standing WHERE seller_id = $1", seller_id)
        return bool(status == "verified")

    assert await eventually(verified, timeout=60), "live never heard the seller verified"
    return Shop(str(seller_id), bearer("seller", f"seller-{secrets.token_hex(3)}",
                                       seller_id=str(seller_id)))


async def published_product(live: ServedService, publish: Callable[[Event], Awaitable[None]],
                            shop: Shop, price: int = 3000) -> tuple[str, str]:
    product_id, sku_id = new_id(), new_id()
    await publish(ProductPublished(
        product_id=product_id, seller_id=UUID(shop.seller_id), shop_id=new_id(),
        category_id=new_id(), age_restricted=False, market="GB",
        skus=[PublishedSku(sku_id=sku_id, code="MUG-1", price_minor=price, currency="GBP")],
        decided_by="auto", published_at=datetime.now(UTC)))

    async def known() -> bool:
        return bool(await live.runtime.db.fetchval(
            "SELECT live FROM listings WHERE sku_id = $1", sku_id))

    assert await eventually(known, timeout=60), "live never saw product.published"
    return str(product_id), str(sku_id)


async def live_session(live: ServedService, shop: Shop) -> str:
    created = await live.client.post("/v1/live/sessions", headers=shop.headers, json={
        "title": "Pottery drop", "scheduled_for": datetime.now(UTC).isoformat()})
    assert created.status_code == 201, created.text
    session_id = str(created.json()["id"])
    started = await live.client.post(f"/v1/live/sessions/{session_id}/start",
                                     headers=shop.headers)
    assert started.status_code == 200, started.text
    return session_id


async def running_deal(live: ServedService, publish: Publish,
                       quantity: int) -> tuple[UUID, str, dict[str, str]]:
    """A deal open to claims (catalog's set-aside told by its event, then the countdown);
    returns the deal's id, its session and the seller's headers."""
    shop = await new_shop(live, publish)
    product_id, sku_id = await published_product(live, publish, shop)
    session_id = await live_session(live, shop)
    await live.client.put(f"/v1/live/sessions/{session_id}/showcase/{product_id}",
                          headers=shop.headers)
    created = await live.client.post(f"/v1/live/sessions/{session_id}/deals",
                                     headers=shop.headers, json={
        "sku_id": sku_id, "deal_price_minor": 999, "quantity": quantity,
        "per_buyer_limit": 1, "countdown_seconds": 10, "duration_seconds": 120})
    assert created.status_code == 201, created.text
    deal_id = UUID(created.json()["id"])
    await publish(InventoryReserved(
        order_id=deal_id, reservation_id=new_id(),
        lines=[ReservedLine(sku_id=UUID(sku_id), quantity=quantity)],
        expires_at=datetime.now(UTC) + timedelta(hours=1)))

    async def opened() -> bool:
        got = await live.client.get(f"/v1/live/deals/{deal_id}")
        return bool(got.json()["status"] == "live")

    assert await eventually(opened, timeout=60), "the deal never opened"
    return deal_id, session_id, shop.headers


async def units_left(live: ServedService, deal_id: UUID) -> int:
    return int((await live.client.get(f"/v1/live/deals/{deal_id}")).json()["units_left"])
