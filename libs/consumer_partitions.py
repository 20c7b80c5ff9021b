"""Each partition of a consumer goes on by itself: a slow one holds up no other.

Polled in turns, a consumer applies the partitions a poll returned side by side and polls
again once the slowest is done. Measured on checkout (`benchmarks.checkout_stages`), orders'
answers from catalog then waited for fulfillment's promises, applied in the same turn: a median
0.4 s per turn, the largest hop of an order's way to its outcome. Here each partition's records
are applied in a task of its own while polling goes on; records of one partition are still
applied one batch after another, in order.

Polling goes on for a partition whose records are being applied, too: what comes meanwhile is
held and applied as soon as its task is done. Pausing the partition instead cost a fetch wait
per batch: the client sends one fetch at a time to a broker, and a partition resumed while a
fetch for the others is in flight is only fetched once that one returns, which on a quiet set
of partitions is the whole fetch wait (orders heard catalog's answers 0.19 s after their relay
on Apache Kafka, where catalog heard orders in 0.035 s). A partition is paused only when it has
`held_limit` records held, so memory stays bounded behind a slow handler.

A partition taken away by a rebalance has its held records dropped (its next owner fetches them
from the committed offset). One given back while its records were still being applied is
fetched again from the committed offset: the records it already holds are not taken twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

Records = list[ConsumerRecord[Any, Any]]
PartitionHandler = Callable[[TopicPartition, Records], Coroutine[Any, Any, int | None]]
"""Applies a partition's records in order; the offset to commit next, or None if none taken."""

HELD_LIMIT = 1_000
"""Records held for a partition whose earlier records are still being applied; at this many,
it is paused until they are taken."""


@dataclass
class _Partitions:
    """What the consumer has in hand: each partition's task, the records held for it, and the
    offset after the last record it took (task or held), below which a record is a copy."""

    consumer: AIOKafkaConsumer
    handle: PartitionHandler
    held_limit: int
    working: dict[TopicPartition, asyncio.Task[int | None]] = field(default_factory=dict)
    held: dict[TopicPartition, Records] = field(default_factory=dict)
    taken_to: dict[TopicPartition, int] = field(default_factory=dict)

    def take(self, partition: TopicPartition, records: Records) -> None:
        """Records a poll brought: applied now if the partition is free, else held."""
        if partition not in self.consumer.assignment():  # taken away since the poll
            self._forget(partition)
            return
        if partition in self.working:
            records = [r for r in records if r.offset >= self.taken_to.get(partition, -1)]
            if not records:
                return
            held = self.held.setdefault(partition, [])
            held.extend(records)
            if len(held) >= self.held_limit:
                self.consumer.pause(partition)
        else:
            self._start(partition, records)
        self.taken_to[partition] = records[-1].offset + 1

    def finished(self) -> dict[TopicPartition, int]:
        """The offsets to commit of the partitions whose tasks are done; their held records
        go on at once. A task's failure ends the run (the runtime restarts the consumer; the
        inbox makes redelivery harmless)."""
        offsets = {}
        for partition, task in list(self.working.items()):
            if not task.done():
                continue
            del self.working[partition]
            offset = task.result()
            if offset is not None:
                offsets[partition] = offset
            if partition not in self.consumer.assignment():
                self._forget(partition)
                continue
            if partition in self.consumer.paused():
                self.consumer.resume(partition)
            held = self.held.pop(partition, None)
            if held:
                self._start(partition, held)
        return offsets

    def _start(self, partition: TopicPartition, records: Records) -> None:
        self.working[partition] = asyncio.create_task(
            self.handle(partition, records),
            name=f"consume {partition.topic}/{partition.partition}")

    def _forget(self, partition: TopicPartition) -> None:
        self.held.pop(partition, None)
        self.taken_to.pop(partition, None)

    async def cancel(self) -> None:
        for task in self.working.values():  # rolled back; redelivered to whoever consumes next
            task.cancel()
        await asyncio.gather(*self.working.values(), return_exceptions=True)
        self.working.clear()


async def run_partitions_apart(
    consumer: AIOKafkaConsumer, stopping: asyncio.Event, handle: PartitionHandler,
    commit: Callable[[dict[TopicPartition, int]], Awaitable[None]],
    polled: Callable[[float, bool], None], *, max_records: int = 200,
    held_limit: int = HELD_LIMIT,
) -> None:
    """Until `stopping` is set: polls, applies each partition's records in a task of its own
    (holding what comes for a partition meanwhile), and commits each finished partition's
    offset. `polled` hears of every poll: how long it waited, and whether it brought records.
    On stop, records being applied are finished (their handlers stop between batches) and
    their offsets committed; held ones are left to be fetched again."""
    partitions = _Partitions(consumer, handle, held_limit)
    fetch: asyncio.Future[dict[TopicPartition, Records]] | None = None
    fetch_began = 0.0
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        while not stopping.is_set():
            if fetch is None:
                fetch_began = time.perf_counter()
                fetch = asyncio.ensure_future(
                    consumer.getmany(timeout_ms=500, max_records=max_records))
            await asyncio.wait({fetch, stopped, *partitions.working.values()},
                               return_when=asyncio.FIRST_COMPLETED)
            finished = partitions.finished()
            if fetch.done():
                batches, fetch = fetch.result(), None
                polled(time.perf_counter() - fetch_began, any(batches.values()))
                for partition, records in batches.items():
                    if records:
                        partitions.take(partition, records)
            await commit(finished)
    except BaseException:
        await partitions.cancel()
        raise
    finally:
        stopped.cancel()
        if fetch is not None and not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
    partitions.held.clear()
    while partitions.working:  # stopping: the partitions being applied end after their batch
        await asyncio.wait(partitions.working.values())
        await commit(partitions.finished())
