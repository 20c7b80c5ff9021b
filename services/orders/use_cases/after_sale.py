"""After payment: shipping captures the payment and sets the delivery promise, delivery starts
the return window, parcels back at their sender and accepted returns are refunded, a dispute
decided for the buyer refunds what it says. (Fulfillment's promises: `saga_batches`.)"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from libs import deadlines
from libs.consumer import NonRetryable
from libs.events.envelope import Envelope
from libs.events.schemas import orders as events
from libs.events.schemas.fulfillment import (
    ReturnReceived,
    ShipmentDelivered,
    ShipmentReturnedToSender,
    ShipmentShipped,
)
from libs.events.schemas.support import DisputeResolved
from libs.outbox import enqueue
from services.orders.adapters import repository
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.refunds import RefundError
from services.orders.settings import OrdersSettings
from services.orders.use_cases.returns import return_for_dispute
from services.orders.use_cases.saga import (
    CAPTURE,
    DELIVER_BY,
    HOLD_ENDS,
    RETURN_WINDOW_ENDS,
    SHIP_BY,
    SOURCE,
    cancel,
    now,
    promise,
    request_refund,
)


async def on_shipped(conn: asyncpg.Connection, envelope: Envelope, event: ShipmentShipped, *,
                     settings: OrdersSettings) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status not in (OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT):
        return
    if order.status is OrderStatus.ON_HOLD:  # shipped early: the hold window ends with it
        order = order.move(OrderStatus.AWAITING_SHIPMENT)
    shipped = order.move(OrderStatus.IN_TRANSIT)
    await repository.set_shipping(conn, order.id, event.carrier, event.tracking_number)
    await repository.save_order(conn, shipped, f"shipped with {event.carrier} "
                                f"({event.tracking_number})")
    await enqueue(conn, SOURCE, events.OrderShipped(
        order_id=order.id, seller_id=order.seller_id, carrier=event.carrier,
        tracking_number=event.tracking_number,
        shipped_at=event.shipped_at))
    await deadlines.cancel(conn, order.id, SHIP_BY, HOLD_ENDS)
    await deadlines.schedule(conn, order.id, CAPTURE, now())
    if await repository.promised(conn, order.id, "deliver_by") is None:  # nobody promised one
        await promise(conn, order.id, DELIVER_BY,
                      now() + timedelta(seconds=settings.deliver_by_seconds))


async def on_delivered(conn: asyncpg.Connection, envelope: Envelope, event: ShipmentDelivered,
                       *, settings: OrdersSettings) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.IN_TRANSIT:
        return
    await repository.count_delivered_parcel(conn, order.id)
    if event.parcels_outstanding > 0:
        await repository.add_timeline(conn, order.id, order.status.value, "a parcel was "
                                      f"delivered; {event.parcels_outstanding} still on the way")
        return
    await _delivered(conn, order, event.delivered_at, settings)


async def _delivered(conn: asyncpg.Connection, order: Order, delivered_at: datetime,
                     settings: OrdersSettings) -> None:
    """The buyer has everything that will arrive: the return window starts."""
    ends = delivered_at + timedelta(seconds=settings.return_window_seconds)
    await repository.save_order(conn, order.move(OrderStatus.DELIVERED), "delivered")
    await enqueue(conn, SOURCE, events.OrderDelivered(
        order_id=order.id, seller_id=order.seller_id, delivered_at=delivered_at, return_window_ends_at=ends))
    await deadlines.cancel(conn, order.id, DELIVER_BY)
    await promise(conn, order.id, RETURN_WINDOW_ENDS, ends)


async def on_return_received(conn: asyncpg.Connection, envelope: Envelope,
                             event: ReturnReceived) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None:
        raise NonRetryable(f"unknown order {event.order_id}")
    try:
        await request_refund(conn, order, {line.sku_id: line.quantity for line in event.lines},
                             reason="return_received", reference=f"return:{event.return_id}")
    except RefundError as exc:
        raise NonRetryable(str(exc)) from exc


async def on_dispute_resolved(conn: asyncpg.Connection, envelope: Envelope,
                              event: DisputeResolved) -> None:
    if event.outcome == "reject_claim":
        return
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None:
        raise NonRetryable(f"unknown order {event.order_id}")
    if event.outcome == "return_and_refund":  # refunded when the goods come back
        await return_for_dispute(conn, order, event.dispute_id,
                                 [(line.sku_id, line.quantity) for line in event.refund_lines])
        return
    try:
        await request_refund(conn, order, {line.sku_id: line.quantity
                                           for line in event.refund_lines},
                             include_shipping=event.refund_shipping, reason="dispute_resolved",
                             reference=f"dispute:{event.dispute_id}")
    except RefundError as exc:
        raise NonRetryable(str(exc)) from exc


async def on_returned_to_sender(conn: asyncpg.Connection, envelope: Envelope,
                                event: ShipmentReturnedToSender, *,
                                settings: OrdersSettings) -> None:
    """A parcel could not be delivered and went back. Its items are refunded; when nothing of
    the order reached the buyer, the order is cancelled and refunded in full (its units are
    counted back by whoever received the parcel, so catalog does not restock them)."""
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.IN_TRANSIT:
        return
    if event.parcels_outstanding == 0 and event.parcels_delivered == 0:
        await cancel(conn, order, "delivery_failed", "undeliverable: returned to sender",
                     restock=False)
        return
    await request_refund(conn, order, {line.sku_id: line.quantity for line in event.lines},
                         reason="delivery_failed", reference=f"rts:{event.shipment_id}")
    await repository.add_timeline(conn, order.id, order.status.value,
                                  "a parcel was returned to sender; its items are refunded")
    if event.parcels_outstanding == 0:
        await _delivered(conn, order, event.returned_at, settings)
