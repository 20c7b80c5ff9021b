"""Fulfillment orders: a confirmed order becomes parcels, each allocated to the warehouse nearest
the buyer that has the stock (split when needed), or handed to the seller for lines the platform
does not stock. The promises follow, and their deadlines watch them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import asyncpg

from libs import deadlines, zones
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
from services.fulfillment.settings import FulfillmentSettings

SOURCE = "fulfillment"
SHIP_BY, DELIVER_BY = "ship_by", "deliver_by"


def now() -> datetime:
    return datetime.now(UTC)


async def on_requested(conn: asyncpg.Connection, envelope: Envelope,
                       event: OrderFulfillmentRequested, *,
                       settings: FulfillmentSettings) -> None:
    at = now()
    lines = {line.sku_id: line.quantity for line in event.lines}
    fbt_skus = await stock_repository.stocked_skus(conn, list(lines))
    fbt_lines = {sku: qty for sku, qty in lines.items() if sku in fbt_skus}
    seller_lines = {sku: qty for sku, qty in lines.items() if sku not in fbt_skus}
    destination = zones.zone(event.zone) or zones.zone_of(event.ship_to.country,
                                                          event.ship_to.postcode)
    warehouses = {w.id: w for w in await warehouses_repository.all_active(conn, event.market)}
    allocation = None
    if fbt_lines:
        available = await stock_repository.fulfillable_by_warehouse(conn, list(fbt_lines),
                                                                    event.market)
        allocation = allocate(fbt_lines, [
            Candidate(wid, zones.distance_km(
                (warehouses[wid].zone.latitude, warehouses[wid].zone.longitude),
                (destination.latitude, destination.longitude)), units)
            for wid, units in available.items() if wid in warehouses])
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
    if not await parcels.add_order(
            conn, order_id=event.order_id, seller_id=event.seller_id, buyer_id=event.buyer_id,
            market=event.market, method=method, ship_to=event.ship_to.model_dump(),
            zone=destination.code, speed=event.speed, lines=lines, short=short,
            ship_by=ship_by, deliver_by=deliver_by, now=at):
        return
    made: list[events.Parcel] = []
    for warehouse_id, parcel_lines in (allocation.parcels if allocation else []):
        parcel_id = new_id()
        await parcels.add_parcel(conn, parcel_id=parcel_id, order_id=event.order_id,
                                 seller_id=event.seller_id, origin="warehouse",
                                 warehouse_id=warehouse_id, status=ParcelStatus.ALLOCATED,
                                 lines=parcel_lines, now=at)
        for sku, qty in sorted(parcel_lines.items()):
            await stock_repository.move(conn, warehouse_id, sku, event.seller_id,
                                        MovementKind.ALLOCATION, stock.allocation(qty),
                                        f"order:{event.order_id}")
        made.append(events.Parcel(shipment_id=parcel_id, origin="warehouse",
                                  warehouse_id=warehouse_id, lines=_fulfilled(parcel_lines)))
        await parcels.track(conn, event.order_id, "allocated",
                            f"allocated to {warehouses[warehouse_id].name}",
                            source="platform", parcel_id=parcel_id)
    if seller_lines:
        parcel_id = new_id()
        await parcels.add_parcel(conn, parcel_id=parcel_id, order_id=event.order_id,
                                 seller_id=event.seller_id, origin="seller", warehouse_id=None,
                                 status=ParcelStatus.AWAITING_SELLER, lines=seller_lines, now=at)
        made.append(events.Parcel(shipment_id=parcel_id, origin="seller",
                                  lines=_fulfilled(seller_lines)))
        await parcels.track(conn, event.order_id, "awaiting_seller",
                            "the seller ships these items", source="platform",
                            parcel_id=parcel_id)
    if short:
        await parcels.track(conn, event.order_id, "short",
                            f"{sum(short.values())} unit(s) are in no warehouse",
                            source="platform")
    await enqueue(conn, SOURCE,
                  events.FulfillmentOrderCreated(order_id=event.order_id,
                                                 seller_id=event.seller_id, method=method,
                                                 ship_by=ship_by, deliver_by=deliver_by,
                                                 created_at=at),
                  events.FulfillmentOrderAllocated(order_id=event.order_id,
                                                   seller_id=event.seller_id, parcels=made,
                                                   split=len(made) > 1, short=_fulfilled(short),
                                                   ship_by=ship_by, deliver_by=deliver_by,
                                                   allocated_at=at))
    warning = settings.promise_warning_fraction
    await deadlines.schedule_each(
        conn, [(event.order_id, SHIP_BY, ship_by), (event.order_id, DELIVER_BY, deliver_by)],
        warn_at=[ship_by - (ship_by - at) * warning, deliver_by - (deliver_by - at) * warning])


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
