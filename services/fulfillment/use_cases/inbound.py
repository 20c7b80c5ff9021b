"""Inbound plans: the seller plans, the platform picks the warehouse nearest the seller with
room, the seller ships, the warehouse receives and counts. Good units become sellable in catalog
(`stock.received`, once per SKU and plan: the outbox and catalog's inbox see to exactly once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs import zones
from libs.domain_errors import FieldError, StateConflict
from libs.events.schemas import fulfillment as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.fulfillment.adapters import (
    inbound_repository,
    stock_repository,
    views_repository,
    warehouses_repository,
)
from services.fulfillment.domain import inbound, stock
from services.fulfillment.domain.carriers import check_tracking_number
from services.fulfillment.domain.inbound import Carton, Count, InboundStatus
from services.fulfillment.domain.stock import MovementKind

SOURCE = "fulfillment"
SELLING = {"verified"}


def now() -> datetime:
    return datetime.now(UTC)


async def create_plan(conn: asyncpg.Connection, *, seller_id: UUID, ship_from: dict[str, str],
                      lines: dict[UUID, int], cartons: list[Carton]) -> dict[str, Any]:
    status = await views_repository.seller_status(conn, seller_id)
    if status not in SELLING:
        raise StateConflict("seller", f"the seller account is {status or 'unknown'}: only "
                            "verified sellers send stock to warehouses", "seller_not_verified")
    inbound.check_plan(lines, cartons)
    owners = await views_repository.owners(conn, list(lines))
    for index, sku in enumerate(lines):
        if owners.get(sku) != seller_id:
            raise FieldError(f"lines.{index}.sku_id", "not a SKU of yours (or not yet "
                             "published)", "not_your_sku")
    origin = zones.zone_of(ship_from["country"], ship_from["postcode"])
    units = sum(lines.values())
    market = await conn.fetchval("SELECT market FROM sellers WHERE seller_id = $1", seller_id)
    best = None
    for warehouse in await warehouses_repository.all_active(conn, market):
        held = await warehouses_repository.units_held(conn, warehouse.id)
        if held + units > warehouse.capacity_units:
            continue
        distance = zones.distance_km((origin.latitude, origin.longitude),
                                     (warehouse.zone.latitude, warehouse.zone.longitude))
        if best is None or distance < best[0]:
            best = (distance, warehouse)
    if best is None:
        raise StateConflict("lines", f"no warehouse of market {market} has room for {units} "
                            "more units", "no_capacity")
    warehouse = best[1]
    inbound_id, at = new_id(), now()
    labels = [f"FBT-{warehouse.code}-{inbound_id.hex[-8:].upper()}-C{n + 1:03d}"
              for n in range(len(cartons))]
    await inbound_repository.add(conn, inbound_id=inbound_id, seller_id=seller_id,
                                 warehouse_id=warehouse.id, ship_from=ship_from, lines=lines,
                                 cartons=cartons, labels=labels, now=at)
    for sku, qty in sorted(lines.items()):
        await stock_repository.move(conn, warehouse.id, sku, seller_id,
                                    MovementKind.INBOUND_PLANNED, stock.inbound_planned(qty),
                                    f"inbound:{inbound_id}")
    await enqueue(conn, SOURCE, events.InboundCreated(
        inbound_id=inbound_id, seller_id=seller_id, warehouse_id=warehouse.id,
        lines=[events.FulfilledLine(sku_id=k, quantity=v) for k, v in lines.items()],
        created_at=at))
    plan = await inbound_repository.get(conn, inbound_id)
    assert plan is not None
    return plan


async def _plan(conn: asyncpg.Connection, inbound_id: UUID,
                seller_id: UUID | None) -> dict[str, Any]:
    """The plan, locked; `seller_id` when a seller acts (it must be theirs)."""
    plan = await inbound_repository.get(conn, inbound_id, for_update=True)
    if plan is None or (seller_id is not None and plan["seller_id"] != seller_id):
        raise LookupError(inbound_id)
    return plan


async def _move(conn: asyncpg.Connection, plan: dict[str, Any], to: InboundStatus,
                **fields: Any) -> dict[str, Any]:
    inbound.move(InboundStatus(plan["status"]), to)
    await inbound_repository.set_status(conn, plan["id"], to.value, now(), **fields)
    return {**plan, "status": to.value, **fields}


async def confirm(conn: asyncpg.Connection, inbound_id: UUID, seller_id: UUID) -> dict[str, Any]:
    return await _move(conn, await _plan(conn, inbound_id, seller_id),
                       InboundStatus.READY_TO_SHIP)


async def book_transport(conn: asyncpg.Connection, inbound_id: UUID, seller_id: UUID, *,
                         carrier: str, tracking_number: str) -> dict[str, Any]:
    number = check_tracking_number(carrier, tracking_number)
    plan = await _move(conn, await _plan(conn, inbound_id, seller_id), InboundStatus.IN_TRANSIT,
                       carrier=carrier, tracking_number=number)
    await enqueue(conn, SOURCE, events.InboundShipped(
        inbound_id=inbound_id, seller_id=plan["seller_id"], warehouse_id=plan["warehouse_id"],
        carrier=carrier, tracking_number=number, shipped_at=now()))
    return plan


async def cancel(conn: asyncpg.Connection, inbound_id: UUID, seller_id: UUID) -> dict[str, Any]:
    plan = await _move(conn, await _plan(conn, inbound_id, seller_id), InboundStatus.CANCELLED)
    for line in plan["lines"]:
        await stock_repository.move(conn, plan["warehouse_id"], line["sku_id"],
                                    plan["seller_id"], MovementKind.INBOUND_CANCELLED,
                                    stock.inbound_cancelled(line["planned"]),
                                    f"inbound:{inbound_id}")
    await enqueue(conn, SOURCE, events.InboundCancelled(
        inbound_id=inbound_id, seller_id=plan["seller_id"], warehouse_id=plan["warehouse_id"],
        cancelled_at=now()))
    return plan


async def arrive(conn: asyncpg.Connection, inbound_id: UUID) -> dict[str, Any]:
    plan = await _move(conn, await _plan(conn, inbound_id, None), InboundStatus.ARRIVED)
    await enqueue(conn, SOURCE, events.InboundArrived(
        inbound_id=inbound_id, seller_id=plan["seller_id"], warehouse_id=plan["warehouse_id"],
        arrived_at=now()))
    return plan


async def start_receiving(conn: asyncpg.Connection, inbound_id: UUID) -> dict[str, Any]:
    return await _move(conn, await _plan(conn, inbound_id, None), InboundStatus.RECEIVING)


async def receive(conn: asyncpg.Connection, inbound_id: UUID,
                  counts: list[Count]) -> dict[str, Any]:
    """Records the counts; good units go on the shelf and to catalog, damaged ones aside."""
    plan = await _plan(conn, inbound_id, None)
    planned = {line["sku_id"]: line["planned"] for line in plan["lines"]}
    discrepancies = inbound.check_counts(planned, counts)
    owners = await views_repository.owners(conn, [c.sku_id for c in counts])
    for index, count in enumerate(counts):
        if count.sku_id not in planned and owners.get(count.sku_id) != plan["seller_id"]:
            raise FieldError(f"counts.{index}.sku_id", "an unexpected SKU that is not this "
                             "seller's: set it aside, do not receive it", "not_sellers_sku")
    to = (InboundStatus.RECEIVED_WITH_DISCREPANCIES if discrepancies
          else InboundStatus.RECEIVED)
    plan = await _move(conn, plan, to)
    await inbound_repository.record_counts(conn, inbound_id, counts)
    at = now()
    for count in sorted(counts, key=lambda c: c.sku_id):
        await stock_repository.move(
            conn, plan["warehouse_id"], count.sku_id, plan["seller_id"], MovementKind.RECEIPT,
            stock.receipt(planned=planned.get(count.sku_id, 0), good=count.good,
                          damaged=count.damaged), f"inbound:{inbound_id}")
        if count.good:
            await enqueue(conn, SOURCE, events.StockReceived(
                inbound_shipment_id=inbound_id, warehouse_id=plan["warehouse_id"],
                sku_id=count.sku_id, seller_id=plan["seller_id"], quantity=count.good,
                received_at=at))
    await enqueue(conn, SOURCE, events.InboundReceived(
        inbound_id=inbound_id, seller_id=plan["seller_id"], warehouse_id=plan["warehouse_id"],
        outcome=to.value, received_at=at, counts=[  # type: ignore[arg-type]
            events.ReceivedCount(sku_id=c.sku_id, planned=planned.get(c.sku_id, 0),
                                 good=c.good, damaged=c.damaged, missing=c.missing,
                                 unexpected=c.unexpected) for c in counts]))
    found = await inbound_repository.get(conn, inbound_id)
    assert found is not None
    return found
