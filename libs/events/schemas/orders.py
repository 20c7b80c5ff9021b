"""Events produced by the orders service (the contract catalog consumes; orders emits them from
issue 4 on)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.catalogue import register


class OrderLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)
    unit_price_minor: int = Field(ge=0)


@register
class OrderPlaced(Event):
    """A buyer checked out; one order per seller, awaiting stock."""

    type = "order.placed"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    buyer_id: str
    seller_id: UUID
    currency: str
    lines: list[OrderLine] = Field(min_length=1)
    reserve_for_seconds: int = Field(default=900, gt=0, le=86400,
                                     description="How long catalog holds the stock.")
    placed_at: datetime


@register
class OrderConfirmed(Event):
    """Payment was authorized: the order will ship."""

    type = "order.confirmed"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    confirmed_at: datetime


@register
class OrderCancelled(Event):
    """The order will not proceed; whatever it held is handed back."""

    type = "order.cancelled"
    topic = "orders.order.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    reason: Literal["buyer_cancelled", "seller_cancelled", "payment_failed", "out_of_stock",
                    "reservation_timeout", "ship_by_missed", "deliver_by_missed", "other"]
    cancelled_at: datetime
