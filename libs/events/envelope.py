"""CloudEvents 1.0 over Kafka in binary mode: `ce_*` headers, JSON payload, key = aggregate id,
plus the W3C `traceparent`/`tracestate` headers that carry one trace across services."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent
from cloudevents.kafka import KafkaMessage, from_binary, to_binary
from pydantic import ValidationError

from libs.events.base import Event
from libs.events.catalogue import event_class
from libs.ids import new_id

TRACE_HEADERS = ("traceparent", "tracestate")
SEQUENCE_DIGITS = 20
"""The CloudEvents `sequence` extension is a lexicographically orderable string: the number is
zero-padded so that text order and number order agree."""
REQUIRED_ATTRIBUTES = ("id", "type", "source", "specversion")


class MalformedMessage(Exception):
    """The record is not a CloudEvent we can read; it goes to the dead-letter topic."""


class UnknownEventType(MalformedMessage):
    """The record's type is not in the event catalogue."""


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    key: str
    data: dict[str, Any]
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    dataschema: str | None = None
    trace: dict[str, str] = field(default_factory=dict)
    sequence: int | None = None
    """The event's position among its aggregate's events on its topic: 1, 2, 3..."""

    @classmethod
    def wrap(cls, event: Event, *, source: str, trace: dict[str, str] | None = None,
             sequence: int | None = None) -> Envelope:
        return cls(
            id=str(new_id()), type=event.type, source=source, key=event.key,
            data=event.model_dump(mode="json"), dataschema=event.dataschema(), trace=trace or {},
            sequence=sequence,
        )

    def payload(self) -> Event:
        """The typed event; raises MalformedMessage when the data breaks its schema."""
        cls = event_class(self.type)
        if cls is None:
            raise UnknownEventType(f"unknown event type {self.type!r}")
        try:
            return cls.model_validate(self.data)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise MalformedMessage(f"{self.type}: invalid data ({fields})") from exc


def to_kafka(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    attributes = {
        "id": envelope.id, "type": envelope.type, "source": envelope.source,
        "time": envelope.time.isoformat(), "datacontenttype": "application/json",
        "partitionkey": envelope.key,
    }
    if envelope.dataschema:
        attributes["dataschema"] = envelope.dataschema
    if envelope.sequence is not None:
        attributes["sequence"] = format_sequence(envelope.sequence)
    message = to_binary(
        CloudEvent(attributes, envelope.data),
        data_marshaller=lambda data: json.dumps(data, separators=(",", ":")).encode(),
    )
    headers = [(name, value) for name, value in message.headers.items()]
    headers += [(name, envelope.trace[name].encode()) for name in TRACE_HEADERS
                if envelope.trace.get(name)]
    key = message.key.encode() if isinstance(message.key, str) else (message.key or b"")
    value = message.value.encode() if isinstance(message.value, str) else message.value
    return key, value, headers


def from_kafka(
    key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | tuple[Any, ...]
) -> Envelope:
    header_map = {name.lower(): raw for name, raw in headers or ()}
    missing = [a for a in REQUIRED_ATTRIBUTES if f"ce_{a}" not in header_map]
    if missing:
        raise MalformedMessage(f"not a CloudEvent: missing header(s) {', '.join('ce_' + m for m in missing)}")
    content_type = header_map.get("content-type", b"application/json").decode(errors="replace")
    if not content_type.startswith("application/json"):
        raise MalformedMessage(f"unsupported content-type {content_type!r}")
    try:
        event = from_binary(
            KafkaMessage(header_map, key, value or b""),
            data_unmarshaller=lambda raw: json.loads(raw) if raw else None,
        )
    except Exception as exc:
        raise MalformedMessage(f"unreadable CloudEvent: {exc}") from exc
    data = event.get_data()
    if not isinstance(data, dict):
        raise MalformedMessage("payload is not a JSON object")
    try:
        time = datetime.fromisoformat(event["time"]) if event.get("time") else datetime.now(UTC)
    except ValueError as exc:
        raise MalformedMessage(f"invalid ce_time {event.get('time')!r}") from exc
    partition_key = event.get("partitionkey")
    if isinstance(partition_key, bytes):
        partition_key = partition_key.decode(errors="replace")
    trace = {name: header_map[name].decode() for name in TRACE_HEADERS if name in header_map}
    return Envelope(
        id=event["id"], type=event["type"], source=event["source"], key=partition_key or "",
        data=data, time=time, dataschema=event.get("dataschema"), trace=trace,
        sequence=parse_sequence(event.get("sequence")),
    )


def format_sequence(sequence: int) -> str:
    return str(sequence).zfill(SEQUENCE_DIGITS)


def parse_sequence(raw: object) -> int | None:
    """The sequence attribute as a number; None when absent (events from before sequences)."""
    if raw is None:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    try:
        value = int(str(raw))
    except ValueError as exc:
        raise MalformedMessage(f"invalid ce_sequence {raw!r}") from exc
    if value < 1:
        raise MalformedMessage(f"invalid ce_sequence {raw!r}")
    return value
