"""Runs after the journeys (the file name sorts last): every event the services published in
this test session carries a CloudEvents `sequence` that counts 1, 2, 3... per aggregate on its
topic, in the order the topic holds them."""

from __future__ import annotations

from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.db.provision import SERVICES
from libs.events.catalogue import TOPICS
from libs.testing import header


async def _everything(bootstrap: str) -> list[tuple[str, object]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        existing = await consumer.topics()
        partitions = [TopicPartition(topic, p) for topic in TOPICS if topic in existing
                      for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        for partition in partitions:  # not seek_to_beginning: the local broker sometimes
            consumer.seek(partition, 0)  # misreports the earliest offset
        ends = await consumer.end_offsets(partitions)
        records: list[tuple[str, object]] = []
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            batch = await consumer.getmany(timeout_ms=500)
            for tp, recs in batch.items():
                records.extend((tp.topic, r) for r in recs if r.offset < ends[tp])
        return records
    finally:
        await consumer.stop()


@pytest.mark.kafka
async def test_every_published_event_counts_one_two_three_per_aggregate(
    kafka_bootstrap: str,
) -> None:
    records = await _everything(kafka_bootstrap)
    by_aggregate: dict[tuple[str, bytes], list[int]] = defaultdict(list)
    seen: set[str] = set()
    checked = 0
    for topic, record in records:
        if header(record, "ce_source") not in SERVICES:
            continue  # published by a test standing in for a service not yet built
        event_id = header(record, "ce_id") or ""
        if event_id in seen:
            continue  # a re-send after a lost acknowledgement: consumers dedupe by id
        seen.add(event_id)
        sequence = header(record, "ce_sequence")
        assert sequence is not None, f"{topic}: {header(record, 'ce_type')} has no sequence"
        by_aggregate[(topic, record.key)].append(int(sequence))  # type: ignore[attr-defined]
        checked += 1
    assert checked > 100, f"only {checked} service events on the topics: did the journeys run?"
    gaps = {f"{topic}/{key!r}": seqs for (topic, key), seqs in by_aggregate.items()
            if seqs != list(range(1, len(seqs) + 1))}
    assert not gaps, f"aggregates whose sequences do not run 1, 2, 3...: {dict(list(gaps.items())[:5])}"
