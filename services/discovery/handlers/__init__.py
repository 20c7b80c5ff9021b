"""Event handlers of the discovery service, by event type."""

from __future__ import annotations

import asyncpg

from libs.auth import api_key_replica
from libs.consumer import BatchHandler, Handler
from libs.events.envelope import Envelope
from libs.events.schemas.orders import OrderCancelled, OrderConfirmed, OrderPlaced
from libs.privacy_answers import handlers as privacy_handlers
from services.discovery.adapters.privacy_map import PRIVACY_MAP
from services.discovery.handlers.showcase import HANDLERS as SHOWCASE
from services.discovery.settings import DiscoverySettings
from services.discovery.use_cases import orders_news


def handlers(settings: DiscoverySettings) -> dict[str, Handler]:
    async def on_order_placed(conn: asyncpg.Connection, envelope: Envelope,
                              event: OrderPlaced) -> None:
        await orders_news.placed(conn, event)

    async def on_order_confirmed(conn: asyncpg.Connection, envelope: Envelope,
                                 event: OrderConfirmed) -> None:
        await orders_news.confirmed(conn, settings, event)

    async def on_order_cancelled(conn: asyncpg.Connection, envelope: Envelope,
                                 event: OrderCancelled) -> None:
        await orders_news.cancelled(conn, event)

    return {**SHOWCASE, "order.placed": on_order_placed, "order.confirmed": on_order_confirmed,
            "order.cancelled": on_order_cancelled, **api_key_replica.HANDLERS,
            **privacy_handlers(PRIVACY_MAP)}


def batch_handlers(settings: DiscoverySettings) -> dict[str, BatchHandler]:
    """A run of paid orders counts its purchases in one write per market, and a run of placed
    ones is remembered in one statement (`libs.consumer`)."""
    async def on_orders_placed(conn: asyncpg.Connection,
                               placed: list[tuple[Envelope, OrderPlaced]]) -> None:
        await orders_news.placed_many(conn, [event for _, event in placed])

    async def on_orders_confirmed(conn: asyncpg.Connection,
                                  confirmed: list[tuple[Envelope, OrderConfirmed]]) -> None:
        await orders_news.confirmed_many(conn, settings, [event for _, event in confirmed])

    return {"order.placed": on_orders_placed, "order.confirmed": on_orders_confirmed}


async def seller_standing(db: asyncpg.Connection | asyncpg.Pool, seller_id: object) -> str | None:
    standing: str | None = await db.fetchval("SELECT standing FROM sellers WHERE id = $1",
                                             seller_id)
    return standing
