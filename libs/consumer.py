"""The consumer runner every service uses for its Kafka subscriptions.

At-least-once from Kafka, exactly-once in effect: the event id is recorded in the `inbox` table in
the same transaction as the handler's effects, so a redelivered event changes nothing. A handler
failure is retried with exponential backoff a bounded number of times, then the record goes to
the group's dead-letter topic with the reason, and the consumer moves on. Records that cannot be
read at all (not a CloudEvent, unknown type, data breaking its schema) go there at once. Offsets
are committed only after a record was handled or dead-lettered. An unreachable database is not
the event's fault: it is retried without limit and never dead-letters the event.

A partition's records are applied in batches, so the durable commit (the dominant cost on a
durable Postgres) is paid once per batch. By default each partition goes on by itself: its
records are applied in a task of its own while polling goes on (what comes for it meanwhile is
held for its next batch), so a slow partition holds up no other (`libs.consumer_partitions`).
With `join_partitions`, the consumer works in turns: the records of all the partitions a poll
returned are tried together, one transaction after another (each partition's in its order), so
a service's own partitions do not queue on each other's locks of a hot row, each waiting for
the other's commit to reach the disk, nor deadlock on them; if one fails, it is rolled back and
each partition is handled on its own, and the next poll waits for all of them. It is a choice
per service: a consumer whose partitions touch no common rows loses their overlap and gains
little (measured on checkout: joined view services decided no more orders).

A batch is first applied at once, with one inbox statement and no savepoint per record
(`libs.consumer_batches`). If a handler fails, that is rolled back, the records before the
failing one are applied again, and it is retried alone, exactly as without batching; a batch
handler's run that fails is taken apart with a savepoint per record to find its culprit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from opentelemetry import trace

from libs.consumed_record import (
    BatchHandler,
    Decoded,
    Handler,
    NonRetryable,
    consume_span,
    dead_letter,
    dead_letter_headers,
    decode,
)
from libs.consumer_batches import apply_at_once, apply_in_savepoints, apply_one, merge_partitions
from libs.consumer_partitions import run_partitions_apart
from libs.db.transaction import DATABASE_UNREACHABLE, transaction
from libs.events.catalogue import all_event_types, dead_letter_topic
from libs.metrics import CONSUMED, CONSUMER_CYCLE, CONSUMER_LAG, DEAD_LETTERS
from libs.retry import backoff

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

__all__ = ["BatchHandler", "ConsumerStats", "EventConsumer", "Handler", "NonRetryable"]

_INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncpg.InterfaceError, *DATABASE_UNREACHABLE)


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    retries: int = 0
    batched: int = 0
    """Of `handled`, those applied by a batch handler (a run rolled back does not count)."""


class EventConsumer:
    def __init__(
        self, *, pool: asyncpg.Pool, bootstrap_servers: str, group: str,
        handlers: Mapping[str, Handler], producer: AIOKafkaProducer, max_attempts: int = 5,
        retry_base_seconds: float = 0.2, retry_max_seconds: float = 10.0,
        service: str | None = None, batch_size: int = 100, batch_seconds: float = 0.1,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        join_partitions: bool = False, fetch_max_wait_ms: int = 500,
        renew_producer: Callable[[AIOKafkaProducer], Awaitable[AIOKafkaProducer]] | None = None,
    ) -> None:
        known = all_event_types()
        unknown = [t for t in handlers if t not in known]
        if unknown:
            raise ValueError(f"handlers for event types not in the catalogue: {unknown}")
        self.group = group
        self.service = service or group
        """The `service` label of this consumer's metrics."""
        self.topics = sorted({known[t].topic for t in handlers})
        self.dead_letter_topic = dead_letter_topic(group)
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        """Event types decided many at a time (a hot SKU's reservations): a run of records of
        one such type goes to its batch handler at once; if that fails, each record goes to
        its ordinary handler in turn."""
        if not set(self._batch_handlers) <= set(self._handlers):
            raise ValueError("every batch handler needs an ordinary handler to fall back on")
        self._producer = producer
        self._renew_producer = renew_producer
        """Replaces a stuck producer (`libs.kafka.PRODUCER_STUCK_ERRORS`); the service then
        hands the new one over with `use_producer`."""
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._batch_size = batch_size
        self._batch_seconds = batch_seconds
        """A partition's records share one transaction up to this many, or this long: a durable
        commit per batch instead of per record, and row locks held no longer than this."""
        self._join_partitions = join_partitions
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.stats = ConsumerStats()
        self.assigned = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def use_producer(self, producer: AIOKafkaProducer) -> None:
        """Dead-letters go through `producer` from now on (the service replaced a stuck one)."""
        self._producer = producer

    async def run(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self.topics, bootstrap_servers=self._bootstrap, group_id=self.group,
            client_id=f"{self.group}-consumer", enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=200,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
        )
        await self._consumer.start()
        try:
            if self._join_partitions:
                await self._run_in_turns()
            else:
                await run_partitions_apart(self._consumer, self._stopping, self._timed_partition,
                                           self._timed_commit, self._polled)
        finally:
            await self._consumer.stop()
            log.info("consumer %s stopped: %s", self.group, self.stats)

    async def _run_in_turns(self) -> None:
        """Joined partitions: a poll's records are taken as one batch after another while more
        than one partition has some left, so the service's own transactions never hold hot rows
        side by side (two batches each locking a bestseller's stock for its placed orders, then
        for its confirmed ones, deadlocked, and Postgres took a second to notice); what is left
        after a failure is handled partition by partition, side by side, and the next poll
        waits for all of them."""
        assert self._consumer is not None
        while not self._stopping.is_set():
            polled_at = time.perf_counter()
            batches = await self._poll()
            applying_at = time.perf_counter()
            self._polled(applying_at - polled_at, any(batches.values()))
            failed: TopicPartition | None = None
            handled: dict[TopicPartition, int] = {}
            while (failed is None and not self._stopping.is_set()
                   and sum(1 for records in batches.values() if records) > 1):
                batches, failed, taken_to = await self._handle_together(batches)
                handled.update(taken_to)
                if not taken_to and failed is None:
                    break  # nothing taken (Postgres unreachable): each partition on its own
            partitions = [p for p, records in batches.items() if records]
            reached = await asyncio.gather(*(
                self._handle_partition(p, batches[p], tried_once=p == failed)
                for p in partitions))
            handled.update((p, offset) for p, offset in zip(partitions, reached, strict=True)
                           if offset is not None)
            if partitions or handled:
                self._observe("apply", time.perf_counter() - applying_at)
            await self._timed_commit(handled)

    async def _timed_partition(self, partition: TopicPartition,
                               records: list[ConsumerRecord[Any, Any]]) -> int | None:
        began = time.perf_counter()
        try:
            return await self._handle_partition(partition, records)
        finally:
            self._observe("apply", time.perf_counter() - began)

    async def _timed_commit(self, offsets: dict[TopicPartition, int]) -> None:
        began = time.perf_counter()
        await self._commit_offsets(offsets)
        if offsets:
            self._observe("commit", time.perf_counter() - began)

    def _polled(self, seconds: float, brought_records: bool) -> None:
        if self._consumer is not None and self._consumer.assignment():
            self.assigned.set()
        if brought_records:
            self._observe("poll", seconds)

    def _observe(self, phase: str, seconds: float) -> None:
        CONSUMER_CYCLE.labels(self.service, self.group, phase).observe(seconds)

    async def _poll(self) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
        """Next records, or none once stop() is called: a poll can block for seconds while the
        group (re)balances, and no record is in hand then, so it is safe to abandon."""
        assert self._consumer is not None
        fetch = asyncio.ensure_future(self._consumer.getmany(timeout_ms=500, max_records=200))
        stopped = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
            return {}
        batches: dict[TopicPartition, list[ConsumerRecord[Any, Any]]] = fetch.result()
        return batches

    async def _handle_together(
        self, batches: dict[TopicPartition, list[ConsumerRecord[Any, Any]]],
    ) -> tuple[dict[TopicPartition, list[ConsumerRecord[Any, Any]]], TopicPartition | None,
               dict[TopicPartition, int]]:
        """Applies the front of several partitions' records as one batch; returns what is left
        of each, the partition whose next record was tried once and failed, if any, and the
        next offset of each partition it took records from. Hot rows (a bestseller's stock or
        popularity) are then locked once per poll instead of once per partition, and one commit
        is paid instead of one each. A record that keeps failing is retried in its own
        partition's turn, so it holds up no other partition."""
        merged = merge_partitions(list(batches.values()), self._batch_handlers, self._handlers)
        taken, next_failed = await self._handle_batch(merged)
        handled = Counter((r.topic, r.partition) for r in merged[:taken])
        left, reached = {}, {}
        for partition, records in batches.items():
            count = handled[(partition.topic, partition.partition)]
            if count:
                reached[partition] = records[count - 1].offset + 1
            left[partition] = records[count:]
        failed = merged[taken] if next_failed else None
        return (left, None if failed is None else TopicPartition(failed.topic, failed.partition),
                reached)

    async def _handle_partition(self, partition: TopicPartition,
                                records: list[ConsumerRecord[Any, Any]], *,
                                tried_once: bool = False) -> int | None:
        """Handles a partition's records in order; returns the offset to commit next, or None
        if none was taken. `tried_once`: the first record already failed once in a batch, so it
        goes alone."""
        assert self._consumer is not None
        position = 0
        if tried_once:
            await self._handle_record(records[0], attempts_made=1)
            position = 1
        while position < len(records) and not self._stopping.is_set():
            taken, next_failed = await self._handle_batch(records[position:])
            position += taken
            if self._stopping.is_set() or position == len(records):
                break
            if next_failed or taken == 0:  # alone now, with its retries (or the batch failed)
                await self._handle_record(records[position], attempts_made=int(next_failed))
                position += 1
        return records[position - 1].offset + 1 if position else None

    async def _commit_offsets(self, offsets: dict[TopicPartition, int]) -> None:
        """A poll's offsets in one request to the group coordinator, not one per partition: on
        a quiet topic a poll brings a record or two per partition, and a commit request each
        was a good part of a view-keeping consumer's work."""
        assert self._consumer is not None
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as exc:
            # A rebalance took a partition away; the new owner redelivers and the inbox
            # makes that harmless.
            log.warning("consumer %s: commit failed after rebalance: %s", self.group, exc)
        for partition, next_offset in offsets.items():
            highwater = self._consumer.highwater(partition)
            if highwater is not None:
                CONSUMER_LAG.labels(self.service, self.group, partition.topic,
                                    str(partition.partition)).set(max(0, highwater - next_offset))

    async def _handle_batch(self, records: list[ConsumerRecord[Any, Any]]) -> tuple[int, bool]:
        """Handles records from the front of `records` in one transaction: how many were taken
        (committed or dead-lettered) and whether the next one was tried and failed.

        When a handler fails, the records before it are applied again before anything else,
        even if that takes more than one budgeted batch, so the failed record is retried alone
        next. Had the rest of the prefix gone into the next batch with it, a later record's
        failure there would roll back its retry and run it once more."""
        done = await apply_at_once(self._pool, self.group, records[:self._batch_size],
                                   self._handlers, self._batch_handlers, self._batch_seconds)
        if done.error is None:
            self.stats.batched += done.batched
            await self._settle(done.outcomes, done.unreadable)
            return done.taken, False
        if isinstance(done.error, _INFRASTRUCTURE_ERRORS):
            log.warning("consumer %s: batch failed, going one record at a time: %r",
                        self.group, done.error)
            return 0, False
        if done.failed_at is None or done.in_run:
            careful = await apply_in_savepoints(
                self._pool, self.group, records[:self._batch_size], self._handlers,
                self._batch_handlers, self._batch_seconds, self._stopping)
            if careful is None:
                return 0, False
            self.stats.batched += careful.batched
            await self._settle(careful.outcomes, careful.dead)
            return careful.taken, careful.next_failed
        failed_at = done.failed_at
        applied = 0
        while applied < failed_at:  # the prefix again, in as many batches as its budget needs
            taken, next_failed = await self._handle_batch(records[applied:failed_at])
            applied += taken
            if next_failed or taken == 0:
                return applied, next_failed
        if isinstance(done.error, NonRetryable):
            await self._settle([], [(records[failed_at], f"rejected by handler: {done.error}")])
            return failed_at + 1, False
        return failed_at, True

    async def _settle(self, outcomes: list[str],
                      dead: list[tuple[ConsumerRecord[Any, Any], str]]) -> None:
        """After a batch's commit: its outcomes counted, its unappliable records dead-lettered."""
        for outcome in outcomes:
            self._count(outcome)
        for record, reason in dead:
            await self._dead_letter(record, reason)

    async def _handle_record(self, record: ConsumerRecord[Any, Any], attempts_made: int) -> None:
        decoded = decode(record, self._handlers)
        if isinstance(decoded, str):
            await self._dead_letter(record, decoded)
            return
        if decoded is None:
            self._count("ignored")
            return
        with consume_span(decoded, self.group) as span:
            reason = await self._apply_with_retries(decoded, attempts_made)
            if reason is not None:
                span.set_status(trace.StatusCode.ERROR, reason)
                await self._dead_letter(record, reason)

    async def _apply_with_retries(self, decoded: Decoded, attempts_made: int) -> str | None:
        """Returns None once applied (or found already applied), else the reason it failed."""
        attempt = attempts_made
        while True:
            try:
                async with transaction(self._pool) as conn:
                    outcome = await apply_one(conn, self.group, decoded)
                self._count(outcome)
                return None
            except NonRetryable as exc:
                return f"rejected by handler: {exc}"
            except _INFRASTRUCTURE_ERRORS as exc:
                log.warning("consumer %s: infrastructure error, retrying: %r", self.group, exc)
                delay = self._retry_max
            except Exception as exc:
                attempt += 1
                if attempt >= self._max_attempts:
                    log.exception("consumer %s: %s failed %d times", self.group,
                                  decoded.envelope.id, attempt)
                    return f"handler failed after {attempt} attempts: {exc!r}"
                delay = backoff(attempt, base=self._retry_base, cap=self._retry_max)
            self.stats.retries += 1
            if self._stopping.is_set():
                raise asyncio.CancelledError("stopping before the event was handled")
            await asyncio.sleep(delay)

    def _count(self, outcome: str) -> None:
        if outcome == "handled":
            self.stats.handled += 1
        elif outcome == "duplicate":
            self.stats.duplicates += 1
        else:
            self.stats.ignored += 1
        CONSUMED.labels(self.service, self.group, outcome).inc()

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        log.error("consumer %s: dead-lettering %s[%d]@%d: %s", self.group, record.topic,
                  record.partition, record.offset, reason)
        await dead_letter(lambda: self._producer, self.dead_letter_topic, record,
                          dead_letter_headers(record, self.group, reason), self._stopping,
                          retry_base=self._retry_base, retry_max=self._retry_max,
                          renew_producer=self._renew_producer)
        self.stats.dead_lettered += 1
        CONSUMED.labels(self.service, self.group, "dead_lettered").inc()
        DEAD_LETTERS.labels(self.service, self.group, record.topic).inc()
