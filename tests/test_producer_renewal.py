"""A service whose Kafka producer gets stuck replaces it and goes on publishing and
dead-lettering (real Postgres and Kafka, support as the service).

On Apache Kafka an idempotent aiokafka producer that the broker once refuses with
OutOfOrderSequenceNumber is refused for good (`libs.kafka.PRODUCER_STUCK_ERRORS`): in CI a
service's relay then failed every publish until the process restarted. Here the stuck producer
is made by hand (its sends fail the way such a producer's deliveries do), since the broker's
refusal cannot be provoked on demand."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from libs.events.schemas.catalog import SellerRegistered
from libs.ids import new_id
from libs.kafka import create_producer
from libs.outbox import enqueue
from libs.testing import header, read_topic, serve
from services.support.app import create_app as create_support
from services.support.settings import SupportSettings

pytestmark = pytest.mark.kafka


@asynccontextmanager
async def support_with_a_stuck_producer(
        settings_for: Callable[..., Any], **overrides: Any) -> AsyncIterator[tuple[Any, list[int]]]:
    """Support's runtime, its producer stuck; the list counts the stuck producer's refusals."""
    settings = settings_for(SupportSettings, relay_poll_interval_seconds=0.2, **overrides)
    async with serve(create_support(settings)) as support:
        runtime = support.app.state.runtime
        refusals = [0]

        async def refused(*args: object, **kwargs: object) -> asyncio.Future[Any]:
            refusals[0] += 1
            delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            delivery.set_exception(OutOfOrderSequenceNumber())
            return delivery

        runtime.producer.send = refused
        yield runtime, refusals


async def test_the_relay_replaces_a_stuck_producer_and_publishes_with_the_new_one(
        settings_for: Callable[..., Any], kafka_bootstrap: str) -> None:
    async with support_with_a_stuck_producer(settings_for) as (runtime, refusals):
        stuck = runtime.producer
        event = SellerRegistered(seller_id=new_id(), shop_id=new_id(), market="GB",
                                 currency="GBP", tier="local", business_type="company",
                                 registered_at=datetime.now(UTC))
        async with runtime.db.acquire() as conn, conn.transaction():
            [event_id] = await enqueue(conn, "support", event)
        records = await read_topic(kafka_bootstrap, SellerRegistered.topic, timeout=60,
                                   until=lambda rs: any(header(r, "ce_id") == event_id
                                                        for r in rs))
        assert [r for r in records if header(r, "ce_id") == event_id], "never published"
        assert refusals[0] >= 1, "the stuck producer was tried first"
        assert runtime.producer is not stuck
        row = await runtime.db.fetchrow(
            "SELECT attempts, last_error FROM outbox WHERE event_id = $1", event_id)
        assert row["attempts"] == 2 and "OutOfOrderSequenceNumber" in row["last_error"]


async def test_the_consumer_replaces_a_stuck_producer_to_dead_letter(
        settings_for: Callable[..., Any], kafka_bootstrap: str) -> None:
    """With no relay to notice first: the dead letter itself meets the stuck producer."""
    async with support_with_a_stuck_producer(settings_for, run_relay=False) as (runtime,
                                                                                refusals):
        stuck = runtime.producer
        poison_key = f"poison-{secrets.token_hex(4)}".encode()
        producer = create_producer(kafka_bootstrap, "renewal-test", idempotent=False)
        await producer.start()
        try:
            await producer.send_and_wait(SellerRegistered.topic, value=b"\x00not an event",
                                         key=poison_key)
        finally:
            await producer.stop()
        dead = await read_topic(kafka_bootstrap, runtime.consumer.dead_letter_topic,
                                timeout=60, until=lambda rs: any(r.key == poison_key
                                                                 for r in rs))
        assert any(r.key == poison_key for r in dead), "the poison record was not dead-lettered"
        assert refusals[0] >= 1 and runtime.producer is not stuck
