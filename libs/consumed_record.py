"""What the consumer runner makes of one Kafka record: its event and handler, or why not, and
where it goes when it cannot be applied (the group's dead-letter topic)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from opentelemetry import propagate, trace

from libs.events.base import Event
from libs.events.catalogue import event_class
from libs.events.envelope import Envelope, MalformedMessage, from_kafka
from libs.kafka import PRODUCER_STUCK_ERRORS
from libs.retry import backoff

log = logging.getLogger(__name__)
tracer = trace.get_tracer("libs.consumer")

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]
BatchHandler = Callable[[asyncpg.Connection, list[tuple[Envelope, Any]]], Awaitable[None]]
"""Applies many events in the caller's transaction, as their handlers would one by one, in the
order given: a run of consecutive records whose types it is registered for (one type, or
several sharing the same function)."""


class NonRetryable(Exception):
    """Raised by a handler for an event that can never succeed (sent to the DLQ at once)."""


@dataclass(frozen=True)
class Decoded:
    record: ConsumerRecord[Any, Any]
    envelope: Envelope
    event: Event
    handler: Handler


def decode(record: ConsumerRecord[Any, Any], handlers: Mapping[str, Handler]) -> Decoded | str | None:
    """The record's envelope, event and handler; or why it must be dead-lettered (not a
    CloudEvent, an unknown type, data breaking its schema); or None for a catalogued event that
    these handlers do not handle."""
    try:
        envelope = from_kafka(record.key, record.value, record.headers)
    except MalformedMessage as exc:
        return str(exc)
    handler = handlers.get(envelope.type)
    if handler is None:
        if event_class(envelope.type) is None:
            return f"unknown event type {envelope.type!r}"
        return None
    try:
        event = envelope.payload()
    except MalformedMessage as exc:
        return str(exc)
    return Decoded(record, envelope, event, handler)


def run_end(decoded: Sequence[Decoded | str | None], position: int,
            batch_handlers: Mapping[str, BatchHandler]) -> int:
    """Where the run that starts at `position` (a record with a batch handler) ends: after the
    last of the records right after it whose types share its batch handler. Events these
    handlers ignore do not cut a run, they are passed over and taken with it: they change
    nothing, so nothing depends on their place. A topic that carries several event types per
    order (fulfillment's `created` before each `allocated`) would otherwise give runs of one."""
    first = decoded[position]
    assert isinstance(first, Decoded)
    end = look = position + 1
    while look < len(decoded):
        item = decoded[look]
        if isinstance(item, Decoded) and same_batch_handler(
                batch_handlers, item.envelope.type, first.envelope.type):
            end = look + 1
        elif item is not None:
            break
        look += 1
    return end


def same_batch_handler(batch_handlers: Mapping[str, BatchHandler], kind: str, other: str) -> bool:
    handler = batch_handlers.get(kind)
    return handler is not None and handler is batch_handlers.get(other)


def consume_span(decoded: Decoded, group: str) -> contextlib.AbstractContextManager[trace.Span]:
    """The span of applying one record, continuing the trace its producer started."""
    return tracer.start_as_current_span(
        f"consume {decoded.envelope.type}", context=propagate.extract(decoded.envelope.trace),
        kind=trace.SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka",
                    "messaging.destination.name": decoded.record.topic,
                    "messaging.consumer.group.name": group,
                    "messaging.message.id": decoded.envelope.id},
    )


def dead_letter_headers(record: ConsumerRecord[Any, Any], group: str,
                        reason: str) -> list[tuple[str, bytes]]:
    """The original headers plus where the record came from and why it was set aside, so an
    operator can read, fix and replay it."""
    return [
        *(record.headers or ()),
        ("dlq_reason", reason[:2000].encode()),
        ("dlq_consumer_group", group.encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
        ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
    ]


async def dead_letter(producer: Callable[[], AIOKafkaProducer], topic: str,
                      record: ConsumerRecord[Any, Any], headers: list[tuple[str, bytes]],
                      stopping: asyncio.Event, *, retry_base: float, retry_max: float,
                      renew_producer: Callable[[AIOKafkaProducer], Awaitable[AIOKafkaProducer]]
                      | None = None) -> None:
    """Publishes the record's original bytes to `topic`, retrying until the broker accepts:
    the consumer never commits past a record that is neither handled nor dead-lettered (a
    stop meanwhile raises CancelledError, and the record is redelivered). `producer` is asked
    at every attempt, and a stuck one (`PRODUCER_STUCK_ERRORS`) is replaced first."""
    failures = 0
    while True:
        sending = producer()
        try:
            await sending.send_and_wait(topic, value=record.value, key=record.key,
                                        headers=headers)
            return
        except KafkaError as exc:
            log.warning("DLQ publish to %s failed, retrying: %r", topic, exc)
            if renew_producer is not None and isinstance(exc, PRODUCER_STUCK_ERRORS):
                await renew_producer(sending)
            failures += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(),
                                       backoff(failures, base=retry_base, cap=retry_max))
            if stopping.is_set():
                raise asyncio.CancelledError("stopping before the DLQ accepted") from exc
