"""Outbox and relay against real Postgres and Kafka."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime
from uuid import UUID

import pytest

from libs.events.schemas.catalog import SellerRegistered
from libs.ids import new_id
from libs.kafka import create_producer, ensure_topics
from libs.outbox import OutboxRelay, _publishable, enqueue
from libs.testing import Scratch, header, read_topic

TOPIC = SellerRegistered.topic


def registered(seller_id: UUID | None = None) -> SellerRegistered:
    return SellerRegistered(seller_id=seller_id or new_id(), shop_id=new_id(), market="GB",
                            currency="GBP", tier="local", business_type="company",
                            registered_at=datetime.now(UTC))


def test_a_key_never_overtakes_its_earlier_event_held_elsewhere() -> None:
    claimed = [{"seq": 2, "event_key": "a"}, {"seq": 3, "event_key": "a"},
               {"seq": 5, "event_key": "b"}, {"seq": 7, "event_key": "a"}]
    pending = [*claimed, {"seq": 1, "event_key": "b"}, {"seq": 6, "event_key": "a"}]
    publishable = [row["seq"] for row in _publishable(claimed, pending)]
    # "a": 2 and 3 are ours, 6 belongs to another relay, so 7 waits; "b": 1 is not ours.
    assert publishable == [2, 3]


async def test_enqueue_outside_a_transaction_is_refused(scratch: Scratch) -> None:
    async with scratch.pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            await enqueue(conn, "catalog", registered())


@pytest.mark.kafka
async def test_committed_event_is_published_and_rolled_back_one_never(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    await ensure_topics(kafka_bootstrap, [TOPIC])
    kept, dropped = registered(), registered()
    async with scratch.pool.acquire() as conn:
        async with conn.transaction():
            [kept_id] = await enqueue(conn, "catalog", kept)
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await enqueue(conn, "catalog", dropped)
                raise RuntimeError("the state change failed")

    producer = create_producer(kafka_bootstrap, "test-relay", idempotent=False)
    await producer.start()
    try:
        relay = OutboxRelay(scratch.pool, producer, schema=scratch.schema)
        assert await relay.publish_batch() == 1
        assert await relay.publish_batch() == 0
    finally:
        await producer.stop()

    records = await read_topic(kafka_bootstrap, TOPIC,
                               until=lambda rs: any(header(r, "ce_id") == kept_id for r in rs))
    mine = [r for r in records if r.key in (str(kept.seller_id).encode(),
                                            str(dropped.seller_id).encode())]
    assert [header(r, "ce_id") for r in mine] == [kept_id]
    assert json.loads(mine[0].value)["seller_id"] == str(kept.seller_id)
    row = await scratch.pool.fetchrow("SELECT published_at, attempts FROM outbox")
    assert row["published_at"] is not None and row["attempts"] == 1


@pytest.mark.kafka
async def test_two_relays_publish_each_event_once_and_in_order_per_key(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    await ensure_topics(kafka_bootstrap, [TOPIC])
    sellers = [new_id() for _ in range(8)]
    written: dict[str, list[str]] = defaultdict(list)

    async def write(writer: int) -> None:
        for i in range(40):
            seller = sellers[(writer * 40 + i) % len(sellers)]
            async with scratch.pool.acquire() as conn, conn.transaction():
                # Like a real aggregate: writers of one seller serialise on its row.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", str(seller))
                [event_id] = await enqueue(conn, "catalog", registered(seller))
                written[str(seller)].append(event_id)

    producers = [create_producer(kafka_bootstrap, f"relay-{i}", idempotent=False) for i in range(2)]
    for p in producers:
        await p.start()
    relays = [OutboxRelay(scratch.pool, p, schema=scratch.schema, batch_size=25,
                          poll_interval=0.05) for p in producers]
    running = [asyncio.create_task(r.run()) for r in relays]
    try:
        await asyncio.gather(*(write(w) for w in range(4)))
        expected = {e for ids in written.values() for e in ids}

        async def drained() -> bool:
            pending = await scratch.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            return bool(pending == 0)

        for _ in range(200):
            if await drained():
                break
            await asyncio.sleep(0.05)
        assert await drained()
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*running)
        for p in producers:
            await p.stop()

    assert relays[0].published > 0 and relays[1].published > 0, "both relays took work"
    assert relays[0].published + relays[1].published == len(expected) == 160
    keys = {s.encode() for s in written}
    records = await read_topic(
        kafka_bootstrap, TOPIC,
        until=lambda rs: sum(1 for r in rs if r.key in keys) >= len(expected))
    ids = [header(r, "ce_id") or "" for r in records if r.key in keys]
    assert sorted(ids) == sorted(expected), "each event exactly once"
    for seller, in_write_order in written.items():
        on_topic = [header(r, "ce_id") for r in records if r.key == seller.encode()]
        assert on_topic == in_write_order, "one key's events keep their order"
        sequences = [int(header(r, "ce_sequence") or 0) for r in records
                     if r.key == seller.encode()]
        assert sequences == list(range(1, len(in_write_order) + 1)), "1, 2, 3... per aggregate"


async def test_sequences_count_per_aggregate_and_concurrent_writers_take_turns(
    scratch: Scratch,
) -> None:
    """Two transactions writing the same aggregate at once: the second waits for the first's
    number, so sequence order is commit order and outbox order."""
    seller, other = new_id(), new_id()
    first_wrote = asyncio.Event()

    async def first() -> None:
        async with scratch.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, "catalog", registered(seller))
            first_wrote.set()
            await asyncio.sleep(0.3)  # holds its number until it commits
            await enqueue(conn, "catalog", registered(other))

    async def second() -> None:
        await first_wrote.wait()
        async with scratch.pool.acquire() as conn, conn.transaction():
            await enqueue(conn, "catalog", registered(seller))

    await asyncio.gather(first(), second())
    rows = await scratch.pool.fetch("SELECT event_key, sequence FROM outbox ORDER BY seq")
    assert [(r["event_key"], r["sequence"]) for r in rows] == [
        (str(seller), 1), (str(other), 1), (str(seller), 2)]


async def test_many_events_in_one_call_take_their_aggregates_next_numbers_in_turn(
    scratch: Scratch,
) -> None:
    """One call with several events of one aggregate and others of another (as a payment
    authorised writes the payment's, the order's and the fulfilment request's events) numbers
    each aggregate's events after its earlier ones, in the order given."""
    seller, other = new_id(), new_id()
    async with scratch.pool.acquire() as conn:
        async with conn.transaction():
            await enqueue(conn, "catalog", registered(seller))
        async with conn.transaction():
            written = await enqueue(conn, "catalog", registered(seller), registered(other),
                                    registered(seller), registered(other), registered(seller))
    rows = await scratch.pool.fetch(
        "SELECT event_id::text, event_key, sequence FROM outbox ORDER BY seq")
    assert [(r["event_key"], r["sequence"]) for r in rows] == [
        (str(seller), 1), (str(seller), 2), (str(other), 1), (str(seller), 3), (str(other), 2),
        (str(seller), 4)]
    assert [r["event_id"] for r in rows[1:]] == written, "written in the order given"
    counters = await scratch.pool.fetch("SELECT key, last FROM event_sequences ORDER BY last")
    assert {r["key"]: r["last"] for r in counters} == {str(other): 2, str(seller): 4}


@pytest.mark.kafka
async def test_unreachable_kafka_keeps_events_for_a_later_retry(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    await ensure_topics(kafka_bootstrap, [TOPIC])
    async with scratch.pool.acquire() as conn, conn.transaction():
        [event_id] = await enqueue(conn, "catalog", registered())
    producer = create_producer(kafka_bootstrap, "relay-flaky", idempotent=False)
    await producer.start()
    try:
        relay = OutboxRelay(scratch.pool, producer, schema=scratch.schema)
        real_send = producer.send

        async def broken_send(*args: object, **kwargs: object) -> object:
            raise ConnectionError("broker unreachable")

        producer.send = broken_send
        assert await relay.publish_batch() == 0
        row = await scratch.pool.fetchrow("SELECT published_at, attempts, last_error FROM outbox")
        assert row["published_at"] is None and row["attempts"] == 1
        assert "broker unreachable" in row["last_error"]
        producer.send = real_send
        await scratch.pool.execute("UPDATE outbox SET next_attempt_at = now()")
        assert await relay.publish_batch() == 1
    finally:
        await producer.stop()
    records = await read_topic(kafka_bootstrap, TOPIC,
                               until=lambda rs: any(header(r, "ce_id") == event_id for r in rs))
    assert sum(1 for r in records if header(r, "ce_id") == event_id) == 1
