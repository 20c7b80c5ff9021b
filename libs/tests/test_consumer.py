"""Consumer runner against real Postgres and Kafka: inbox dedupe, retries, dead letters."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import NotLeaderForPartitionError

from libs.consumer import EventConsumer, Handler, NonRetryable
from libs.db.transaction import after_commit
from libs.events.envelope import Envelope, to_kafka
from libs.events.schemas.catalog import SellerRegistered
from libs.ids import new_id
from libs.kafka import create_producer, ensure_topics
from libs.testing import Scratch, eventually, header, read_topic

pytestmark = pytest.mark.kafka
TOPIC = SellerRegistered.topic


def registered_record() -> tuple[Envelope, tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    event = SellerRegistered(seller_id=new_id(), shop_id=new_id(), market="GB", currency="GBP",
                             tier="local", business_type="company",
                             registered_at=datetime.now(UTC))
    envelope = Envelope.wrap(event, source="tests")  # a stand-in, not a service's outbox
    return envelope, to_kafka(envelope)


async def record_effect(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
    await conn.execute("INSERT INTO effects (event_id, seller_id) VALUES ($1, $2)",
                       envelope.id, event.seller_id)


@dataclass
class HeldBack:
    """A handler that keeps one record's transaction open until `release` is set."""

    record_id: str
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        if envelope.id == self.record_id:
            self.entered.set()
            await self.release.wait()
        await record_effect(conn, envelope, event)


@asynccontextmanager
async def consuming(scratch: Scratch, bootstrap: str, handler: Handler, max_attempts: int = 3,
                    group: str | None = None, join_partitions: bool = False,
                    fetch_max_wait_ms: int = 500,
                    ) -> AsyncIterator[tuple[EventConsumer, AIOKafkaProducer]]:
    producer = create_producer(bootstrap, "test-producer", idempotent=False)
    await producer.start()
    group = group or f"test-{secrets.token_hex(4)}"
    consumer = EventConsumer(pool=scratch.pool, bootstrap_servers=bootstrap, group=group,
                             handlers={"seller.registered": handler}, producer=producer,
                             max_attempts=max_attempts, retry_base_seconds=0.01,
                             join_partitions=join_partitions,
                             fetch_max_wait_ms=fetch_max_wait_ms)
    await ensure_topics(bootstrap, [TOPIC, consumer.dead_letter_topic])
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer, producer
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await producer.stop()


async def effects_of(scratch: Scratch, *event_ids: str) -> int:
    return int(await scratch.pool.fetchval(
        "SELECT count(*) FROM effects WHERE event_id = ANY($1::text[])", list(event_ids)))


async def test_redelivered_event_has_its_effect_once(scratch: Scratch,
                                                     kafka_bootstrap: str) -> None:
    envelope, (key, value, headers) = registered_record()
    async with consuming(scratch, kafka_bootstrap, record_effect) as (consumer, producer):
        for _ in range(3):  # the same record delivered three times, as after a producer retry
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

        async def seen_all() -> bool:
            processed = await scratch.pool.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer_group = $1 AND event_id = $2",
                consumer.group, envelope.id)
            return processed == 1 and consumer.stats.duplicates >= 2

        assert await eventually(seen_all)
    assert await effects_of(scratch, envelope.id) == 1


async def test_poison_goes_to_dead_letter_with_reason_and_next_is_processed(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    good, (key, value, headers) = registered_record()
    unknown = [(n, b"seller.teleported" if n == "ce_type" else v) for n, v in headers]
    async with consuming(scratch, kafka_bootstrap, record_effect) as (consumer, producer):
        poison_key = secrets.token_hex(6).encode()
        await producer.send_and_wait(TOPIC, value=b"\x00garbage", key=poison_key)
        await producer.send_and_wait(TOPIC, value=b"{broken json", key=poison_key,
                                     headers=[*headers[:1], ("ce_id", b"x1"),
                                                      ("ce_type", b"seller.registered"),
                                                      ("ce_source", b"t"),
                                                      ("ce_specversion", b"1.0")])
        await producer.send_and_wait(TOPIC, value=value, key=poison_key, headers=unknown)
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

        async def good_handled() -> bool:
            return await effects_of(scratch, good.id) == 1

        assert await eventually(good_handled)
        dead = await read_topic(
            kafka_bootstrap, consumer.dead_letter_topic,
            until=lambda rs: sum(1 for r in rs if r.key == poison_key) >= 3)
    mine = [r for r in dead if r.key == poison_key]
    reasons = [header(r, "dlq_reason") or "" for r in mine]
    assert len(mine) == 3
    assert "missing header" in reasons[0]
    assert "unreadable" in reasons[1] or "JSON" in reasons[1]
    assert "unknown event type 'seller.teleported'" in reasons[2]
    assert {header(r, "dlq_original_topic") for r in mine} == {TOPIC}
    assert mine[0].value == b"\x00garbage", "the original bytes are kept for replay"


@pytest.mark.parametrize("join_partitions", [False, True])
async def test_handler_failing_every_time_is_dead_lettered_after_bounded_retries(
    scratch: Scratch, kafka_bootstrap: str, join_partitions: bool,
) -> None:
    """Also when the poll's partitions are first tried together: that try counts."""
    attempts: dict[str, int] = {}

    async def flaky(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        attempts[envelope.id] = attempts.get(envelope.id, 0) + 1
        await record_effect(conn, envelope, event)  # rolled back with the failure
        if str(event.seller_id) == doomed_seller:
            raise ValueError("the warehouse for this market is closed")

    doomed, (dkey, dvalue, dheaders) = registered_record()
    doomed_seller = doomed.data["seller_id"]
    fine, (fkey, fvalue, fheaders) = registered_record()
    async with consuming(scratch, kafka_bootstrap, flaky, max_attempts=3,
                         join_partitions=join_partitions) as (consumer, producer):
        await producer.send_and_wait(TOPIC, value=dvalue, key=dkey, headers=dheaders)
        await producer.send_and_wait(TOPIC, value=fvalue, key=fkey, headers=fheaders)

        async def fine_handled() -> bool:
            return await effects_of(scratch, fine.id) == 1

        assert await eventually(fine_handled)
        dead = await read_topic(kafka_bootstrap, consumer.dead_letter_topic,
                                until=lambda rs: any(r.key == dkey for r in rs))
    assert attempts[doomed.id] == 3
    assert await effects_of(scratch, doomed.id) == 0, "a failed attempt leaves nothing behind"
    [record] = [r for r in dead if r.key == dkey]
    assert "failed after 3 attempts" in (header(record, "dlq_reason") or "")
    assert "warehouse for this market is closed" in (header(record, "dlq_reason") or "")
    assert header(record, "ce_id") == doomed.id


async def test_a_stopped_consumer_resumes_where_it_left_off_without_loss(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    producer = create_producer(kafka_bootstrap, "test-producer", idempotent=False)
    await producer.start()
    group = f"test-{secrets.token_hex(4)}"
    ids: list[str] = []

    async def publish(count: int) -> None:
        for _ in range(count):
            envelope, (key, value, headers) = registered_record()
            ids.append(envelope.id)
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

    def consumer() -> EventConsumer:
        return EventConsumer(pool=scratch.pool, bootstrap_servers=kafka_bootstrap, group=group,
                             handlers={"seller.registered": record_effect}, producer=producer)

    try:
        await ensure_topics(kafka_bootstrap, [TOPIC])
        await publish(30)
        first = consumer()
        task = asyncio.create_task(first.run())

        async def some_handled() -> bool:
            return await effects_of(scratch, *ids) >= 10

        assert await eventually(some_handled)
        first.stop()  # graceful: finishes the record in hand and commits
        await asyncio.wait_for(task, 30)
        await publish(30)  # written while nobody consumes

        second = consumer()
        task = asyncio.create_task(second.run())

        async def all_handled() -> bool:
            return await effects_of(scratch, *ids) == 60

        assert await eventually(all_handled, timeout=60)
        second.stop()
        await asyncio.wait_for(task, 30)
        # Whatever was redelivered after the restart changed nothing twice.
        handled = await scratch.pool.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer_group = $1 AND event_id = ANY($2::text[])",
            group, ids)
        assert handled == 60
    finally:
        await producer.stop()


@pytest.mark.parametrize("slow_reapplied_prefix", [False, True],
                         ids=["prefix-in-time", "prefix-out-of-time"])
async def test_a_partition_is_applied_in_batches_and_a_failing_record_touches_no_neighbour(
    scratch: Scratch, kafka_bootstrap: str, slow_reapplied_prefix: bool,
) -> None:
    """Thirty records of one key in one poll: they share few transactions (one durable commit
    per batch, not per record); one that fails once is rolled back, with its after-commit
    callback, and applied alone on its retry; one the handler refuses is dead-lettered; every
    other record takes effect exactly once, in order.

    `prefix-out-of-time`: a record before the failing one is slow the second time, so the
    prefix applied again runs past the batch's time budget and is committed in parts. The
    failing record is still retried alone, not in the next batch with the refused one, whose
    rollback would have run it a third time (a flake the CI met on a busy machine)."""
    records = [registered_record() for _ in range(30)]
    flaky_id, refused_id = records[9][0].id, records[19][0].id
    slow_id = records[5][0].id if slow_reapplied_prefix else None
    attempts: dict[str, int] = {}
    transactions: dict[str, int] = {}
    callbacks: list[str] = []

    async def handler(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        attempts[envelope.id] = attempts.get(envelope.id, 0) + 1
        if envelope.id == slow_id and attempts[envelope.id] == 2:
            await asyncio.sleep(0.3)  # past the consumer's batch budget (0.1 s)

        async def called_back() -> None:
            callbacks.append(envelope.id)

        after_commit(called_back)
        await record_effect(conn, envelope, event)
        transactions[envelope.id] = await conn.fetchval("SELECT txid_current()")
        if envelope.id == flaky_id and attempts[flaky_id] == 1:
            raise ValueError("a lock timeout, say")
        if envelope.id == refused_id:
            raise NonRetryable("this seller never existed")

    key = secrets.token_hex(6).encode()
    producer = create_producer(kafka_bootstrap, "test-producer", idempotent=False)
    await producer.start()
    try:
        await ensure_topics(kafka_bootstrap, [TOPIC])
        for _, (_, value, headers) in records:
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)
    finally:
        await producer.stop()
    expected = [envelope.id for envelope, _ in records if envelope.id != refused_id]
    async with consuming(scratch, kafka_bootstrap, handler) as (consumer, _):
        async def all_applied() -> bool:
            return (await effects_of(scratch, *expected) == len(expected)
                    and consumer.stats.dead_lettered >= 1)

        assert await eventually(all_applied)
        dead = await read_topic(kafka_bootstrap, consumer.dead_letter_topic,
                                until=lambda rs: any(r.key == key for r in rs))
    assert await effects_of(scratch, refused_id) == 0
    assert attempts[flaky_id] == 2 and attempts[refused_id] == 1
    mine = {envelope.id for envelope, _ in records}  # the topic holds other tests' records too
    assert [c for c in callbacks if c in mine] == expected, \
        "in order, and rolled-back records call nothing back"
    assert len({transactions[i] for i in expected}) <= 6, "records share transactions"
    assert transactions[flaky_id] not in {transactions[i] for i in expected if i != flaky_id}
    [record] = [r for r in dead if r.key == key]
    assert header(record, "ce_id") == refused_id


async def test_a_batch_handler_takes_runs_and_a_failing_run_falls_back_to_one_at_a_time(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    """Records of a type with a batch handler reach it many at a time; a redelivered record
    in the run is applied once; a run the batch handler cannot apply is rolled back and its
    records go to the ordinary handler in turn, which dead-letters the culprit alone."""
    records = [registered_record() for _ in range(20)]
    poison_id = records[12][0].id
    runs: list[int] = []

    async def one(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        if envelope.id == poison_id:
            raise NonRetryable("not a seller we know")
        await record_effect(conn, envelope, event)

    async def many(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> None:
        runs.append(len(items))
        for envelope, event in items:
            await record_effect(conn, envelope, event)  # rolled back if the run fails
        if any(envelope.id == poison_id for envelope, _ in items):
            raise ValueError("one of these cannot be applied")

    key = secrets.token_hex(6).encode()
    producer = create_producer(kafka_bootstrap, "test-producer", idempotent=False)
    await producer.start()
    try:
        await ensure_topics(kafka_bootstrap, [TOPIC])
        for _, (_, value, headers) in [*records[:5], records[3], *records[5:]]:  # 3 twice
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)
        group = f"test-{secrets.token_hex(4)}"
        consumer = EventConsumer(pool=scratch.pool, bootstrap_servers=kafka_bootstrap,
                                 group=group, handlers={"seller.registered": one},
                                 batch_handlers={"seller.registered": many}, producer=producer,
                                 max_attempts=2, retry_base_seconds=0.01)
        await ensure_topics(kafka_bootstrap, [consumer.dead_letter_topic])
        task = asyncio.create_task(consumer.run())
        good = [envelope.id for envelope, _ in records if envelope.id != poison_id]
        try:
            async def applied() -> bool:
                return (await effects_of(scratch, *good) == len(good)
                        and consumer.stats.dead_lettered >= 1)

            assert await eventually(applied)
            dead = await read_topic(kafka_bootstrap, consumer.dead_letter_topic,
                                    until=lambda rs: any(r.key == key for r in rs))
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 30)
    finally:
        await producer.stop()
    assert await effects_of(scratch, poison_id) == 0
    assert max(runs) > 1, "records reached the batch handler many at a time"
    assert consumer.stats.duplicates >= 1
    [letter] = [r for r in dead if r.key == key]
    assert header(letter, "ce_id") == poison_id


@pytest.mark.parametrize("join_partitions", [False, True])
async def test_every_partition_a_poll_handled_is_committed_so_a_restart_redelivers_nothing(
    scratch: Scratch, kafka_bootstrap: str, join_partitions: bool,
) -> None:
    """A poll's offsets go to the group coordinator in one request: each partition's must be
    in it, or the next consumer of the group handles those records again."""
    group = f"test-{secrets.token_hex(4)}"
    ids: list[str] = []

    async def publish(producer: AIOKafkaProducer, count: int) -> None:
        for _ in range(count):
            envelope, (key, value, headers) = registered_record()
            ids.append(envelope.id)
            for attempt in range(4):  # Apache Kafka on a busy CI box: a partition's leader
                try:                  # was once missing for longer than a request's timeout
                    await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)
                    break
                except NotLeaderForPartitionError:
                    if attempt == 3:
                        raise
                    await asyncio.sleep(1)

    async def handled(count: int) -> bool:
        return await effects_of(scratch, *ids) == count

    async with consuming(scratch, kafka_bootstrap, record_effect, group=group,
                         join_partitions=join_partitions) as (_, producer):
        await publish(producer, 40)  # random keys: every partition of the topic gets some
        assert await eventually(lambda: handled(40), timeout=60)

    async with consuming(scratch, kafka_bootstrap, record_effect, group=group,
                         join_partitions=join_partitions) as (second, producer):
        await publish(producer, 1)
        assert await eventually(lambda: handled(41), timeout=60)
    # The topic's earlier records (other tests') were committed too: only the new one comes.
    assert (second.stats.handled, second.stats.duplicates) == (1, 0)


async def test_a_slow_partition_holds_up_no_other(scratch: Scratch, kafka_bootstrap: str) -> None:
    """Records of one partition are applied while another partition's are still in hand (an
    order's stock answer does not wait for fulfillment's promises)."""
    slow, quick = registered_record(), registered_record()
    handler = HeldBack(slow[0].id)
    entered, release = handler.entered, handler.release

    async with consuming(scratch, kafka_bootstrap, handler) as (_, producer):
        key, value, headers = slow[1]
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers, partition=0)
        await asyncio.wait_for(entered.wait(), 30)
        key, value, headers = quick[1]
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers, partition=1)

        async def quick_applied() -> bool:
            return await effects_of(scratch, quick[0].id) == 1

        try:
            assert await eventually(quick_applied, timeout=15), \
                "the quick partition waited for the slow one"
            assert await effects_of(scratch, slow[0].id) == 0
        finally:
            release.set()

        async def slow_applied() -> bool:
            return await effects_of(scratch, slow[0].id) == 1

        assert await eventually(slow_applied, timeout=15)


async def test_what_comes_for_a_busy_partition_is_fetched_meanwhile_and_applied_right_after(
    scratch: Scratch, kafka_bootstrap: str,
) -> None:
    """A record that comes while its partition's earlier one is being applied is applied as
    soon as that one is done, not a fetch wait later. With the partition paused instead, it
    was fetched only once a fetch for the other, quiet, partitions had waited its time out:
    applied 2.6 s after the slow record was done on Apache Kafka (a 3 s wait here), 1.0 s on
    the quick local broker; 0.04-0.07 s now."""
    slow, next_one = registered_record(), registered_record()
    handler = HeldBack(slow[0].id)
    entered, release = handler.entered, handler.release

    async with consuming(scratch, kafka_bootstrap, handler,
                         fetch_max_wait_ms=3000) as (_, producer):
        for envelope, (key, value, headers) in (slow, next_one):
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers,
                                         partition=0)
            if envelope is slow[0]:
                await asyncio.wait_for(entered.wait(), 30)
        await asyncio.sleep(3.5)  # a fetch wait and a half: the record has been fetched
        released_at = asyncio.get_running_loop().time()
        release.set()

        async def applied() -> bool:
            return await effects_of(scratch, next_one[0].id) == 1

        assert await eventually(applied, timeout=15, interval=0.02)
        waited = asyncio.get_running_loop().time() - released_at
        assert waited < 0.6, f"applied {waited:.1f} s after its partition was free"
