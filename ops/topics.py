"""Every topic the marketplace uses, created before the first rollout: each catalogued event
topic and each service's dead-letter topic. Services create what is missing at start-up too,
but on a production cluster the partition and replica counts are the operator's choice, and
brokers often refuse automatic creation."""

from __future__ import annotations

from libs.events.catalogue import TOPICS, dead_letter_topic
from libs.kafka import ensure_topics
from ops.backlog import SERVICES


def every_topic() -> list[str]:
    return sorted(TOPICS) + [dead_letter_topic(service) for service in SERVICES]


async def create_topics(bootstrap: str, partitions: int, replication: int) -> list[str]:
    """Creates what does not exist yet (existing topics keep their counts); returns every
    topic the marketplace needs."""
    if partitions < 1 or replication < 1:
        raise SystemExit("--partitions and --replication must be at least 1")
    topics = every_topic()
    await ensure_topics(bootstrap, topics, partitions=partitions, replication=replication)
    return topics
