"""Fulfillment orders: a confirmed order becomes parcels, each allocated to the warehouse nearest
the buyer that has the stock (split when needed), or handed to the seller for lines the platform
does not stock. The promises follow, and their deadlines watch them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import asyncpg

from libs import deadlines, zones
from libs.events.base import Event
from libs.events.envelope import Envelope
from libs.events.schemas import fulfillment as events
from libs.events.schemas.orders import OrderCancelled, OrderFulfillmentRequested
from libs.ids import new_id
from libs.outbox import enqueue
from services.fulfillment.adapters import parcels_repository as parcels
from services.fulfillment.adapters import stock_repository, warehouses_repository
from services.fulfillment.domain import promises, stock
from services.fulfillment.domain.allocation import Candidate, allocate
from services.fulfillment.domain.shipments import ParcelStatus
from services.fulfillment.domain.stock import MovementKind
from services.fulfillment.domain.warehouses import Warehouse
from services.fulfillment.settings import FulfillmentSettings

SOURCE = "fulfillment"
SHIP_BY, DELIVER_BY = "ship_by", "deliver_by"


def now() -> datetime:
    return datetime.now(UTC)


async def on_requested(conn: asyncpg.Connection, envelope: Envelope,
                       event: OrderFulfillmentRequested, *,
                       settings: FulfillmentSettings) -> None:
    """One request alone (or while the consumer looks for a failing run's culprit): a run of
    one, so there is one definition of the rules."""
    await on_requested_many(conn, [(envelope, event)], settings=settings)


async def on_requested_many(
        conn: asyncpg.Connection,
        requested: list[tuple[Envelope, OrderFulfillmentRequested]], *,
        settings: FulfillmentSettings) -> None:
    """Confirmed orders become fulfillment orders, parcels, stock allocations, tracking,
    events and promise deadlines. A run is read once (which orders are already known, which
    SKUs the platform stocks, each market's warehouses and their locked stock) and written in
    a statement per table, whatever its length: one at a time, each order cost about eight
    round trips. The orders are allocated in their order, each from what the ones before it
    left, as they would be one at a time. A redelivered request changes nothing."""
    at = now()
    known = await parcels.known_orders(conn, [event.order_id for _, event in requested])
    fresh: list[OrderFulfillmentRequested] = []
    for _, event in requested:  # the first request of each order not yet known, in order
        if event.order_id not in known:
            known.add(event.order_id)
            fresh.append(event)
    if not fresh:
        return
    stocked = await stock_repository.stocked_skus(
        conn, list({line.sku_id for event in fresh for line in event.lines}))
    warehouses: dict[str, dict[UUID, Warehouse]] = {}
    available: dict[str, dict[UUID, dict[UUID, int]]] = {}
    for market in sorted({event.market for event in fresh}):  # stock locked market by market
        warehouses[market] = {w.id: w for w in await warehouses_repository.all_active(conn,
                                                                                      market)}
        wanted = list({line.sku_id for event in fresh if event.market == market
                       for line in event.lines if line.sku_id in stocked})
        available[market] = (await stock_repository.fulfillable_by_warehouse(conn, wanted, market)
                             if wanted else {})
    plans = [_plan(event, at, stocked, warehouses[event.market], available[event.market],
                   settings) for event in fresh]
    await parcels.add_orders(conn, [plan.order for plan in plans], at)
    await parcels.add_parcels(conn, [box for plan in plans for box in plan.boxes], at)
    for plan in plans:
        for warehouse_id, sku, qty in plan.allocated:
            await stock_repository.move(conn, warehouse_id, sku, plan.event.seller_id,
                                        MovementKind.ALLOCATION, stock.allocation(qty),
                                        f"order:{plan.event.order_id}")
    await parcels.track_many(conn, [entry for plan in plans for entry in plan.tracking], at)
    await enqueue(conn, SOURCE, *[notice for plan in plans for notice in plan.notices])
    warning = settings.promise_warning_fraction
    await deadlines.schedule_each(
        conn, [(plan.event.order_id, kind, due) for plan in plans
               for kind, due in ((SHIP_BY, plan.ship_by), (DELIVER_BY, plan.deliver_by))],
        warn_at=[due - (due - at) * warning for plan in plans
                 for due in (plan.ship_by, plan.deliver_by)])


@dataclass
class _Plan:
    """What one request makes, before anything is written."""

    event: OrderFulfillmentRequested
    order: parcels.NewOrder
    ship_by: datetime
    deliver_by: datetime
    boxes: list[parcels.NewParcel] = field(default_factory=list)
    allocated: list[tuple[UUID, UUID, int]] = field(default_factory=list)
    tracking: list[parcels.Tracking] = field(default_factory=list)
    notices: list[Event] = field(default_factory=list)


def _plan(event: OrderFulfillmentRequested, at: datetime, stocked: set[UUID],
          warehouses: dict[UUID, Warehouse], available: dict[UUID, dict[UUID, int]],
          settings: FulfillmentSettings) -> _Plan:
    """Allocates the order's platform-stocked lines to the warehouses nearest the buyer that
    have them (split when needed; what none has is short), hands the rest to the seller, and
    promises dates from both. Takes the allocated units out of `available`, so the next order
    of the run sees what this one left."""
    lines = {line.sku_id: line.quantity for line in event.lines}
    fbt_lines = {sku: qty for sku, qty in lines.items() if sku in stocked}
    seller_lines = {sku: qty for sku, qty in lines.items() if sku not in stocked}
    destination = zones.zone(event.zone) or zones.zone_of(event.ship_to.country,
                                                          event.ship_to.postcode)
    allocation = None
    if fbt_lines:
        has = {wid: {sku: units for sku, units in held.items() if sku in fbt_lines and units > 0}
               for wid, held in available.items() if wid in warehouses}
        allocation = allocate(fbt_lines, [
            Candidate(wid, zones.distance_km(
                (warehouses[wid].zone.latitude, warehouses[wid].zone.longitude),
                (destination.latitude, destination.longitude)), units)
            for wid, units in has.items() if units])
    used = [warehouses[wid] for wid, _ in (allocation.parcels if allocation else [])]
    scale = promises.TimeScale(settings.seconds_per_day)
    promised = [promises.from_warehouses(at, used, destination, event.speed, scale)] if used else []
    if seller_lines or not used:
        promised.append(promises.from_seller(
            at, settings.seller_handling_days,
            settings.seller_transit_days.get(event.speed, 3), scale))
    ship_by = max(p.ship_by for p in promised)
    deliver_by = max(p.deliver_by for p in promised)
    method: Literal["fbt", "seller", "mixed"] = (
        "mixed" if fbt_lines and seller_lines else ("fbt" if fbt_lines else "seller"))
    short = allocation.short if allocation else {}
    plan = _Plan(event, parcels.NewOrder(
        order_id=event.order_id, seller_id=event.seller_id, buyer_id=event.buyer_id,
        market=event.market, method=method, ship_to=event.ship_to.model_dump(),
        zone=destination.code, speed=event.speed, lines=lines, short=short, ship_by=ship_by,
        deliver_by=deliver_by), ship_by, deliver_by)
    made: list[events.Parcel] = []
    for warehouse_id, parcel_lines in (allocation.parcels if allocation else []):
        parcel_id = new_id()
        plan.boxes.append(parcels.NewParcel(parcel_id, event.order_id, event.seller_id,
                                            "warehouse", warehouse_id, ParcelStatus.ALLOCATED,
                                            parcel_lines))
        for sku, qty in sorted(parcel_lines.items()):
            plan.allocated.append((warehouse_id, sku, qty))
            available[warehouse_id][sku] -= qty
        made.append(events.Parcel(shipment_id=parcel_id, origin="warehouse",
                                  warehouse_id=warehouse_id, lines=_fulfilled(parcel_lines)))
        plan.tracking.append(parcels.Tracking(event.order_id, parcel_id, "allocated",
                                              f"allocated to {warehouses[warehouse_id].name}"))
    if seller_lines:
        parcel_id = new_id()
        plan.boxes.append(parcels.NewParcel(parcel_id, event.order_id, event.seller_id,
                                            "seller", None, ParcelStatus.AWAITING_SELLER,
                                            seller_lines))
        made.append(events.Parcel(shipment_id=parcel_id, origin="seller",
                                  lines=_fulfilled(seller_lines)))
        plan.tracking.append(parcels.Tracking(event.order_id, parcel_id, "awaiting_seller",
                                              "the seller ships these items"))
    if short:
        plan.tracking.append(parcels.Tracking(
            event.order_id, None, "short", f"{sum(short.values())} unit(s) are in no warehouse"))
    plan.notices = [
        events.FulfillmentOrderCreated(order_id=event.order_id, seller_id=event.seller_id,
                                       method=method, ship_by=ship_by, deliver_by=deliver_by,
                                       created_at=at),
        events.FulfillmentOrderAllocated(order_id=event.order_id, seller_id=event.seller_id,
                                         parcels=made, split=len(made) > 1,
                                         short=_fulfilled(short), ship_by=ship_by,
                                         deliver_by=deliver_by, allocated_at=at)]
    return plan


def _fulfilled(lines: dict[UUID, int]) -> list[events.FulfilledLine]:
    return [events.FulfilledLine(sku_id=sku, quantity=qty) for sku, qty in lines.items()]


async def on_order_cancelled(conn: asyncpg.Connection, envelope: Envelope,
                             event: OrderCancelled) -> None:
    """Parcels not yet shipped are cancelled: allocated units go back to fulfillable, picked
    ones back on the shelf. Parcels already with a carrier go on."""
    order = await parcels.get_order(conn, event.order_id, for_update=True)
    if order is None or order["status"] == "cancelled":
        return
    at = now()
    for parcel in await parcels.parcels_of(conn, event.order_id, for_update=True):
        status = ParcelStatus(parcel["status"])
        if status not in (ParcelStatus.AWAITING_SELLER, ParcelStatus.ALLOCATED,
                          ParcelStatus.PICKED, ParcelStatus.PACKED, ParcelStatus.LABELLED):
            continue
        if parcel["warehouse_id"] is not None:
            for sku, qty in sorted(parcel["lines"].items()):
                kind, deltas = ((MovementKind.DEALLOCATION, stock.deallocation(qty))
                                if status is ParcelStatus.ALLOCATED
                                else (MovementKind.UNPICK, stock.back_on_shelf(qty)))
                await stock_repository.move(conn, parcel["warehouse_id"], sku,
                                            parcel["seller_id"], kind, deltas,
                                            f"order:{event.order_id}")
        await parcels.update_parcel(conn, parcel["id"], at, status=ParcelStatus.CANCELLED.value)
        await parcels.track(conn, event.order_id, "cancelled", f"order cancelled "
                            f"({event.reason}); parcel not sent", source="platform",
                            parcel_id=parcel["id"])
    await parcels.set_order_status(conn, event.order_id, "cancelled", at)
    await deadlines.cancel(conn, event.order_id, SHIP_BY, DELIVER_BY)


async def refresh_status(conn: asyncpg.Connection, order_id: UUID) -> dict[str, int]:
    """Sets the order's status from its parcels; returns how many parcels are in each state."""
    counts: dict[str, int] = {}
    for parcel in await parcels.parcels_of(conn, order_id):
        counts[parcel["status"]] = counts.get(parcel["status"], 0) + 1
    live = {k: v for k, v in counts.items() if k != ParcelStatus.CANCELLED}
    if live and set(live) <= {ParcelStatus.DELIVERED, ParcelStatus.RETURNED_TO_SENDER}:
        status = "delivered" if ParcelStatus.DELIVERED in live else "returned_to_sender"
    elif any(k in live for k in ("shipped", "in_transit", "out_for_delivery", "delivered",
                                 "delivery_failed", "returned_to_sender")):
        status = "shipping"
    else:
        status = "open" if live else "cancelled"
    await parcels.set_order_status(conn, order_id, status, now())
    return counts
