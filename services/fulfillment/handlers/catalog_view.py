"""What fulfillment keeps of catalog: sellers' standing (only verified sellers send stock in)
and which seller owns each SKU (a seller plans inbound shipments of its own SKUs only)."""

from __future__ import annotations

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas import catalog as events
from services.fulfillment.adapters import views_repository


async def on_seller_registered(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.SellerRegistered) -> None:
    await views_repository.set_seller_status(conn, event.seller_id, "pending", event.market)


async def on_seller_verified(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.SellerVerified) -> None:
    await views_repository.set_seller_status(conn, event.seller_id, "verified")


async def on_seller_suspended(conn: asyncpg.Connection, envelope: Envelope,
                              event: events.SellerSuspended) -> None:
    await views_repository.set_seller_status(conn, event.seller_id, "suspended")


async def on_seller_reinstated(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.SellerReinstated) -> None:
    await views_repository.set_seller_status(conn, event.seller_id, "verified")


async def on_product_published(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.ProductPublished) -> None:
    await views_repository.add_skus(conn, event.seller_id, event.product_id,
                                    [s.sku_id for s in event.skus])
