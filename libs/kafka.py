"""Kafka clients configured the same way everywhere."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import OutOfOrderSequenceNumber, ProducerFenced, TopicAlreadyExistsError

log = logging.getLogger(__name__)

PRODUCER_STUCK_ERRORS: tuple[type[Exception], ...] = (OutOfOrderSequenceNumber, ProducerFenced)
"""Send failures after which an idempotent aiokafka producer (0.12) never sends to that
partition again: it keeps its producer id and sequence numbers, which the broker refuses from
then on (aio-libs/aiokafka#1017). The producer must be replaced; a new one gets a new id. Seen
on Apache Kafka in CI: a service's relay failed every later publish, 370 events at a time."""


def create_producer(bootstrap_servers: str, client_id: str, *,
                    idempotent: bool) -> AIOKafkaProducer:
    """acks=all: a record counts as published only once the in-sync replicas have it.

    `idempotent` (on for Apache Kafka and any broker that supports it) makes the broker drop a
    batch the producer re-sends after a lost acknowledgement, so a retry neither duplicates nor
    reorders. aiokafka keeps at most one request in flight per partition either way, so a
    retried batch can never land behind a later one of the same key. The quick local broker
    (tansu) does not implement idempotent producing; the dev stack turns it off there, and
    consumers still dedupe by event id.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, client_id=client_id, acks="all",
        enable_idempotence=idempotent, linger_ms=5, request_timeout_ms=15000,
    )


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[str], *, partitions: int = 3, replication: int = 1,
) -> None:
    """Create the topics that do not exist yet (idempotent; safe from several services)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return
        with contextlib.suppress(TopicAlreadyExistsError):  # another service was quicker
            await admin.create_topics(
                [NewTopic(name=t, num_partitions=partitions, replication_factor=replication)
                 for t in missing]
            )
        log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()
