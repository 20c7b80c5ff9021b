"""Payment authorisation, the saga's step after stock, fired in runs by the deadline engine.

At a sale's pace authorisations fall due by the dozen at each moment. One at a time, each cost
about a dozen round trips and a transaction of its own. Here the provider is asked for a run's
authorisations concurrently (each with an idempotency key derived from its order, so a crash or
a timeout resumes without charging twice), and their outcomes are written in one transaction of
about ten statements, whatever the run's length. A deadline fired alone is a run of one.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
from uuid import UUID

import asyncpg

from libs import deadlines, zones
from libs.db.transaction import transaction
from libs.events.schemas import orders as events
from libs.outbox import enqueue
from libs.retry import backoff
from services.orders.adapters import order_batches, repository
from services.orders.domain.order import Order, OrderStatus
from services.orders.domain.payments import (
    Authorization,
    AuthorizationOutcome,
    PaymentProvider,
    ProviderTimeout,
)
from services.orders.settings import OrdersSettings
from services.orders.use_cases import commissions
from services.orders.use_cases.saga import (
    AUTHORIZE,
    HOLD_ENDS,
    PAY_BY,
    SHIP_BY,
    SOURCE,
    VOID,
    cancel,
    now,
)

AWAITING_PAYMENT = OrderStatus.AWAITING_PAYMENT


def deadline_kind(provider: PaymentProvider, settings: OrdersSettings) -> deadlines.DeadlineKind:
    return deadlines.DeadlineKind(
        AUTHORIZE, fire_many_outside_transaction=partial(authorize_many, provider, settings))


async def authorize_many(provider: PaymentProvider, settings: OrdersSettings,
                         pool: asyncpg.Pool, due: list[deadlines.Deadline]) -> None:
    """Authorises the payments of orders still awaiting payment; an order that moved on
    meanwhile (cancelled) is not charged. A provider timeout is retried with backoff, up to
    `payment_attempts`, then the payment has failed."""
    deadline_of = {UUID(deadline.key): deadline for deadline in due}
    asked = await repository.payments_to_authorize(pool, list(deadline_of))
    waiting = [order_id for order_id in deadline_of
               if order_id in asked and asked[order_id]["status"] == AWAITING_PAYMENT.value]
    answers = await asyncio.gather(*(_ask(provider, order_id, asked[order_id])
                                     for order_id in waiting))
    async with transaction(pool) as conn:
        orders = await order_batches.lock_orders(conn, waiting)
        # Another firing of an order's deadline may have settled it meanwhile (this one's
        # lease ran out while the provider was slow); the provider answered both with the
        # same payment, so the order is left as that firing left it: confirmed, not voided.
        answered = {order_id: answer for order_id, answer in zip(waiting, answers, strict=True)
                    if orders[order_id].status in (AWAITING_PAYMENT, OrderStatus.CANCELLED)}
        retried = await _timed_out(conn, [(orders[order_id], deadline_of[order_id])
                                          for order_id, answer in answered.items()
                                          if answer is None], settings)
        authorized = {order_id: answer for order_id, answer in answered.items()
                      if answer is not None and answer.outcome is AuthorizationOutcome.AUTHORIZED}
        await order_batches.set_payments_authorized(
            conn, [(order_id, answer.payment_id) for order_id, answer in authorized.items()])
        notices = {order_id: events.PaymentAuthorized(
            order_id=order_id, payment_id=answer.payment_id,
            amount_minor=asked[order_id]["amount_minor"],
            currency=asked[order_id]["currency"].strip(), authorized_at=now())
            for order_id, answer in authorized.items()}
        await _confirm(conn, [orders[order_id] for order_id in authorized
                              if orders[order_id].status is AWAITING_PAYMENT], notices, settings)
        for order_id in authorized:
            if orders[order_id].status is OrderStatus.CANCELLED:  # cancelled while answering
                await enqueue(conn, SOURCE, notices[order_id])
                await deadlines.schedule(conn, order_id, VOID, now())  # give the money back
        for order_id, answer in answered.items():
            if answer is not None and order_id not in authorized:
                await _payment_failed(conn, orders[order_id], answer.outcome.value)
        await deadlines.complete_many(conn, [d for d in due if d not in retried])


async def _timed_out(conn: asyncpg.Connection,
                     unanswered: list[tuple[Order, deadlines.Deadline]],
                     settings: OrdersSettings) -> list[deadlines.Deadline]:
    """Asked again later with backoff, up to `payment_attempts`; then the payment has failed.
    Returns the deadlines put back for another attempt."""
    retried = []
    for order, deadline in unanswered:
        if deadline.attempts < settings.payment_attempts:
            await deadlines.retry(conn, deadline, backoff(deadline.attempts, cap=30),
                                  "payment provider timed out")
            await repository.add_timeline(conn, order.id, order.status.value,
                                          "payment provider timed out; retrying")
            retried.append(deadline)
        else:
            await _payment_failed(conn, order, "timeout")
    return retried


async def _ask(provider: PaymentProvider, order_id: UUID,
               asked: asyncpg.Record) -> Authorization | None:
    """The provider's answer; None when it did not answer in time."""
    try:
        return await provider.authorize(
            idempotency_key=f"authorize-{order_id}", amount_minor=asked["amount_minor"],
            currency=asked["currency"].strip(), payment_method=asked["payment_method"] or "")
    except ProviderTimeout:
        return None


async def _confirm(conn: asyncpg.Connection, paid: list[Order],
                   notices: dict[UUID, events.PaymentAuthorized],
                   settings: OrdersSettings) -> None:
    """Paid: each order is confirmed and held for its hold window, fulfilment is asked for, the
    pay-by promise is kept and the ship-by one made, creators' commissions accrue."""
    if not paid:
        return
    order_ids: list[object] = [order.id for order in paid]
    await order_batches.save_orders(conn, [order.move(OrderStatus.ON_HOLD) for order in paid],
                                    "payment authorized")
    requests = await _fulfillment_requests(conn, [order.id for order in paid])
    confirmed_at = now()
    await enqueue(conn, SOURCE, *[event for order in paid for event in (
        notices[order.id],
        events.OrderConfirmed(order_id=order.id, seller_id=order.seller_id,
                              confirmed_at=confirmed_at),
        requests[order.id])])
    await deadlines.cancel_many(conn, order_ids, PAY_BY)
    ship_by = confirmed_at + timedelta(seconds=settings.ship_by_seconds)
    hold_ends = confirmed_at + timedelta(seconds=settings.hold_window_seconds)
    await order_batches.set_promises(conn, "ship_by", [(order.id, ship_by) for order in paid])
    await deadlines.schedule_each(conn, [
        *((order.id, HOLD_ENDS, hold_ends) for order in paid),
        *((order.id, SHIP_BY, ship_by) for order in paid)])
    await commissions.accrue(conn, paid)


async def _payment_failed(conn: asyncpg.Connection, order: Order, reason: str) -> None:
    await repository.set_payment(conn, order.id, "failed")
    await enqueue(conn, SOURCE, events.PaymentFailed(order_id=order.id, reason=reason,  # type: ignore[arg-type]
                                                     failed_at=now()))
    if order.status is AWAITING_PAYMENT:
        await cancel(conn, order, "payment_failed", f"payment failed: {reason}")


async def _fulfillment_requests(conn: asyncpg.Connection, order_ids: list[UUID]
                                ) -> dict[UUID, events.OrderFulfillmentRequested]:
    requested_at = now()
    requests = {}
    for row in await repository.fulfillment_requests(conn, order_ids):
        ship_to = events.ShipTo(**row["shipping_address"])
        requests[row["id"]] = events.OrderFulfillmentRequested(
            order_id=row["id"], seller_id=row["seller_id"], buyer_id=row["buyer_id"],
            market=row["market"].strip(), ship_to=ship_to,
            zone=row["zone"] or zones.zone_of(ship_to.country, ship_to.postcode).code,
            speed=row["shipping_speed"], requested_at=requested_at,
            lines=[events.LineToFulfil(**line) for line in row["lines"]])
    return requests
