"""Many orders' reservations decided at once: how a hot SKU keeps up with a flash sale.

One at a time, each `order.placed` costs a handful of round trips to Postgres, and a sale of one
SKU serialises on its stock row. Here the consumer hands over a run of them: the simple ones
(one SKU, no flash-deal units) are decided together, first come first served, under one lock
of their SKUs' rows, and written in a few statements whatever their number; any other order is
decided by `inventory.reserve_for_order` in its turn, so the order of arrival is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.events.base import Event
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as events
from libs.events.schemas.orders import OrderPlaced
from libs.ids import new_id
from libs.outbox import enqueue
from services.catalog.adapters import stock_repository
from services.catalog.domain.stock import Allocation, Request, StockLevel, allocate, merge_lines
from services.catalog.use_cases.inventory import (
    RESERVATION_EXPIRY,
    SOURCE,
    evict_after_commit,
    reserve_for_order,
)
from services.catalog.use_cases.stock_news import availability_news, level_changes


def _simple(order: OrderPlaced) -> bool:
    return len(merge_lines([(line.sku_id, line.quantity) for line in order.lines])) == 1 and all(
        line.deal_id is None for line in order.lines)


async def on_orders_placed(conn: asyncpg.Connection,
                           placed: list[tuple[Envelope, OrderPlaced]]) -> None:
    """The batch form of `inventory.on_order_placed`."""
    run: list[OrderPlaced] = []
    for _, order in placed:
        if _simple(order):
            run.append(order)
            continue
        if run:
            await reserve_simple(conn, run)
            run = []
        await reserve_for_order(conn, order)
    if run:
        await reserve_simple(conn, run)


async def reserve_simple(conn: asyncpg.Connection, orders: list[OrderPlaced]) -> None:
    """Single-SKU orders without deal units, decided in arrival order in a few statements."""
    unique: dict[UUID, OrderPlaced] = {}
    for order in orders:  # an order placed twice (a replayed command) is decided once
        unique.setdefault(order.order_id, order)
    decided, products = await stock_repository.decided_and_products_many(
        conn, list(unique), list({o.lines[0].sku_id for o in unique.values()}))
    todo = [o for o in unique.values() if o.order_id not in decided]
    if not todo:
        return
    requests = [Request(o.order_id, o.lines[0].sku_id, sum(line.quantity for line in o.lines))
                for o in todo]
    locked = await stock_repository.lock_levels(conn, sorted({r.sku_id for r in requests}))
    before = {sku_id: level for sku_id, (level, _) in locked.items()}
    allocations, after = allocate(requests, before, set(products))
    now = datetime.now(UTC)
    expiry = {o.order_id: now + timedelta(seconds=o.reserve_for_seconds) for o in todo}
    held = [a for a in allocations if a.shortfall is None]
    if held:
        holds = [(new_id(), a.request.owner_id, a.request.sku_id, a.request.quantity,
                  expiry[a.request.owner_id]) for a in held]
        changed = {a.request.sku_id for a in held}
        await stock_repository.hold_many(conn, [after[sku_id] for sku_id in sorted(changed)],
                                         holds)
        await deadlines.schedule_many(conn, RESERVATION_EXPIRY,
                                      [(owner, expires_at) for _, owner, _, _, expires_at in holds])
        evict_after_commit({products[sku_id] for sku_id in changed})
    else:
        holds = []
    await enqueue(conn, SOURCE, *_outcomes(allocations, holds),
                  *_low_stock(before, after, {k: seller for k, (_, seller) in locked.items()}),
                  *availability_news(level_changes((before[k], after[k]) for k in sorted(after))))


def _outcomes(allocations: list[Allocation],
              holds: list[tuple[UUID, UUID, UUID, int, datetime]]) -> list[Event]:
    reservation_of = {owner: (reservation_id, expires_at)
                      for reservation_id, owner, _, _, expires_at in holds}
    outcomes: list[Event] = []
    for allocation in allocations:
        request, short = allocation.request, allocation.shortfall
        if short is None:
            reservation_id, expires_at = reservation_of[request.owner_id]
            outcomes.append(events.InventoryReserved(
                order_id=request.owner_id, reservation_id=reservation_id,
                lines=[events.ReservedLine(sku_id=request.sku_id, quantity=request.quantity)],
                expires_at=expires_at))
        else:
            outcomes.append(events.InventoryReservationFailed(
                order_id=request.owner_id, short_lines=[events.ShortLine(
                    sku_id=short.sku_id, requested=short.requested, available=short.available,
                    reason=short.reason)]))  # type: ignore[arg-type]
    return outcomes


def _low_stock(before: dict[UUID, StockLevel], after: dict[UUID, StockLevel],
               sellers: dict[UUID, UUID]) -> list[Event]:
    return [events.InventoryLowStock(sku_id=sku_id, seller_id=sellers[sku_id],
                                     available=level.available,
                                     threshold=level.low_stock_threshold)
            for sku_id, level in after.items() if level.crossed_below_threshold(before[sku_id])]
