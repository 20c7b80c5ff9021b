"""Kafka clients configured the same way everywhere."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


def create_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    # acks=all: a record counts as published only once the in-sync replicas have it.
    # Idempotent producing is off: the outbox relay already tolerates re-sends (consumers dedupe
    # by event id) and Kafka-protocol brokers used for local development do not all support it.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, client_id=client_id, acks="all",
        enable_idempotence=False, linger_ms=5, request_timeout_ms=15000,
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
