"""How far behind the marketplace is: consumer lag per group and partition (from Kafka), and
each service's outbox backlog with the age of its oldest unpublished event (from Postgres)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.events.catalogue import TOPICS

SERVICES = ("catalog", "orders", "live", "fulfillment", "support", "webhooks", "discovery")


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - self.committed)


async def committed_offsets(consumer: AIOKafkaConsumer
                            ) -> dict[TopicPartition, int | None]:
    """Every partition of the catalogued topics the consumer's group has committed on at
    least once, with its committed offset (None on a partition of such a topic not yet
    committed). Read without joining the group: nothing is rebalanced."""
    existing = await consumer.topics()
    partitions = [TopicPartition(topic, p) for topic in sorted(existing)
                  if topic in TOPICS for p in consumer.partitions_for_topic(topic) or ()]
    committed = {tp: await consumer.committed(tp) for tp in partitions}
    read = {tp.topic for tp, offset in committed.items() if offset is not None}
    return {tp: offset for tp, offset in committed.items() if tp.topic in read}


async def consumer_lag(bootstrap: str, groups: list[str]) -> list[Lag]:
    """Every partition of the catalogued topics each group reads (has committed on), with how
    many records it has yet to handle. Reads the committed offsets without joining the group:
    nothing is rebalanced."""
    lags = []
    for group in groups:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                    enable_auto_commit=False)
        await consumer.start()
        try:
            committed = await committed_offsets(consumer)
            mine = list(committed)
            starts = await consumer.beginning_offsets(mine) if mine else {}
            # A partition of a topic the group reads, with nothing committed yet: all of it.
            positions: dict[TopicPartition, int] = {
                tp: offset if offset is not None else starts[tp]
                for tp, offset in committed.items()}
            ends = await consumer.end_offsets(list(positions)) if positions else {}
            lags += [Lag(group, tp.topic, tp.partition, offset, ends[tp])
                     for tp, offset in positions.items()]
        finally:
            await consumer.stop()
    return lags


@dataclass(frozen=True)
class Backlog:
    service: str
    unpublished: int
    oldest: datetime | None
    failing: int
    """Unpublished rows whose last publish attempt failed."""


async def outbox_backlog(database_url: str,
                         schemas: tuple[str, ...] = SERVICES) -> list[Backlog]:
    """Reads each service's outbox in its schema (an administrator's URL reaches them all)."""
    conn = await asyncpg.connect(database_url)
    try:
        found = []
        for service in schemas:
            row = await conn.fetchrow(
                f"""SELECT count(*) AS unpublished, min(occurred_at) AS oldest,
                           count(*) FILTER (WHERE last_error IS NOT NULL) AS failing
                    FROM {service}.outbox WHERE published_at IS NULL""")  # noqa: S608
            found.append(Backlog(service, row["unpublished"], row["oldest"], row["failing"]))
        return found
    finally:
        await conn.close()
