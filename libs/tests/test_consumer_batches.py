"""A batch applied at once and cut short by its time budget, against real Postgres and Kafka."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from libs.consumer import EventConsumer
from libs.events.envelope import Envelope, to_kafka
from libs.events.schemas.catalog import SellerVerified
from libs.ids import new_id
from libs.kafka import create_producer, ensure_topics
from libs.testing import Scratch, eventually
from libs.tests.test_consumer import TOPIC, effects_of, record_effect, registered_record

pytestmark = pytest.mark.kafka


async def test_a_batch_cut_short_by_its_budget_applies_every_record_once_in_order(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    """Forty records of one key (one delivered twice) through a slow handler and a 20 ms
    budget: the batches end early, and the records a batch claimed in the inbox but did not
    reach are applied by the next batch, not taken for duplicates; each record takes effect
    once, in order."""
    records = [registered_record() for _ in range(40)]
    applied: list[str] = []
    transactions: set[int] = set()

    async def slow(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        await asyncio.sleep(0.004)
        await record_effect(conn, envelope, event)
        applied.append(envelope.id)
        transactions.add(await conn.fetchval("SELECT txid_current()"))

    async with a_producer(kafka_bootstrap) as (producer, group):
        await send_on_one_key(producer, [*records[:20], records[7], *records[20:]])
        consumer = EventConsumer(pool=scratch.pool, bootstrap_servers=kafka_bootstrap,
                                 group=group, handlers={"seller.registered": slow},
                                 producer=producer, batch_seconds=0.02)
        expected = [envelope.id for envelope, _ in records]
        await run_until_applied(consumer, scratch, expected)
    mine = set(expected)  # the topic holds other tests' records too
    assert await effects_of(scratch, *expected) == len(expected), "none twice"
    assert [i for i in applied if i in mine] == expected, "in order, each once"
    assert len(transactions) >= 3, "the budget cut the batches short"
    assert await scratch.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer_group = $1 AND event_id = ANY($2::text[])",
        group, expected) == len(expected)


async def test_a_polls_partitions_are_applied_together_each_in_its_order(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    """Thirty records on keys spread over the topic's partitions, waiting before the consumer
    starts: a batch handler's run holds records of more than one partition (one transaction
    and one lock per hot row per poll, not one per partition), every record takes effect once,
    and each partition's records in their order."""
    records = [registered_record() for _ in range(30)]
    runs: list[list[tuple[int, int]]] = []

    async def many(conn: asyncpg.Connection, events: list[tuple[Envelope, Any]]) -> None:
        for envelope, event in events:
            await record_effect(conn, envelope, event)
        runs.append([where[envelope.id] for envelope, _ in events if envelope.id in where])

    where: dict[str, tuple[int, int]] = {}
    producer = create_producer(kafka_bootstrap, "test-producer", idempotent=False)
    await producer.start()
    group = f"test-{secrets.token_hex(4)}"
    try:
        await ensure_topics(kafka_bootstrap, [TOPIC])
        await start_group_at_the_end(kafka_bootstrap, group)  # past other tests' records
        for envelope, (_, value, headers) in records:
            sent = await producer.send_and_wait(TOPIC, value=value,
                                                key=secrets.token_hex(6).encode(),
                                                headers=headers)
            where[envelope.id] = (sent.partition, sent.offset)
        assert len({partition for partition, _ in where.values()}) > 1
        consumer = EventConsumer(pool=scratch.pool, bootstrap_servers=kafka_bootstrap,
                                 group=group, handlers={"seller.registered": record_effect},
                                 batch_handlers={"seller.registered": many}, producer=producer,
                                 join_partitions=True)
        expected = [envelope.id for envelope, _ in records]
        await run_until_applied(consumer, scratch, expected)
    finally:
        await producer.stop()
    assert await effects_of(scratch, *expected) == len(expected), "none twice"
    assert any(len({partition for partition, _ in run}) > 1 for run in runs), runs
    applied = [position for run in runs for position in run]
    for partition in {partition for partition, _ in applied}:
        offsets = [offset for p, offset in applied if p == partition]
        assert offsets == sorted(offsets), "each partition in its order"


@pytest.mark.parametrize("run_fails_once", [False, True], ids=["at once", "in savepoints"])
async def test_events_the_consumer_ignores_do_not_cut_a_batch_handlers_run(
    scratch: Scratch, kafka_bootstrap: str, run_fails_once: bool,
) -> None:
    """Twenty registrations on one key, each after an event of a type this consumer has no
    handler for (as fulfillment's `created` comes before each `allocated`): the batch handler
    gets them in long runs, not twenty runs of one, and each takes effect once, in order. When
    the first run fails, the careful pass (a savepoint per run) passes over them the same way."""
    pairs = [(ignored_record(), registered_record()) for _ in range(20)]
    runs: list[list[str]] = []

    async def many(conn: asyncpg.Connection, events: list[tuple[Envelope, Any]]) -> None:
        if run_fails_once and not runs:
            runs.append([])
            raise RuntimeError("the first run fails once")
        for envelope, event in events:
            await record_effect(conn, envelope, event)
        runs.append([envelope.id for envelope, _ in events])

    async with a_producer(kafka_bootstrap) as (producer, group):
        await start_group_at_the_end(kafka_bootstrap, group)
        await send_on_one_key(producer, [record for pair in pairs for record in pair])
        consumer = EventConsumer(pool=scratch.pool, bootstrap_servers=kafka_bootstrap,
                                 group=group, handlers={"seller.registered": record_effect},
                                 batch_handlers={"seller.registered": many}, producer=producer)
        expected = [envelope.id for _, (envelope, _) in pairs]
        await run_until_applied(consumer, scratch, expected)
    assert await effects_of(scratch, *expected) == len(expected), "none twice"
    applied = [event_id for run in runs for event_id in run]
    assert applied == expected, "in order, each once"
    assert len([run for run in runs if run]) <= 3, [len(run) for run in runs]
    assert consumer.stats.ignored == len(pairs)


def ignored_record() -> tuple[Envelope, tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """A catalogued event the consumers here have no handler for."""
    envelope = Envelope.wrap(SellerVerified(seller_id=new_id(), verified_at=datetime.now(UTC)),
                             source="tests")
    return envelope, to_kafka(envelope)


async def test_joined_partitions_never_apply_two_batches_side_by_side(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    """Sixty records over the topic's partitions and batches of eight: a poll holds more than a
    batch, and what is left of it is taken together again, one transaction after another, never
    two at once (two at once locked a bestseller's rows in two passes each, and deadlocked)."""
    records = [registered_record() for _ in range(60)]
    in_flight, most_at_once, runs = 0, 0, 0

    async def many(conn: asyncpg.Connection, events: list[tuple[Envelope, Any]]) -> None:
        nonlocal in_flight, most_at_once, runs
        in_flight += 1
        most_at_once, runs = max(most_at_once, in_flight), runs + 1
        try:
            await asyncio.sleep(0.02)  # long enough for a batch beside it to show
            for envelope, event in events:
                await record_effect(conn, envelope, event)
        finally:
            in_flight -= 1

    producer = create_producer(kafka_bootstrap, "test-producer", idempotent=False)
    await producer.start()
    group = f"test-{secrets.token_hex(4)}"
    try:
        await ensure_topics(kafka_bootstrap, [TOPIC])
        await start_group_at_the_end(kafka_bootstrap, group)
        for _, (_, value, headers) in records:
            await producer.send_and_wait(TOPIC, value=value, key=secrets.token_hex(6).encode(),
                                         headers=headers)
        consumer = EventConsumer(pool=scratch.pool, bootstrap_servers=kafka_bootstrap,
                                 group=group, handlers={"seller.registered": record_effect},
                                 batch_handlers={"seller.registered": many}, producer=producer,
                                 join_partitions=True, batch_size=8)
        expected = [envelope.id for envelope, _ in records]
        await run_until_applied(consumer, scratch, expected)
    finally:
        await producer.stop()
    assert await effects_of(scratch, *expected) == len(expected), "each once"
    assert runs >= 60 // 8, "the records went in batches of eight"
    assert most_at_once == 1, "two of the service's batches held its rows side by side"


@asynccontextmanager
async def a_producer(bootstrap: str) -> AsyncIterator[tuple[AIOKafkaProducer, str]]:
    """A started producer on the test topic, and a fresh consumer group's name."""
    producer = create_producer(bootstrap, "test-producer", idempotent=False)
    await producer.start()
    try:
        await ensure_topics(bootstrap, [TOPIC])
        yield producer, f"test-{secrets.token_hex(4)}"
    finally:
        await producer.stop()


async def send_on_one_key(producer: AIOKafkaProducer, records: list[tuple[Envelope, Any]]) -> None:
    """The records in this order on one new key, so on one partition."""
    key = secrets.token_hex(6).encode()
    for _, (_, value, headers) in records:
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)


async def start_group_at_the_end(bootstrap: str, group: str) -> None:
    """Commits the group's offsets at the topic's end, so its first poll holds only what is
    sent next."""
    seeker = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                              enable_auto_commit=False)
    await seeker.start()
    try:
        partitions = [TopicPartition(TOPIC, p) for p in seeker.partitions_for_topic(TOPIC) or ()]
        assert partitions, "the topic's partitions are known"
        seeker.assign(partitions)
        await seeker.seek_to_end(*partitions)
        await seeker.commit({tp: await seeker.position(tp) for tp in partitions})
    finally:
        await seeker.stop()


async def run_until_applied(consumer: EventConsumer, scratch: Scratch,
                            expected: list[str]) -> None:
    """Runs the consumer until every expected event had its effect, then stops it."""
    task = asyncio.create_task(consumer.run())
    try:
        async def all_applied() -> bool:
            return await effects_of(scratch, *expected) >= len(expected)

        assert await eventually(all_applied)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
