"""Events produced by the fulfillment service: inbound plans, warehouse stock, fulfillment orders,
parcels and their tracking, returns, delivery promises and shipping rates.

Parcel, return and promise events are keyed by the order they serve, so one order's story is
told in order; stock events by SKU; inbound events by the inbound plan. Every public event
carries the `seller_id` it belongs to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from libs.bounds import MAX_GRAMS, MAX_UNITS
from libs.events.base import Event
from libs.events.registry import register

SHIPMENTS = "fulfillment.shipment.v1"
INBOUND_PLANS = "fulfillment.inbound_plan.v1"
STOCK = "fulfillment.inbound.v1"


class FulfilledLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0, le=MAX_UNITS)


# --- inbound plans and warehouse stock ------------------------------------------------------

class _InboundEvent(Event):
    topic = INBOUND_PLANS
    key_field = "inbound_id"
    public = True

    inbound_id: UUID
    seller_id: UUID
    warehouse_id: UUID


@register
class InboundCreated(_InboundEvent):
    """A seller planned a shipment of its goods into a warehouse; the platform chose which."""

    type = "inbound.created"
    lines: list[FulfilledLine]
    created_at: datetime


@register
class InboundShipped(_InboundEvent):
    """The seller handed the cartons to a transport company: the plan is in transit."""

    type = "inbound.in_transit"
    carrier: str
    tracking_number: str
    shipped_at: datetime


@register
class InboundArrived(_InboundEvent):
    """The cartons reached the warehouse's dock; counting has not started."""

    type = "inbound.arrived"
    arrived_at: datetime


class ReceivedCount(BaseModel):
    sku_id: UUID
    planned: int = Field(ge=0)
    good: int = Field(ge=0)
    damaged: int = Field(ge=0)
    missing: int = Field(ge=0)
    unexpected: int = Field(ge=0)


@register
class InboundReceived(_InboundEvent):
    """The warehouse counted the plan: good units are now sellable, the rest is explained."""

    type = "inbound.received"
    outcome: Literal["received", "received_with_discrepancies"]
    counts: list[ReceivedCount]
    received_at: datetime


@register
class InboundCancelled(_InboundEvent):
    """The seller cancelled the plan before it shipped."""

    type = "inbound.cancelled"
    cancelled_at: datetime


@register
class StockReceived(Event):
    """Good units of a SKU were received into an FBT warehouse: catalog makes them sellable."""

    type = "stock.received"
    topic = STOCK
    key_field = "sku_id"
    public = True

    inbound_shipment_id: UUID
    warehouse_id: UUID
    sku_id: UUID
    seller_id: UUID | None = None
    quantity: int = Field(gt=0)
    received_at: datetime


@register
class StockAdjusted(Event):
    """A warehouse's sellable units of a SKU changed outside an order (a resellable return, a
    count correction, a write-off). `delta` is what catalog adds to (or takes from) its stock."""

    type = "stock.adjusted"
    topic = STOCK
    key_field = "sku_id"
    public = True

    adjustment_id: UUID
    warehouse_id: UUID
    sku_id: UUID
    seller_id: UUID
    delta: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
    reason: Literal["return_resellable", "returned_to_sender", "count_correction", "write_off",
                    "found"]
    adjusted_at: datetime


# --- fulfillment orders and parcels ---------------------------------------------------------

class Parcel(BaseModel):
    shipment_id: UUID
    origin: Literal["warehouse", "seller"]
    warehouse_id: UUID | None = Field(default=None, description="None when the seller ships.")
    lines: list[FulfilledLine]


class _OrderEvent(Event):
    topic = SHIPMENTS
    key_field = "order_id"
    public = True

    order_id: UUID
    seller_id: UUID


@register
class FulfillmentOrderCreated(_OrderEvent):
    """A confirmed order is to be shipped: by the platform's warehouses, by the seller, or by
    both (lines the platform does not stock are the seller's)."""

    type = "fulfillment_order.created"
    method: Literal["fbt", "seller", "mixed"]
    ship_by: datetime
    deliver_by: datetime
    created_at: datetime


@register
class FulfillmentOrderAllocated(_OrderEvent):
    """The order's lines were given to parcels: each from the warehouse nearest the buyer that
    has the stock, split when no one warehouse can serve all lines. The promises follow from the
    warehouses' cut-offs, the zone and the carrier service."""

    type = "fulfillment_order.allocated"
    parcels: list[Parcel]
    split: bool
    short: list[FulfilledLine] = Field(
        default_factory=list, description="Units no warehouse holds: they cannot ship.")
    ship_by: datetime
    deliver_by: datetime
    allocated_at: datetime


@register
class FulfillmentOrderPicked(_OrderEvent):
    type = "fulfillment_order.picked"
    shipment_id: UUID
    warehouse_id: UUID
    picked_at: datetime


@register
class FulfillmentOrderPacked(_OrderEvent):
    type = "fulfillment_order.packed"
    shipment_id: UUID
    warehouse_id: UUID
    weight_grams: int = Field(gt=0, le=MAX_GRAMS)
    billable_grams: int = Field(gt=0, le=MAX_GRAMS)
    packed_at: datetime


@register
class ShipmentShipped(Event):
    """An order's parcel left the warehouse (or the seller) with a carrier."""

    type = "shipment.shipped"
    topic = SHIPMENTS
    key_field = "order_id"
    public = True

    order_id: UUID
    shipment_id: UUID
    seller_id: UUID | None = None
    carrier: str
    service: str | None = None
    tracking_number: str
    lines: list[FulfilledLine] = Field(default_factory=list)
    shipped_at: datetime


@register
class ShipmentInTransit(_OrderEvent):
    type = "shipment.in_transit"
    shipment_id: UUID
    at: datetime


@register
class ShipmentOutForDelivery(_OrderEvent):
    type = "shipment.out_for_delivery"
    shipment_id: UUID
    at: datetime


@register
class ShipmentDelivered(Event):
    """The carrier confirmed delivery to the buyer. `parcels_outstanding` counts the order's
    other parcels still on their way: the order is delivered when it reaches zero."""

    type = "shipment.delivered"
    topic = SHIPMENTS
    key_field = "order_id"
    public = True

    order_id: UUID
    shipment_id: UUID
    seller_id: UUID | None = None
    parcels_outstanding: int = Field(default=0, ge=0)
    delivered_at: datetime


@register
class ShipmentDeliveryFailed(_OrderEvent):
    """The carrier could not deliver; the parcel goes back to its sender."""

    type = "shipment.delivery_failed"
    shipment_id: UUID
    reason: str = Field(max_length=200)
    failed_at: datetime


@register
class ShipmentReturnedToSender(_OrderEvent):
    """An undeliverable parcel is back where it came from; its lines were never delivered."""

    type = "shipment.returned_to_sender"
    shipment_id: UUID
    lines: list[FulfilledLine]
    parcels_outstanding: int = Field(ge=0, description="The order's parcels still on the way.")
    parcels_delivered: int = Field(ge=0, description="The order's parcels the buyer has.")
    returned_at: datetime


# --- returns ---------------------------------------------------------------------------------

class ReturnedLine(BaseModel):
    sku_id: UUID
    quantity: int = Field(gt=0)


@register
class ReturnLabelIssued(_OrderEvent):
    """The buyer's return label: where to send the goods and the parcel's tracking number."""

    type = "return.label_issued"
    return_id: UUID
    destination: Literal["warehouse", "seller"]
    carrier: str
    tracking_number: str
    issued_at: datetime


@register
class ReturnReceived(Event):
    """Returned goods arrived and were accepted: the buyer is owed a refund for these lines."""

    type = "return.received"
    topic = SHIPMENTS
    key_field = "order_id"
    public = True

    order_id: UUID
    return_id: UUID
    seller_id: UUID | None = None
    lines: list[ReturnedLine]
    received_at: datetime


class InspectedLine(BaseModel):
    sku_id: UUID
    resellable: int = Field(ge=0)
    damaged: int = Field(ge=0)
    rejected: int = Field(ge=0, description="Not what was sold, or not there: no refund.")


@register
class ReturnInspected(_OrderEvent):
    """What the returned goods turned out to be, line by line, and where they went."""

    type = "return.inspected"
    return_id: UUID
    lines: list[InspectedLine]
    inspected_at: datetime


# --- promises --------------------------------------------------------------------------------

@register
class PromiseAtRisk(_OrderEvent):
    """A promise will be missed unless the order moves soon."""

    type = "promise.at_risk"
    promise: Literal["ship_by", "deliver_by"]
    due_at: datetime
    at: datetime


@register
class PromiseBreached(_OrderEvent):
    """A promise was missed. Orders applies its rule (a missed ship-by cancels and refunds)."""

    type = "promise.breached"
    promise: Literal["ship_by", "deliver_by"]
    due_at: datetime
    at: datetime


# --- shipping rates ---------------------------------------------------------------------------

class Rate(BaseModel):
    band: str = Field(max_length=20)
    speed: Literal["standard", "express"]
    up_to_grams: int = Field(gt=0, le=MAX_GRAMS)
    price_minor: int = Field(ge=0)


@register
class ShippingRatesPublished(Event):
    """A market's rate card: what shipping costs the buyer by zone band, speed and billable
    weight. Orders quotes checkout from the latest card of each market."""

    type = "shipping_rates.published"
    topic = "fulfillment.rates.v1"
    key_field = "market"

    market: str
    currency: str
    card_version: int = Field(gt=0)
    zone_bands: dict[str, str] = Field(description="Zone code -> band; zones not named are "
                                                   "in `default_band`.")
    default_band: str
    rates: list[Rate]
    free_from_minor: int | None = None
    published_at: datetime
