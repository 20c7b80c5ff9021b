"""The checkout saga: each order moves through stock, payment and the hold window.

Every step is a transaction that records the new state, the events, and the next durable timer
together. Calls to the payment provider happen outside any transaction, from a leased timer, with
an idempotency key derived from the order, so a crash or a timeout at any point resumes without
charging twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from libs.db.transaction import transaction
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as catalog_events
from libs.events.schemas import orders as events
from libs.outbox import enqueue
from services.orders.adapters import repository
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.payments import AuthorizationOutcome, PaymentProvider, ProviderTimeout
from services.orders.settings import OrdersSettings

log = logging.getLogger(__name__)
SOURCE = "orders"
AUTHORIZE, VOID, STOCK_TIMEOUT, HOLD_ENDS = ("authorize_payment", "void_payment",
                                             "stock_timeout", "hold_window_end")


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
    return cancelled


async def on_inventory_reserved(conn: asyncpg.Connection, envelope: Envelope,
                                event: catalog_events.InventoryReserved) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.AWAITING_STOCK:
        return  # cancelled meanwhile: catalog released it on order.cancelled
    await repository.save_order(conn, order.move(OrderStatus.AWAITING_PAYMENT), "stock reserved")
    await repository.schedule(conn, order.id, AUTHORIZE, now())


async def on_reservation_failed(conn: asyncpg.Connection, envelope: Envelope,
                                event: catalog_events.InventoryReservationFailed) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.AWAITING_STOCK:
        return
    short = ", ".join(f"{s.sku_id}: {s.reason}" for s in event.short_lines)
    await cancel(conn, order, "out_of_stock", f"stock could not be reserved ({short})")


async def run_timers(runtime: Any, provider: PaymentProvider, settings: OrdersSettings,
                     batch: int = 20) -> int:
    timers = await repository.lease_due_timers(runtime.db, batch, lease_seconds=30)
    for timer in timers:
        try:
            await _fire(runtime.db, provider, settings, timer)
        except Exception:
            log.exception("timer %s (%s) failed; it will be retried", timer["id"], timer["kind"])
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
    async with transaction(pool) as conn:
        order = await repository.get_order(conn, order_id, for_update=True)
        assert order is not None
        if kind == STOCK_TIMEOUT and order.status is OrderStatus.AWAITING_STOCK:
            await cancel(conn, order, "reservation_timeout", "catalog did not answer in time")
        elif kind == HOLD_ENDS and order.status is OrderStatus.ON_HOLD:
            await repository.save_order(conn, order.move(OrderStatus.AWAITING_SHIPMENT),
                                        "hold window over; ready to ship")
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
