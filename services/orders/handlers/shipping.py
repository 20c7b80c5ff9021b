"""Orders' side of fulfillment: rate cards to quote from, promises to keep, parcels delivered
or back at their sender."""

from __future__ import annotations

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas import fulfillment as events
from services.orders.adapters import rates_repository


async def on_rates_published(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.ShippingRatesPublished) -> None:
    await rates_repository.save(conn, event.model_dump(mode="json"))
