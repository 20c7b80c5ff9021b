"""`python -m ops`, the operator's commands, against real Kafka and Postgres: an event a
consumer could not apply is listed with its reason and, once the cause is fixed, replayed by id
and applied exactly once; consumer lag and the outbox backlog say how far behind things are
(issue 12's runbook; issue 16's operator commands)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from libs.consumer import NonRetryable
from libs.devstack.infra import Infra
from libs.devstack.servers import REPO_ROOT
from libs.events.envelope import Envelope
from libs.ids import new_id
from libs.testing import Scratch, eventually
from libs.tests.test_consumer import (
    TOPIC,
    consuming,
    effects_of,
    record_effect,
    registered_record,
)
from ops import backlog, dead_letters

pytestmark = pytest.mark.kafka


async def test_a_dead_letter_is_listed_then_replayed_once_the_cause_is_fixed(
        scratch: Scratch, kafka_bootstrap: str) -> None:
    broken = True

    async def handler(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        if broken:
            raise NonRetryable("the seller's market is not configured yet")
        await conn.execute("INSERT INTO effects (event_id, seller_id) VALUES ($1, $2)",
                           envelope.id, event.seller_id)

    envelope, (key, value, headers) = registered_record()
    async with consuming(scratch, kafka_bootstrap, handler) as (consumer, producer):
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

        async def set_aside() -> list[dead_letters.DeadLetter]:
            letters = await dead_letters.read(kafka_bootstrap, consumer.group)
            return [letter for letter in letters if letter.event_id == envelope.id]

        [letter] = await eventually(set_aside, timeout=30) or [None]
        assert letter is not None, "the event was never dead-lettered"
        assert "market is not configured" in letter.reason and letter.original_topic == TOPIC
        listed = subprocess.run(
            [sys.executable, "-m", "ops", "--bootstrap", kafka_bootstrap, "dead-letters", "list",
             "--group", consumer.group], capture_output=True, text=True, cwd=REPO_ROOT,
            timeout=60)
        assert listed.returncode == 0, listed.stderr
        listed_ids = [json.loads(line)["event_id"] for line in listed.stdout.splitlines()]
        assert envelope.id in listed_ids

        broken = False  # the operator fixes the cause, then replays just that event
        replayed = await dead_letters.replay(
            kafka_bootstrap, consumer.group, dead_letters.chosen({envelope.id}, None, None),
            idempotent=False)
        assert [r.event_id for r in replayed] == [envelope.id]

        async def applied() -> bool:
            return await effects_of(scratch, envelope.id) == 1

        assert await eventually(applied, timeout=30), "the replayed event was not applied"
        again = await dead_letters.replay(
            kafka_bootstrap, consumer.group, dead_letters.chosen({envelope.id}, None, None),
            idempotent=False)
        assert len(again) == 1  # still in the DLQ (a log), but the inbox applies it once
        await eventually(lambda: _handled_twice(consumer), timeout=30)
    assert await effects_of(scratch, envelope.id) == 1


async def _handled_twice(consumer: Any) -> bool:
    return bool(consumer.stats.duplicates >= 1)


async def test_lag_counts_what_a_group_has_yet_to_handle(scratch: Scratch,
                                                        kafka_bootstrap: str) -> None:
    async with consuming(scratch, kafka_bootstrap, record_effect) as (consumer, producer):
        _, (key, value, headers) = registered_record()
        await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)

        async def caught_up() -> list[backlog.Lag]:
            lags = await backlog.consumer_lag(kafka_bootstrap, [consumer.group])
            return lags if lags and all(lag.lag == 0 for lag in lags) else []

        lags = await eventually(caught_up, timeout=30)
        assert lags and {lag.topic for lag in lags} == {TOPIC}
        consumer.stop()
        await asyncio.sleep(1)
        for _ in range(3):  # the group is stopped: these wait (same key, same partition)
            _, (_, value, headers) = registered_record()
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)
        behind = await backlog.consumer_lag(kafka_bootstrap, [consumer.group])
        assert sum(lag.lag for lag in behind) == 3


async def test_the_outbox_backlog_names_its_oldest_unpublished_event(
        scratch: Scratch, infra: Infra) -> None:
    await scratch.pool.execute(
        """INSERT INTO outbox (event_id, topic, event_key, event_type, source, payload,
                               occurred_at, last_error, next_attempt_at)
           VALUES ($1, 'support.ticket.v1', 'k', 'ticket.opened', 'support', '{}',
                   now() - interval '1 hour', 'broker unreachable', now() + interval '1 day'),
                  ($2, 'support.ticket.v1', 'k', 'ticket.opened', 'support', '{}',
                   now(), NULL, now())""", new_id(), new_id())
    [found] = await backlog.outbox_backlog(infra.admin_database_url, (scratch.schema,))
    assert (found.unpublished, found.failing) == (2, 1)
    assert found.oldest is not None and (datetime.now(UTC) - found.oldest).total_seconds() > 3500


async def test_topics_creates_every_topic_and_dead_letter_topic(kafka_bootstrap: str) -> None:
    """What the Helm chart's topics Job runs before the first rollout."""
    from aiokafka.admin import AIOKafkaAdminClient

    from ops.topics import every_topic

    made = subprocess.run(
        [sys.executable, "-m", "ops", "--bootstrap", kafka_bootstrap, "topics",
         "--partitions", "3"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["topics"] == every_topic()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    assert set(every_topic()) <= existing
    assert {"dlq.orders", "dlq.webhooks", "orders.order.v1"} <= set(every_topic())
    refused = subprocess.run([sys.executable, "-m", "ops", "--bootstrap", kafka_bootstrap,
                              "topics", "--partitions", "0"], capture_output=True, text=True,
                             cwd=REPO_ROOT, timeout=60)
    assert refused.returncode != 0 and "at least 1" in refused.stderr


async def test_rewind_makes_a_stopped_group_handle_again_what_came_since_a_time(
        scratch: Scratch, kafka_bootstrap: str) -> None:
    """After a Postgres restore the operator rewinds each group to the dump's time: the events
    since then come again, and what the restored rows already hold is skipped by the inbox."""
    import secrets

    from ops import rewind

    group = f"rewind-{secrets.token_hex(4)}"
    delivered: list[str] = []

    async def handler(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        await record_effect(conn, envelope, event)

    async def seen(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        delivered.append(envelope.id)  # only reached for events not yet in the inbox
        await record_effect(conn, envelope, event)

    first, (k1, v1, h1) = registered_record()
    later = [registered_record() for _ in range(2)]
    async with consuming(scratch, kafka_bootstrap, handler, group=group) as (_, producer):
        await producer.send_and_wait(TOPIC, value=v1, key=k1, headers=h1)
        assert await eventually(lambda: _applied(scratch, first.id))
        await asyncio.sleep(1.1)  # record timestamps are in milliseconds: a clear boundary
        dumped_at = datetime.now(UTC)
        for _, (key, value, headers) in later:
            await producer.send_and_wait(TOPIC, value=value, key=key, headers=headers)
        for envelope, _ in later:
            assert await eventually(lambda envelope=envelope: _applied(scratch, envelope.id))

    moved = await rewind.rewind(kafka_bootstrap, group, dumped_at)
    assert moved and all(m.committed is not None and m.to <= m.committed for m in moved)
    assert sum(m.committed - m.to for m in moved if m.committed is not None) >= 2
    # The restore took the later events' effects away: the inbox forgets them too.
    later_ids = [envelope.id for envelope, _ in later]
    await scratch.pool.execute("DELETE FROM effects WHERE event_id = ANY($1::text[])", later_ids)
    await scratch.pool.execute("DELETE FROM inbox WHERE consumer_group = $1 AND "
                               "event_id = ANY($2::text[])", group, later_ids)
    async with consuming(scratch, kafka_bootstrap, seen, group=group):
        assert await eventually(lambda: _applied_all(scratch, later_ids), timeout=30), \
            "the events since the dump were not handled again"
    assert first.id not in delivered, "what the dump holds is not applied twice"
    assert await effects_of(scratch, first.id, *later_ids) == 3


async def _applied(scratch: Scratch, event_id: str) -> bool:
    return await effects_of(scratch, event_id) == 1


async def _applied_all(scratch: Scratch, event_ids: list[str]) -> bool:
    return await effects_of(scratch, *event_ids) == len(event_ids)
