"""Events produced by the fulfillment service (the contract catalog consumes)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from libs.events.base import Event
from libs.events.catalogue import register


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
