"""Getting parcels out: the warehouse's pick list, pick, pack, label and hand-over steps
(operators), and a self-shipping seller's hand-over with its own tracking number."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.domain_errors import FieldError, StateConflict
from libs.events.schemas import fulfillment as events
from libs.ids import new_id
from libs.markets import currency_of
from libs.outbox import enqueue
from services.fulfillment.adapters import parcels_repository as parcels
from services.fulfillment.adapters import stock_repository, warehouses_repository
from services.fulfillment.domain import packaging, stock
from services.fulfillment.domain.carriers import CARRIERS, check_tracking_number
from services.fulfillment.domain.shipments import ParcelStatus
from services.fulfillment.domain.stock import MovementKind
from services.fulfillment.settings import FulfillmentSettings
from services.fulfillment.use_cases import tracking
from services.fulfillment.use_cases.fulfillment_orders import refresh_status

SOURCE = "fulfillment"
S = ParcelStatus


def now() -> datetime:
    return datetime.now(UTC)


async def pick_list(conn: asyncpg.Connection, warehouse_id: UUID,
                    size: int) -> tuple[str, list[dict[str, Any]]]:
    """The next wave of the warehouse's allocated parcels, and what to pick for them."""
    if await warehouses_repository.get(conn, warehouse_id) is None:
        raise StateConflict("warehouse_id", "no such warehouse", "unknown_warehouse")
    wave = f"W-{now():%Y%m%d%H%M%S}-{new_id().hex[-6:]}"
    return wave, await parcels.pick_list(conn, warehouse_id, wave, size)


async def _warehouse_parcel(conn: asyncpg.Connection, warehouse_id: UUID, parcel_id: UUID,
                            expected: ParcelStatus) -> dict[str, Any]:
    parcel = await parcels.locked_parcel(conn, parcel_id)
    if parcel is None:
        raise StateConflict("parcel_id", "no such parcel", "unknown_parcel")
    if parcel["warehouse_id"] != warehouse_id:
        raise StateConflict("warehouse_id", "this parcel is not allocated to this warehouse",
                            "wrong_warehouse")
    if parcel["status"] != expected:
        raise StateConflict("parcel_id", f"the parcel is {parcel['status']}; this step needs "
                            f"it {expected.value}", "wrong_state")
    return parcel


async def pick(conn: asyncpg.Connection, warehouse_id: UUID, parcel_id: UUID) -> dict[str, Any]:
    parcel = await _warehouse_parcel(conn, warehouse_id, parcel_id, S.ALLOCATED)
    for sku, qty in sorted(parcel["lines"].items()):
        await stock_repository.move(conn, warehouse_id, sku, parcel["seller_id"],
                                    MovementKind.PICK, stock.pick(qty), f"parcel:{parcel_id}")
    at = now()
    await parcels.update_parcel(conn, parcel_id, at, status=S.PICKED.value)
    await parcels.track(conn, parcel["order_id"], S.PICKED.value, "picked", source="warehouse",
                        parcel_id=parcel_id)
    await enqueue(conn, SOURCE, events.FulfillmentOrderPicked(
        order_id=parcel["order_id"], seller_id=parcel["seller_id"], shipment_id=parcel_id,
        warehouse_id=warehouse_id, picked_at=at))
    return {**parcel, "status": S.PICKED.value}


async def pack(conn: asyncpg.Connection, warehouse_id: UUID, parcel_id: UUID, *,
               weight_grams: int, dims_mm: tuple[int, int, int]) -> dict[str, Any]:
    packaging.check_package(weight_grams, dims_mm)
    parcel = await _warehouse_parcel(conn, warehouse_id, parcel_id, S.PICKED)
    warehouse = await warehouses_repository.get(conn, warehouse_id)
    assert warehouse is not None
    billable = packaging.billable_grams(weight_grams, dims_mm)
    tier = packaging.size_tier(weight_grams, dims_mm)
    currency = currency_of(warehouse.market) or "GBP"
    at = now()
    await parcels.update_parcel(conn, parcel_id, at, status=S.PACKED.value,
                                weight_grams=weight_grams, billable_grams=billable,
                                size_tier=tier)
    await parcels.charge_fee(conn, parcel_id=parcel_id, seller_id=parcel["seller_id"],
                             order_id=parcel["order_id"], size_tier=tier,
                             units=sum(parcel["lines"].values()),
                             fee_per_unit=packaging.fee_per_unit(tier, currency),
                             currency=currency, now=at)
    await parcels.track(conn, parcel["order_id"], S.PACKED.value,
                        f"packed: {weight_grams} g, billed as {billable} g ({tier})",
                        source="warehouse", parcel_id=parcel_id)
    await enqueue(conn, SOURCE, events.FulfillmentOrderPacked(
        order_id=parcel["order_id"], seller_id=parcel["seller_id"], shipment_id=parcel_id,
        warehouse_id=warehouse_id, weight_grams=weight_grams, billable_grams=billable,
        packed_at=at))
    return {**parcel, "status": S.PACKED.value, "weight_grams": weight_grams,
            "billable_grams": billable, "size_tier": tier}


async def label(conn: asyncpg.Connection, warehouse_id: UUID, parcel_id: UUID) -> dict[str, Any]:
    """Buys the label: the warehouse's service for the order's speed, a tracking number."""
    parcel = await _warehouse_parcel(conn, warehouse_id, parcel_id, S.PACKED)
    order = await parcels.get_order(conn, parcel["order_id"])
    warehouse = await warehouses_repository.get(conn, warehouse_id)
    assert order is not None and warehouse is not None
    service = warehouse.service_for(order["speed"])
    number = CARRIERS[service.carrier].make_number()
    at = now()
    await parcels.update_parcel(conn, parcel_id, at, status=S.LABELLED.value,
                                carrier=service.carrier, service=service.service,
                                tracking_number=number)
    await parcels.track(conn, parcel["order_id"], S.LABELLED.value,
                        f"label: {service.carrier} {service.service} {number}",
                        source="warehouse", parcel_id=parcel_id)
    return {**parcel, "status": S.LABELLED.value, "carrier": service.carrier,
            "service": service.service, "tracking_number": number}


async def hand_over(conn: asyncpg.Connection, warehouse_id: UUID, parcel_id: UUID,
                    settings: FulfillmentSettings) -> dict[str, Any]:
    """The carrier collected the parcel from the warehouse."""
    parcel = await _warehouse_parcel(conn, warehouse_id, parcel_id, S.LABELLED)
    return await _shipped(conn, parcel, parcel["carrier"], parcel["service"],
                          parcel["tracking_number"], settings, source="warehouse")


async def seller_ships(conn: asyncpg.Connection, *, order_id: UUID, seller_id: UUID,
                       carrier: str, tracking_number: str, lines: dict[UUID, int] | None,
                       settings: FulfillmentSettings) -> dict[str, Any]:
    """A self-shipping seller sends the order's items (or some of them) with its tracking."""
    number = check_tracking_number(carrier, tracking_number)
    order = await parcels.get_order(conn, order_id, for_update=True)
    if order is None or order["seller_id"] != seller_id:
        raise StateConflict("order_id", "no such order of yours to ship", "unknown_order")
    waiting = [p for p in await parcels.parcels_of(conn, order_id, for_update=True)
               if p["status"] == S.AWAITING_SELLER]
    if not waiting:
        raise StateConflict("order_id", "nothing of this order is waiting for you to ship",
                            "nothing_to_ship")
    parcel = waiting[0]
    if lines:
        for index, (sku, qty) in enumerate(lines.items()):
            left = parcel["lines"].get(sku, 0)
            if qty > left:
                raise FieldError(f"lines.{index}.quantity", f"{left} unit(s) of this SKU are "
                                 "waiting to ship", "more_than_ordered")
        rest = {sku: qty - lines.get(sku, 0) for sku, qty in parcel["lines"].items()}
        rest = {sku: qty for sku, qty in rest.items() if qty > 0}
        if rest:  # the shipped lines leave as a parcel of their own; the rest keeps waiting
            at = now()
            await parcels.update_parcel(conn, parcel["id"], at, lines=rest)
            shipped_id = new_id()
            await parcels.add_parcel(conn, parcel_id=shipped_id, order_id=order_id,
                                     seller_id=seller_id, origin="seller", warehouse_id=None,
                                     status=S.AWAITING_SELLER, lines=lines, now=at)
            parcel = {**parcel, "id": shipped_id, "lines": dict(lines)}
    try:
        return await _shipped(conn, parcel, carrier, None, number, settings, source="seller")
    except asyncpg.UniqueViolationError:
        raise StateConflict("tracking_number", "this tracking number is already on another "
                            "parcel", "tracking_reused") from None


async def _shipped(conn: asyncpg.Connection, parcel: dict[str, Any], carrier: str,
                   service: str | None, number: str, settings: FulfillmentSettings, *,
                   source: str) -> dict[str, Any]:
    at = now()
    async with conn.transaction():  # a savepoint: a reused tracking number leaves nothing
        await parcels.update_parcel(conn, parcel["id"], at, status=S.SHIPPED.value,
                                    carrier=carrier, service=service, tracking_number=number)
    await parcels.track(conn, parcel["order_id"], S.SHIPPED.value,
                        f"handed to {carrier} ({number})", source=source, parcel_id=parcel["id"])
    await refresh_status(conn, parcel["order_id"])
    await enqueue(conn, SOURCE, events.ShipmentShipped(
        order_id=parcel["order_id"], shipment_id=parcel["id"], seller_id=parcel["seller_id"],
        carrier=carrier, service=service, tracking_number=number,
        lines=[events.FulfilledLine(sku_id=k, quantity=v) for k, v in parcel["lines"].items()],
        shipped_at=at))
    await tracking.start_simulation(conn, parcel["id"], settings)
    return {**parcel, "status": S.SHIPPED.value, "carrier": carrier, "service": service,
            "tracking_number": number}
