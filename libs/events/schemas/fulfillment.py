"""Events produced by the fulfillment service (the contract catalog consumes)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from libs.events.base import Event
from libs.events.registry import register


@register
class StockReceived(Event):
    """Units of a SKU were received into an FBT warehouse from a seller's inbound shipment."""

    type = "stock.received"
    topic = "fulfillment.inbound.v1"
    key_field = "sku_id"

    inbound_shipment_id: UUID
    warehouse_id: UUID
    sku_id: UUID
    quantity: int = Field(gt=0)
    received_at: datetime


@register
class ShipmentShipped(Event):
    """An order's parcel left the warehouse (or the seller) with a carrier."""

    type = "shipment.shipped"
    topic = "fulfillment.shipment.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    shipment_id: UUID
    carrier: str
    tracking_number: str
    shipped_at: datetime


@register
class ShipmentDelivered(Event):
    """The carrier confirmed delivery to the buyer."""

    type = "shipment.delivered"
    topic = "fulfillment.shipment.v1"
    key_field = "order_id"
    public = True

    order_id: UUID
    shipment_id: UUID
    delivered_at: datetime


class ReturnedLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)


@register
class ReturnReceived(Event):
    """Returned goods arrived and passed inspection; the buyer is owed a refund for them."""

    type = "return.received"
    topic = "fulfillment.shipment.v1"
    key_field = "order_id"

    order_id: UUID
    return_id: UUID
    lines: list[ReturnedLine]
    received_at: datetime
