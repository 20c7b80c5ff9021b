"""Discovery's read model of what can be shown, kept from catalog's and live's events."""

from __future__ import annotations

import asyncpg

from libs.consumer import Handler
from libs.events.envelope import Envelope
from libs.events.schemas import catalog, live
from services.discovery.adapters import showcase_repository as showcase


async def on_seller_registered(conn: asyncpg.Connection, envelope: Envelope,
                               event: catalog.SellerRegistered) -> None:
    await showcase.upsert_seller(conn, event.seller_id, event.market, event.currency)


async def on_seller_verified(conn: asyncpg.Connection, envelope: Envelope,
                             event: catalog.SellerVerified) -> None:
    await showcase.set_standing(conn, event.seller_id, "active")


async def on_seller_suspended(conn: asyncpg.Connection, envelope: Envelope,
                              event: catalog.SellerSuspended) -> None:
    """Its products, sessions, videos and campaigns leave every feed and auction at once (they
    are joined with the seller's standing), and come back if it is reinstated."""
    await showcase.set_standing(conn, event.seller_id, "suspended")


async def on_seller_reinstated(conn: asyncpg.Connection, envelope: Envelope,
                               event: catalog.SellerReinstated) -> None:
    await showcase.set_standing(conn, event.seller_id, "active")


async def on_product_published(conn: asyncpg.Connection, envelope: Envelope,
                               event: catalog.ProductPublished) -> None:
    cheapest = min(event.skus, key=lambda s: s.price_minor)
    await showcase.publish_product(
        conn, product_id=event.product_id, seller_id=event.seller_id,
        category_id=event.category_id, market=event.market, title=event.title,
        age_restricted=event.age_restricted, price_minor=cheapest.price_minor,
        currency=cheapest.currency, sku_ids=[s.sku_id for s in event.skus],
        available={s.sku_id: s.available for s in event.skus if s.available is not None},
        published_at=event.published_at)


async def on_product_updated(conn: asyncpg.Connection, envelope: Envelope,
                             event: catalog.ProductUpdated) -> None:
    await showcase.set_price(conn, event.product_id, min(s.price_minor for s in event.skus))


async def on_product_withdrawn(conn: asyncpg.Connection, envelope: Envelope,
                               event: catalog.ProductSubmitted | catalog.ProductRejected
                               | catalog.ProductDeactivated) -> None:
    """Sent back to review, rejected or deactivated: not shown until published again."""
    await showcase.withdraw_product(conn, event.product_id)


async def on_inventory_adjusted(conn: asyncpg.Connection, envelope: Envelope,
                                event: catalog.InventoryAdjusted) -> None:
    await showcase.set_sku_available(conn, event.sku_id, event.level.available > 0)


async def on_sold_out(conn: asyncpg.Connection, envelope: Envelope,
                      event: catalog.InventorySoldOut) -> None:
    await showcase.set_sku_available(conn, event.sku_id, False)


async def on_back_in_stock(conn: asyncpg.Connection, envelope: Envelope,
                           event: catalog.InventoryBackInStock) -> None:
    await showcase.set_sku_available(conn, event.sku_id, True)


async def on_session_scheduled(conn: asyncpg.Connection, envelope: Envelope,
                               event: live.LiveSessionScheduled) -> None:
    await showcase.upsert_session(conn, event.session_id, event.seller_id, event.title,
                                  "scheduled", envelope.time)


async def on_session_started(conn: asyncpg.Connection, envelope: Envelope,
                             event: live.LiveSessionStarted) -> None:
    await showcase.upsert_session(conn, event.session_id, event.seller_id, None, "live",
                                  event.started_at)


async def on_session_ended(conn: asyncpg.Connection, envelope: Envelope,
                           event: live.LiveSessionEnded) -> None:
    await showcase.upsert_session(conn, event.session_id, event.seller_id, None, "ended",
                                  event.ended_at)


async def on_session_cancelled(conn: asyncpg.Connection, envelope: Envelope,
                               event: live.LiveSessionCancelled) -> None:
    await showcase.upsert_session(conn, event.session_id, event.seller_id, None, "cancelled",
                                  event.cancelled_at)


async def on_video_published(conn: asyncpg.Connection, envelope: Envelope,
                             event: live.VideoPublished) -> None:
    await showcase.publish_video(
        conn, video_id=event.video_id, market=event.market, author_kind=event.author_kind,
        author_id=event.author_id, title=event.title, thumbnail_url=event.thumbnail_url,
        product_ids=event.product_ids, published_at=event.published_at)


async def on_video_unpublished(conn: asyncpg.Connection, envelope: Envelope,
                               event: live.VideoUnpublished) -> None:
    await showcase.unpublish_video(conn, event.video_id)


async def on_video_product_tagged(conn: asyncpg.Connection, envelope: Envelope,
                                  event: live.VideoProductTagged) -> None:
    await showcase.tag_products(conn, event.video_id, [event.product_id])


HANDLERS: dict[str, Handler] = {
    "seller.registered": on_seller_registered,
    "seller.verified": on_seller_verified,
    "seller.suspended": on_seller_suspended,
    "seller.reinstated": on_seller_reinstated,
    "product.published": on_product_published,
    "product.updated": on_product_updated,
    "product.submitted": on_product_withdrawn,
    "product.rejected": on_product_withdrawn,
    "product.deactivated": on_product_withdrawn,
    "inventory.adjusted": on_inventory_adjusted,
    "inventory.sold_out": on_sold_out,
    "inventory.back_in_stock": on_back_in_stock,
    "live.session.scheduled": on_session_scheduled,
    "live.session.started": on_session_started,
    "live.session.ended": on_session_ended,
    "live.session.cancelled": on_session_cancelled,
    "video.published": on_video_published,
    "video.unpublished": on_video_unpublished,
    "video.product_tagged": on_video_product_tagged,
}
