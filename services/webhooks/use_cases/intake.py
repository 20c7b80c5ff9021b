"""Every public event of every service, kept for its seller (the pull feed) and queued for each
of the seller's active endpoints that wants its type. An event carries the seller it belongs
to; it is never queued for another seller's endpoint.

Its `sequence` is counted here over the public events of its topic and aggregate (the platform's
own counts private events too, which would look like gaps to a seller); events of one
aggregate reach this consumer in order, so the numbers follow publish order."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import asyncpg

from libs.events.envelope import Envelope
from libs.events.registry import EVENT_TYPES
from libs.ids import new_id
from services.webhooks.adapters import repository
from services.webhooks.domain.subscriptions import wants

log = logging.getLogger(__name__)


def public_types() -> list[str]:
    return sorted(t for t, cls in EVENT_TYPES.items() if cls.public)


async def record(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
    seller_id = getattr(event, "seller_id", None)
    if seller_id is None:  # an event from before public events named their seller
        log.info("public event %s (%s) names no seller; not delivered", envelope.id,
                 envelope.type)
        return
    seq = await repository.add_event(
        conn, event_id=UUID(envelope.id), seller_id=seller_id, type_=envelope.type,
        topic=event.topic, aggregate_id=event.key, sequence=envelope.sequence,
        occurred_at=envelope.time, data=event.model_dump(mode="json"))
    if seq is None:
        return
    await repository.number_public(conn, seq, event.topic, event.key)
    endpoints = await repository.active_endpoints(conn, seller_id)
    await repository.add_deliveries(conn, [
        (new_id(), e["id"], seq, event.key) for e in endpoints
        if wants(e["event_types"], envelope.type)])
