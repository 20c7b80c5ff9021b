"""Many paid orders' stock committed at once: the other half of a hot SKU's traffic.

One at a time, each `order.confirmed` locked its SKUs' rows for the rest of its consumer batch
and cost about nine round trips; a flash sale's confirmations then queued on the same rows as
its next reservations. Here a run of them takes each row's lock once, in SKU order as every
reservation does, and is written in a few statements whatever its length. The ledger keeps
one movement per order line, with the levels as they were after that line, exactly as if the
orders had been committed one by one in the order they were confirmed.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs import deadlines
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as events
from libs.events.schemas.orders import OrderConfirmed
from libs.outbox import enqueue
from services.catalog.adapters import stock_repository
from services.catalog.use_cases.inventory import (
    RESERVATION_EXPIRY,
    SOURCE,
    evict_products_of,
)

REASON = "order confirmed"


async def on_order_confirmed(conn: asyncpg.Connection, envelope: Envelope,
                             event: OrderConfirmed) -> None:
    """A lone confirmation is a run of one: the rule has one definition."""
    await on_orders_confirmed(conn, [(envelope, event)])


async def on_orders_confirmed(conn: asyncpg.Connection,
                              confirmed: list[tuple[Envelope, OrderConfirmed]]) -> None:
    """Paid orders' reserved units leave stock on hand. A reservation no longer active
    (already committed, released or expired) is left as it is."""
    order_ids = list(dict.fromkeys(event.order_id for _, event in confirmed))
    reservations = await stock_repository.active_reservations(conn, order_ids)
    if not reservations:
        return
    sku_ids = sorted({sku_id for _, lines in reservations.values() for sku_id, _ in lines})
    locked = await stock_repository.lock_levels(conn, sku_ids)
    levels = {sku_id: level for sku_id, (level, _) in locked.items()}
    movements: list[tuple[UUID, int, int, str]] = []
    committed = [order_id for order_id in order_ids if order_id in reservations]
    for order_id in committed:
        reservation_id, lines = reservations[order_id]
        for sku_id, quantity in lines:
            level = levels[sku_id] = levels[sku_id].committed(quantity)
            movements.append((sku_id, level.on_hand, level.reserved, str(reservation_id)))
    await stock_repository.commit_many(
        conn, [reservations[o][0] for o in committed], [levels[s] for s in sku_ids], movements,
        REASON)
    await deadlines.cancel_many(conn, committed, RESERVATION_EXPIRY)
    await enqueue(conn, SOURCE, *[events.InventoryCommitted(
        order_id=order_id, reservation_id=reservations[order_id][0]) for order_id in committed])
    await evict_products_of(conn, sku_ids)
