"""Moves a consumer group's committed offsets back to a point in time, so that after a
Postgres restore the group handles again every event from the dump's time on. The inbox makes
the events the dump already holds no-ops; the rest are applied again. Kafka refuses while the
group has members: stop the service first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from ops.backlog import committed_offsets


@dataclass(frozen=True)
class Rewound:
    topic: str
    partition: int
    committed: int | None
    to: int


async def rewind(bootstrap: str, group: str, to: datetime, *,
                 dry_run: bool = False) -> list[Rewound]:
    """Every partition of the catalogued topics the group has committed on, set to the first
    offset at or after `to` (the end, where nothing is that recent)."""
    if to.tzinfo is None:
        raise SystemExit("--to needs a time zone (e.g. 2026-11-27T10:00+00:00)")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="latest")
    await consumer.start()
    try:
        committed = await committed_offsets(consumer)
        mine = [tp for tp, offset in committed.items() if offset is not None]
        if not mine:
            return []
        found = await consumer.offsets_for_times({tp: int(to.timestamp() * 1000) for tp in mine})
        ends = await consumer.end_offsets(mine)
        targets = {tp: found[tp].offset if found[tp] is not None else ends[tp] for tp in mine}
        if not dry_run:
            await _commit_as_member(consumer, targets)
        return [Rewound(tp.topic, tp.partition, committed[tp], offset)
                for tp, offset in targets.items()]
    finally:
        await consumer.stop()


async def _commit_as_member(consumer: AIOKafkaConsumer,
                            targets: dict[TopicPartition, int]) -> None:
    """Joins the group (alone, the service being stopped) and commits as its only member:
    every broker accepts a member's commit, not every one a commit from outside the group."""
    consumer.subscribe(topics=sorted({tp.topic for tp in targets}))
    deadline = asyncio.get_running_loop().time() + 60
    while not set(targets) <= consumer.assignment():
        if asyncio.get_running_loop().time() > deadline:
            raise SystemExit("the group did not hand this command its partitions: is the "
                             "service still running? Stop every instance first.")
        await consumer.getmany(timeout_ms=200, max_records=1)
    await consumer.commit(targets)
