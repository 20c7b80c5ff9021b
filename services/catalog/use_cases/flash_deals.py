"""What catalog does for live's flash deals: it sets a deal's units aside, and hands back
what the deal, its expired claims and its cancelled orders leave unsold."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas.live import (
    LiveClaimExpired,
    LiveClaimReleased,
    LiveDealCreated,
    LiveDealEnded,
)
from services.catalog.adapters import stock_repository
from services.catalog.use_cases import deal_stock
from services.catalog.use_cases.inventory import evict_products_of, reserve

DEAL_HOLD_MARGIN = timedelta(minutes=10)


async def release_deal_units(conn: asyncpg.Connection, deal_id: UUID, sku_id: UUID,
                             quantity: int, reason: str) -> None:
    if quantity > 0 and await stock_repository.release_from_set_aside(conn, deal_id, sku_id,
                                                                      quantity, reason):
        await evict_products_of(conn, [sku_id])


async def on_deal_created(conn: asyncpg.Connection, envelope: Envelope,
                          event: LiveDealCreated) -> None:
    """A flash deal's units are set aside until the last claim could be paid for (a margin
    later, the sweeper hands back whatever live never accounted for)."""
    await reserve(conn, event.deal_id, [(event.sku_id, event.quantity)],
                  event.hold_until + DEAL_HOLD_MARGIN)


async def on_deal_ended(conn: asyncpg.Connection, envelope: Envelope,
                        event: LiveDealEnded) -> None:
    await release_deal_units(conn, event.deal_id, event.sku_id, event.unclaimed_units,
                             "flash deal ended: unclaimed units")


async def on_claim_expired(conn: asyncpg.Connection, envelope: Envelope,
                           event: LiveClaimExpired) -> None:
    if event.returned_to == "stock":
        await release_deal_units(conn, event.deal_id, event.sku_id, event.quantity,
                                 "flash deal claim expired after the deal")


async def on_claim_released(conn: asyncpg.Connection, envelope: Envelope,
                            event: LiveClaimReleased) -> None:
    """A cancelled order's claim: back with its buyer or the running deal, its units stay in
    the set-aside; settled to stock, they are freed."""
    if event.returned_to == "stock" and await deal_stock.release_settled_claim(
            conn, event.order_id, event.deal_id, event.sku_id, event.quantity):
        await evict_products_of(conn, [event.sku_id])
