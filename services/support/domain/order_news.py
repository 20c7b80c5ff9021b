"""What an order's or its fulfilment's event tells support: the fields of its order view it sets
and the line it adds to the order's story. Kept apart from the writing so that a run of events
is written in a few statements and a lone event as a run of one, with the same outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from libs.events.base import Event
from libs.events.schemas import fulfillment as ful
from libs.events.schemas import orders as ords


@dataclass(frozen=True)
class StoryLine:
    order_id: UUID
    at: datetime
    type: str
    summary: str


@dataclass(frozen=True)
class OrderNews:
    """The view fields an event sets (none: it only adds to the story) and its story line."""

    order_id: UUID
    at: datetime
    fields: dict[str, Any]
    line: StoryLine | None


@dataclass(frozen=True)
class PlacedOrder:
    """An order as placed: its view row, and the story's first line if the row is new."""

    order_id: UUID
    buyer_id: str
    seller_id: UUID
    currency: str
    lines: dict[str, int]
    total_minor: int
    placed_at: datetime
    line: StoryLine


_SHIPPERS = {"fbt": "the platform's warehouses", "seller": "the seller",
             "mixed": "the warehouses and the seller"}


def placed(event: ords.OrderPlaced) -> PlacedOrder:
    units: dict[str, int] = {}
    for line in event.lines:
        units[str(line.sku_id)] = units.get(str(line.sku_id), 0) + line.quantity
    total = sum(line.quantity * line.unit_price_minor for line in event.lines)
    return PlacedOrder(
        order_id=event.order_id, buyer_id=event.buyer_id, seller_id=event.seller_id,
        currency=event.currency, lines=units, total_minor=total, placed_at=event.placed_at,
        line=StoryLine(event.order_id, event.placed_at, event.type,
                       f"placed: {sum(units.values())} unit(s), {total} {event.currency} "
                       "minor units"))


def _news(event: Event, order_id: UUID, at: datetime, summary: str | None,
          **fields: Any) -> OrderNews:
    line = None if summary is None else StoryLine(order_id, at, event.type, summary)
    return OrderNews(order_id, at, fields, line)


def _confirmed(e: ords.OrderConfirmed) -> OrderNews:
    return _news(e, e.order_id, e.confirmed_at, "paid: payment authorised", status="confirmed")


def _shipped(e: ords.OrderShipped) -> OrderNews:
    return _news(e, e.order_id, e.shipped_at, None, status="shipped", shipped_at=e.shipped_at)


def _delivered(e: ords.OrderDelivered) -> OrderNews:
    return _news(e, e.order_id, e.delivered_at,
                 f"delivered; returns open until {e.return_window_ends_at:%Y-%m-%d}",
                 status="delivered", delivered_at=e.delivered_at,
                 return_window_ends_at=e.return_window_ends_at)


def _completed(e: ords.OrderCompleted) -> OrderNews:
    return _news(e, e.order_id, e.completed_at, "completed: the return window closed",
                 status="completed")


def _fulfillment_created(e: ful.FulfillmentOrderCreated) -> OrderNews:
    return _news(e, e.order_id, e.created_at,
                 f"to be shipped by {_SHIPPERS[e.method]}; ship by {e.ship_by:%Y-%m-%d %H:%M} UTC",
                 method=e.method, ship_by=e.ship_by, deliver_by=e.deliver_by)


def _fulfillment_allocated(e: ful.FulfillmentOrderAllocated) -> OrderNews:
    return _news(e, e.order_id, e.allocated_at,
                 f"allocated to {len(e.parcels)} parcel(s); arrives by "
                 f"{e.deliver_by:%Y-%m-%d %H:%M} UTC",
                 ship_by=e.ship_by, deliver_by=e.deliver_by)


def _promise_at_risk(e: ful.PromiseAtRisk) -> OrderNews:
    return _news(e, e.order_id, e.at, f"{e.promise.replace('_', '-')} promise at risk "
                 f"(due {e.due_at:%Y-%m-%d %H:%M} UTC)")


NEWS: dict[str, Callable[[Any], OrderNews]] = {
    "order.confirmed": _confirmed,
    "order.shipped": _shipped,
    "order.delivered": _delivered,
    "order.completed": _completed,
    "fulfillment_order.created": _fulfillment_created,
    "fulfillment_order.allocated": _fulfillment_allocated,
    "promise.at_risk": _promise_at_risk,
}
"""The events whose only effect on support is news of an order (`order.placed` aside)."""


def folded(news: Iterable[OrderNews]) -> dict[UUID, tuple[datetime, dict[str, Any]]]:
    """Each order's fields after all the news in turn, and its latest time: every event sets
    its fields outright, so one write of the result equals one write per event in order."""
    orders: dict[UUID, tuple[datetime, dict[str, Any]]] = {}
    for item in news:
        if not item.fields:
            continue
        at, fields = orders.get(item.order_id, (item.at, {}))
        orders[item.order_id] = (max(at, item.at), {**fields, **item.fields})
    return orders
