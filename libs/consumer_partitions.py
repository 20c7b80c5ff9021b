"""Each partition of a consumer goes on by itself: a slow one holds up no other.

Polled in turns, a consumer applies the partitions a poll returned side by side and polls
again once the slowest is done. Measured on checkout (`benchmarks.checkout_stages`), orders'
answers from catalog then waited for fulfillment's promises, applied in the same turn: a median
0.4 s per turn, the largest hop of an order's way to its outcome. Here a partition whose records
are being applied is paused, the others are polled meanwhile, and it is resumed (and its
offset committed) as soon as its records are done. Records of one partition are still applied
one batch after another, in order.

A partition taken away and given back by a rebalance while its records were still being
applied is unpaused by the client; records fetched for it then are put back (seek) and wait for
the first task to finish, so one partition never has two tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

Records = list[ConsumerRecord[Any, Any]]
PartitionHandler = Callable[[TopicPartition, Records], Coroutine[Any, Any, int | None]]
"""Applies a partition's records in order; the offset to commit next, or None if none taken."""


async def run_partitions_apart(
    consumer: AIOKafkaConsumer, stopping: asyncio.Event, handle: PartitionHandler,
    commit: Callable[[dict[TopicPartition, int]], Awaitable[None]],
    polled: Callable[[float, bool], None], *, max_records: int = 200,
) -> None:
    """Until `stopping` is set: polls the partitions not being applied, applies each one's
    records in a task of its own, and commits each finished partition's offset. `polled` hears
    of every poll: how long it waited, and whether it brought records. On stop, records being
    applied are finished (their handlers stop between batches) and their offsets committed."""
    working: dict[TopicPartition, asyncio.Task[int | None]] = {}
    fetch: asyncio.Future[dict[TopicPartition, Records]] | None = None
    fetch_began = 0.0
    stopped = asyncio.ensure_future(stopping.wait())
    try:
        while not stopping.is_set():
            if fetch is None:
                fetch_began = time.perf_counter()
                fetch = asyncio.ensure_future(
                    consumer.getmany(timeout_ms=500, max_records=max_records))
            await asyncio.wait({fetch, stopped, *working.values()},
                               return_when=asyncio.FIRST_COMPLETED)
            finished = _finished(consumer, working)
            if fetch.done():
                batches, fetch = fetch.result(), None
                polled(time.perf_counter() - fetch_began, any(batches.values()))
                for partition, records in batches.items():
                    if records:
                        _start(consumer, working, partition, records, handle)
            await commit(finished)
    except BaseException:
        for task in working.values():  # rolled back; redelivered to whoever consumes next
            task.cancel()
        await asyncio.gather(*working.values(), return_exceptions=True)
        working.clear()
        raise
    finally:
        stopped.cancel()
        if fetch is not None and not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
    if working:  # stopping: the partitions being applied end after their current batch
        await asyncio.wait(working.values())
    await commit(_finished(consumer, working))


def _start(consumer: AIOKafkaConsumer, working: dict[TopicPartition, asyncio.Task[int | None]],
           partition: TopicPartition, records: Records, handle: PartitionHandler) -> None:
    if partition not in consumer.assignment():  # taken away since the poll: not ours to apply
        return
    consumer.pause(partition)
    if partition in working:  # given back by a rebalance mid-task: these wait their turn
        consumer.seek(partition, records[0].offset)
        return
    working[partition] = asyncio.create_task(handle(partition, records),
                                             name=f"consume {partition.topic}/{partition.partition}")


def _finished(consumer: AIOKafkaConsumer,
              working: dict[TopicPartition, asyncio.Task[int | None]]) -> dict[TopicPartition, int]:
    """The offsets of the partitions whose records are done, which are polled again. A task's
    failure ends the run (the runtime restarts the consumer; the inbox makes redelivery
    harmless)."""
    offsets = {}
    for partition, task in list(working.items()):
        if not task.done():
            continue
        del working[partition]
        offset = task.result()
        if offset is not None:
            offsets[partition] = offset
        if partition in consumer.assignment():
            consumer.resume(partition)
    return offsets
