"""Inspecting and replaying a consumer group's dead-letter topic (`dlq.<group>`).

A dead letter keeps the original record (key, value, CloudEvents headers) and says why it was
set aside (`dlq_reason`), from where (`dlq_original_topic`, partition, offset) and when
(`dlq_failed_at`). Replaying publishes the original record again to its original topic. Every
consumer dedupes by event id in its inbox, so groups that handled the event already ignore the
copy, and the group that dead-lettered it applies it now (or dead-letters it again, with the
new reason, if what made it fail is still true). A replayed event arrives after newer events
of the same aggregate: replay once the cause is fixed, not as a matter of course.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.events.catalogue import dead_letter_topic
from libs.kafka import create_producer

DLQ_HEADERS = ("dlq_reason", "dlq_consumer_group", "dlq_original_topic",
               "dlq_original_partition", "dlq_original_offset", "dlq_failed_at")


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    partition: int
    event_id: str | None
    event_type: str | None
    reason: str
    original_topic: str
    failed_at: datetime | None
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def summary(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "type": self.event_type,
                "topic": self.original_topic, "failed_at": self.failed_at.isoformat()
                if self.failed_at else None, "reason": self.reason,
                "dlq_position": f"{self.partition}@{self.offset}"}


def _header(headers: list[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name and value is not None:
            return value.decode(errors="replace")
    return None


def _dead_letter(record: Any) -> DeadLetter:
    headers = list(record.headers or ())
    failed = _header(headers, "dlq_failed_at")
    return DeadLetter(
        offset=record.offset, partition=record.partition, event_id=_header(headers, "ce_id"),
        event_type=_header(headers, "ce_type"), reason=_header(headers, "dlq_reason") or "",
        original_topic=_header(headers, "dlq_original_topic") or "",
        failed_at=datetime.fromisoformat(failed) if failed else None, key=record.key,
        value=record.value, headers=headers)


async def read(bootstrap: str, group: str) -> list[DeadLetter]:
    """Every dead letter of `group`, oldest first per partition (read without a consumer
    group, up to the end the topic has now: it disturbs nothing)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        topic = dead_letter_topic(group)
        numbers: set[int] = set()
        for _ in range(25):  # a broker's metadata can lag a moment behind its topics
            if topic in await consumer.topics():  # (which also refreshes the metadata)
                numbers = consumer.partitions_for_topic(topic) or set()
            if numbers:
                break
            await asyncio.sleep(0.2)
        assignment = [TopicPartition(topic, p) for p in sorted(numbers)]
        if not assignment:
            return []
        consumer.assign(assignment)
        ends = await consumer.end_offsets(assignment)
        for partition in assignment:  # offset 0, or the earliest kept if retention removed it
            consumer.seek(partition, 0)  # (some brokers misreport the earliest offset)
        letters: list[DeadLetter] = []
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in assignment])

        while await behind():
            batch = await consumer.getmany(*assignment, timeout_ms=500)
            for records in batch.values():
                letters.extend(_dead_letter(r) for r in records
                               if r.offset < ends[TopicPartition(r.topic, r.partition)])
        return letters
    finally:
        await consumer.stop()


def chosen(event_ids: set[str] | None, since: datetime | None,
           until: datetime | None) -> Callable[[DeadLetter], bool]:
    """Which dead letters a replay takes: by event id, or by when they failed."""
    def pick(letter: DeadLetter) -> bool:
        if event_ids is not None:
            return letter.event_id in event_ids
        if letter.failed_at is None:
            return False
        return ((since is None or letter.failed_at >= since)
                and (until is None or letter.failed_at < until))
    return pick


async def replay(bootstrap: str, group: str, pick: Callable[[DeadLetter], bool], *,
                 idempotent: bool, dry_run: bool = False) -> list[DeadLetter]:
    """Publishes the picked dead letters to their original topics; returns them."""
    picked = [letter for letter in await read(bootstrap, group)
              if pick(letter) and letter.original_topic]
    if dry_run or not picked:
        return picked
    producer = create_producer(bootstrap, "ops-dlq-replay", idempotent=idempotent)
    await producer.start()
    try:
        for letter in picked:
            headers = [(k, v) for k, v in letter.headers if k not in DLQ_HEADERS]
            headers.append(("replayed_from", f"{dead_letter_topic(group)}:{letter.partition}"
                                             f"@{letter.offset}".encode()))
            await producer.send_and_wait(letter.original_topic, value=letter.value,
                                         key=letter.key, headers=headers)
    finally:
        await producer.stop()
    return picked
