"""Event handlers of the webhooks service: every public event is recorded for its seller and
queued for the seller's endpoints; sellers' standing and API keys are kept from catalog."""

from __future__ import annotations

import asyncpg

from libs.auth import api_key_replica
from libs.consumer import Handler
from libs.events.catalogue import all_event_types
from libs.events.envelope import Envelope
from libs.events.registry import EVENT_TYPES
from libs.events.schemas import catalog
from libs.privacy_answers import handlers as privacy_handlers
from services.webhooks.adapters.privacy_map import PRIVACY_MAP
from services.webhooks.use_cases import intake


async def _standing(conn: asyncpg.Connection, seller_id: object, status: str) -> None:
    await conn.execute("""INSERT INTO sellers (seller_id, status) VALUES ($1, $2)
                          ON CONFLICT (seller_id) DO UPDATE SET status = $2""", seller_id, status)


async def on_seller_suspended(conn: asyncpg.Connection, envelope: Envelope,
                              event: catalog.SellerSuspended) -> None:
    await intake.record(conn, envelope, event)
    await _standing(conn, event.seller_id, "suspended")


async def on_seller_reinstated(conn: asyncpg.Connection, envelope: Envelope,
                               event: catalog.SellerReinstated) -> None:
    await intake.record(conn, envelope, event)
    await _standing(conn, event.seller_id, "verified")


async def seller_standing(conn: asyncpg.Connection | asyncpg.Pool, seller_id: object) -> str | None:
    status: str | None = await conn.fetchval("SELECT status FROM sellers WHERE seller_id = $1",
                                             seller_id)
    return status


def handlers() -> dict[str, Handler]:
    all_event_types()
    found: dict[str, Handler] = {t: intake.record for t, cls in EVENT_TYPES.items() if cls.public}
    found.update({"seller.suspended": on_seller_suspended,
                  "seller.reinstated": on_seller_reinstated, **api_key_replica.HANDLERS,
                  **privacy_handlers(PRIVACY_MAP)})
    return found


HANDLERS = handlers()
BATCH_HANDLERS = {t: intake.record_many for t, handler in HANDLERS.items()
                  if handler is intake.record}
"""Consecutive public events, of whatever types, are recorded at once (`libs.consumer`)."""
