"""Support's view and story of orders from orders' and fulfillment's news: a run of events in
a few statements (the consumer's batch handler), a lone event as a run of one."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from libs.events.base import Event
from libs.events.schemas import orders as ords
from services.support.adapters import context_repository as context
from services.support.domain import order_news


async def record_news(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """`order.placed` and the events of `order_news.NEWS`, in the order given. A placement and
    later news of the same order commute (the placement keeps a status already set), so all
    placements are written first, then each order's fields once, then the story lines."""
    placed = [order_news.placed(e) for e in events if isinstance(e, ords.OrderPlaced)]
    news = [order_news.NEWS[e.type](e) for e in events if not isinstance(e, ords.OrderPlaced)]
    new_orders = await context.add_orders(conn, placed) if placed else set()
    await context.update_orders(conn, order_news.folded(news))
    lines = []
    for order in placed:
        if order.order_id in new_orders:
            new_orders.discard(order.order_id)  # an order placed twice is told once
            lines.append(order.line)
    lines += [item.line for item in news if item.line is not None]
    await context.tell_many(conn, lines)
