"""Keeps support's read model of orders, parcels, refunds and listings from the other services'
events, writes each order's story for agents, and records the violations those events reveal.

Events of one order arrive in order per topic, but orders' and fulfillment's topics interleave
freely: every write here tolerates the other topic's event having come first (a parcel before
its order, a promise before confirmation)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from libs.consumed_record import BatchHandler
from libs.events.envelope import Envelope
from libs.events.schemas import catalog as cat
from libs.events.schemas import fulfillment as ful
from libs.events.schemas import orders as ords
from services.support.adapters import context_repository as context
from services.support.domain.health import ViolationKind, late_promise_kind
from services.support.domain.order_news import NEWS
from services.support.settings import SupportSettings
from services.support.use_cases.account_health import record_violation
from services.support.use_cases.order_story import record_news

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]


async def on_payment_refunded(conn: asyncpg.Connection, envelope: Envelope,
                              event: ords.PaymentRefunded) -> None:
    await context.add_refund(conn, refund_id=event.refund_id, order_id=event.order_id,
                             amount_minor=event.amount_minor, reason=event.reason,
                             at=event.refunded_at)
    await context.tell(conn, event.order_id, event.refunded_at, event.type,
                       f"refunded {event.amount_minor} minor units ({event.reason})")


async def on_shipment_shipped(conn: asyncpg.Connection, envelope: Envelope,
                              event: ful.ShipmentShipped) -> None:
    await context.upsert_parcel(conn, shipment_id=event.shipment_id, order_id=event.order_id,
                                seller_id=event.seller_id, status="shipped", at=event.shipped_at,
                                carrier=event.carrier, service=event.service,
                                tracking_number=event.tracking_number)
    await context.tell(conn, event.order_id, event.shipped_at, event.type,
                       f"parcel shipped with {event.carrier} ({event.tracking_number})")


def _tracking(status: str, at_field: str) -> Handler:
    async def handle(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
        at = getattr(event, at_field)
        await context.upsert_parcel(conn, shipment_id=event.shipment_id,
                                    order_id=event.order_id, seller_id=event.seller_id,
                                    status=status, at=at)
        await context.tell(conn, event.order_id, at, event.type,
                           f"parcel {status.replace('_', ' ')}")
    return handle


def _violations(settings: SupportSettings) -> dict[str, Handler]:
    async def on_promise_breached(conn: asyncpg.Connection, envelope: Envelope,
                                  event: ful.PromiseBreached) -> None:
        await context.tell(conn, event.order_id, event.at, event.type,
                           f"missed its {event.promise.replace('_', '-')} promise")
        kind = late_promise_kind(event.promise,
                                 await context.shipping_method(conn, event.order_id))
        if kind is not None:
            await record_violation(conn, settings, event.seller_id, kind,
                                   f"order:{event.order_id}:{event.promise}", event.at)

    async def on_order_cancelled(conn: asyncpg.Connection, envelope: Envelope,
                                 event: ords.OrderCancelled) -> None:
        await context.update_order(conn, event.order_id, event.cancelled_at, status="cancelled",
                                   cancelled_reason=event.reason)
        await context.tell(conn, event.order_id, event.cancelled_at, event.type,
                           f"cancelled: {event.reason.replace('_', ' ')}")
        if event.reason == "seller_cancelled" and event.seller_id is not None:
            await record_violation(conn, settings, event.seller_id,
                                   ViolationKind.SELLER_CANCELLATION, f"order:{event.order_id}",
                                   event.cancelled_at)

    async def on_product_rejected(conn: asyncpg.Connection, envelope: Envelope,
                                  event: cat.ProductRejected) -> None:
        await context.set_listing(conn, product_id=event.product_id, seller_id=event.seller_id,
                                  status="rejected", at=event.rejected_at,
                                  reasons=[r.detail for r in event.reasons])
        await record_violation(conn, settings, event.seller_id, ViolationKind.LISTING_REJECTED,
                               f"product:{event.product_id}:{envelope.id}", event.rejected_at)

    return {"promise.breached": on_promise_breached, "order.cancelled": on_order_cancelled,
            "product.rejected": on_product_rejected}


async def on_product_submitted(conn: asyncpg.Connection, envelope: Envelope,
                               event: cat.ProductSubmitted) -> None:
    if event.outcome == "review_queue":
        await context.set_listing(conn, product_id=event.product_id, seller_id=event.seller_id,
                                  status="in_review", at=event.submitted_at,
                                  reasons=[r.detail for r in event.reasons])


async def on_product_published(conn: asyncpg.Connection, envelope: Envelope,
                               event: cat.ProductPublished) -> None:
    await context.set_listing(conn, product_id=event.product_id, seller_id=event.seller_id,
                              status="published", at=event.published_at,
                              sku_ids=[s.sku_id for s in event.skus], reasons=[])


async def on_product_deactivated(conn: asyncpg.Connection, envelope: Envelope,
                                 event: cat.ProductDeactivated) -> None:
    await context.set_listing(conn, product_id=event.product_id, seller_id=event.seller_id,
                              status="deactivated", at=event.deactivated_at)


async def on_order_news(conn: asyncpg.Connection, envelope: Envelope, event: Any) -> None:
    await record_news(conn, [event])


async def on_orders_news(conn: asyncpg.Connection, events: list[tuple[Envelope, Any]]) -> None:
    await record_news(conn, [event for _, event in events])


ORDER_NEWS = ("order.placed", *NEWS)
"""Placements and the events that only set an order's view fields and tell its story."""


def handlers(settings: SupportSettings) -> dict[str, Handler]:
    return {
        **dict.fromkeys(ORDER_NEWS, on_order_news),
        "payment.refunded": on_payment_refunded,
        "shipment.shipped": on_shipment_shipped,
        "shipment.in_transit": _tracking("in_transit", "at"),
        "shipment.out_for_delivery": _tracking("out_for_delivery", "at"),
        "shipment.delivered": _tracking("delivered", "delivered_at"),
        "shipment.delivery_failed": _tracking("delivery_failed", "failed_at"),
        "shipment.returned_to_sender": _tracking("returned_to_sender", "returned_at"),
        "product.submitted": on_product_submitted,
        "product.published": on_product_published,
        "product.deactivated": on_product_deactivated,
        **_violations(settings),
    }


BATCH_HANDLERS: dict[str, BatchHandler] = dict.fromkeys(ORDER_NEWS, on_orders_news)
"""A run of orders' news (of any of these types) is written in a few statements."""
