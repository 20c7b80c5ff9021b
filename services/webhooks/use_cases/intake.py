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
    await record_many(conn, [(envelope, event)])


async def record_many(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> None:
    """Public events in the order consumed: four statements however many there are."""
    named = []
    for envelope, event in items:
        if getattr(event, "seller_id", None) is None:  # from before events named their seller
            log.info("public event %s (%s) names no seller; not delivered", envelope.id,
                     envelope.type)
        else:
            named.append((envelope, event))
    if not named:
        return
    positions = await repository.add_events(conn, [repository.NewEvent(
        event_id=UUID(envelope.id), seller_id=event.seller_id, type=envelope.type,
        topic=event.topic, aggregate_id=event.key, occurred_at=envelope.time,
        data=event.model_dump(mode="json")) for envelope, event in named])
    recorded = [(positions[UUID(envelope.id)], envelope, event) for envelope, event in named
                if UUID(envelope.id) in positions]
    if not recorded:
        return
    endpoints = await repository.active_endpoints(
        conn, sorted({event.seller_id for _, _, event in recorded}))
    await repository.add_deliveries(conn, [
        (new_id(), endpoint["id"], seq, event.key)
        for seq, envelope, event in recorded for endpoint in endpoints
        if endpoint["seller_id"] == event.seller_id
        and wants(endpoint["event_types"], envelope.type)])
