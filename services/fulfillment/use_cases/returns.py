"""Returns: a label when orders authorises one, then receipt and inspection by whoever the goods
go back to. Resellable units go back on the shelf and to catalog; damaged ones are set aside.
Orders refunds exactly the accepted lines (`return.received`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from libs.consumer import NonRetryable
from libs.domain_errors import StateConflict
from libs.events.envelope import Envelope
from libs.events.schemas import fulfillment as events
from libs.events.schemas.orders import ReturnAuthorized
from libs.ids import new_id
from libs.outbox import enqueue
from services.fulfillment.adapters import parcels_repository as parcels
from services.fulfillment.adapters import returns_repository, stock_repository
from services.fulfillment.domain import returns, stock
from services.fulfillment.domain.carriers import CARRIERS
from services.fulfillment.domain.returns import Inspection, ReturnStatus
from services.fulfillment.domain.shipments import ParcelStatus
from services.fulfillment.domain.stock import MovementKind

SOURCE = "fulfillment"


def now() -> datetime:
    return datetime.now(UTC)


async def on_authorized(conn: asyncpg.Connection, envelope: Envelope,
                        event: ReturnAuthorized) -> None:
    """Issues the label: back to the warehouse that sent the goods, or to the seller."""
    order = await parcels.get_order(conn, event.order_id)
    if order is None:
        raise NonRetryable(f"return for unknown order {event.order_id}")
    delivered = [p for p in await parcels.parcels_of(conn, event.order_id)
                 if p["status"] == ParcelStatus.DELIVERED]
    wanted = {line.sku_id for line in event.lines}
    source = next((p for p in delivered if wanted & set(p["lines"])), None)
    warehouse_id = source["warehouse_id"] if source else None
    carrier = (source or {}).get("carrier") or "Royal Mail"
    number = CARRIERS.get(carrier, CARRIERS["Royal Mail"]).make_number()
    at = now()
    if not await returns_repository.add(
            conn, return_id=event.return_id, order_id=event.order_id, seller_id=event.seller_id,
            buyer_id=event.buyer_id, destination="warehouse" if warehouse_id else "seller",
            warehouse_id=warehouse_id, reason=event.reason,
            lines={line.sku_id: line.quantity for line in event.lines}, carrier=carrier,
            tracking_number=number, now=at):
        return
    await parcels.track(conn, event.order_id, "return_label_issued",
                        f"return label: {carrier} {number}", source="platform",
                        return_id=event.return_id)
    await enqueue(conn, SOURCE, events.ReturnLabelIssued(
        order_id=event.order_id, seller_id=event.seller_id, return_id=event.return_id,
        destination="warehouse" if warehouse_id else "seller", carrier=carrier,
        tracking_number=number, issued_at=at))


async def get_for(conn: asyncpg.Connection, return_id: UUID, *, operator: bool,
                  seller_id: UUID | None) -> dict[str, Any]:
    """The return, locked, if this caller receives it: operators receive at warehouses, a
    seller receives its own self-shipped returns."""
    found = await returns_repository.get(conn, return_id, for_update=True)
    if found is None:
        raise LookupError(return_id)
    if found["destination"] == "warehouse" and not operator:
        raise PermissionError("returns to a warehouse are received by its operators")
    if found["destination"] == "seller" and found["seller_id"] != seller_id and not operator:
        raise LookupError(return_id)
    return found


async def receive(conn: asyncpg.Connection, found: dict[str, Any]) -> dict[str, Any]:
    returns.move(ReturnStatus(found["status"]), ReturnStatus.RECEIVED)
    await returns_repository.set_status(conn, found["id"], ReturnStatus.RECEIVED.value, now())
    await parcels.track(conn, found["order_id"], "return_received", "return parcel arrived",
                        source=found["destination"], return_id=found["id"])
    return {**found, "status": ReturnStatus.RECEIVED.value}


async def inspect(conn: asyncpg.Connection, found: dict[str, Any],
                  lines: list[Inspection]) -> dict[str, Any]:
    if found["status"] != ReturnStatus.RECEIVED:
        raise StateConflict("return_id", f"the return is {found['status']}; it is inspected "
                            "once received", "wrong_state")
    returns.check_inspection(found["lines"], lines)
    at = now()
    inspection = [{"sku_id": str(i.sku_id), "resellable": i.resellable, "damaged": i.damaged,
                   "rejected": i.rejected} for i in lines]
    await returns_repository.set_status(conn, found["id"], ReturnStatus.INSPECTED.value, at,
                                        inspection)
    if found["warehouse_id"] is not None:
        for line in sorted(lines, key=lambda i: i.sku_id):
            if line.accepted:
                await stock_repository.move(
                    conn, found["warehouse_id"], line.sku_id, found["seller_id"],
                    MovementKind.RETURN, stock.returned(resellable=line.resellable,
                                                        damaged=line.damaged),
                    f"return:{found['id']}")
            if line.resellable:
                await enqueue(conn, SOURCE, events.StockAdjusted(
                    adjustment_id=new_id(), warehouse_id=found["warehouse_id"],
                    sku_id=line.sku_id, seller_id=found["seller_id"], delta=line.resellable,
                    reason="return_resellable", adjusted_at=at))
    accepted = [events.ReturnedLine(sku_id=i.sku_id, quantity=i.accepted)
                for i in lines if i.accepted]
    await enqueue(conn, SOURCE, events.ReturnInspected(
        order_id=found["order_id"], seller_id=found["seller_id"], return_id=found["id"],
        lines=[events.InspectedLine(sku_id=i.sku_id, resellable=i.resellable,
                                    damaged=i.damaged, rejected=i.rejected) for i in lines],
        inspected_at=at))
    if accepted:
        await enqueue(conn, SOURCE, events.ReturnReceived(
            order_id=found["order_id"], return_id=found["id"], seller_id=found["seller_id"],
            lines=accepted, received_at=at))
    await parcels.track(conn, found["order_id"], "return_inspected",
                        f"{sum(i.accepted for i in lines)} unit(s) accepted, "
                        f"{sum(i.rejected for i in lines)} rejected",
                        source=found["destination"], return_id=found["id"])
    return {**found, "status": ReturnStatus.INSPECTED.value, "inspection": inspection}
