"""The checkout saga: each order moves through stock, payment and the hold window.

Every step is a transaction that records the new state, the events, and the next deadline
together (`libs.deadlines`). Calls to the payment provider happen outside any transaction, from a
leased deadline, with an idempotency key derived from the order, so a crash or a timeout at any
point resumes without charging twice (authorisations, the busiest of them, go to the provider
in runs: `authorisation.py`). An order's promises (`pay_by`, `ship_by`, `deliver_by`,
`return_window_ends_at`) are columns of the order as well as deadlines.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

import asyncpg

from libs import deadlines
from libs.db.transaction import transaction
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as catalog_events
from libs.events.schemas import orders as events
from libs.ids import new_id
from libs.outbox import enqueue
from services.orders.adapters import repository, vouchers_repository
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.payments import PaymentProvider
from services.orders.domain.refunds import refund_amount, refund_tax
from services.orders.settings import OrdersSettings
from services.orders.use_cases import commissions

log = logging.getLogger(__name__)
SOURCE = "orders"
AUTHORIZE, VOID, STOCK_TIMEOUT, HOLD_ENDS = ("authorize_payment", "void_payment",
                                             "stock_timeout", "hold_window_end")
CAPTURE, REFUND, SHIP_BY, DELIVER_BY, RETURN_WINDOW_ENDS, PAY_BY = (
    "capture_payment", "refund_payment", "ship_by", "deliver_by", "return_window_end", "pay_by")
PROMISES = {PAY_BY: "pay_by", SHIP_BY: "ship_by", DELIVER_BY: "deliver_by",
            RETURN_WINDOW_ENDS: "return_window_ends_at"}
"""Deadlines that are promises of the order, and the order's column that shows each."""


def now() -> datetime:
    return datetime.now(UTC)


async def promise(conn: asyncpg.Connection, order_id: UUID, kind: str, due_at: datetime, *,
                  replace: bool = False) -> None:
    """Sets one of the order's promised times: on the order, and as a deadline that fires.
    `replace` when a promise already set is recomputed."""
    await repository.set_promise(conn, order_id, PROMISES[kind], due_at)
    await deadlines.schedule(conn, order_id, kind, due_at, replace=replace)


async def cancel(conn: asyncpg.Connection, order: Order, reason: str, note: str, *,
                 restock: bool = True) -> Order:
    """Cancels and compensates: catalog releases the stock on `order.cancelled` (and puts
    committed units back unless they had shipped); an authorized payment is voided by a
    timer, a captured one refunded."""
    cancelled = order.cancel(reason)
    await repository.save_order(conn, cancelled, note)
    await deadlines.cancel(conn, order.id, STOCK_TIMEOUT, HOLD_ENDS, *PROMISES)
    await enqueue(conn, SOURCE, events.OrderCancelled(
        order_id=order.id, seller_id=order.seller_id, reason=reason,  # type: ignore[arg-type]
        restock=restock, cancelled_at=now()))
    payment = await repository.payment(conn, order.id)
    if payment is not None and payment["status"] == "authorized":
        await deadlines.schedule(conn, order.id, VOID, now())
    elif payment is not None and payment["captured_minor"] > 0:
        await request_refund(conn, cancelled, {}, include_everything=True,
                             reason=reason, reference="cancellation")
    if payment is None or payment["captured_minor"] == 0:
        await repository.free_claims(conn, order.id)  # live gives them back to their buyer
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
    rows = await repository.order_lines(conn, order.id)
    if include_everything:
        amount = int(payment["captured_minor"]) - already
        tax = order.tax_minor - await repository.refunded_tax(conn, order.id)
    else:
        lines = {r["sku_id"]: (r["unit_price_minor"], r["quantity"]) for r in rows}
        tax = refund_tax({r["sku_id"]: (r["tax_minor"], r["quantity"]) for r in rows},
                         quantities)
        added = tax if order.tax_added_minor else 0  # US sales tax is paid on top: refund it
        amount = refund_amount(lines, quantities, shipping_minor=order.shipping_minor,
                               include_shipping=include_shipping, already_refunded=already,
                               captured=payment["captured_minor"] - added) + added
    if amount <= 0:
        return 0
    refund_id = new_id()
    if await repository.add_refund(conn, refund_id, order.id, amount, reason, reference,
                                   {str(k): v for k, v in quantities.items()}, tax):
        await deadlines.schedule(conn, order.id, REFUND, now(),
                                 payload={"refund_id": str(refund_id)})
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
    await deadlines.cancel(conn, order.id, STOCK_TIMEOUT)
    await deadlines.schedule(conn, order.id, AUTHORIZE, now())


async def on_reservation_failed(conn: asyncpg.Connection, envelope: Envelope,
                                event: catalog_events.InventoryReservationFailed) -> None:
    order = await repository.get_order(conn, event.order_id, for_update=True)
    if order is None or order.status is not OrderStatus.AWAITING_STOCK:
        return
    short = ", ".join(f"{s.sku_id}: {s.reason}" for s in event.short_lines)
    await cancel(conn, order, "out_of_stock", f"stock could not be reserved ({short})")


def deadline_kinds(provider: PaymentProvider, settings: OrdersSettings) -> list[deadlines.DeadlineKind]:
    """What each of the saga's deadlines does when it falls due."""
    kind = deadlines.DeadlineKind
    return [
        kind(VOID, fire_outside_transaction=partial(_void, provider)),
        kind(CAPTURE, fire_outside_transaction=partial(_capture, provider)),
        kind(REFUND, fire_outside_transaction=partial(_refund, provider)),
        *(kind(name, fire=_order_deadline) for name in (STOCK_TIMEOUT, HOLD_ENDS, *PROMISES)),
    ]


async def _void(provider: PaymentProvider, pool: asyncpg.Pool,
                deadline: deadlines.Deadline) -> None:
    order_id = UUID(deadline.key)
    payment = await repository.payment(pool, order_id)
    assert payment is not None
    if payment["status"] == "captured":  # a capture won the race; it arranged the refund
        async with transaction(pool) as conn:
            await deadlines.complete(conn, deadline)
        return
    await provider.void(idempotency_key=f"void-{order_id}", payment_id=payment["payment_id"])
    async with transaction(pool) as conn:
        if await repository.record_void(conn, order_id):  # not by another firing already
            await enqueue(conn, SOURCE, events.PaymentVoided(
                order_id=order_id, payment_id=payment["payment_id"], voided_at=now()))
        await deadlines.complete(conn, deadline)


async def _order_deadline(conn: asyncpg.Connection, deadline: deadlines.Deadline) -> None:
    """A time limit of the order passed: what happens depends on where the order stands."""
    kind, order_id = deadline.kind, UUID(deadline.key)
    order = await repository.get_order(conn, order_id, for_update=True)
    assert order is not None
    status = order.status
    if kind == STOCK_TIMEOUT and status is OrderStatus.AWAITING_STOCK:
        await cancel(conn, order, "reservation_timeout", "catalog did not answer in time")
    elif kind == PAY_BY and status in (OrderStatus.AWAITING_STOCK, OrderStatus.AWAITING_PAYMENT):
        reason = ("reservation_timeout" if status is OrderStatus.AWAITING_STOCK
                  else "payment_failed")
        await cancel(conn, order, reason, "not paid by the pay-by time")
    elif kind == HOLD_ENDS and status is OrderStatus.ON_HOLD:
        await repository.save_order(conn, order.move(OrderStatus.AWAITING_SHIPMENT),
                                    "hold window over; ready to ship")
    elif kind == SHIP_BY and status in (OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT):
        await cancel(conn, order, "ship_by_missed", "not shipped by the ship-by date")
    elif kind == DELIVER_BY and status is OrderStatus.IN_TRANSIT:  # lost: nothing to restock
        await cancel(conn, order, "deliver_by_missed", "not delivered by the deliver-by date",
                     restock=False)
    elif kind == RETURN_WINDOW_ENDS and status is OrderStatus.DELIVERED:
        await repository.save_order(conn, order.move(OrderStatus.COMPLETED),
                                    "return window closed")
        await enqueue(conn, SOURCE, events.OrderCompleted(order_id=order_id, seller_id=order.seller_id,
                                                          completed_at=now()))
        await commissions.release(conn, order_id)


async def _capture(provider: PaymentProvider, pool: asyncpg.Pool,
                   deadline: deadlines.Deadline) -> None:
    order_id = UUID(deadline.key)
    payment = await repository.payment(pool, order_id)
    assert payment is not None
    order = await repository.get_order(pool, order_id)
    if payment["status"] == "authorized" and order is not None \
            and order.status is not OrderStatus.CANCELLED:
        amount = payment["amount_minor"]
        await provider.capture(idempotency_key=f"capture-{order_id}",
                               payment_id=payment["payment_id"], amount_minor=amount)
        async with transaction(pool) as conn:
            order = await repository.get_order(conn, order_id, for_update=True)
            assert order is not None
            if not await repository.record_capture(conn, order_id, amount):
                await deadlines.complete(conn, deadline)  # another firing recorded it
                return
            await enqueue(conn, SOURCE, events.PaymentCaptured(
                order_id=order_id, payment_id=payment["payment_id"],
                amount_minor=amount, captured_at=now()))
            if order.status is OrderStatus.CANCELLED:  # cancelled while the provider captured
                await request_refund(conn, order, {}, include_everything=True,
                                     reason=order.cancel_reason or "cancelled",
                                     reference="cancellation")
            await deadlines.complete(conn, deadline)
        return
    async with transaction(pool) as conn:
        await deadlines.complete(conn, deadline)


async def _refund(provider: PaymentProvider, pool: asyncpg.Pool,
                  deadline: deadlines.Deadline) -> None:
    order_id = UUID(deadline.key)
    refund_id = UUID(deadline.payload["refund_id"])
    refund = await repository.refund(pool, refund_id)
    payment = await repository.payment(pool, order_id)
    assert refund is not None and payment is not None
    if refund["status"] == "pending":
        await provider.refund(idempotency_key=f"refund-{refund_id}",
                              payment_id=payment["payment_id"],
                              amount_minor=refund["amount_minor"])
        async with transaction(pool) as conn:
            if not await repository.complete_refund(conn, refund_id, order_id,
                                                    refund["amount_minor"]):
                await deadlines.complete(conn, deadline)  # another firing completed it
                return
            await enqueue(conn, SOURCE, events.PaymentRefunded(
                order_id=order_id, payment_id=payment["payment_id"],
                refund_id=refund_id, amount_minor=refund["amount_minor"],
                tax_minor=refund["tax_minor"], reason=refund["reason"], refunded_at=now()))
            await deadlines.complete(conn, deadline)
        return
    async with transaction(pool) as conn:
        await deadlines.complete(conn, deadline)
