"""Stock use cases: what orders, fulfillment and sellers ask of catalog's inventory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.consumer import NonRetryable
from libs.db.transaction import after_commit
from libs.deadlines import Deadline, DeadlineKind
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as events
from libs.events.schemas.fulfillment import StockAdjusted, StockReceived
from libs.events.schemas.orders import OrderCancelled, OrderPlaced
from libs.ids import new_id
from libs.outbox import enqueue
from services.catalog.adapters import product_cache, stock_repository
from services.catalog.domain.stock import Availability, StockLevel, merge_lines, shortfalls
from services.catalog.use_cases import deal_stock
from services.catalog.use_cases.stock_news import availability_news, level_changes

SOURCE = "catalog"
RESERVATION_EXPIRY = "reservation_expiry"
"""The deadline that hands back a reservation's stock, keyed by the reservation's owner."""


async def evict_products_of(conn: asyncpg.Connection, sku_ids: list[UUID]) -> None:
    evict_after_commit(await stock_repository.product_of_skus(conn, sku_ids))


def evict_after_commit(products: set[UUID]) -> None:
    """The products' cached pages go once the change commits (a reader must not refill the
    cache with the old row before then)."""
    after_commit(lambda: product_cache.evict(*products))


def _level_event(level: StockLevel) -> events.StockLevel:
    return events.StockLevel(sku_id=level.sku_id, on_hand=level.on_hand,
                             reserved=level.reserved, available=level.available)


async def _low_stock_checks(conn: asyncpg.Connection,
                            changes: list[tuple[StockLevel, StockLevel]]) -> None:
    for before, after in changes:
        if after.crossed_below_threshold(before):
            seller_id = await conn.fetchval("SELECT seller_id FROM stock WHERE sku_id = $1",
                                            after.sku_id)
            await enqueue(conn, SOURCE, events.InventoryLowStock(
                sku_id=after.sku_id, seller_id=seller_id, available=after.available,
                threshold=after.low_stock_threshold))


async def _availability_news(conn: asyncpg.Connection, changes: list[Availability]) -> None:
    news = availability_news(changes)
    if news:
        await enqueue(conn, SOURCE, *news)


async def reserve_for_order(conn: asyncpg.Connection, order: OrderPlaced) -> bool:
    """All lines or none. A flash-deal line takes its units from the deal's set-aside.
    Returns whether the order's stock is now held."""
    return await reserve(
        conn, order.order_id, [(line.sku_id, line.quantity) for line in order.lines],
        datetime.now(UTC) + timedelta(seconds=order.reserve_for_seconds),
        from_deals=[(line.deal_id, line.sku_id, line.quantity) for line in order.lines
                    if line.deal_id is not None])


async def reserve(conn: asyncpg.Connection, owner_id: UUID, lines: list[tuple[UUID, int]],
                  expires_at: datetime,
                  from_deals: list[tuple[UUID, UUID, int]] | None = None) -> bool:
    """Holds stock for an order or a flash deal (`owner_id`), all lines or none."""
    decided, products = await stock_repository.reservation_and_products(conn, owner_id, lines)
    if decided:
        return True  # already decided for this owner (a replayed command)
    wanted = merge_lines(lines)
    sku_ids = list(wanted)
    reservation_id = new_id()
    if set(products).issuperset(sku_ids):
        try:
            changes = await _hold(conn, owner_id, reservation_id, wanted, expires_at,
                                  from_deals or [])
        except stock_repository.DoesNotFit:
            pass
        else:
            await deadlines.schedule(conn, owner_id, RESERVATION_EXPIRY, expires_at)
            await enqueue(conn, SOURCE, events.InventoryReserved(
                order_id=owner_id, reservation_id=reservation_id,
                lines=[events.ReservedLine(sku_id=s, quantity=q) for s, q in wanted.items()],
                expires_at=expires_at))
            await _low_stock_checks(conn, changes)
            await _availability_news(conn, level_changes(changes))
            evict_after_commit(set(products.values()))
            return True
    short = shortfalls(wanted, await stock_repository.levels(conn, sku_ids), set(products))
    await enqueue(conn, SOURCE, events.InventoryReservationFailed(
        order_id=owner_id,
        short_lines=[events.ShortLine(sku_id=s.sku_id, requested=s.requested,
                                      available=s.available, reason=s.reason)  # type: ignore[arg-type]
                     for s in short]))
    return False


async def _hold(conn: asyncpg.Connection, owner_id: UUID, reservation_id: UUID,
                wanted: dict[UUID, int], expires_at: datetime,
                from_deals: list[tuple[UUID, UUID, int]]) -> list[tuple[StockLevel, StockLevel]]:
    """Every line or none (DoesNotFit). One line from general stock is a single conditional
    UPDATE that holds everything or changes nothing; anything more runs in a savepoint, so a
    line that does not fit undoes the lines and deal units taken before it."""
    if len(wanted) == 1 and not from_deals:
        return await stock_repository.hold(conn, reservation_id, owner_id, wanted, expires_at)
    async with conn.transaction():
        moved = await deal_stock.take_for_order(conn, owner_id, from_deals)
        return await stock_repository.hold(conn, reservation_id, owner_id, wanted, expires_at,
                                           moved)


async def end_reservation(conn: asyncpg.Connection, order_id: UUID, *, commit: bool,
                          reason: str) -> bool:
    """Commit or release an order's active reservation; False when there is none active."""
    reservation = await stock_repository.reservation(conn, order_id, for_update=True)
    if reservation is None or reservation["status"] != "active":
        return False
    kept = {} if commit else await deal_stock.put_back_into_deals(conn, order_id)
    changes = await stock_repository.end(conn, reservation["id"], commit=commit, reason=reason,
                                         kept=kept)
    await deadlines.cancel(conn, order_id, RESERVATION_EXPIRY)
    if commit:
        await enqueue(conn, SOURCE, events.InventoryCommitted(
            order_id=order_id, reservation_id=reservation["id"]))
    else:
        await enqueue(conn, SOURCE, events.InventoryReleased(
            order_id=order_id, reservation_id=reservation["id"], reason=reason))  # type: ignore[arg-type]
    await _availability_news(conn, changes)
    await evict_products_of(conn, [sku_id for sku_id, _, _ in changes])
    return True


async def expire_reservation(conn: asyncpg.Connection, deadline: Deadline) -> None:
    """A reservation's owner never came back in time: its stock is handed back."""
    await end_reservation(conn, UUID(deadline.key), commit=False, reason="expired")


DEADLINE_KINDS = [DeadlineKind(RESERVATION_EXPIRY, fire=expire_reservation)]


async def adjust(conn: asyncpg.Connection, level: StockLevel, adjusted: StockLevel, *,
                 seller_id: UUID, reason: str, actor: str) -> None:
    await stock_repository.save_level(conn, adjusted, expected_version=level.version,
                                      reason=reason, actor=actor)
    await enqueue(conn, SOURCE, events.InventoryAdjusted(
        sku_id=adjusted.sku_id, seller_id=seller_id, delta=adjusted.on_hand - level.on_hand,
        reason=reason, level=_level_event(adjusted), adjusted_at=datetime.now(UTC)))
    await _low_stock_checks(conn, [(level, adjusted)])
    await _availability_news(conn, level_changes([(level, adjusted)]))
    await evict_products_of(conn, [adjusted.sku_id])


# Event handlers -------------------------------------------------------------------------

async def on_order_placed(conn: asyncpg.Connection, envelope: Envelope, event: OrderPlaced) -> None:
    await reserve_for_order(conn, event)


async def on_order_cancelled(conn: asyncpg.Connection, envelope: Envelope,
                             event: OrderCancelled) -> None:
    reason = "payment_failed" if event.reason == "payment_failed" else "order_cancelled"
    reservation = await stock_repository.reservation(conn, event.order_id, for_update=True)
    if reservation is None:
        await stock_repository.tombstone(conn, new_id(), event.order_id)
    elif reservation["status"] == "committed" and not event.restock:
        return  # the units had shipped: whoever gets them back counts them
    elif reservation["status"] == "committed":
        changes = await stock_repository.restock_committed(conn, reservation["id"],
                                                           "order cancelled before shipping")
        await enqueue(conn, SOURCE, events.InventoryReleased(
            order_id=event.order_id, reservation_id=reservation["id"],
            reason=reason))  # type: ignore[arg-type]
        await _availability_news(conn, changes)
        await evict_products_of(conn, [sku_id for sku_id, _, _ in changes])
    else:
        await end_reservation(conn, event.order_id, commit=False, reason=reason)


async def on_stock_received(conn: asyncpg.Connection, envelope: Envelope,
                            event: StockReceived) -> None:
    await _warehouse_change(conn, event.sku_id, event.quantity, "received into warehouse",
                            str(event.inbound_shipment_id), event.received_at)


async def on_stock_adjusted(conn: asyncpg.Connection, envelope: Envelope,
                            event: StockAdjusted) -> None:
    """A warehouse's sellable units changed outside an order: a resellable return, a parcel
    back from a failed delivery, a count correction, a write-off."""
    await _warehouse_change(conn, event.sku_id, event.delta,
                            f"warehouse: {event.reason.replace('_', ' ')}",
                            str(event.adjustment_id), event.adjusted_at)


async def _warehouse_change(conn: asyncpg.Connection, sku_id: UUID, delta: int, reason: str,
                            reference: str, at: datetime) -> None:
    changed = await stock_repository.receive(conn, sku_id, delta, reference=reference,
                                             reason=reason)
    if changed is None:
        raise NonRetryable(f"unknown SKU {sku_id}")
    before, after, seller_id = changed
    if after.version == before.version:
        return  # applied before
    await enqueue(conn, SOURCE, events.InventoryAdjusted(
        sku_id=after.sku_id, seller_id=seller_id, delta=after.on_hand - before.on_hand,
        reason=reason, level=_level_event(after), adjusted_at=at))
    await _availability_news(conn, level_changes([(before, after)]))
    await evict_products_of(conn, [after.sku_id])
