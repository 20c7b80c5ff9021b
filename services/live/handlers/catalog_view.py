"""Keeps live's view of catalog's listings (what may be showcased and put on a deal) current,
and arms or refuses flash deals when catalog answers for their stock."""

from __future__ import annotations

import asyncpg

from libs.db.transaction import after_commit
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as events
from libs.events.schemas import live as live_events
from libs.outbox import enqueue
from services.live.adapters import deals_repository, sessions_repository
from services.live.components import LiveComponents
from services.live.handlers import video_sales
from services.live.use_cases import deal_clock


async def on_product_published(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.ProductPublished) -> None:
    await sessions_repository.upsert_listing(conn, [
        (s.sku_id, event.product_id, event.seller_id, s.price_minor, s.currency)
        for s in event.skus])


async def on_product_updated(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.ProductUpdated) -> None:
    await sessions_repository.set_prices(conn, [(s.sku_id, s.price_minor) for s in event.skus])


async def on_product_withdrawn(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.ProductSubmitted | events.ProductRejected
                               | events.ProductDeactivated) -> None:
    await sessions_repository.set_product_live(conn, event.product_id, False)


async def on_seller_registered(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.SellerRegistered) -> None:
    await sessions_repository.set_standing(conn, event.seller_id, "pending_verification")


async def on_seller_verified(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.SellerVerified) -> None:
    await sessions_repository.set_standing(conn, event.seller_id, "verified")


async def on_seller_suspended(conn: asyncpg.Connection, envelope: Envelope,
                              event: events.SellerSuspended) -> None:
    await sessions_repository.set_standing(conn, event.seller_id, "suspended")
    await sessions_repository.set_seller_live(conn, event.seller_id, False)
    await video_sales.unpublish_suspended(conn, event.seller_id)


async def on_seller_reinstated(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.SellerReinstated) -> None:
    await sessions_repository.set_standing(conn, event.seller_id, "verified")
    await sessions_repository.set_seller_live(conn, event.seller_id, True)


async def on_inventory_adjusted(conn: asyncpg.Connection, envelope: Envelope,
                                event: events.InventoryAdjusted) -> None:
    await sessions_repository.set_available(conn, event.sku_id, event.level.available)


async def on_stock_set_aside(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.InventoryReserved, *, live: LiveComponents) -> None:
    """Catalog reserved a deal's units (its `order_id` is the deal's id): the deal can open."""
    deal = await deals_repository.get(conn, event.order_id, for_update=True)
    if deal is None or deal["status"] != "awaiting_stock":
        return  # an order's reservation, or a deal already decided
    await live.claims.arm(deal["id"], quantity=deal["quantity"],
                          per_buyer_limit=deal["per_buyer_limit"], starts_at=deal["starts_at"],
                          ends_at=deal["ends_at"])
    await deals_repository.set_status(conn, deal["id"], "ready", expected=("awaiting_stock",))
    await deal_clock.schedule_start(conn, deal)


async def on_stock_refused(conn: asyncpg.Connection, envelope: Envelope,
                           event: events.InventoryReservationFailed, *,
                           live: LiveComponents) -> None:
    deal = await deals_repository.get(conn, event.order_id, for_update=True)
    if deal is None or deal["status"] != "awaiting_stock":
        return
    await deals_repository.set_status(conn, deal["id"], "refused", expected=("awaiting_stock",),
                                      unclaimed_at_end=deal["quantity"])
    short = event.short_lines[0] if event.short_lines else None
    await enqueue(conn, "live", live_events.LiveDealEnded(
        deal_id=deal["id"], session_id=deal["session_id"], sku_id=deal["sku_id"],
        reason="stock_refused", unclaimed_units=0, ended_at=envelope.time))
    data = {"deal_id": str(deal["id"]), "reason": short.reason if short else "refused",
            "available": short.available if short else None}
    session_id = deal["session_id"]
    after_commit(lambda: live.feed.publish(session_id, "deal.refused", data))
