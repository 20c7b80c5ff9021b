"""Keeps orders' view of catalog's listings current from catalog's events."""

from __future__ import annotations

import asyncpg

from libs.events.envelope import Envelope
from libs.events.schemas import catalog as events
from services.orders.adapters import repository


async def on_product_published(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.ProductPublished) -> None:
    await repository.upsert_skus(conn, [
        {"sku_id": s.sku_id, "product_id": event.product_id, "seller_id": event.seller_id,
         "price_minor": s.price_minor, "currency": s.currency, "market": event.market,
         "age_restricted": event.age_restricted, "weight_grams": s.weight_grams,
         "tax_class": event.tax_class, "cross_border": event.cross_border}
        for s in event.skus])


async def on_product_updated(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.ProductUpdated) -> None:
    await repository.set_prices(conn, [(s.sku_id, s.price_minor) for s in event.skus])


async def on_product_withdrawn(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.ProductSubmitted | events.ProductRejected
                               | events.ProductDeactivated) -> None:
    """Under review again, rejected or gone: not for sale until published again."""
    await repository.set_product_live(conn, event.product_id, False)


async def on_seller_registered(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.SellerRegistered) -> None:
    """A new seller is pending verification: nothing of its sells until it is verified."""
    await repository.set_seller_active(conn, event.seller_id, False)


async def on_seller_verified(conn: asyncpg.Connection, envelope: Envelope,
                             event: events.SellerVerified) -> None:
    await repository.set_seller_active(conn, event.seller_id, True)


async def on_seller_suspended(conn: asyncpg.Connection, envelope: Envelope,
                              event: events.SellerSuspended) -> None:
    await repository.set_seller_active(conn, event.seller_id, False)


async def on_seller_reinstated(conn: asyncpg.Connection, envelope: Envelope,
                               event: events.SellerReinstated) -> None:
    await repository.set_seller_active(conn, event.seller_id, True)
