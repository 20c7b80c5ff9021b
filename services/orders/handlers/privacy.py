"""Orders' answer to privacy requests, and the notice sellers get when one of their buyers is
erased: each seller hears which of its orders to redact (through webhooks), never who the
buyer was."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from libs.consumer import Handler
from libs.events.schemas.orders import BuyerRedactionRequested
from libs.events.schemas.privacy import ErasureRequested
from libs.outbox import enqueue
from libs.privacy_answers import handlers as privacy_handlers
from services.orders.adapters.privacy_map import PRIVACY_MAP

NOTICE_ORDERS = 10_000
"""Orders named per notice; a buyer with more gets several notices."""


async def tell_sellers(conn: asyncpg.Connection, event: ErasureRequested) -> None:
    """Runs after the sweep: the buyer's orders now carry the pseudonym."""
    rows = await conn.fetch(
        """SELECT seller_id, array_agg(id ORDER BY created_at) AS order_ids FROM orders
            WHERE buyer_id = $1 GROUP BY seller_id ORDER BY seller_id""", event.pseudonym)
    now = datetime.now(UTC)
    await enqueue(conn, "orders", *[
        BuyerRedactionRequested(seller_id=row["seller_id"], request_id=event.request_id,
                                pseudonym=event.pseudonym, order_ids=ids, requested_at=now)
        for row in rows
        for ids in (row["order_ids"][i:i + NOTICE_ORDERS]
                    for i in range(0, len(row["order_ids"]), NOTICE_ORDERS))])


HANDLERS: dict[str, Handler] = privacy_handlers(PRIVACY_MAP, after_erasure=tell_sellers)
