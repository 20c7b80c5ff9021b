"""Parcels after they leave: carriers report tracking states (the signed webhook or the
simulator), each one an event and a row of the order's history. An undeliverable parcel comes
back to its sender; warehouse units go back on the shelf and catalog hears of them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.domain_errors import StateConflict
from libs.events.schemas import fulfillment as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.fulfillment.adapters import parcels_repository as parcels
from services.fulfillment.adapters import stock_repository
from services.fulfillment.domain import stock
from services.fulfillment.domain.shipments import ON_THE_WAY, UNSHIPPED, ParcelStatus, is_news
from services.fulfillment.domain.stock import MovementKind
from services.fulfillment.settings import FulfillmentSettings
from services.fulfillment.use_cases.fulfillment_orders import DELIVER_BY, SHIP_BY, refresh_status

SOURCE = "fulfillment"
CARRIER_STEP = "carrier_step"
S = ParcelStatus


def now() -> datetime:
    return datetime.now(UTC)


async def report(conn: asyncpg.Connection, parcel: dict[str, Any], reported: ParcelStatus, *,
                 at: datetime, note: str, source: str) -> bool:
    """Applies a carrier's report to a locked parcel; False when it is not news (a repeat or
    an older state arriving late), which carriers do and which is not an error."""
    current = ParcelStatus(parcel["status"])
    if not is_news(current, reported):
        return False
    order_id, parcel_id, seller_id = parcel["order_id"], parcel["id"], parcel["seller_id"]
    await parcels.update_parcel(conn, parcel_id, now(), status=reported.value)
    await parcels.track(conn, order_id, reported.value, note, source=source,
                        parcel_id=parcel_id, at=at)
    counts = await refresh_status(conn, order_id)
    common = {"order_id": order_id, "seller_id": seller_id, "shipment_id": parcel_id}
    outstanding = sum(n for state, n in counts.items()
                      if ParcelStatus(state) in (UNSHIPPED | ON_THE_WAY))
    if reported is S.IN_TRANSIT:
        await enqueue(conn, SOURCE, events.ShipmentInTransit(**common, at=at))
    elif reported is S.OUT_FOR_DELIVERY:
        await enqueue(conn, SOURCE, events.ShipmentOutForDelivery(**common, at=at))
    elif reported is S.DELIVERED:
        await enqueue(conn, SOURCE, events.ShipmentDelivered(
            **common, parcels_outstanding=outstanding, delivered_at=at))
        if outstanding == 0:
            await deadlines.cancel(conn, order_id, SHIP_BY, DELIVER_BY)
    elif reported is S.DELIVERY_FAILED:
        await enqueue(conn, SOURCE, events.ShipmentDeliveryFailed(**common, reason=note[:200],
                                                                  failed_at=at))
    elif reported is S.RETURNED_TO_SENDER:
        await _back_at_sender(conn, parcel, at)
        await enqueue(conn, SOURCE, events.ShipmentReturnedToSender(
            **common, lines=[events.FulfilledLine(sku_id=k, quantity=v)
                             for k, v in parcel["lines"].items()],
            parcels_outstanding=outstanding,
            parcels_delivered=counts.get(S.DELIVERED.value, 0), returned_at=at))
        if outstanding == 0:
            await deadlines.cancel(conn, order_id, SHIP_BY, DELIVER_BY)
    return True


async def _back_at_sender(conn: asyncpg.Connection, parcel: dict[str, Any], at: datetime) -> None:
    """Warehouse units go back on the shelf and become sellable again (catalog is told); a
    seller's parcel goes back to the seller, who counts its own stock."""
    if parcel["warehouse_id"] is None:
        return
    for sku, qty in sorted(parcel["lines"].items()):
        await stock_repository.move(conn, parcel["warehouse_id"], sku, parcel["seller_id"],
                                    MovementKind.RETURN, stock.back_on_shelf(qty),
                                    f"returned_to_sender:{parcel['id']}")
        await enqueue(conn, SOURCE, events.StockAdjusted(
            adjustment_id=new_id(), warehouse_id=parcel["warehouse_id"], sku_id=sku,
            seller_id=parcel["seller_id"], delta=qty, reason="returned_to_sender",
            adjusted_at=at))


async def carrier_update(conn: asyncpg.Connection, *, carrier: str, tracking_number: str,
                         status: ParcelStatus, at: datetime, note: str) -> bool:
    """A signed update from a carrier's tracking webhook."""
    parcel = await parcels.parcel_by_tracking(conn, carrier, tracking_number)
    if parcel is None:
        raise StateConflict("tracking_number", f"no {carrier} parcel {tracking_number} is known",
                            "unknown_parcel")
    return await report(conn, parcel, status, at=at, note=note or status.value,
                        source=f"carrier:{carrier}")


async def start_simulation(conn: asyncpg.Connection, parcel_id: UUID,
                           settings: FulfillmentSettings) -> None:
    if settings.carrier_simulator:
        await deadlines.schedule(conn, parcel_id, CARRIER_STEP,
                                 now() + timedelta(seconds=settings.carrier_step_seconds))


_NEXT_SIMULATED = {S.SHIPPED: S.IN_TRANSIT, S.IN_TRANSIT: S.OUT_FOR_DELIVERY,
                   S.OUT_FOR_DELIVERY: S.DELIVERED, S.DELIVERY_FAILED: S.RETURNED_TO_SENDER}


async def _simulate_step(settings: FulfillmentSettings, rng: random.Random,
                         conn: asyncpg.Connection, deadline: deadlines.Deadline) -> None:
    """The simulated carrier moves a parcel one state on, failing some deliveries."""
    parcel = await parcels.locked_parcel(conn, UUID(deadline.key))
    if parcel is None:
        return
    current = ParcelStatus(parcel["status"])
    reported = _NEXT_SIMULATED.get(current)
    if reported is None:
        return
    note = f"{reported.value.replace('_', ' ')} (simulated carrier)"
    if reported is S.DELIVERED and rng.random() < settings.carrier_failure_rate:
        reported, note = S.DELIVERY_FAILED, "nobody home; returning to sender (simulated)"
    await report(conn, parcel, reported, at=now(), note=note, source="carrier:simulator")
    if reported not in (S.DELIVERED, S.RETURNED_TO_SENDER):
        await deadlines.schedule(conn, parcel["id"], CARRIER_STEP,
                                 now() + timedelta(seconds=settings.carrier_step_seconds))


async def _promise_warning(conn: asyncpg.Connection, deadline: deadlines.Deadline) -> None:
    await _promise(conn, deadline, breached=False)


async def _promise_due(conn: asyncpg.Connection, deadline: deadlines.Deadline) -> None:
    await _promise(conn, deadline, breached=True)


async def _promise(conn: asyncpg.Connection, deadline: deadlines.Deadline, *,
                   breached: bool) -> None:
    order_id = UUID(deadline.key)
    order = await parcels.get_order(conn, order_id)
    if order is None or order["status"] == "cancelled":
        return
    states = {ParcelStatus(p["status"]) for p in await parcels.parcels_of(conn, order_id)}
    waiting = UNSHIPPED if deadline.kind == SHIP_BY else (UNSHIPPED | ON_THE_WAY)
    if not states & waiting and not (deadline.kind == SHIP_BY and order["short"]):
        return
    fields = {"order_id": order_id, "seller_id": order["seller_id"], "promise": deadline.kind,
              "due_at": deadline.due_at, "at": now()}
    event: events.PromiseAtRisk | events.PromiseBreached = (
        events.PromiseBreached(**fields) if breached else events.PromiseAtRisk(**fields))
    await enqueue(conn, SOURCE, event)
    await parcels.track(conn, order_id, event.type, f"{deadline.kind.replace('_', '-')} "
                        f"{'missed' if breached else 'at risk'}", source="platform")


def kinds(settings: FulfillmentSettings, rng: random.Random | None = None,
          ) -> list[deadlines.DeadlineKind]:
    kind = deadlines.DeadlineKind
    return [
        kind(CARRIER_STEP, fire=partial(_simulate_step, settings, rng or random.Random())),  # noqa: S311 - a simulation
        kind(SHIP_BY, fire=_promise_due, warn=_promise_warning),
        kind(DELIVER_BY, fire=_promise_due, warn=_promise_warning),
    ]
