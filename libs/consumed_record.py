"""What the consumer runner makes of one Kafka record: its event and handler, or why not.

Kept apart from the runner so that reading a record (pure, no I/O) is separate from applying it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from libs.events.base import Event
from libs.events.catalogue import event_class
from libs.events.envelope import Envelope, MalformedMessage, from_kafka

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]


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
