"""The checkout saga: each order moves through stock, payment and the hold window.

Every step is a transaction that records the new state, the events, and the next durable timer
together. Calls to the payment provider happen outside any transaction, from a leased timer, with
an idempotency key derived from the order, so a crash or a timeout at any point resumes without
charging twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from libs.consumer import NonRetryable
from libs.db.transaction import transaction
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as catalog_events
from libs.events.schemas import orders as events
from libs.events.schemas.fulfillment import ReturnReceived, ShipmentDelivered, ShipmentShipped
from libs.events.schemas.support import DisputeResolved
from libs.ids import new_id
from libs.outbox import enqueue
from services.orders.adapters import repository, vouchers_repository
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.payments import AuthorizationOutcome, PaymentProvider, ProviderTimeout
from services.orders.domain.refunds import RefundError, refund_amount
from services.orders.handlers import commissions
from services.orders.settings import OrdersSettings

log = logging.getLogger(__name__)
SOURCE = "orders"
AUTHORIZE, VOID, STOCK_TIMEOUT, HOLD_ENDS = ("authorize_payment", "void_payment",
                                             "stock_timeout", "hold_window_end")
CAPTURE, REFUND, SHIP_BY, DELIVER_BY, RETURN_WINDOW_ENDS = (
    "capture_payment", "refund_payment", "ship_by", "deliver_by", "return_window_end")


_settings = OrdersSettings()


def configure(settings: OrdersSettings) -> None:
    """The app's settings, for event handlers (which receive only the event)."""
    global _settings
    _settings = settings


def now() -> datetime:
    return datetime.now(UTC)


async def cancel(conn: asyncpg.Connection, order: Order, reason: str, note: str) -> Order:
    """Cancels and compensates: catalog releases the stock on `order.cancelled`; an authorized
    payment is voided by a timer."""
    cancelled = order.cancel(reason)
    await repository.save_order(conn, cancelled, note)
    await enqueue(conn, SOURCE, events.OrderCancelled(order_id=order.id, reason=reason,  # type: ignore[arg-type]
                                                      cancelled_at=now()))
    payment = await repository.payment(conn, order.id)
    if payment is not None and payment["status"] == "authorized":
        await repository.schedule(conn, order.id, VOID, now())
    elif payment is not None and payment["captured_minor"] > 0:
        await request_refund(conn, cancelled, {}, include_everything=True,
                             reason=reason, reference="cancellation")
    await commissions.reverse(conn, order.id, reason)
    await vouchers_repository.give_back(conn, order.id)
    return cancelled


async def request_refund(conn: asyncpg.Connection, order: Order, quantities: dict[UUID, int], *,
                         reason: str, reference: str, include_shipping: bool = False,
                         include_everything: bool = False) -> int:
    """Records a refund (once per reference) and schedules paying it; returns the amount."""
    payment = await repository.payment(conn, order.id)
    if payment is None or payment["captured_minor"] == 0:
        return 0
    already = await repository.pending_refunds_total(conn, order.id)
    if include_everything:
        amount = int(payment["captured_minor"]) - already
    else:
        lines = {r["sku_id"]: (r["unit_price_minor"], r["quantity"])
                 for r in await repository.order_lines(conn, order.id)}
        amount = refund_amount(lines, quantities, shipping_minor=order.shipping_minor,
                               include_shipping=include_shipping, already_refunded=already,
                               captured=payment["captured_minor"])
    if amount <= 0:
        return 0
    refund_id = new_id()
    if await repository.add_refund(conn, refund_id, order.id, amount, reason, reference,
                                   {str(k): v for k, v in quantities.items()}):
        await repository.schedule_with(conn, order.id, REFUND, now(),
                                       {"refund_id": str(refund_id)})
        if quantities and not include_everything:
            await commissions.reverse(conn, order.id, reason, quantities)
        return amount
    return 0


async def on_inventory_reserved(conn: asyncpg.Connection, envelope: Envelope,
                                event: catalog_events.InventoryReserved) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.AWAITING_STOCK:
        return  # cancelled meanwhile: catalog released it on order.cancelled
    await repository.save_order(conn, order.move(OrderStatus.AWAITING_PAYMENT), "stock reserved")
    await repository.drop_timers(conn, order.id, STOCK_TIMEOUT)
    await repository.schedule(conn, order.id, AUTHORIZE, now())


async def on_reservation_failed(conn: asyncpg.Connection, envelope: Envelope,
                                event: catalog_events.InventoryReservationFailed) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.AWAITING_STOCK:
        return
    short = ", ".join(f"{s.sku_id}: {s.reason}" for s in event.short_lines)
    await repository.drop_timers(conn, order.id, STOCK_TIMEOUT)
    await cancel(conn, order, "out_of_stock", f"stock could not be reserved ({short})")


TIMER_CONCURRENCY = 6
"""Orders whose timers fire at once. Each firing waits mostly on Postgres or the payment
provider, so one at a time caps the whole saga at a few hundred steps a second."""


async def run_timers(runtime: Any, provider: PaymentProvider, settings: OrdersSettings,
                     batch: int = 60) -> int:
    timers = await repository.lease_due_timers(runtime.worker_db, batch,
                                               lease_seconds=settings.timer_lease_seconds)
    by_order: dict[UUID, list[asyncpg.Record]] = {}
    for timer in sorted(timers, key=lambda t: t["id"]):
        by_order.setdefault(timer["order_id"], []).append(timer)
    gate = asyncio.Semaphore(TIMER_CONCURRENCY)

    async def fire_in_order(order_timers: list[asyncpg.Record]) -> None:
        """One order's timers one after another, in the order they were set."""
        async with gate:
            for timer in order_timers:
                try:
                    await _fire(runtime.worker_db, provider, settings, timer)
                except Exception:
                    log.exception("timer %s (%s) failed; it will be retried", timer["id"],
                                  timer["kind"])

    await asyncio.gather(*(fire_in_order(group) for group in by_order.values()))
    return len(timers)


async def _fire(pool: asyncpg.Pool, provider: PaymentProvider, settings: OrdersSettings,
                timer: asyncpg.Record) -> None:
    kind, order_id = timer["kind"], timer["order_id"]
    if kind == AUTHORIZE:
        await _authorize(pool, provider, settings, timer)
        return
    if kind == VOID:
        payment = await repository.payment(pool, order_id)
        assert payment is not None
        await provider.void(idempotency_key=f"void-{order_id}", payment_id=payment["payment_id"])
        async with transaction(pool) as conn:
            await repository.set_payment(conn, order_id, "voided")
            await enqueue(conn, SOURCE, events.PaymentVoided(
                order_id=order_id, payment_id=payment["payment_id"], voided_at=now()))
            await repository.finish_timer(conn, timer["id"])
        return
    if kind == CAPTURE:
        await _capture(pool, provider, timer)
        return
    if kind == REFUND:
        await _refund(pool, provider, timer)
        return
    async with transaction(pool) as conn:
        order = await repository.get_order(conn, order_id, for_update=True)
        assert order is not None
        status = order.status
        if kind == STOCK_TIMEOUT and status is OrderStatus.AWAITING_STOCK:
            await cancel(conn, order, "reservation_timeout", "catalog did not answer in time")
        elif kind == HOLD_ENDS and status is OrderStatus.ON_HOLD:
            await repository.save_order(conn, order.move(OrderStatus.AWAITING_SHIPMENT),
                                        "hold window over; ready to ship")
        elif kind == SHIP_BY and status in (OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT):
            await cancel(conn, order, "ship_by_missed", "not shipped by the ship-by date")
        elif kind == DELIVER_BY and status is OrderStatus.IN_TRANSIT:
            await cancel(conn, order, "deliver_by_missed", "not delivered by the deliver-by date")
        elif kind == RETURN_WINDOW_ENDS and status is OrderStatus.DELIVERED:
            await repository.save_order(conn, order.move(OrderStatus.COMPLETED),
                                        "return window closed")
            await enqueue(conn, SOURCE, events.OrderCompleted(order_id=order_id,
                                                              completed_at=now()))
            await commissions.release(conn, order_id)
        await repository.finish_timer(conn, timer["id"])


async def _capture(pool: asyncpg.Pool, provider: PaymentProvider, timer: asyncpg.Record) -> None:
    payment = await repository.payment(pool, timer["order_id"])
    assert payment is not None
    if payment["status"] == "authorized":
        amount = payment["amount_minor"]
        await provider.capture(idempotency_key=f"capture-{timer['order_id']}",
                               payment_id=payment["payment_id"], amount_minor=amount)
        async with transaction(pool) as conn:
            await repository.record_capture(conn, timer["order_id"], amount)
            await enqueue(conn, SOURCE, events.PaymentCaptured(
                order_id=timer["order_id"], payment_id=payment["payment_id"],
                amount_minor=amount, captured_at=now()))
            await repository.finish_timer(conn, timer["id"])
        return
    async with transaction(pool) as conn:
        await repository.finish_timer(conn, timer["id"])


async def _refund(pool: asyncpg.Pool, provider: PaymentProvider, timer: asyncpg.Record) -> None:
    refund_id = UUID((await repository.timer_payload(pool, timer["id"]))["refund_id"])
    refund = await repository.refund(pool, refund_id)
    payment = await repository.payment(pool, timer["order_id"])
    assert refund is not None and payment is not None
    if refund["status"] == "pending":
        await provider.refund(idempotency_key=f"refund-{refund_id}",
                              payment_id=payment["payment_id"],
                              amount_minor=refund["amount_minor"])
        async with transaction(pool) as conn:
            await repository.complete_refund(conn, refund_id, timer["order_id"],
                                             refund["amount_minor"])
            await enqueue(conn, SOURCE, events.PaymentRefunded(
                order_id=timer["order_id"], payment_id=payment["payment_id"],
                refund_id=refund_id, amount_minor=refund["amount_minor"],
                reason=refund["reason"], refunded_at=now()))
            await repository.finish_timer(conn, timer["id"])
        return
    async with transaction(pool) as conn:
        await repository.finish_timer(conn, timer["id"])


async def _authorize(pool: asyncpg.Pool, provider: PaymentProvider, settings: OrdersSettings,
                     timer: asyncpg.Record) -> None:
    order_id = timer["order_id"]
    order = await repository.get_order(pool, order_id)
    payment = await repository.payment(pool, order_id)
    assert order is not None and payment is not None
    if order.status is not OrderStatus.AWAITING_PAYMENT:
        async with transaction(pool) as conn:
            await repository.finish_timer(conn, timer["id"])
        return
    try:
        result = await provider.authorize(
            idempotency_key=f"authorize-{order_id}", amount_minor=payment["amount_minor"],
            currency=payment["currency"].strip(), card_number=payment["card_number"])
    except ProviderTimeout:
        async with transaction(pool) as conn:
            if timer["attempts"] < settings.payment_attempts:
                await repository.retry_timer(conn, timer["id"], min(30, 0.5 * 2 ** timer["attempts"]))
                await repository.add_timeline(conn, order_id, order.status.value,
                                              "payment provider timed out; retrying")
                return
            await _payment_failed(conn, order_id, "timeout")
            await repository.finish_timer(conn, timer["id"])
        return
    async with transaction(pool) as conn:
        current = await repository.get_order(conn, order_id, for_update=True)
        assert current is not None
        if result.outcome is AuthorizationOutcome.AUTHORIZED:
            await repository.set_payment(conn, order_id, "authorized", result.payment_id)
            await enqueue(conn, SOURCE, events.PaymentAuthorized(
                order_id=order_id, payment_id=result.payment_id,
                amount_minor=payment["amount_minor"], currency=payment["currency"].strip(),
                authorized_at=now()))
            if current.status is OrderStatus.AWAITING_PAYMENT:
                await repository.save_order(conn, current.move(OrderStatus.ON_HOLD),
                                            "payment authorized")
                await enqueue(conn, SOURCE, events.OrderConfirmed(order_id=order_id,
                                                                  confirmed_at=now()))
                await repository.schedule(conn, order_id, HOLD_ENDS,
                                          now() + timedelta(seconds=settings.hold_window_seconds))
                await repository.schedule(conn, order_id, SHIP_BY,
                                          now() + timedelta(seconds=settings.ship_by_seconds))
                await commissions.accrue(conn, current)
            else:  # cancelled while the provider was answering: give the money back
                await repository.schedule(conn, order_id, VOID, now())
        else:
            await _payment_failed(conn, order_id, result.outcome.value)
        await repository.finish_timer(conn, timer["id"])


async def _payment_failed(conn: asyncpg.Connection, order_id: UUID, reason: str) -> None:
    await repository.set_payment(conn, order_id, "failed")
    await enqueue(conn, SOURCE, events.PaymentFailed(order_id=order_id, reason=reason,  # type: ignore[arg-type]
                                                     failed_at=now()))
    order = await repository.get_order(conn, order_id, for_update=True)
    if order is not None and order.status is OrderStatus.AWAITING_PAYMENT:
        await cancel(conn, order, "payment_failed", f"payment failed: {reason}")


async def on_shipped(conn: asyncpg.Connection, envelope: Envelope,
                     event: ShipmentShipped) -> None:
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
        order_id=order.id, carrier=event.carrier, tracking_number=event.tracking_number,
        shipped_at=event.shipped_at))
    await repository.schedule(conn, order.id, CAPTURE, now())
    await repository.schedule(conn, order.id, DELIVER_BY,
                              now() + timedelta(seconds=_settings.deliver_by_seconds))


async def on_delivered(conn: asyncpg.Connection, envelope: Envelope,
                       event: ShipmentDelivered) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.IN_TRANSIT:
        return
    ends = event.delivered_at + timedelta(seconds=_settings.return_window_seconds)
    await repository.save_order(conn, order.move(OrderStatus.DELIVERED), "delivered")
    await enqueue(conn, SOURCE, events.OrderDelivered(
        order_id=order.id, delivered_at=event.delivered_at, return_window_ends_at=ends))
    await repository.schedule(conn, order.id, RETURN_WINDOW_ENDS, ends)


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
    if event.outcome != "refund_buyer":
        return
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None:
        raise NonRetryable(f"unknown order {event.order_id}")
    try:
        await request_refund(conn, order, {line.sku_id: line.quantity
                                           for line in event.refund_lines},
                             include_shipping=event.refund_shipping, reason="dispute_resolved",
                             reference=f"dispute:{event.dispute_id}")
    except RefundError as exc:
        raise NonRetryable(str(exc)) from exc
